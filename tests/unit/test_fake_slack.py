"""The test doubles behave like Slack: if FakeSlack lied, every test built on it would too."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

import pytest
from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from handlers import ids
from tests.fakes import slack_api
from tests.fakes.clock import FakeClock
from tests.fakes.requests import (
    SIGNING_SECRET,
    action_body,
    block_action_payload,
    bolt_request,
    command_body,
    event_body,
    reaction_added_event,
    sign,
)
from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID, U_ADMIN, U_ALICE, U_BOB, FakeSlack

METADATA = {"event_type": ids.METADATA_EVENT_TYPE, "event_payload": {"dedupe_key": "checkin:T-1:2026-03-02"}}


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(base_url=slack.base_url, token="xoxb-test")


def test_post_message_returns_a_ts_and_is_recorded_and_stored(slack: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C0TEAM", text="hello", metadata=METADATA)
    second = client.chat_postMessage(channel="C0TEAM", text="again")

    assert first["ok"] is True and first["channel"] == "C0TEAM"
    assert float(second["ts"]) > float(first["ts"])
    [call, _] = slack.calls_to("chat.postMessage")
    assert call.params["text"] == "hello"
    assert call.params["metadata"] == METADATA
    assert call.headers["authorization"] == "Bearer xoxb-test"
    [stored, _] = slack.messages("C0TEAM")
    assert stored["ts"] == first["ts"] and stored["metadata"] == METADATA


def test_post_message_to_a_person_lands_in_their_dm(slack: FakeSlack, client: WebClient) -> None:
    answer = client.chat_postMessage(channel=U_ALICE, text="hi")

    assert answer["channel"] == "D0ALICE"
    assert [m["text"] for m in slack.messages("D0ALICE")] == ["hi"]


def test_form_encoded_json_fields_are_decoded(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    client.api_call("chat.postMessage", params={"channel": "C0TEAM", "blocks": json.dumps(blocks)})

    assert slack.calls_to("chat.postMessage")[0].params["blocks"] == blocks


def test_too_many_blocks_answer_invalid_blocks(client: WebClient) -> None:
    blocks = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0TEAM", text="x", blocks=blocks)
    assert raised.value.response["error"] == "invalid_blocks"


def test_users_info_gives_the_time_zone_and_refuses_an_unknown_user(client: WebClient) -> None:
    user = client.users_info(user=U_BOB)["user"]
    assert (user["tz"], user["name"], user["tz_offset"]) == ("Asia/Tokyo", "bob", 9 * 3600)
    assert client.users_info(user=U_ADMIN)["user"]["is_admin"] is True

    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U0NOBODY")
    assert raised.value.response["error"] == "user_not_found"


def test_tz_offset_follows_the_given_clock(slack: FakeSlack) -> None:
    slack.stop()
    summer = FakeSlack(clock=FakeClock(datetime(2026, 7, 1, 12, tzinfo=UTC)))
    with summer:
        client = WebClient(base_url=summer.base_url, token="xoxb-test")
        assert client.users_info(user=U_ALICE)["user"]["tz_offset"] == 2 * 3600  # Berlin in summer


def test_added_user_is_known(slack: FakeSlack, client: WebClient) -> None:
    slack.add_user("U0CAROL", name="carol", tz="Asia/Kolkata")

    assert client.users_info(user="U0CAROL")["user"]["tz"] == "Asia/Kolkata"
    assert client.conversations_open(users="U0CAROL")["channel"]["id"] == "D0CAROL"


def test_scripted_429_carries_retry_after_then_clears(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage", retry_after=30)

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0TEAM", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "30"
    assert raised.value.response["error"] == "ratelimited"
    assert slack.messages() == []
    assert client.chat_postMessage(channel="C0TEAM", text="x")["ok"] is True


def test_scripted_status_and_error_answers(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.postMessage", status=503, times=2)
    slack.fail("conversations.open", error="account_inactive")

    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel="C0TEAM", text="x")
        assert raised.value.response.status_code == 503
    with pytest.raises(SlackApiError) as raised:
        client.conversations_open(users=U_ALICE)
    assert (raised.value.response.status_code, raised.value.response["error"]) == (200, "account_inactive")
    assert slack.messages() == []
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_post_then_fail_stores_the_message_but_answers_500(slack: FakeSlack, client: WebClient) -> None:
    slack.post_then_fail("chat.postMessage", status=500)

    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C0TEAM", text="lost answer", metadata=METADATA)
    assert raised.value.response.status_code == 500
    assert [m["text"] for m in slack.messages("C0TEAM")] == ["lost answer"]
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_post_then_drop_stores_the_message_and_closes_the_connection(slack: FakeSlack) -> None:
    client = WebClient(base_url=slack.base_url, token="xoxb-test", retry_handlers=[])
    slack.post_then_drop()

    with pytest.raises((RemoteDisconnected, URLError, ConnectionError)):
        client.chat_postMessage(channel="C0TEAM", text="dropped")
    assert [m["text"] for m in slack.messages("C0TEAM")] == ["dropped"]


@pytest.mark.bad_slack_calls("calls a method Slack's reference for Baton does not list, on purpose")
def test_unknown_method_answers_unknown_method(slack: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("users.list")
    assert raised.value.response["error"] == "unknown_method"
    assert [c.method for c in slack.calls] == ["users.list"]
    assert [(v.method, v.argument) for v in slack.violations] == [("users.list", None)]


def test_a_missing_token_is_not_authed(slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        WebClient(base_url=slack.base_url).chat_postMessage(channel="C0TEAM", text="x")
    assert raised.value.response["error"] == "not_authed"


def test_history_is_newest_first_and_has_metadata_only_when_asked(slack: FakeSlack, client: WebClient) -> None:
    old = client.chat_postMessage(channel="D0ALICE", text="old")["ts"]
    client.chat_postMessage(channel="D0ALICE", text="new", metadata=METADATA)
    client.chat_postMessage(channel="D0BOB", text="elsewhere")

    with_metadata = client.conversations_history(channel="D0ALICE", include_all_metadata=True)["messages"]
    assert [m["text"] for m in with_metadata] == ["new", "old"]
    assert with_metadata[0]["metadata"] == METADATA
    plain = client.conversations_history(channel="D0ALICE")["messages"]
    assert "metadata" not in plain[0]
    newer = client.conversations_history(channel="D0ALICE", oldest=old, limit=10)["messages"]
    assert [m["text"] for m in newer] == ["new"]
    limited = client.conversations_history(channel="D0ALICE", limit=1)
    assert [m["text"] for m in limited["messages"]] == ["new"] and limited["has_more"] is True


def test_chat_update_changes_the_stored_message(slack: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="D0ALICE", text="before")
    client.chat_update(channel="D0ALICE", ts=posted["ts"], text="after")

    assert [m["text"] for m in slack.messages("D0ALICE")] == ["after"]
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel="D0ALICE", ts="1.000000", text="x")
    assert raised.value.response["error"] == "message_not_found"


def test_views_open_and_publish(slack: FakeSlack, client: WebClient) -> None:
    modal = {"type": "modal", "callback_id": ids.VIEW_NEW_TASK, "title": {"type": "plain_text", "text": "T"}}
    opened = client.views_open(trigger_id="trig-1", view=modal)["view"]
    client.views_publish(user_id=U_ALICE, view={"type": "home", "blocks": []})

    assert opened["id"].startswith("V") and opened["callback_id"] == ids.VIEW_NEW_TASK
    assert slack.view(opened["id"]) == opened
    assert slack.home_view(U_ALICE) is not None


def test_response_url_posts_are_recorded(slack: FakeSlack) -> None:
    answer = WebhookClient(slack.response_url("r7")).send(text="done", response_type="ephemeral")

    assert answer.status_code == 200
    assert slack.responses_to("r7") == [{"text": "done", "response_type": "ephemeral"}]
    assert slack.calls == []


def test_clear_forgets_calls_but_keeps_messages(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C0TEAM", text="kept")
    slack.clear()

    assert slack.calls == [] and len(slack.messages()) == 1


def test_signature_verifies_and_goes_stale(stale_timestamp: int) -> None:
    body = command_body("/task", "help", user_id=U_ALICE, response_url="http://127.0.0.1/response/r1")
    headers = sign(body)
    verifier = SignatureVerifier(SIGNING_SECRET)

    assert verifier.is_valid(body, headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    assert not verifier.is_valid(body + "x", headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    stale = sign(body, timestamp=stale_timestamp)
    assert not verifier.is_valid(body, stale["x-slack-request-timestamp"], stale["x-slack-signature"])


def _bolt_app(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> App:
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return App(
        client=WebClient(base_url=slack.base_url, token="xoxb-test"),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )


def test_bolt_dispatch_reaches_the_fake_through_respond(
    slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, stale_timestamp: int
) -> None:
    app = _bolt_app(slack, monkeypatch)

    @app.command(ids.COMMAND_TASK)
    def answer(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        ack()
        respond(f"you typed {command['text']}")

    body = command_body(ids.COMMAND_TASK, "help", user_id=U_ALICE, response_url=slack.response_url())
    assert app.dispatch(bolt_request(body)).status == 200
    assert slack.responses == [{"text": "you typed help"}]
    assert app.dispatch(bolt_request(body, secret="forged")).status == 401
    assert app.dispatch(bolt_request(body, timestamp=stale_timestamp)).status == 401
    assert len(slack.responses) == 1


def test_bolt_routes_built_actions_and_events(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _bolt_app(slack, monkeypatch)
    seen: list[str] = []

    @app.action(ids.ACTION_ACCEPT)
    def accept(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen.append(f"{body['user']['id']} {body['actions'][0]['value']} {body['channel']['id']}")

    @app.event(ids.EVENT_REACTION_ADDED)
    def reacted(event: dict[str, Any]) -> None:
        seen.append(f"{event['user']} {event['reaction']}")

    payload = block_action_payload(ids.ACTION_ACCEPT, "T-1", user_id=U_ALICE, response_url=slack.response_url())
    assert app.dispatch(bolt_request(action_body(payload))).status == 200
    event = reaction_added_event("+1", user_id=U_ALICE, channel="D0ALICE", ts="1700000000.000100")
    assert app.dispatch(bolt_request(event_body(event))).status == 200
    unknown = block_action_payload("no_such_action", "T-1", user_id=U_ALICE, response_url=None)
    assert app.dispatch(bolt_request(action_body(unknown))).status == 404
    assert seen == [f"{U_ALICE} T-1 D0ALICE", f"{U_ALICE} +1"]
    assert slack.calls_to("auth.test")[0].headers["authorization"] == "Bearer xoxb-test"
    assert (TEAM_ID, BOT_USER_ID) == ("T0WORKSPACE", "U0BATON")


def test_fake_clock_moves_only_when_told_and_refuses_naive_times() -> None:
    clock = FakeClock(datetime(2026, 3, 8, 6, 59, tzinfo=UTC))
    assert clock.now() == clock.now()
    assert clock.advance(minutes=1) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert clock.set(datetime(2026, 3, 9, 9, tzinfo=UTC) + timedelta(hours=1)).tzinfo is UTC
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 3, 9, 9))
    with pytest.raises(ValueError, match="aware"):
        FakeClock(datetime(2026, 3, 9, 9))


# -- Slack's rate tiers (enforce_tiers) ------------------------------------------------------------

TIER_START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
OTHER_TEAM_TOKEN = "xoxb-other-team"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(TIER_START)


@pytest.fixture
def tiered(clock: FakeClock) -> Iterator[FakeSlack]:
    with FakeSlack(clock=clock, enforce_tiers=True) as fake:
        fake.register_token(OTHER_TEAM_TOKEN, "T0OTHER")
        yield fake


def _client(slack: FakeSlack, token: str = "xoxb-test") -> WebClient:
    return WebClient(base_url=slack.base_url, token=token, retry_handlers=[])


def _ratelimited(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    response = raised.value.response
    assert (response.status_code, response.data) == (429, {"ok": False, "error": "ratelimited"})
    return raised.value


def test_tiers_are_off_unless_asked(slack: FakeSlack, client: WebClient) -> None:
    for _ in range(60):
        client.conversations_open(users=U_ALICE)
    for _ in range(3):
        client.chat_postMessage(channel="C0TEAM", text="x")

    assert slack.ratelimited() == 0


@pytest.mark.parametrize(
    ("method", "calls_per_minute"), [("conversations.open", 50), ("users.info", 100)], ids=["tier3", "tier4"]
)
def test_a_tier_allows_its_calls_a_minute_then_answers_429_with_retry_after(
    tiered: FakeSlack, clock: FakeClock, method: str, calls_per_minute: int
) -> None:
    client = _client(tiered)

    def call() -> Any:
        return client.api_call(method, params={"users" if method == "conversations.open" else "user": U_ALICE})

    call()  # the oldest call in the window, at 14:00:00
    clock.advance(seconds=20)
    for _ in range(calls_per_minute - 1):
        assert call()["ok"] is True

    refused = _ratelimited(call)
    assert refused.response.headers["Retry-After"] == "40"  # the 14:00:00 call leaves the window at 14:01:00
    clock.advance(seconds=39)
    _ratelimited(call)
    clock.advance(seconds=1)
    assert call()["ok"] is True
    _ratelimited(call)  # one call left the window, one came in
    assert tiered.ratelimited(method) == 3
    assert tiered.ratelimited("chat.postMessage") == 0


def test_tier_2_is_twenty_calls_a_minute(tiered: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    # No method Baton calls is in Tier 2 today; one that is gets 20 calls a minute.
    reference = dict(slack_api.web_api_reference())
    reference["users.info"] = dataclasses.replace(reference["users.info"], rate_limit="Tier 2")
    monkeypatch.setattr(slack_api, "web_api_reference", lambda: reference)
    client = _client(tiered)

    for _ in range(20):
        client.users_info(user=U_ALICE)
    assert _ratelimited(lambda: client.users_info(user=U_ALICE)).response.headers["Retry-After"] == "60"


def test_limits_are_per_workspace_and_per_method(tiered: FakeSlack) -> None:
    ours, theirs = _client(tiered), _client(tiered, OTHER_TEAM_TOKEN)
    for _ in range(50):
        ours.conversations_open(users=U_ALICE)

    _ratelimited(lambda: ours.conversations_open(users=U_ALICE))
    assert theirs.conversations_open(users=U_ALICE)["ok"] is True  # another workspace has its own minute
    assert ours.users_info(user=U_ALICE)["ok"] is True  # and another method too
    assert tiered.ratelimited() == 1


def test_a_refused_call_uses_no_room_and_changes_nothing(tiered: FakeSlack, clock: FakeClock) -> None:
    client = _client(tiered)
    posted = client.chat_postMessage(channel="C0TEAM", text="first")

    for _ in range(3):
        _ratelimited(lambda: client.chat_postMessage(channel="C0TEAM", text="too soon"))
    clock.advance(seconds=1)

    assert client.chat_postMessage(channel="C0TEAM", text="second")["ok"] is True
    assert [m["text"] for m in tiered.messages("C0TEAM")] == ["first", "second"]
    assert posted["ts"] != tiered.messages("C0TEAM")[1]["ts"]
    assert tiered.ratelimited("chat.postMessage") == 3


def test_post_message_is_one_a_second_in_a_conversation(tiered: FakeSlack, clock: FakeClock) -> None:
    client = _client(tiered)
    client.chat_postMessage(channel="C0TEAM", text="one")
    assert client.chat_postMessage(channel="C0OTHER", text="elsewhere")["ok"] is True
    client.chat_postMessage(channel=U_ALICE, text="to alice")

    refused = _ratelimited(lambda: client.chat_postMessage(channel="C0TEAM", text="two"))
    assert refused.response.headers["Retry-After"] == "1"
    # A person's id posts to the DM: one conversation, whichever way it is named.
    _ratelimited(lambda: client.chat_postMessage(channel="D0ALICE", text="again"))
    clock.advance(milliseconds=999)
    # 1 ms to go: Slack's Retry-After is whole seconds, rounded up so that a call after it gets through.
    assert (
        _ratelimited(lambda: client.chat_postMessage(channel="C0TEAM", text="two")).response.headers["Retry-After"]
        == "1"
    )
    clock.advance(milliseconds=1)
    assert client.chat_postMessage(channel="C0TEAM", text="two")["ok"] is True


def test_post_message_is_300_a_minute_in_a_workspace(tiered: FakeSlack, clock: FakeClock) -> None:
    client, other = _client(tiered), _client(tiered, OTHER_TEAM_TOKEN)
    for n in range(300):
        client.chat_postMessage(channel=f"C{n:04d}", text="x")
        clock.advance(milliseconds=100)  # 300 posts over 30 s

    refused = _ratelimited(lambda: client.chat_postMessage(channel="C9999", text="one too many"))
    assert refused.response.headers["Retry-After"] == "30"
    assert other.chat_postMessage(channel="C9999", text="another workspace")["ok"] is True
    clock.advance(seconds=30)
    assert client.chat_postMessage(channel="C9999", text="now")["ok"] is True


def _history_of(slack: FakeSlack, count: int) -> list[str]:
    return [slack.seed_message("C0TEAM", text=f"m{n}", user=U_ALICE) for n in range(count)]


def test_strict_history_is_one_call_a_minute_and_fifteen_messages_a_page(clock: FakeClock) -> None:
    with FakeSlack(clock=clock, enforce_tiers=True, strict_history=True) as slack:
        client = _client(slack)
        ts = _history_of(slack, 20)

        first = client.conversations_history(channel="C0TEAM", limit=100)
        refused = _ratelimited(lambda: client.conversations_history(channel="C0TEAM", limit=100))
        assert refused.response.headers["Retry-After"] == "60"
        clock.advance(seconds=60)
        second = client.conversations_history(
            channel="C0TEAM", limit=100, cursor=first["response_metadata"]["next_cursor"]
        )

    assert [m["ts"] for m in first["messages"]] == ts[::-1][:15]  # newest first, cut to 15
    assert first["has_more"] is True and first["response_metadata"]["next_cursor"]
    assert [m["ts"] for m in second["messages"]] == ts[::-1][15:]
    assert second["has_more"] is False and second["response_metadata"]["next_cursor"] == ""
    assert slack.ratelimited("conversations.history") == 1


def test_strict_history_pages_fifteen_when_no_limit_is_given(clock: FakeClock) -> None:
    with FakeSlack(clock=clock) as slack:
        slack.enforce_tiers(strict_history=True)
        _history_of(slack, 16)
        page = _client(slack).conversations_history(channel="C0TEAM")

    assert len(page["messages"]) == 15 and page["has_more"] is True


def test_history_without_the_strict_limits_is_tier_3_and_honours_the_limit(tiered: FakeSlack) -> None:
    client = _client(tiered)
    _history_of(tiered, 20)

    assert len(client.conversations_history(channel="C0TEAM", limit=100)["messages"]) == 20
    for _ in range(48):
        client.conversations_history(channel="C0TEAM", limit=1)
    assert client.conversations_history(channel="C0TEAM", limit=1)["ok"] is True  # the 50th
    _ratelimited(lambda: client.conversations_history(channel="C0TEAM", limit=1))


def test_scripted_429s_are_counted_too(slack: FakeSlack, client: WebClient) -> None:
    slack.fail("chat.update", retry_after=5, times=2)
    for _ in range(2):
        _ratelimited(lambda: client.chat_update(channel="C0TEAM", ts="1.2", text="x"))

    assert slack.ratelimited("chat.update") == 2 and slack.ratelimited() == 2


def test_wait_until_wakes_on_the_call_it_waits_for_and_gives_up_after_its_timeout(slack: FakeSlack) -> None:
    client = WebClient(base_url=slack.base_url, token="xoxb-test")

    def the_post() -> list[slack_api.Call] | None:
        return slack.calls_to("chat.postMessage") or None

    with ThreadPoolExecutor(max_workers=1) as pool:
        posted = pool.submit(client.chat_postMessage, channel=slack_api.C_GENERAL, text="hello")
        found = slack.wait_until("the post", the_post, timeout=10)

    assert [call.params["text"] for call in found] == ["hello"]
    assert posted.result()["ok"]
    with pytest.raises(AssertionError, match="waiting for a second post"):
        slack.wait_until("a second post", lambda: slack.calls_to("chat.postMessage")[1:] or None, timeout=0.05)

"""The test doubles behave like Slack: if FakeSlack lied, every test built on it would too."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
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
from tests.fakes.clock import FakeClock
from tests.fakes.requests import (
    SIGNING_SECRET,
    STALE_SECONDS,
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


def test_unknown_method_answers_unknown_method(slack: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("users.list")
    assert raised.value.response["error"] == "unknown_method"
    assert [c.method for c in slack.calls] == ["users.list"]


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


def test_signature_verifies_and_goes_stale() -> None:
    body = command_body("/task", "help", user_id=U_ALICE, response_url="http://127.0.0.1/response/r1")
    headers = sign(body)
    verifier = SignatureVerifier(SIGNING_SECRET)

    assert verifier.is_valid(body, headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    assert not verifier.is_valid(body + "x", headers["x-slack-request-timestamp"], headers["x-slack-signature"])
    stale = sign(body, timestamp=int(time.time()) - STALE_SECONDS)
    assert not verifier.is_valid(body, stale["x-slack-request-timestamp"], stale["x-slack-signature"])


def _bolt_app(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> App:
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return App(
        client=WebClient(base_url=slack.base_url, token="xoxb-test"),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )


def test_bolt_dispatch_reaches_the_fake_through_respond(slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _bolt_app(slack, monkeypatch)

    @app.command(ids.COMMAND_TASK)
    def answer(ack: Ack, respond: Respond, command: dict[str, Any]) -> None:
        ack()
        respond(f"you typed {command['text']}")

    body = command_body(ids.COMMAND_TASK, "help", user_id=U_ALICE, response_url=slack.response_url())
    assert app.dispatch(bolt_request(body)).status == 200
    assert slack.responses == [{"text": "you typed help"}]
    assert app.dispatch(bolt_request(body, secret="forged")).status == 401
    assert app.dispatch(bolt_request(body, timestamp=int(time.time()) - STALE_SECONDS)).status == 401
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

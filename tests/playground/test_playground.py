"""The playground without a browser: its Web API answers Baton as Slack does, and what a person does on the
page reaches Baton as Slack's signed requests and comes back as messages, modals and Home tabs."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers import ids
from playground.courier import Courier
from playground.runtime import Playground
from playground.slack import payloads
from tests.playground.conftest import (
    ALICE,
    KENJI,
    MAYA,
    START,
    SUPPORT,
    PageClient,
    button,
    click,
    delegate,
    delegate_and_accept,
    dm,
    texts,
)


def client(playground: Playground, token: str | None = None) -> WebClient:
    return WebClient(token=token, base_url=playground.url + "api/")


def slack_error(call: Any) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


# -- Slack's side of the wire ---------------------------------------------------------------------------------


def test_web_api_answers_like_slack_including_its_error_shapes(playground: Playground) -> None:
    web = client(playground, playground.workspace.token)

    assert web.auth_test()["user_id"] == "U0BATON"
    assert web.users_info(user=KENJI)["user"]["tz"] == "Asia/Tokyo"
    posted = web.chat_postMessage(
        channel=ALICE, text="hi", metadata={"event_type": "baton_message", "event_payload": {"dedupe_key": "k1"}}
    )
    assert posted["channel"] == dm(ALICE)
    history = web.conversations_history(channel=dm(ALICE), include_all_metadata=True)
    assert history["messages"][0]["metadata"]["event_payload"] == {"dedupe_key": "k1"}
    assert "metadata" not in web.conversations_history(channel=dm(ALICE))["messages"][0]

    assert slack_error(lambda: web.chat_postMessage(channel="C0NOWHERE", text="x")) == "channel_not_found"
    assert slack_error(lambda: web.users_info(user="U0NOBODY")) == "user_not_found"
    too_many = [{"type": "divider"}] * 51
    assert slack_error(lambda: web.chat_postMessage(channel=SUPPORT, text="x", blocks=too_many)) == "invalid_blocks"
    assert slack_error(lambda: web.chat_update(channel=SUPPORT, ts="1.000001", text="x")) == "message_not_found"
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": []}
    assert slack_error(lambda: web.views_open(trigger_id="made-up", view=modal)) == "invalid_arguments"
    assert slack_error(lambda: web.api_call("chat.nothing")) == "unknown_method"
    assert slack_error(lambda: client(playground, "xoxb-wrong").auth_test()) == "invalid_auth"
    assert slack_error(lambda: client(playground).api_call("auth.test")) == "not_authed"


def test_baton_verifies_the_signature_of_what_the_playground_sends(playground: Playground) -> None:
    session = playground.session
    forged = Courier(events_url=session.courier.events_url, signing_secret="not-the-secret", team=session.courier.team)
    event = payloads.app_home_opened(ALICE, view=None, event_ts="1772460000.000100")

    assert forged.event(event).status == 401
    assert session.courier.event(event).status == 200


# -- what people do on the page -------------------------------------------------------------------------------


def test_a_slash_command_creates_the_task_and_the_assignee_sees_the_dm_with_buttons(page: PageClient) -> None:
    delegate(page)

    maya_sees = page.entries(MAYA, SUPPORT)
    assert any(e["kind"] == "ephemeral" and "T-1" in e["html"] for e in maya_sees)
    assert not any("T-1" in e["html"] for e in page.entries(ALICE, SUPPORT)), "an ephemeral leaked to Alice"
    alice_dm = texts(page.entries(ALICE, dm(ALICE)))
    assert "Call the customer back" in alice_dm
    assert f'data-action-id="{ids.ACTION_ACCEPT}"' in alice_dm
    assert dm(ALICE) not in page.state(MAYA)["messages"], "Maya must not see Alice's DM"


def test_an_unknown_command_gets_slackbots_answer_and_plain_text_is_posted_as_the_person(page: PageClient) -> None:
    page.ui("send", **{"as": ALICE, "channel": SUPPORT, "text": "/tsk list"})
    page.ui("send", **{"as": ALICE, "channel": SUPPORT, "text": "Hello <team> & @Kenji"})

    seen = page.entries(ALICE, SUPPORT)
    assert seen[-2]["user"] == "USLACKBOT" and "is not a valid command" in seen[-2]["html"]
    assert seen[-1]["user"] == ALICE and "&lt;team&gt; &amp;" in seen[-1]["html"]
    assert "Kenji" in seen[-1]["html"]
    assert page.ui("send", **{"as": ALICE, "channel": dm(KENJI), "text": "hi"}).status == 400


def test_accept_replaces_the_dm_buttons_and_tells_the_delegator(page: PageClient) -> None:
    playground = page.playground
    delegate(page)

    click(page, ALICE, dm(ALICE), ids.ACTION_ACCEPT)
    page.wait_until("Maya's DM", lambda: any(m["channel"] == dm(MAYA) for m in playground.workspace.messages()))

    alice_dm = texts(page.entries(ALICE, dm(ALICE)))
    assert f'data-action-id="{ids.ACTION_ACCEPT}"' not in alice_dm
    assert "Accepted" in alice_dm
    assert "accepted" in texts(page.entries(MAYA, dm(MAYA))).lower()


def test_the_task_modal_opens_shows_errors_inline_and_creates_the_task_on_submit(page: PageClient) -> None:
    playground = page.playground
    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/task"})
    modal = page.state(MAYA)["modal"]
    assert modal is not None and 'data-type="plain_text_input"' in modal["html"]
    assert page.state(ALICE)["modal"] is None
    view_id = modal["view_id"]
    field = f"{ids.BLOCK_TITLE}/{ids.INPUT_TITLE}"
    assignee = f"{ids.BLOCK_ASSIGNEE}/{ids.INPUT_ASSIGNEE}"
    due_date = f"{ids.BLOCK_DUE_DATE}/{ids.INPUT_DUE_DATE}"
    priority = f"{ids.BLOCK_PRIORITY}/{ids.INPUT_PRIORITY}"

    page.ui("submit", **{"as": MAYA, "view_id": view_id, "values": {field: ""}})
    assert page.state(MAYA)["modal"]["errors"][ids.BLOCK_TITLE] == "Please complete this required field."

    past = (START - timedelta(days=3)).date().isoformat()
    values = {field: "Refund order 66", assignee: KENJI, due_date: past, priority: "normal"}
    page.ui("submit", **{"as": MAYA, "view_id": view_id, "values": values})
    errors = page.state(MAYA)["modal"]["errors"]
    assert errors and ids.BLOCK_TITLE not in errors, errors

    values[due_date] = (START + timedelta(days=2)).date().isoformat()
    assert page.ui("submit", **{"as": MAYA, "view_id": view_id, "values": values}).status == 200
    page.wait_until("Kenji's DM", lambda: any(m["channel"] == dm(KENJI) for m in playground.workspace.messages()))
    assert page.state(MAYA)["modal"] is None
    assert "Refund order 66" in texts(page.entries(KENJI, dm(KENJI)))


def test_a_modal_shows_only_on_the_page_it_was_opened_on_so_a_reload_does_not_bring_it_back(
    page: PageClient,
) -> None:
    opened = page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/task", "page": "page-1"})
    assert opened.status == 200

    modal = page.state(MAYA, page="page-1")["modal"]
    assert modal is not None, "the page it was opened on shows it"
    assert page.state(MAYA, page="page-2")["modal"] is None, "a reloaded page (a new id) does not"
    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": "/task", "page": "page-2"})
    reopened = page.state(MAYA, page="page-2")["modal"]
    assert reopened is not None and reopened["view_id"] != modal["view_id"]
    assert page.state(MAYA, page="page-1")["modal"] is None, "a modal is open in one place at a time"

    # Submitting from its page still reaches it, with Slack's inline errors shown there.
    view_id = reopened["view_id"]
    field = f"{ids.BLOCK_TITLE}/{ids.INPUT_TITLE}"
    page.ui("submit", **{"as": MAYA, "view_id": view_id, "values": {field: ""}, "page": "page-2"})
    assert page.state(MAYA, page="page-2")["modal"]["errors"][ids.BLOCK_TITLE]


def test_fast_forward_delivers_the_checkin_and_refuses_going_back_or_past_fourteen_days(page: PageClient) -> None:
    delegate_and_accept(page)

    done = page.ui("clock", **{"as": ALICE, "preset": "weekday10"})
    assert done.status == 200 and done.body["sent"] >= 1
    assert page.playground.clock.now() == START + timedelta(hours=1)  # 10:00 in New York
    assert f'data-action-id="{ids.ACTION_CHECKIN_DONE}"' in texts(page.entries(ALICE, dm(ALICE)))

    back = page.ui("clock", **{"as": ALICE, "at": "2026-03-01T09:00"})
    assert back.status == 400 and "forward" in back.body["error"]
    far = page.ui("clock", **{"as": ALICE, "at": "2026-03-20T09:00"})
    assert far.status == 400 and "14 days" in far.body["error"]


def test_a_reaction_on_the_checkin_answers_it_and_the_channel_celebrates(page: PageClient) -> None:
    playground = page.playground
    delegate_and_accept(page)
    page.ui("clock", **{"as": ALICE, "preset": "weekday10"})
    ts, _ = button(playground, dm(ALICE), ids.ACTION_CHECKIN_DONE)

    answer = page.ui("react", **{"as": ALICE, "channel": dm(ALICE), "ts": ts, "name": "white_check_mark"})

    assert answer.body == {"ok": True, "added": True}
    page.wait_until(
        "the celebration",
        lambda: any(m["channel"] == SUPPORT and "🎉" in m["text"] for m in playground.workspace.messages()),
    )
    assert "🎉" in texts(page.entries(KENJI, SUPPORT))
    again = page.ui("react", **{"as": ALICE, "channel": dm(ALICE), "ts": ts, "name": "white_check_mark"})
    assert again.body["added"] is False


def test_the_home_tab_is_published_for_the_person_who_opens_it(page: PageClient) -> None:
    delegate(page)

    page.ui("home", **{"as": ALICE})
    page.wait_until("Alice's Home tab", lambda: ALICE in page.playground.workspace.home_views)

    home = page.state(ALICE)["home"]
    assert home is not None and "Call the customer back" in home["html"]
    assert page.state(KENJI)["home"] is None or "Call the customer back" not in page.state(KENJI)["home"]["html"]


def test_reset_wipes_everything_and_seeds_the_team_again(page: PageClient) -> None:
    playground = page.playground
    delegate(page)
    page.ui("clock", **{"as": MAYA, "preset": "day"})

    assert page.ui("reset").status == 200

    assert playground.clock.now() == START
    assert dm(ALICE) not in {m["channel"] for m in playground.workspace.messages()}
    delegate(page, "/task @Kenji Write the FAQ by friday", to=KENJI)
    created = [e for e in page.entries(MAYA, SUPPORT) if e["kind"] == "ephemeral"]
    assert "team channel" in created[0]["html"] and "T-1" in created[-1]["html"]


def test_the_people_panel_checks_zones_and_restarts_with_the_new_names(page: PageClient) -> None:
    rows = [{"id": p.id, "name": p.name, "tz": p.tz} for p in page.playground.people]
    rows[2] = {**rows[2], "tz": "Mars/Olympus"}
    refused = page.ui("people", people=rows)
    assert refused.status == 400 and "Mars/Olympus" in refused.body["error"]

    rows[2] = {**rows[2], "name": "Beatriz", "tz": "America/Sao_Paulo"}
    assert page.ui("people", people=rows).status == 200

    web = client(page.playground, page.playground.workspace.token)
    assert web.users_info(user=rows[2]["id"])["user"]["tz"] == "America/Sao_Paulo"
    delegate_text = "/task @Beatriz Translate the macros by friday"
    page.ui("send", **{"as": MAYA, "channel": SUPPORT, "text": delegate_text})
    assert "T-1" in page.entries(MAYA, SUPPORT)[-1]["html"]


def test_the_page_and_its_script_are_served(playground: Playground) -> None:
    with urllib.request.urlopen(playground.url, timeout=5) as response:
        html = response.read().decode()
    assert "/static/playground.js" in html and "/static/blockkit.css" in html
    for name in ("playground.js", "playground.css", "blockkit.css"):
        with urllib.request.urlopen(playground.url + "static/" + name, timeout=5) as response:
            assert response.status == 200
    request = urllib.request.Request(playground.url + "ui/click", data=json.dumps({"as": "U0NOBODY"}).encode())
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400

"""A slash command whose text holds the word "payload" reaches Baton as the command it is.

slack_bolt 1.30 reads any form body containing the text "payload" as an interactive payload
(slack_bolt/request/internals.py parse_body), so such a command parsed to nothing and Bolt answered 404;
bot/server.py reads the form itself when there is no `payload=` parameter.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_bolt.request import BoltRequest
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.server import FormBodyRequest, make_wsgi_app
from tests.conftest import Harness, flatten
from tests.fakes.requests import action_body, block_action_payload, command_body, signed_headers
from tests.fakes.slack_api import TEAM_ID, U_ALICE, U_MANAGER
from tests.fakes.wsgi import WsgiAnswer, call

TITLE = "Review the webhook payload format"
TEXT = f"<@{U_ALICE}> {TITLE} by fri"
FRIDAY_5PM_NEW_YORK = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


def post(app: Any, body: str, headers: dict[str, str]) -> WsgiAnswer:
    return call(app, "/slack/events", method="POST", body=body, headers=headers)


def delegation(h: Harness, text: str = TEXT) -> str:
    return command_body("/task", text, user_id=U_MANAGER, response_url=h.slack.response_url())


def test_a_title_with_the_word_payload_creates_the_task_through_the_wsgi_app(harness: Harness) -> None:
    body = delegation(harness)
    assert "payload" in body and "payload=" not in body

    answer = post(make_wsgi_app(harness.baton), body, signed_headers(body))

    assert answer.status == 200, answer.text
    assert "Created T-1" in flatten(json.loads(answer.body))
    [task] = harness.tasks()
    assert (task.title, task.assignee_id, task.due_at) == (TITLE, U_ALICE, FRIDAY_5PM_NEW_YORK)
    assert [c.params["channel"] for c in harness.slack.calls_to("chat.postMessage")] == [U_ALICE]


def test_payload_as_the_whole_text_or_a_parameter_name_is_still_a_command(harness: Harness) -> None:
    app = make_wsgi_app(harness.baton)
    for text in (f"<@{U_ALICE}> payload", f"<@{U_ALICE}> payload=1 on the form"):
        body = delegation(harness, text)
        assert post(app, body, signed_headers(body)).status == 200

    assert [t.title for t in harness.tasks()] == ["payload", "payload=1 on the form"]


@pytest.mark.parametrize("forgery", ["forged", "stale"])
def test_a_forged_command_with_the_word_payload_gets_401_and_changes_nothing(
    harness: Harness, forgery: str, stale_timestamp: int
) -> None:
    body = delegation(harness)
    if forgery == "forged":
        headers = signed_headers(body, secret="not-the-signing-secret")
    else:
        headers = signed_headers(body, timestamp=stale_timestamp)

    answer = post(make_wsgi_app(harness.baton), body, headers)

    assert answer.status == 401
    assert harness.tasks() == [] and harness.outbox() == []
    assert harness.slack.calls == []


def test_the_signature_is_checked_on_the_body_as_sent_not_as_read(harness: Harness) -> None:
    signed = delegation(harness)
    # The same form, its parameters in another order: the same command once read, but not what was signed.
    reordered = "&".join(reversed(signed.split("&")))

    answer = post(make_wsgi_app(harness.baton), reordered, signed_headers(signed))

    assert answer.status == 401
    assert harness.tasks() == []


def test_interactive_payloads_still_travel_as_the_payload_parameter(harness: Harness) -> None:
    app = make_wsgi_app(harness.baton)
    body = delegation(harness)
    assert post(app, body, signed_headers(body)).status == 200
    [task] = harness.tasks()
    click = action_body(
        block_action_payload("baton_accept", str(task.id), user_id=U_ALICE, response_url=harness.slack.response_url())
    )

    assert post(app, click, signed_headers(click)).status == 200
    [accepted] = harness.tasks()
    assert accepted.accepted_at is not None


def test_the_request_read_for_bolt_is_the_form_and_keeps_the_raw_body() -> None:
    body = f"command=%2Ftask&text=the+payload+word&team_id={TEAM_ID}&user_id={U_MANAGER}"
    request = FormBodyRequest(body=body, headers={"content-type": "application/x-www-form-urlencoded"})

    assert request.raw_body == body
    assert request.body["text"] == "the payload word"
    assert (request.context.team_id, request.context.user_id) == (TEAM_ID, U_MANAGER)
    copied = request.to_copyable()  # what Bolt hands a lazy listener
    assert isinstance(copied, FormBodyRequest) and copied.body == request.body
    # What Bolt itself makes of it:
    assert BoltRequest(body=body, headers={"content-type": "application/x-www-form-urlencoded"}).body == {}


def test_socket_mode_commands_with_the_word_payload_were_never_misread(harness: Harness) -> None:
    # Over Socket Mode the command arrives as JSON already parsed; Bolt takes the dict as it is.
    form = {
        "command": "/task",
        "text": TEXT,
        "team_id": TEAM_ID,
        "user_id": U_MANAGER,
        "channel_id": "C0GENERAL",
        "response_url": harness.slack.response_url(),
        "trigger_id": "trig-1",
        "is_enterprise_install": "false",
    }
    request = SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=form)

    response = run_bolt_app(harness.baton.bolt, request)

    assert response.status == 200
    assert [t.title for t in harness.tasks()] == [TITLE]

"""Requests in the exact shapes Slack sends, from bolt-python's own scenario tests (tests/data/bolt-payloads),
with their ids changed to the test workspace's, through Baton's WSGI app as a server hands them over.

The workspace is on an Enterprise Grid organization (every payload names `enterprise_id`) with Baton installed
per workspace; an org-wide install (`is_enterprise_install` true, `authorizations[].team_id` null) is not
supported and is answered cleanly, changing nothing.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from bot.server import make_wsgi_app
from handlers import ids
from handlers.listener_kit import NO_WORKSPACE, ORG_WIDE_INSTALL
from storage.models import Person, Task, Workspace
from tests.bolt.test_checkin_answers import send_checkin
from tests.conftest import Harness, flatten
from tests.fakes.requests import (
    datepicker_value,
    plain_text_value,
    signed_headers,
    static_select_value,
    timepicker_value,
    users_select_value,
)
from tests.fakes.slack_api import (
    APP_ID,
    BOT_ID,
    C_GENERAL,
    TEAM_DOMAIN,
    TEAM_ID,
    U_ALICE,
    U_MANAGER,
    dm_channel_id,
)
from tests.fakes.wsgi import WsgiAnswer, call

PAYLOADS = Path(__file__).resolve().parents[1] / "data" / "bolt-payloads"
ENTERPRISE_ID = "E0GRID"
D_ALICE = dm_channel_id(U_ALICE)
TITLE = "Fix the refund macro"


# -- the payloads, with this workspace's ids --------------------------------------------------------------


def bolt_payload(name: str, *, user: str, response_url: str | None = None) -> dict[str, Any]:
    """A payload from bolt-python's scenario tests, its ids replaced: T111 is this workspace, E111 its
    Enterprise Grid org, W111 `user`, W222/U222 Alice, C111 #general, D111 `user`'s DM with Baton."""
    text = (PAYLOADS / name).read_text(encoding="utf-8")
    for theirs, ours in {
        "T111": TEAM_ID,
        "E111": ENTERPRISE_ID,
        "W111": user,
        "W222": U_ALICE,
        "U222": U_ALICE,
        "C111": C_GENERAL,
        "D111": dm_channel_id(user),
        "A111": APP_ID,
        "B111": BOT_ID,
    }.items():
        text = text.replace(f'"{theirs}"', f'"{ours}"').replace(f"<@{theirs}>", f"<@{ours}>")
    payload: dict[str, Any] = json.loads(text)
    if "response_url" in payload:
        payload["response_url"] = response_url
    return payload


def interactive_body(payload: dict[str, Any]) -> str:
    """How Slack posts an interactive payload: a form with one `payload` field holding the JSON."""
    return f"payload={quote(json.dumps(payload))}"


def slash_command_body(h: Harness, text: str, *, team: str = TEAM_ID, org_wide: bool = False) -> str:
    """bolt-python's slash command form, field for field, with Slack's `is_enterprise_install` added."""
    form = dict(parse_qsl((PAYLOADS / "slash_command.form.txt").read_text(encoding="utf-8").strip()))
    assert set(form) >= {"team_id", "enterprise_id", "enterprise_name", "response_url", "trigger_id", "text"}
    form.update(
        team_id=team,
        team_domain=TEAM_DOMAIN,
        channel_id=C_GENERAL,
        channel_name="general",
        user_id=U_MANAGER,
        user_name="manager",
        command=ids.COMMAND_TASK,
        text=text,
        enterprise_id=ENTERPRISE_ID,
        response_url=h.slack.response_url(),
        is_enterprise_install="true" if org_wide else "false",
    )
    return urlencode(form)


def post(h: Harness, body: str, **signing: Any) -> WsgiAnswer:
    return call(
        make_wsgi_app(h.baton), "/slack/events", method="POST", body=body, headers=signed_headers(body, **signing)
    )


def delegated(h: Harness) -> Task:
    """T-1 for Alice from the manager, by the bolt-python slash command shape."""
    answer = post(h, slash_command_body(h, f"<@{U_ALICE}> {TITLE} by fri 5pm"))
    assert answer.status == 200, answer.text
    [task] = h.tasks()
    return task


def refusal_logs(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("request.") and r.getMessage().endswith("_refused")]


def ids_of(record: logging.LogRecord) -> dict[str, str]:
    """The ids a refusal line carries (the request's own fields bound by bot/logs.py aside)."""
    return {k: v for k, v in vars(record).items() if k in ("enterprise", "team", "request", "user")}


def nothing_changed(h: Harness) -> None:
    assert h.tasks() == [] and h.outbox() == []
    assert h.rows(Workspace) == [] and h.rows(Person) == []
    assert [c.method for c in h.slack.calls if c.method != "auth.test"] == []
    assert h.slack.responses == []


# -- a workspace of an Enterprise Grid org, installed per workspace: everything works -------------------------


def test_the_slash_command_form_creates_and_delegates_the_task(harness: Harness) -> None:
    answer = post(harness, slash_command_body(harness, f"<@{U_ALICE}> {TITLE} by fri 5pm"))

    assert answer.status == 200
    reply = json.loads(answer.body)
    assert reply["response_type"] == "ephemeral" and "Created T-1" in flatten(reply)
    [task] = harness.tasks()
    assert (task.workspace_id, task.title, task.assignee_id) == (TEAM_ID, TITLE, U_ALICE)
    assert [m["channel"] for m in harness.slack.messages()] == [D_ALICE]


def test_block_actions_with_a_container_accepts_the_task(harness: Harness) -> None:
    task = delegated(harness)
    [dm] = harness.slack.messages(D_ALICE)
    payload = bolt_payload("block_actions.json", user=U_ALICE, response_url=harness.slack.response_url("click"))
    payload["container"].update(message_ts=dm["ts"], channel_id=D_ALICE, is_ephemeral=False)
    payload["channel"] = {"id": D_ALICE, "name": "directmessage"}
    payload["actions"][0].update(action_id=ids.ACTION_ACCEPT, value=str(task.id))

    answer = post(harness, interactive_body(payload))

    assert answer.status == 200
    [accepted] = harness.tasks()
    assert accepted.accepted_at is not None
    [redrawn] = harness.slack.responses_to("click")
    assert redrawn["replace_original"] is True
    assert not [b for b in redrawn.get("blocks") or [] if b["type"] == "actions"]  # no more Accept / Decline


def test_view_submission_of_the_new_task_modal_creates_the_task(harness: Harness) -> None:
    payload = bolt_payload("view_submission.json", user=U_MANAGER)
    payload["view"].update(
        callback_id=ids.VIEW_NEW_TASK,
        private_metadata=json.dumps({"channel_id": C_GENERAL}),
        state={
            "values": {
                ids.BLOCK_TITLE: {ids.INPUT_TITLE: plain_text_value(TITLE)},
                ids.BLOCK_DETAILS: {ids.INPUT_DETAILS: plain_text_value(None)},
                ids.BLOCK_ASSIGNEE: {ids.INPUT_ASSIGNEE: users_select_value(U_ALICE)},
                ids.BLOCK_DUE_DATE: {ids.INPUT_DUE_DATE: datepicker_value("2026-12-03")},
                ids.BLOCK_DUE_TIME: {ids.INPUT_DUE_TIME: timepicker_value(None)},
                ids.BLOCK_PRIORITY: {ids.INPUT_PRIORITY: static_select_value("high")},
            }
        },
    )

    answer = post(harness, interactive_body(payload))

    assert answer.status == 200
    assert not answer.body or "errors" not in json.loads(answer.body)  # an empty answer closes the modal
    [task] = harness.tasks()
    assert (task.title, task.assignee_id, task.delegator_id, task.priority) == (TITLE, U_ALICE, U_MANAGER, "high")
    assert [m["channel"] for m in harness.slack.messages()] == [D_ALICE]


@pytest.mark.parametrize("callback_id", [ids.VIEW_NEW_TASK, ids.VIEW_DECLINE, ids.VIEW_BLOCKED])
def test_view_closed_of_a_baton_modal_is_acknowledged_and_changes_nothing(harness: Harness, callback_id: str) -> None:
    payload = bolt_payload("view_closed.json", user=U_MANAGER)
    payload["view"].update(callback_id=callback_id, notify_on_close=True)

    answer = post(harness, interactive_body(payload))

    assert answer.status == 200
    nothing_changed(harness)


def test_the_message_shortcut_opens_the_new_task_modal_with_the_message(harness: Harness) -> None:
    payload = bolt_payload("message_shortcut.json", user=U_MANAGER, response_url=harness.slack.response_url())
    payload["callback_id"] = ids.SHORTCUT_TASK_FROM_MESSAGE

    answer = post(harness, interactive_body(payload))

    assert answer.status == 200
    [opened] = harness.slack.calls_to("views.open")
    assert opened.params["trigger_id"] == payload["trigger_id"]
    view = opened.params["view"]
    assert view["callback_id"] == ids.VIEW_NEW_TASK
    [title] = [b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_TITLE]
    assert title["element"]["initial_value"].endswith("test")
    assert harness.tasks() == []


def test_reaction_added_of_an_emoji_baton_does_not_answer_does_nothing(harness: Harness) -> None:
    payload = bolt_payload("reaction_added.json", user=U_ALICE)
    assert payload["event"]["reaction"] == "heart_eyes"

    answer = post(harness, json.dumps(payload))

    assert answer.status == 200
    nothing_changed(harness)


def test_reaction_added_of_a_check_mark_on_a_check_in_marks_the_task_done(harness: Harness) -> None:
    checkin = send_checkin(harness)
    payload = bolt_payload("reaction_added.json", user=U_ALICE)
    payload["event"].update(reaction="white_check_mark", item={"type": "message", "channel": D_ALICE, "ts": checkin.ts})
    payload["event"]["item_user"] = "U0BATON"

    answer = post(harness, json.dumps(payload))

    assert answer.status == 200
    [task] = harness.tasks()
    assert task.status == "done"


def test_app_home_opened_of_a_per_workspace_install_publishes_the_home_tab(harness: Harness) -> None:
    delegated(harness)
    payload = bolt_payload("app_home_opened.json", user=U_ALICE)
    payload["event"]["tab"] = "home"
    payload["authorizations"][0].update(team_id=TEAM_ID, is_enterprise_install=False, user_id="U0BATON")

    answer = post(harness, json.dumps(payload))

    assert answer.status == 200
    home = harness.slack.home_view(U_ALICE)
    assert home is not None and TITLE in flatten(home)


def test_tokens_revoked_for_the_bot_stops_all_sending_to_the_workspace(harness: Harness) -> None:
    delegated(harness)
    payload = bolt_payload("tokens_revoked.json", user=U_MANAGER)
    assert payload["event"]["tokens"]["bot"]

    answer = post(harness, json.dumps(payload))

    assert answer.status == 200
    [workspace] = harness.rows(Workspace, Workspace.id == TEAM_ID)
    assert workspace.uninstalled_at is not None


@pytest.mark.parametrize("forgery", ["forged", "stale"])
@pytest.mark.parametrize("name", ["block_actions.json", "view_submission.json", "reaction_added.json"])
def test_each_shape_unsigned_gets_401_and_changes_nothing(
    harness: Harness, name: str, forgery: str, stale_timestamp: int
) -> None:
    payload = bolt_payload(name, user=U_MANAGER, response_url=harness.slack.response_url())
    body = json.dumps(payload) if name.startswith("reaction") else interactive_body(payload)
    signing: dict[str, Any] = {"secret": "forged"} if forgery == "forged" else {"timestamp": stale_timestamp}

    assert post(harness, body, **signing).status == 401
    nothing_changed(harness)
    assert harness.slack.calls == []


# -- an org-wide install of an Enterprise Grid org: not supported, answered cleanly ----------------------------


@pytest.mark.parametrize("tab", ["home", "messages"])
def test_app_home_opened_of_an_org_wide_install_is_acknowledged_logged_and_changes_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture, tab: str
) -> None:
    payload = bolt_payload("app_home_opened.json", user=U_ALICE)
    payload["event"]["tab"] = tab
    assert payload["authorizations"][0]["team_id"] is None and payload["authorizations"][0]["is_enterprise_install"]

    with caplog.at_level(logging.INFO):
        answer = post(harness, json.dumps(payload))

    assert answer.status == 200
    nothing_changed(harness)
    assert harness.slack.home_view(U_ALICE) is None
    [logged] = refusal_logs(caplog)
    assert logged.getMessage() == "request.org_wide_install_refused"
    assert ids_of(logged) == {
        "enterprise": ENTERPRISE_ID,
        "team": TEAM_ID,  # the envelope's team_id: where it happened, not an install of Baton's
        "request": ids.EVENT_APP_HOME_OPENED,
        "user": U_ALICE,
    }


def test_an_org_wide_event_naming_no_team_at_all_is_not_taken_for_a_workspace(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    payload = bolt_payload("app_home_opened.json", user=U_ALICE)
    payload["event"]["tab"] = "home"
    payload["team_id"] = None

    with caplog.at_level(logging.INFO):
        answer = post(harness, json.dumps(payload))

    assert answer.status == 200
    nothing_changed(harness)
    [logged] = refusal_logs(caplog)
    assert ids_of(logged)["enterprise"] == ENTERPRISE_ID


@pytest.mark.parametrize("team", [TEAM_ID, ""], ids=["team", "no-team"])
def test_a_slash_command_of_an_org_wide_install_is_told_baton_is_per_workspace(
    harness: Harness, caplog: pytest.LogCaptureFixture, team: str
) -> None:
    body = slash_command_body(harness, f"<@{U_ALICE}> {TITLE} by fri 5pm", team=team, org_wide=True)

    with caplog.at_level(logging.INFO):
        answer = post(harness, body)

    assert answer.status == 200
    assert json.loads(answer.body) == {"response_type": "ephemeral", "text": ORG_WIDE_INSTALL}
    nothing_changed(harness)
    [logged] = refusal_logs(caplog)
    assert ids_of(logged) == {
        "enterprise": ENTERPRISE_ID,
        "request": ids.COMMAND_TASK,
        "user": U_MANAGER,
        **({"team": team} if team else {}),
    }
    assert TITLE not in caplog.text and "refund" not in caplog.text  # never what was typed


def test_an_org_wide_click_is_acknowledged_and_changes_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    payload = bolt_payload("block_actions.json", user=U_ALICE, response_url=harness.slack.response_url())
    payload.update(is_enterprise_install=True, team=None)
    payload["actions"][0].update(action_id=ids.ACTION_ACCEPT, value="1")

    with caplog.at_level(logging.INFO):
        answer = post(harness, interactive_body(payload))

    assert answer.status == 200
    nothing_changed(harness)
    assert [ids_of(r)["request"] for r in refusal_logs(caplog)] == [ids.ACTION_ACCEPT]


def test_a_request_that_names_no_workspace_is_answered_without_an_error(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    event = bolt_payload("app_home_opened.json", user=U_ALICE)
    event.update(team_id=None, enterprise_id=None)
    event["event"]["tab"] = "home"
    event["authorizations"][0].update(enterprise_id=None, is_enterprise_install=False)
    command = slash_command_body(harness, "list", team="")
    command = command.replace(f"enterprise_id={ENTERPRISE_ID}", "enterprise_id=")

    with caplog.at_level(logging.INFO):
        answers = [post(harness, json.dumps(event)), post(harness, command)]

    assert [a.status for a in answers] == [200, 200]
    assert json.loads(answers[1].body) == {"response_type": "ephemeral", "text": NO_WORKSPACE}
    nothing_changed(harness)
    assert [r.getMessage() for r in refusal_logs(caplog)] == ["request.without_workspace_refused"] * 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- what the Web API check allows, and why --------------------------------------------------------------------


def test_bolt_still_sends_team_id_with_its_auth_test(harness: Harness) -> None:
    """tests/conftest.py ALLOWED_VIOLATIONS lets auth.test carry `team_id` because Bolt adds it; when this test
    fails, Bolt (or Baton's set-up of it) no longer does: drop the entry there."""
    delegated(harness)

    [auth_test] = harness.slack.calls_to("auth.test")
    assert auth_test.params.get("team_id") == TEAM_ID

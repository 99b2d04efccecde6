"""With no database to reach, every surface answers "try again in a minute" and nothing is logged as a bug.

The engine points at a SQLite file in a directory that does not exist: every connection fails with the
driver's own OperationalError, as an unreachable server does (tests/postgres/test_outage.py does the same
with PostgreSQL behind a proxy that is cut and restored).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt.response import BoltResponse
from sqlalchemy.exc import OperationalError

from bot.app import Baton, create_app
from bot.executors import InlineExecutor
from handlers import ids
from handlers.listener_kit import DATABASE_DOWN
from storage.db import make_engine
from tests.conftest import Harness, make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.requests import (
    action_body,
    block_action_payload,
    bolt_request,
    command_body,
    event_body,
    plain_text_value,
    reaction_added_event,
    users_select_value,
    view_submission_payload,
)
from tests.fakes.slack_api import C_GENERAL, U_ALICE, U_MANAGER, FakeSlack, dm_channel_id


@pytest.fixture
def baton(slack: FakeSlack, clock: FakeClock, tmp_path: Path) -> Iterator[Baton]:
    url = f"sqlite:///{tmp_path / 'missing' / 'baton.db'}"
    app = create_app(
        make_settings(slack, database_url=url),
        engine=make_engine(url),
        clock=clock,
        listener_executor=InlineExecutor(),
        delivery_executor=InlineExecutor(),
    )
    yield app
    app.close()


def dispatch(baton: Baton, body: str) -> BoltResponse:
    return baton.bolt.dispatch(bolt_request(body))


def outage_warnings(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str, str]]:
    return [
        (r.levelno, r.__dict__["handler"], r.__dict__["reason"])
        for r in caplog.records
        if r.getMessage() == "database.unavailable"
    ]


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_a_slash_command_answers_try_again_and_logs_one_warning_without_the_text(
    baton: Baton, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    body = command_body("/task", f"<@{U_ALICE}> Fix the secret thing by fri", user_id=U_MANAGER,
                        response_url=slack.response_url())  # fmt: skip

    with caplog.at_level(logging.INFO):
        response = dispatch(baton, body)

    assert response.status == 200
    reply = json.loads(response.body)
    assert (reply["response_type"], reply["text"]) == ("ephemeral", DATABASE_DOWN)
    assert "Created" not in response.body
    assert outage_warnings(caplog) == [(logging.WARNING, "command.task", "OperationalError")]
    assert errors_logged(caplog) == []
    assert "secret thing" not in caplog.text and "unable to open" not in caplog.text
    assert slack.calls_to("chat.postMessage") == []


def test_a_button_whose_listener_did_not_catch_it_is_answered_through_its_response_url(
    baton: Baton, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    payload = block_action_payload(
        ids.ACTION_CHECKIN_ON_TRACK, "1", user_id=U_ALICE, response_url=slack.response_url("click")
    )

    with caplog.at_level(logging.INFO):
        response = dispatch(baton, action_body(payload))

    assert response.status == 200
    assert [(r.get("text"), r.get("replace_original")) for r in slack.responses_to("click")] == [(DATABASE_DOWN, False)]
    assert outage_warnings(caplog) == [(logging.WARNING, ids.ACTION_CHECKIN_ON_TRACK, "OperationalError")]
    assert errors_logged(caplog) == []


def test_a_form_keeps_what_was_typed_and_shows_try_again_on_its_input(
    baton: Baton, caplog: pytest.LogCaptureFixture
) -> None:
    reason_block = {
        "type": "input",
        "block_id": ids.BLOCK_REASON,
        "element": {"type": "plain_text_input", "action_id": ids.INPUT_REASON},
        "label": {"type": "plain_text", "text": "What is in the way?"},
    }
    payload = view_submission_payload(
        ids.VIEW_BLOCKED,
        {ids.BLOCK_REASON: {ids.INPUT_REASON: plain_text_value("waiting on the vendor")}},
        user_id=U_ALICE,
        private_metadata=json.dumps({"task_id": 1, "channel_id": dm_channel_id(U_ALICE), "message_ts": "1.2"}),
        blocks=[reason_block],
    )

    with caplog.at_level(logging.INFO):
        response = dispatch(baton, action_body(payload))

    assert response.status == 200
    assert json.loads(response.body) == {"response_action": "errors", "errors": {ids.BLOCK_REASON: DATABASE_DOWN}}
    assert outage_warnings(caplog) == [(logging.WARNING, ids.VIEW_BLOCKED, "OperationalError")]
    assert errors_logged(caplog) == []


def test_an_event_is_refused_so_that_slack_sends_it_again_later(baton: Baton, caplog: pytest.LogCaptureFixture) -> None:
    event = reaction_added_event("white_check_mark", user_id=U_ALICE, channel=dm_channel_id(U_ALICE), ts="1.2")

    with caplog.at_level(logging.INFO):
        response = dispatch(baton, event_body(event, event_id="EvOutage"))

    # Not 2xx: the Events API retries after about 1 and 5 minutes, when the database may be back.
    assert response.status == 500
    assert outage_warnings(caplog) == [(logging.WARNING, ids.EVENT_REACTION_ADDED, "OperationalError")]
    assert errors_logged(caplog) == []


def test_a_form_whose_task_was_created_before_the_database_went_away_is_not_told_nothing_changed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The task is committed and the modal acknowledged; only the "is the assignee away?" lookup after
    it fails. The modal must close as acknowledged, not show "nothing was changed" over a created task."""

    def gone(*_args: object, **_kwargs: object) -> None:
        with harness.baton.uow():  # as a lookup meets it: through the unit of work
            raise OperationalError("SELECT …", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(harness.baton.services.availability, "assignee_notes", gone)
    values = {
        ids.BLOCK_TITLE: {ids.INPUT_TITLE: plain_text_value("Review the contract")},
        ids.BLOCK_ASSIGNEE: {ids.INPUT_ASSIGNEE: users_select_value(U_ALICE)},
    }
    metadata = {"channel_id": C_GENERAL, "response_url": harness.slack.response_url("modal")}

    with caplog.at_level(logging.INFO):
        response = harness.submit(ids.VIEW_NEW_TASK, values, user=U_MANAGER, metadata=metadata)

    assert response.status == 200
    assert not response.body, response.body  # the modal closes: the acknowledgement stands
    assert [(t.number, t.title) for t in harness.tasks()] == [(1, "Review the contract")]
    assert DATABASE_DOWN not in json.dumps(harness.slack.responses)
    assert outage_warnings(caplog) == [(logging.WARNING, ids.VIEW_NEW_TASK, "OperationalError")]

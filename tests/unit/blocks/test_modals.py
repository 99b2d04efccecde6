"""Modals: the New task form, the reason modal and a notice; plain text clipped, ids from ids.py."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.model import (
    CheckinSchedule,
    TeamOption,
)
from handlers import ids
from handlers.blocks.checkins import schedule_text
from handlers.blocks.modals import new_task_modal, notice_modal, reason_modal
from tests.unit.blocks.support import (
    HOSTILE,
    HOSTILE_ESCAPED,
    LINK,
    assert_no_pings,
    assert_valid_view,
    make_task,
    mrkdwn_texts,
)

# --------------------------------------------------------------------------- modals


TEAMS = [TeamOption(id=1, channel_id="C9"), TeamOption(id=2, channel_id="C8")]


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_new_task_modal_has_every_input_with_ids_from_ids_py() -> None:
    view = new_task_modal(teams=TEAMS, private_metadata='{"channel_id": "C9"}')
    assert_valid_view(view)
    assert view["callback_id"] == ids.VIEW_NEW_TASK
    assert view["submit"]["text"] == "Delegate" and view["close"]["text"] == "Cancel"
    assert view["private_metadata"] == '{"channel_id": "C9"}'
    inputs = _inputs(view)
    expected = {
        ids.BLOCK_TITLE: (ids.INPUT_TITLE, "plain_text_input", False),
        ids.BLOCK_DETAILS: (ids.INPUT_DETAILS, "plain_text_input", True),
        ids.BLOCK_ASSIGNEE: (ids.INPUT_ASSIGNEE, "users_select", False),
        ids.BLOCK_DUE_DATE: (ids.INPUT_DUE_DATE, "datepicker", True),
        ids.BLOCK_DUE_TIME: (ids.INPUT_DUE_TIME, "timepicker", True),
        ids.BLOCK_PRIORITY: (ids.INPUT_PRIORITY, "static_select", False),
        ids.BLOCK_TEAM: (ids.INPUT_TEAM, "radio_buttons", True),
    }
    assert {k: (b["element"]["action_id"], b["element"]["type"], b["optional"]) for k, b in inputs.items()} == expected
    assert inputs[ids.BLOCK_TITLE]["element"]["max_length"] == 200
    assert inputs[ids.BLOCK_DETAILS]["element"]["max_length"] == 2000
    assert inputs[ids.BLOCK_DETAILS]["element"]["multiline"] is True
    priority = inputs[ids.BLOCK_PRIORITY]["element"]
    assert [o["value"] for o in priority["options"]] == ["low", "normal", "high", "urgent"]
    assert priority["initial_option"]["value"] == "normal"
    assert [o["text"]["text"] for o in inputs[ids.BLOCK_TEAM]["element"]["options"]] == ["<#C9>", "<#C8>"]


def test_new_task_modal_prefills_what_it_is_given() -> None:
    view = new_task_modal(teams=TEAMS, title="x" * 300, details="Do it", assignee_id="U2", team_id=2, source_link=LINK)
    assert_valid_view(view)
    inputs = _inputs(view)
    assert inputs[ids.BLOCK_TITLE]["element"]["initial_value"] == ("x" * 199 + "…")
    assert inputs[ids.BLOCK_DETAILS]["element"]["initial_value"] == "Do it"
    assert inputs[ids.BLOCK_ASSIGNEE]["element"]["initial_user"] == "U2"
    assert inputs[ids.BLOCK_TEAM]["element"]["initial_option"]["value"] == "2"
    assert f"<{LINK}|" in mrkdwn_texts(view)


def test_new_task_modal_leaves_out_the_team_input_without_teams() -> None:
    view = new_task_modal(teams=[])
    assert_valid_view(view)
    assert ids.BLOCK_TEAM not in _inputs(view)
    assert "initial_value" not in _inputs(view)[ids.BLOCK_TITLE]["element"]


def test_new_task_modal_with_many_teams_uses_a_select_menu() -> None:
    teams = [TeamOption(id=n, channel_id=f"C{n}") for n in range(1, 151)]
    view = new_task_modal(teams=teams, team_id=3)
    assert_valid_view(view)
    team = _inputs(view)[ids.BLOCK_TEAM]["element"]
    assert team["type"] == "static_select" and len(team["options"]) == 100
    assert team["initial_option"]["value"] == "3"


def test_new_task_modal_refuses_metadata_slack_would_reject() -> None:
    with pytest.raises(ValueError):
        new_task_modal(teams=[], private_metadata="x" * 3001)


@pytest.mark.parametrize("callback_id", [ids.VIEW_DECLINE, ids.VIEW_BLOCKED])
def test_reason_modal_asks_for_an_optional_reason(callback_id: str) -> None:
    view = reason_modal(
        callback_id=callback_id,
        task=make_task(title=HOSTILE),
        title="Decline T-12 because of something long",
        label="Why? " * 500,
        private_metadata='{"task_id": 7}',
    )
    assert_valid_view(view)
    assert view["callback_id"] == callback_id and len(view["title"]["text"]) <= 24
    (reason,) = _inputs(view).values()
    assert reason["block_id"] == ids.BLOCK_REASON and reason["optional"] is True
    assert reason["element"]["action_id"] == ids.INPUT_REASON and reason["element"]["max_length"] == 500
    assert_no_pings(mrkdwn_texts(view))
    assert HOSTILE_ESCAPED in mrkdwn_texts(view)


def test_notice_modal_and_schedule_text() -> None:
    view = notice_modal(title="Baton says something long", text="Only <@U3> can change it.")
    assert_valid_view(view)
    assert schedule_text(CheckinSchedule()).startswith("weekdays at 10:00")
    assert schedule_text(CheckinSchedule(days=frozenset(range(7)))).startswith("daily")
    assert schedule_text(CheckinSchedule(days=frozenset({0, 3}))).startswith("Mon, Thu at 10:00")
    assert schedule_text(CheckinSchedule(days=frozenset())) == "off"

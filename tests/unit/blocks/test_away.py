"""Time-off and snooze builders: valid Block Kit within Slack's limits, dates in the reader's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.model import OutboxKind, Outgoing
from bot.domain.payloads import AwayFlagPayload
from handlers.blocks.away import away_list
from handlers.blocks.checkins import checkin_snoozed
from handlers.blocks.outbox import render_outbox
from handlers.blocks.primitives import last_day
from tests.unit.blocks.support import HOSTILE, HOSTILE_ESCAPED, NOW, assert_valid_message, make_task, message_json

ENDS = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)  # exclusive: the last day away is Friday 4 December


def test_last_day_names_the_day_before_the_exclusive_end() -> None:
    shown = last_day(ENDS)
    assert "Fri 4 Dec 2026" in shown
    assert shown.startswith(f"<!date^{int(ENDS.timestamp()) - 1}^")


def test_a_long_away_list_stays_within_the_message_limits() -> None:
    periods = [(f"U{n:05d}", NOW - timedelta(days=1), ENDS) for n in range(2000)]

    message = away_list(periods, now=NOW)

    assert_valid_message(message)
    assert "more" in message_json(message)


def test_an_empty_away_list_says_how_to_record_time_off() -> None:
    message = away_list([], now=NOW)
    assert_valid_message(message)
    assert "/task away" in message_json(message)


def test_the_snoozed_checkin_has_no_buttons_and_says_until_when() -> None:
    message = checkin_snoozed(make_task(title=HOSTILE), until=ENDS, now=NOW)

    assert_valid_message(message)
    assert not [b for b in message.blocks if b["type"] == "actions"]
    rendered = message_json(message)
    assert "Snoozed until" in rendered and HOSTILE_ESCAPED in rendered


def test_the_away_flag_names_the_person_the_task_and_how_to_move_it() -> None:
    task = make_task(title=HOSTILE)
    out = Outgoing(
        kind=OutboxKind.AWAY_FLAG,
        dedupe_key="away:7:1",
        recipient_id="U2",
        task=task,
        payload=AwayFlagPayload(user_id="U9", ends_at=ENDS),
    )

    message = render_outbox(out, now=NOW)

    assert_valid_message(message)
    rendered = message_json(message)
    assert "<@U9> is away until" in rendered and HOSTILE_ESCAPED in rendered
    assert f"/task due {task.ref}" in rendered

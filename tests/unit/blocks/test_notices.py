"""Outbox notices: one message per kind of row, saying who did what to which task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from bot.domain.model import (
    OutboxKind,
    Outgoing,
    TaskStatus,
    TaskView,
)
from bot.domain.payloads import PAYLOAD_TYPES, WarningPayload, from_json, payload_as, to_json
from handlers import ids
from handlers.blocks.outbox import render_outbox
from handlers.blocks.primitives import when
from tests.unit.blocks.support import (
    DUE,
    MESSAGE_KINDS,
    NOW,
    assert_no_pings,
    assert_valid_message,
    digest_payload,
    make_task,
    message_json,
    outgoing,
    recognition_payload,
)

# --------------------------------------------------------------------------- outbox


@pytest.mark.parametrize("kind", MESSAGE_KINDS)
def test_render_outbox_handles_every_kind(kind: OutboxKind) -> None:
    message = render_outbox(outgoing(kind, make_task()), now=NOW)
    assert_valid_message(message)


def test_render_outbox_refuses_an_unknown_kind() -> None:
    row = Outgoing(kind=cast(OutboxKind, "bogus"), dedupe_key="x", recipient_id="U2", task=make_task())
    with pytest.raises(ValueError):
        render_outbox(row, now=NOW)


def test_render_outbox_refuses_a_task_message_without_its_task() -> None:
    row = Outgoing(kind=OutboxKind.WARNING, dedupe_key="x", recipient_id="U2", payload=WarningPayload(hours_before=1))
    with pytest.raises(ValueError):
        render_outbox(row, now=NOW)


def _render(kind: OutboxKind, task: TaskView | None = None, **payload: Any) -> tuple[str, str]:
    base = outgoing(kind, task or make_task())
    row = Outgoing(
        kind=kind,
        dedupe_key="x",
        recipient_id="U2",
        task=base.task,
        payload=from_json(kind, {**to_json(payload_as(base.payload, PAYLOAD_TYPES[kind])), **payload}),
    )
    message = render_outbox(row, now=NOW)
    assert_valid_message(message)
    return message.text, message_json(message)


def test_assignment_row_renders_the_assignment_dm() -> None:
    _, rendered = _render(OutboxKind.ASSIGNMENT)
    assert ids.ACTION_ACCEPT in rendered and ids.ACTION_DECLINE in rendered


def test_accepted_names_who_accepted_which_task() -> None:
    text, _ = _render(OutboxKind.ACCEPTED)
    assert text.startswith("✅ <@U2> accepted T-12")


def test_declined_quotes_the_reason_escaped() -> None:
    _, rendered = _render(OutboxKind.DECLINED, reason="Too busy & <!here>")
    assert "> Too busy &amp; &lt;!here&gt;" in rendered
    _, silent = _render(OutboxKind.DECLINED, reason="")
    assert "No reason given" in silent


def test_unassigned_says_who_has_it_now() -> None:
    text, _ = _render(OutboxKind.UNASSIGNED)
    assert "T-12 was handed to <@U4>" in text


def test_due_changed_shows_old_and_new_deadline() -> None:
    _, rendered = _render(OutboxKind.DUE_CHANGED)
    assert when(datetime(2026, 12, 3, 17, 0, tzinfo=UTC)) in rendered
    assert when(DUE) in rendered
    _, from_none = _render(OutboxKind.DUE_CHANGED, old_due=None)
    assert "no deadline" in from_none


def test_cancelled_quotes_the_reason() -> None:
    _, rendered = _render(OutboxKind.CANCELLED, reason="Not needed")
    assert "cancelled" in rendered and "> Not needed" in rendered


@pytest.mark.parametrize(
    ("left", "said"),
    [
        (timedelta(hours=24), "due in 24 hours"),
        (timedelta(hours=27), "due in 27 hours"),  # moved earlier into the working day: said as it is
        (timedelta(hours=1), "due in 1 hour"),
        (timedelta(minutes=40), "due in 40 minutes"),
    ],
)
def test_warning_says_how_soon_from_now(left: timedelta, said: str) -> None:
    text, _ = _render(OutboxKind.WARNING, make_task(due_at=NOW + left), hours_before=24)
    assert text.startswith(f"⏰ T-12 is {said}")


def test_overdue_speaks_to_the_assignee_and_to_the_delegator_differently() -> None:
    task = make_task(due_at=NOW - timedelta(hours=2))
    _, to_assignee = _render(OutboxKind.OVERDUE, task, audience="assignee")
    _, to_delegator = _render(OutboxKind.OVERDUE, task, audience="delegator")
    assert "overdue" in to_assignee and "overdue" in to_delegator
    assert "/task done T-12" in to_assignee
    assert "assigned to <@U2>" in to_delegator and "/task due T-12" in to_delegator
    assert to_assignee != to_delegator


def test_blocked_names_the_assignee_and_quotes_the_reason_if_any() -> None:
    text, rendered = _render(OutboxKind.BLOCKED, reason="Waiting on <!subteam^S1>")
    assert text.startswith("🚧 <@U2> is blocked on T-12")
    assert "> Waiting on &lt;!subteam^S1&gt;" in rendered
    _, no_reason = _render(OutboxKind.BLOCKED, reason="")
    assert "\\n> " not in no_reason and '"> ' not in no_reason


def test_kudos_names_giver_and_recipients_and_escapes_the_message() -> None:
    text, rendered = _render(OutboxKind.KUDOS, message="Great work & thanks <!channel>")
    assert text.startswith("👏 <@U3> → <@U2>, <@U4>: Great work &amp; thanks &lt;!channel&gt;")
    assert_no_pings(rendered)


def test_recognition_lists_finished_streaks_and_kudos() -> None:
    text, rendered = _render(OutboxKind.RECOGNITION)
    assert "<@U10>" in rendered and "<@U11>" in rendered
    assert "finished 3 tasks, 2 on time" in rendered
    assert "5 tasks in a row on time" in rendered and "got 4 kudos" in rendered
    assert when(datetime(2026, 11, 27, 16, 0, tzinfo=UTC)) in rendered and "<#C9>" in rendered
    assert "6 tasks" in text


def test_recognition_of_a_big_team_fits_in_fifty_blocks() -> None:
    row = Outgoing(
        kind=OutboxKind.RECOGNITION,
        dedupe_key="x",
        recipient_id="C9",
        payload=from_json(OutboxKind.RECOGNITION, recognition_payload(people=400, title="&" * 200)),
    )
    message = render_outbox(row, now=NOW)
    assert_valid_message(message)
    assert "more" in message_json(message)


def test_digest_of_many_teams_fits_in_fifty_blocks_and_says_how_many_more() -> None:
    row = Outgoing(
        kind=OutboxKind.DIGEST,
        dedupe_key="x",
        recipient_id="U2",
        payload=from_json(OutboxKind.DIGEST, digest_payload(rows=30, title="&" * 200)),
    )
    message = render_outbox(row, now=NOW)
    assert_valid_message(message)
    rendered = message_json(message)
    assert "more" in rendered and "35 overdue" in message.text
    assert "Load imbalance" in rendered and "(team median 2.5)" in rendered


def test_recognition_of_a_quiet_week_says_so() -> None:
    row = Outgoing(
        kind=OutboxKind.RECOGNITION,
        dedupe_key="x",
        recipient_id="C9",
        payload=from_json(
            OutboxKind.RECOGNITION, {"team_channel_id": "C9", "since": "2026-11-27T16:00:00+00:00", "finished": []}
        ),
    )
    message = render_outbox(row, now=NOW)
    assert_valid_message(message)
    assert "No tasks were finished" in message_json(message)


@pytest.mark.parametrize(
    ("done_at", "said"),
    [
        (DUE - timedelta(days=2), "2 days early"),
        (DUE - timedelta(hours=1), "1 hour early"),
        (DUE - timedelta(minutes=59), "on time"),
        (DUE, "on time"),
        (DUE + timedelta(minutes=25), "25 minutes late"),
        (DUE + timedelta(hours=3), "3 hours late"),
        (DUE + timedelta(days=2, hours=1), "2 days late"),
        (DUE + timedelta(days=1), "1 day late"),
    ],
)
def test_celebration_says_early_on_time_or_how_late(done_at: datetime, said: str) -> None:
    task = make_task(status=TaskStatus.DONE, done_at=done_at)
    text, rendered = _render(OutboxKind.CELEBRATION, task, note="")
    assert text.startswith("🎉 <@U2> finished T-12 Fix login")
    assert said in text and f"*{said}*" in rendered
    others = {"early", "on time", "late"} - {said.split()[-1] if "time" not in said else "on time"}
    assert not any(other in text for other in others)


def test_celebration_without_deadline_just_says_done_with_the_note() -> None:
    task = make_task(status=TaskStatus.DONE, due_at=None, done_at=NOW)
    text, rendered = _render(OutboxKind.CELEBRATION, task, note="Thanks all & <!here>")
    assert not any(word in text for word in ("early", "on time", "late"))
    assert "> Thanks all &amp; &lt;!here&gt;" in rendered

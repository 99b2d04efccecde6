"""Check-in prompts, and the message about several tasks (one DM per person per pass): valid Block Kit within
50 blocks, each task with its own buttons while they apply, user text escaped once, answered tasks said plainly."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model import OutboxKind, Outgoing, SentItem, SentMessage, TaskStatus, TaskView
from bot.domain.payloads import from_json
from handlers import ids
from handlers.blocks.checkins import checkin, checkin_answered
from handlers.blocks.outbox import render_message
from tests.unit.blocks.support import (
    HOSTILE,
    HOSTILE_ESCAPED,
    NOW,
    assert_no_pings,
    assert_valid_message,
    make_task,
    message_json,
)

PAYLOADS: dict[OutboxKind, dict[str, Any]] = {
    OutboxKind.CHECKIN: {"day": "2026-12-01", "tz": "Europe/Berlin"},
    OutboxKind.WARNING: {"hours_before": 1, "tz": "Europe/Berlin"},
    OutboxKind.OVERDUE: {"audience": "assignee", "tz": "Europe/Berlin"},
    OutboxKind.REMINDER: {"tz": "Europe/Berlin"},
    OutboxKind.ESCALATION: {"silent_since": "2026-11-27T09:00:00+00:00", "unanswered": 2},
    OutboxKind.UNANSWERED: {"since": "2026-11-30T09:00:00+00:00"},
}


def item(kind: OutboxKind, task: TaskView, *, to: str = "U2", answer: str | None = None) -> SentItem:
    out = Outgoing(
        kind=kind,
        dedupe_key=f"{kind.value}:{task.id}",
        recipient_id=to,
        task=task,
        payload=from_json(kind, PAYLOADS[kind]),
    )
    return SentItem(out=out, answer=answer)


def tasks(count: int, **overrides: Any) -> list[TaskView]:
    return [make_task(id=100 + n, number=n + 1, **overrides) for n in range(count)]


def actions(message: Any) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_each_checkin_has_its_own_four_buttons_and_the_header_counts_them() -> None:
    shown = render_message(SentMessage(items=tuple(item(OutboxKind.CHECKIN, t) for t in tasks(3))), now=NOW)

    assert_valid_message(shown)
    assert shown.blocks[0]["text"]["text"] == "*3 tasks to check in on*"
    on_track = [value for action, value in actions(shown) if action == ids.ACTION_CHECKIN_ON_TRACK]
    assert on_track == ["100", "101", "102"]
    assert len({b["block_id"] for b in shown.blocks if b["type"] == "actions"}) == 3  # unique block ids
    assert "A 👍 on this message marks every check-in here on track" in message_json(shown)


@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_every_kind_of_line_escapes_a_hostile_title_once(kind: OutboxKind) -> None:
    task = make_task(title=HOSTILE, status=TaskStatus.OPEN if kind is OutboxKind.REMINDER else TaskStatus.ACCEPTED)
    other = make_task(id=8, number=13)
    shown = render_message(SentMessage(items=(item(kind, task), item(OutboxKind.CHECKIN, other))), now=NOW)

    assert_valid_message(shown)
    rendered = message_json(shown)
    assert HOSTILE_ESCAPED in rendered
    assert_no_pings(rendered)


def test_sixty_tasks_stay_within_fifty_blocks_and_count_the_rest() -> None:
    shown = render_message(SentMessage(items=tuple(item(OutboxKind.CHECKIN, t) for t in tasks(60))), now=NOW)

    assert_valid_message(shown)
    listed = len([1 for action, _ in actions(shown) if action == ids.ACTION_CHECKIN_ON_TRACK])
    assert listed == 23  # 2 blocks a task, beside the header, the footer and the closing line
    assert f"…and {60 - listed} more on your Home tab." in message_json(shown)


@settings(max_examples=40, deadline=None)
@given(
    kinds=st.lists(
        st.sampled_from([OutboxKind.CHECKIN, OutboxKind.WARNING, OutboxKind.OVERDUE]), min_size=2, max_size=80
    ),
    title=st.text(min_size=1, max_size=200),
)
def test_any_mix_is_valid_block_kit_within_limits(kinds: list[OutboxKind], title: str) -> None:
    items = tuple(item(kind, make_task(id=n, number=n, title=title)) for n, kind in enumerate(kinds, start=1))

    shown = render_message(SentMessage(items=items), now=NOW)

    assert_valid_message(shown)
    assert_no_pings(message_json(shown))


def test_an_answered_task_shows_its_answer_and_keeps_no_buttons_while_the_others_keep_theirs() -> None:
    first, second = tasks(2)
    shown = render_message(
        SentMessage(
            items=(
                item(OutboxKind.CHECKIN, first, answer="Blocked 🚧: waiting on <billing>"),
                item(OutboxKind.CHECKIN, second),
            )
        ),
        now=NOW,
    )

    assert [value for _, value in actions(shown)] == ["101"] * 4
    assert "➡️ Blocked 🚧: waiting on &lt;billing&gt;" in message_json(shown)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"status": TaskStatus.DONE}, "✅ Done"),
        ({"status": TaskStatus.CANCELLED}, "🚫 Cancelled"),
        ({"assignee_id": "U9"}, "↪️ Handed to <@U9>"),
    ],
)
def test_a_task_that_moved_on_loses_its_buttons_and_says_so(change: dict[str, Any], said: str) -> None:
    first, second = tasks(2)
    moved = replace(first, **change)
    shown = render_message(
        SentMessage(items=(item(OutboxKind.CHECKIN, moved), item(OutboxKind.CHECKIN, second))), now=NOW
    )

    assert [value for _, value in actions(shown)] == ["101"] * 4
    assert said in message_json(shown)


def test_a_reminder_in_a_bundle_has_accept_and_decline() -> None:
    waiting = make_task(status=TaskStatus.OPEN)
    shown = render_message(
        SentMessage(items=(item(OutboxKind.REMINDER, waiting), item(OutboxKind.CHECKIN, make_task(id=8, number=13)))),
        now=NOW,
    )

    assert (ids.ACTION_ACCEPT, "7") in actions(shown) and (ids.ACTION_DECLINE, "7") in actions(shown)
    assert "waits for you to accept or decline it" in message_json(shown)


def test_the_managers_lines_name_the_assignee() -> None:
    task = make_task(due_at=NOW - timedelta(hours=3))
    items = (
        item(OutboxKind.OVERDUE, task, to="U3"),
        item(OutboxKind.ESCALATION, make_task(id=8, number=13), to="U3"),
    )
    shown = render_message(SentMessage(items=items), now=NOW)

    rendered = message_json(shown)
    assert "assigned to <@U2>, is overdue" in rendered
    assert "<@U2> left the last 2 check-ins" in rendered and "nothing heard for 4 days" in rendered
    assert shown.blocks[0]["text"]["text"] == "*1 overdue, 1 gone quiet*"


# --------------------------------------------------------------------------- one check-in


def test_checkin_has_three_answers_a_later_button_and_mentions_reactions() -> None:
    message = checkin(make_task(), now=NOW)
    (actions,) = [b for b in message.blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [
        ids.ACTION_CHECKIN_ON_TRACK,
        ids.ACTION_CHECKIN_BLOCKED,
        ids.ACTION_CHECKIN_DONE,
        ids.ACTION_CHECKIN_LATER,
    ]
    assert {e["value"] for e in actions["elements"]} == {"7"}
    rendered = message_json(message)
    assert "reaction" in rendered and "✅" in rendered and "👍" in rendered and "🚧" in rendered


def test_checkin_answered_has_no_buttons() -> None:
    message = checkin_answered(make_task(), answer="On track", now=NOW)
    assert_valid_message(message)
    assert not [b for b in message.blocks if b["type"] == "actions"]
    assert "On track" in message_json(message)

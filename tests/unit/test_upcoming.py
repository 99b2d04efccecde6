"""What the Home tab says Baton will send: the scheduler's time rules applied to someone's tasks."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.hours import WorkingHours
from bot.domain.model import CheckinSchedule, OutboxKind, TaskStatus
from bot.domain.upcoming import TaskTime, coming_up
from bot.domain.worktime import Availability, Period

BERLIN = "Europe/Berlin"


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(BERLIN)).astimezone(UTC)


NOW = berlin(2026, 12, 1, 15)  # Tuesday


def task(number: int, *, status: TaskStatus = TaskStatus.ACCEPTED, due: datetime | None = None) -> TaskTime:
    return TaskTime(
        number=number,
        status=status,
        schedule=CheckinSchedule(at=time(10, 0)),
        checkin_after=NOW,
        created_at=NOW - timedelta(hours=1),
        handed_at=NOW - timedelta(hours=1),
        due_at=due,
    )


def test_checkins_of_several_tasks_at_one_moment_are_one_message() -> None:
    found = coming_up([task(1), task(2)], Availability(BERLIN), now=NOW, days=2, held=[])

    assert [(c.at, c.kinds, c.task_numbers) for c in found] == [
        (berlin(2026, 12, 2, 10), ((OutboxKind.CHECKIN, 2),), (1, 2)),
        (berlin(2026, 12, 3, 10), ((OutboxKind.CHECKIN, 2),), (1, 2)),
    ]


def test_checkins_wait_for_the_persons_hours_and_skip_time_away() -> None:
    who = Availability(
        BERLIN,
        hours=WorkingHours(start=time(12, 0), end=time(18, 0)),
        away=(Period(starts_at=berlin(2026, 12, 3, 0), ends_at=berlin(2026, 12, 4, 0)),),
    )

    found = coming_up([task(1)], who, now=NOW, days=3, held=[])

    assert [c.at for c in found] == [berlin(2026, 12, 2, 12), berlin(2026, 12, 4, 12)]


def test_a_task_not_accepted_shows_its_reminder_and_its_deadline_warnings() -> None:
    due = berlin(2026, 12, 3, 17)

    found = coming_up([task(4, status=TaskStatus.OPEN, due=due)], Availability(BERLIN), now=NOW, days=3, held=[])

    assert [(c.at, c.kinds) for c in found] == [
        (berlin(2026, 12, 2, 10), ((OutboxKind.REMINDER, 1),)),
        (berlin(2026, 12, 2, 17), ((OutboxKind.WARNING, 1),)),
        (berlin(2026, 12, 3, 16), ((OutboxKind.WARNING, 1),)),
        (berlin(2026, 12, 3, 17), ((OutboxKind.OVERDUE, 1),)),
    ]


def test_what_is_queued_and_held_joins_that_moment_and_is_marked_held() -> None:
    held = [(berlin(2026, 12, 2, 10), OutboxKind.OVERDUE, 9)]

    [first, *_] = coming_up([task(1)], Availability(BERLIN), now=NOW, days=1, held=held)

    assert (first.at, first.task_numbers, first.held) == (berlin(2026, 12, 2, 10), (1, 9), True)
    assert dict(first.kinds) == {OutboxKind.CHECKIN: 1, OutboxKind.OVERDUE: 1}

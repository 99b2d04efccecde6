"""What the Home tab says Baton will send: the scheduler's time rules applied to someone's tasks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.hours import WorkingHours
from bot.domain.model import CheckinSchedule, OutboxKind, TaskStatus
from bot.domain.upcoming import MAX_MESSAGES, Coming, TaskTime, coming_up
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


def merged(parts: list[list[Coming]]) -> list[tuple[datetime, dict[OutboxKind, int], tuple[int, ...]]]:
    """Single-task answers put together the way one message gathers several tasks at one moment."""
    kinds: dict[datetime, Counter[OutboxKind]] = {}
    numbers: dict[datetime, set[int]] = {}
    for part in parts:
        for coming in part:
            kinds.setdefault(coming.at, Counter()).update(dict(coming.kinds))
            numbers.setdefault(coming.at, set()).update(coming.task_numbers)
    return [(at, dict(kinds[at]), tuple(sorted(numbers[at]))) for at in sorted(kinds)[:MAX_MESSAGES]]


SCHEDULES = [CheckinSchedule(at=time(10, 0)), CheckinSchedule(days=frozenset({0, 3}), at=time(16, 30))]
STATUSES = [TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.DECLINED, TaskStatus.DONE]


@st.composite
def task_lists(draw: st.DrawFn) -> list[TaskTime]:
    """Up to 12 tasks sharing a few schedules, hand-over days and deadlines, as a person's tasks do."""
    found = []
    for number in range(1, draw(st.integers(min_value=1, max_value=12)) + 1):
        handed = NOW - timedelta(days=draw(st.sampled_from([0, 1, 3])), hours=1)
        due_hours = draw(st.sampled_from([None, 5, 30, 50, 100]))
        found.append(
            TaskTime(
                number=number,
                status=draw(st.sampled_from(STATUSES)),
                schedule=draw(st.sampled_from(SCHEDULES)),
                checkin_after=draw(st.sampled_from([None, NOW, NOW + timedelta(hours=20)])),
                created_at=handed,
                handed_at=handed,
                due_at=None if due_hours is None else NOW + timedelta(hours=due_hours),
                reminded=draw(st.booleans()),
            )
        )
    return found


@settings(max_examples=60, deadline=None)
@given(
    tasks=task_lists(),
    tz=st.sampled_from([BERLIN, "America/New_York", "Asia/Kolkata"]),
    away_from=st.sampled_from([None, 0, 20, 40]),
)
def test_property_several_tasks_show_what_each_shows_alone(
    tasks: list[TaskTime], tz: str, away_from: int | None
) -> None:
    """The answers kept while reading one person's tasks (their shared schedules, deadlines and days) change
    nothing: the tasks together show what each shows alone, gathered by moment."""
    away = (
        () if away_from is None else (Period(NOW + timedelta(hours=away_from), NOW + timedelta(hours=away_from + 20)),)
    )
    who = Availability(tz, away=away)

    together = coming_up(tasks, who, now=NOW, days=3, held=[])
    alone = [coming_up([t], who, now=NOW, days=3, held=[]) for t in tasks]

    assert [(c.at, dict(c.kinds), c.task_numbers) for c in together] == merged(alone)

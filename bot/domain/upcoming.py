"""What Baton will send someone in the next days, for their Home tab: the scheduler's own time rules
(`worktime`) applied to their tasks, each message at the moment it will really go out (held to their
working time, several tasks at one moment in one message)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.domain import worktime
from bot.domain.model import CheckinSchedule, OutboxKind, TaskStatus
from bot.domain.worktime import Availability

MAX_MESSAGES = 8


@dataclass(frozen=True)
class TaskTime:
    """One of the person's tasks as the rules need it."""

    number: int
    status: TaskStatus
    schedule: CheckinSchedule
    checkin_after: datetime | None
    created_at: datetime
    handed_at: datetime  # when it was given to them (creation or reassignment)
    due_at: datetime | None
    reminded: bool = False


@dataclass(frozen=True)
class Coming:
    """One message: when it goes out, and how many items of each kind it lists."""

    at: datetime
    kinds: tuple[tuple[OutboxKind, int], ...]
    task_numbers: tuple[int, ...]
    held: bool = False


def _items(task: TaskTime, who: Availability, *, now: datetime, until: datetime) -> list[tuple[datetime, OutboxKind]]:
    found: list[tuple[datetime, OutboxKind]] = []
    if task.status is TaskStatus.ACCEPTED:
        start = max(now, task.checkin_after or task.created_at)
        for moment in worktime.checkin_moments(start=start, end=until, who=who, schedule=task.schedule):
            if not who.is_away(moment):
                found.append((worktime.next_working_start(moment, who), OutboxKind.CHECKIN))
    elif task.status is TaskStatus.OPEN and not task.reminded:
        # Not on the day it was handed over (the planner's rule): from the start of the next local day.
        day_after = worktime.at_local(
            worktime.local_date(task.handed_at, tz=who.tz) + timedelta(days=1), time(0), tz=who.tz
        )
        first = worktime.next_checkin(max(now, day_after), who=who, schedule=task.schedule)
        if first is not None and first <= until and not who.is_away(first):
            found.append((worktime.next_working_start(first, who), OutboxKind.REMINDER))
    if task.due_at is not None and task.status.is_active:
        for at in worktime.warning_moments(task.due_at, who).values():
            if now < at <= until and task.created_at < at and not who.is_away(at):
                found.append((at, OutboxKind.WARNING))
        if now < task.due_at <= until:
            found.append((worktime.next_working_start(task.due_at, who), OutboxKind.OVERDUE))
    return found


def coming_up(
    tasks: list[TaskTime], who: Availability, *, now: datetime, days: int, held: list[tuple[datetime, OutboxKind, int]]
) -> list[Coming]:
    """The next messages for someone over `days` days, soonest first: their tasks' check-ins, reminders,
    warnings and overdue notices, and what is already queued for them (`held`: when it goes, kind, task)."""
    until = now + timedelta(days=days)
    moments: dict[datetime, list[tuple[OutboxKind, int]]] = {}
    held_at: set[datetime] = set()
    for at, kind, number in held:
        moments.setdefault(at, []).append((kind, number))
        if at > now:
            held_at.add(at)
    for task in tasks:
        for at, kind in _items(task, who, now=now, until=until):
            if at <= until:
                moments.setdefault(at, []).append((kind, task.number))
    found = []
    for at in sorted(moments)[:MAX_MESSAGES]:
        items = moments[at]
        counts = Counter(kind for kind, _ in items)
        found.append(
            Coming(
                at=at,
                kinds=tuple(sorted(counts.items(), key=lambda pair: pair[0].value)),
                task_numbers=tuple(sorted({number for _, number in items})),
                held=at in held_at,
            )
        )
    return found

"""What Baton will send someone in the next days, for their Home tab: the scheduler's own time rules
(`worktime`) applied to their tasks, each message at the moment it will really go out (held to their
working time, several tasks at one moment in one message)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache, partial

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


class _Rules:
    """The time rules for one person, each answer kept for the call: a person's tasks share their schedules and
    often their deadlines, so most tasks ask what an earlier one asked."""

    def __init__(self, who: Availability) -> None:
        self.who = who
        self.next_checkin = cache(partial(_next_checkin, who=who))
        self.warnings = cache(partial(_warnings, who=who))
        self.working_start = cache(partial(worktime.next_working_start, who=who))
        self.is_away = cache(who.is_away)

    def day_after(self, handed_at: datetime) -> datetime:
        """The start of the local day after `handed_at`'s."""
        tz = self.who.tz
        return worktime.at_local(worktime.local_date(handed_at, tz=tz) + timedelta(days=1), time(0), tz=tz)


def _next_checkin(after: datetime, schedule: CheckinSchedule, *, who: Availability) -> datetime | None:
    return worktime.next_checkin(after, who=who, schedule=schedule)


def _warnings(due: datetime, *, who: Availability) -> tuple[datetime, ...]:
    return tuple(worktime.warning_moments(due, who).values())


def _items(task: TaskTime, rules: _Rules, *, now: datetime, until: datetime) -> list[tuple[datetime, OutboxKind]]:
    found: list[tuple[datetime, OutboxKind]] = []
    who = rules.who
    if task.status is TaskStatus.ACCEPTED:
        start = max(now, task.checkin_after or task.created_at)
        for moment in worktime.checkin_moments(start=start, end=until, who=who, schedule=task.schedule):
            if not rules.is_away(moment):
                found.append((rules.working_start(moment), OutboxKind.CHECKIN))
    elif task.status is TaskStatus.OPEN and not task.reminded:
        # Not on the day it was handed over (the planner's rule): from the start of the next local day.
        first = rules.next_checkin(max(now, rules.day_after(task.handed_at)), task.schedule)
        if first is not None and first <= until and not rules.is_away(first):
            found.append((rules.working_start(first), OutboxKind.REMINDER))
    if task.due_at is not None and task.status.is_active:
        for at in rules.warnings(task.due_at):
            if now < at <= until and task.created_at < at and not rules.is_away(at):
                found.append((at, OutboxKind.WARNING))
        if now < task.due_at <= until:
            found.append((rules.working_start(task.due_at), OutboxKind.OVERDUE))
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
    rules = _Rules(who)
    for task in tasks:
        for at, kind in _items(task, rules, now=now, until=until):
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

"""Recurring tasks (`/task @x … every mon`): a series, its occurrences as ordinary tasks, and `/task stop`.

An occurrence is created when the previous one is done or when the previous one's moment comes,
whichever is first. Both paths lock the series row and create only when the latest occurrence is the
one that was due (`last_due_at`), and `uq_tasks_series_id_due_at` holds one task per series and moment,
so two passes, replicas or a "done" racing the planner create each occurrence once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time

from bot.clock import Clock
from bot.domain import permissions
from bot.domain.errors import BadInput, NotFound
from bot.domain.model import Priority, TaskView
from bot.domain.recurrence import Rule, next_occurrence
from bot.domain.text import MAX_TITLE_CHARS, task_ref
from bot.domain.transitions import is_channel
from bot.services.assignment import open_task
from bot.services.people import PeopleService
from bot.services.ports import Deliverer
from bot.services.read_models import task_view
from storage.models import Task, TaskSeries
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

SERIES_BATCH = 200
MAX_SERIES_BATCHES = 10


@dataclass(frozen=True)
class SeriesView:
    id: int
    rule: Rule
    tz: str
    is_active: bool
    next_due_at: datetime


@dataclass(frozen=True)
class SeriesOutcome:
    """An occurrence and its series after a change; `changed` is False when nothing had to change."""

    task: TaskView
    series: SeriesView
    changed: bool = True


def rule_of(series: TaskSeries) -> Rule:
    hour, minute = series.at.split(":")
    return Rule.decode(series.rule, at=time(int(hour), int(minute)))


def series_view(series: TaskSeries) -> SeriesView:
    return SeriesView(
        id=series.id, rule=rule_of(series), tz=series.tz, is_active=series.active, next_due_at=series.next_due_at
    )


def _open_occurrence(uow: UnitOfWork, series: TaskSeries, *, due_at: datetime, now: datetime) -> tuple[Task, list[int]]:
    """Create the occurrence due `due_at`, queue its assignment DM, and move the series on past it."""
    task, ids = open_task(
        uow,
        workspace_id=series.workspace_id,
        title=series.title,
        assignee_id=series.assignee_id,
        delegator_id=series.delegator_id,
        team_id=series.team_id,
        priority=Priority(series.priority),
        due_at=due_at,
        created_channel_id=series.created_channel_id,
        series_id=series.id,
        now=now,
    )
    series.last_due_at = due_at
    series.next_due_at = next_occurrence(rule_of(series), after=due_at, tz=series.tz)
    log.info("series.occurrence", extra={"series": series.id, "task": task_ref(task.number)})
    return task, ids


def _open_next(uow: UnitOfWork, series: TaskSeries, *, now: datetime) -> list[int]:
    """The occurrence after the latest one; moments that passed while nothing ran are skipped, not created late."""
    due = series.next_due_at
    if due <= now:
        due = next_occurrence(rule_of(series), after=now, tz=series.tz)
    if uow.series.occurrence(series.workspace_id, series.id, due_at=due) is not None:
        # An occurrence was moved (`/task due`) onto this very moment: it stands for it.
        series.last_due_at = due
        series.next_due_at = next_occurrence(rule_of(series), after=due, tz=series.tz)
        return []
    _, ids = _open_occurrence(uow, series, due_at=due, now=now)
    return ids


def open_next_after_done(uow: UnitOfWork, task: Task, *, now: datetime) -> list[int]:
    """Called in the transaction that marks `task` done: its series' next occurrence, unless one exists."""
    if task.series_id is None:
        return []
    series = uow.series.get(task.workspace_id, task.series_id, for_update=True)
    if series is None or not series.active or task.due_at != series.last_due_at:
        return []  # stopped, or the planner already created the next one
    return _open_next(uow, series, now=now)


def plan_occurrences(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
    """The planner's step: every active series whose latest occurrence's moment has come gets its next one.

    Returns how many outbox rows (assignment DMs) were written.
    """
    planned = 0
    for _ in range(MAX_SERIES_BATCHES):
        with uow_factory() as uow:
            due = uow.series.due_for_next(now=now, limit=SERIES_BATCH)
            for series in due:
                planned += len(_open_next(uow, series, now=now))
            uow.commit()
        if len(due) < SERIES_BATCH:
            break
    return planned


class SeriesService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, people: PeopleService, deliverer: Deliverer) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people
        self._deliverer = deliverer

    def delegate(
        self,
        workspace_id: str,
        actor_id: str,
        *,
        assignee_id: str,
        title: str,
        rule: Rule,
        priority: Priority = Priority.NORMAL,
        channel_id: str | None = None,
    ) -> SeriesOutcome:
        """Start a series and create its first occurrence, due at the rule's next moment in the delegator's zone."""
        now = self._clock.now()
        title = " ".join(title.split())
        if not title:
            raise BadInput("Give the task a title.")
        if len(title) > MAX_TITLE_CHARS:
            raise BadInput(f"The title is {len(title)} characters; keep it to {MAX_TITLE_CHARS}.")
        self._people.assignable(workspace_id, assignee_id)
        tz = self._people.tz(workspace_id, actor_id)
        first_due = next_occurrence(rule, after=now, tz=tz)
        with self._uow() as uow:
            uow.workspaces.ensure(workspace_id, now=now)
            team = uow.teams.by_channel(workspace_id, channel_id) if channel_id and is_channel(channel_id) else None
            series = TaskSeries(
                workspace_id=workspace_id,
                title=title,
                assignee_id=assignee_id,
                delegator_id=actor_id,
                team_id=team.id if team else None,
                priority=priority.value,
                rule=rule.encode(),
                at=f"{rule.at:%H:%M}",
                tz=tz,
                active=True,
                created_channel_id=channel_id,
                created_at=now,
                last_due_at=first_due,
                next_due_at=first_due,
            )
            uow.series.add(series)
            task, ids = _open_occurrence(uow, series, due_at=first_due, now=now)
            view = task_view(task, team_channel_id=team.channel_id if team else None)
            outcome = SeriesOutcome(task=view, series=series_view(series))
            managers = tuple(m.user_id for m in team.managers) if team else ()
            uow.commit()
        log.info("series.created", extra={"workspace": workspace_id, "task": view.ref})
        touched = tuple(dict.fromkeys((assignee_id, actor_id, *managers)))
        self._deliverer.deliver(ids, workspace_id=workspace_id, touched=touched)
        return outcome

    def stop(self, workspace_id: str, actor_id: str, *, number: int) -> SeriesOutcome:
        """`/task stop`: no later occurrences; the open one stays as it is."""
        actor = self._people.get(workspace_id, actor_id)  # before the transaction: may call Slack
        now = self._clock.now()
        with self._uow() as uow:
            task = uow.tasks.by_number(workspace_id, number)
            if task is None:
                raise NotFound(f"{task_ref(number)} doesn't exist in this workspace. `/task list` shows your tasks.")
            if task.series_id is None:
                raise BadInput(
                    f"{task_ref(number)} doesn't repeat, so there is nothing to stop. "
                    f"To drop it, use `/task cancel {task_ref(number)}`."
                )
            team = uow.teams.get(workspace_id, task.team_id) if task.team_id else None
            permissions.require_change(
                actor.user_id,
                number=task.number,
                assignee_id=task.assignee_id,
                delegator_id=task.delegator_id,
                team_manager_ids=[m.user_id for m in team.managers] if team else [],
                actor_is_admin=actor.is_admin,
            )
            series = uow.series.get(workspace_id, task.series_id, for_update=True)
            assert series is not None, "tasks.series_id is a foreign key"
            view = task_view(task, team_channel_id=team.channel_id if team else None)
            if not series.active:
                return SeriesOutcome(task=view, series=series_view(series), changed=False)
            series.active = False
            series.stopped_at = now
            outcome = SeriesOutcome(task=view, series=series_view(series))
            uow.commit()
        log.info("series.stopped", extra={"workspace": workspace_id, "task": view.ref, "series": series.id})
        return outcome

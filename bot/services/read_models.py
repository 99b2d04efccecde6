"""Turns ORM rows into the frozen read models that leave the service layer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any, Protocol

from bot.domain.model import (
    CheckinSchedule,
    HistoryEntry,
    Priority,
    TaskAction,
    TaskStatus,
    TaskView,
    TeamView,
)
from storage.models import Task, TaskRow, Team


def task_view(task: Task | TaskRow, *, team_channel_id: str | None = None, with_history: bool = False) -> TaskView:
    """A task's read model, from its ORM object or a row of its columns (`with_history`: objects only)."""
    history: tuple[HistoryEntry, ...] = ()
    if with_history:
        history = tuple(
            HistoryEntry(at=e.at, actor_id=e.actor_id, action=TaskAction(e.action), detail=e.detail)
            for e in task.history
        )
    return TaskView(
        id=task.id,
        workspace_id=task.workspace_id,
        number=task.number,
        title=task.title,
        details=task.details,
        assignee_id=task.assignee_id,
        delegator_id=task.delegator_id,
        priority=Priority(task.priority),
        status=TaskStatus(task.status),
        created_at=task.created_at,
        due_at=task.due_at,
        done_at=task.done_at,
        team_id=task.team_id,
        team_channel_id=team_channel_id,
        source_link=task.source_link,
        decline_reason=task.decline_reason,
        history=history,
    )


def new_task_view(task_id: int, row: Mapping[str, Any], *, team_channel_id: str | None = None) -> TaskView:
    """`task_view` of a task just written from `row` (its values as given, before any is read back)."""
    return TaskView(
        id=task_id,
        workspace_id=row["workspace_id"],
        number=row["number"],
        title=row["title"],
        details=row["details"],
        assignee_id=row["assignee_id"],
        delegator_id=row["delegator_id"],
        priority=Priority(row["priority"]),
        status=TaskStatus(row["status"]),
        created_at=row["created_at"],
        due_at=row["due_at"],
        done_at=row.get("done_at"),
        team_id=row["team_id"],
        team_channel_id=team_channel_id,
        source_link=row["source_link"],
        decline_reason=row.get("decline_reason"),
    )


class CheckinFields(Protocol):
    """What a team's check-in schedule is read from: a Team, or a reader's row of it."""

    @property
    def checkin_days(self) -> str: ...

    @property
    def checkin_time(self) -> str: ...


def schedule_of(team: CheckinFields) -> CheckinSchedule:
    days = frozenset(int(d) for d in team.checkin_days.split(",") if d != "")
    hour, minute = (int(p) for p in team.checkin_time.split(":"))
    return CheckinSchedule(days=days, at=time(hour, minute))


def team_view(team: Team) -> TeamView:
    return TeamView(
        id=team.id,
        workspace_id=team.workspace_id,
        channel_id=team.channel_id,
        tz=team.tz,
        schedule=schedule_of(team),
        manager_ids=tuple(m.user_id for m in team.managers),
        calendar=team.calendar,
        escalation_after=team.escalation_after,
    )

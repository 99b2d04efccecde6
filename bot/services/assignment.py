"""Opening a task (its row, its first history line, its assignee's DM), shared by one-off tasks and the
occurrences of a series."""

from __future__ import annotations

from datetime import datetime

from bot.domain import transitions
from bot.domain.model import Priority, TaskAction
from bot.services.messages import queue_notices
from storage.models import Task
from storage.uow import UnitOfWork


def open_task(
    uow: UnitOfWork,
    *,
    workspace_id: str,
    title: str,
    assignee_id: str,
    delegator_id: str,
    priority: Priority,
    due_at: datetime | None,
    now: datetime,
    details: str = "",
    team_id: int | None = None,
    created_channel_id: str | None = None,
    source_link: str | None = None,
    series_id: int | None = None,
) -> tuple[Task, list[int]]:
    """Add the task, numbered next in its workspace, and queue its assignee's DM unless it is their own;
    returns the task and the outbox ids queued."""
    opening = transitions.opening(assignee_id=assignee_id, delegator_id=delegator_id, now=now)
    task = Task(
        workspace_id=workspace_id,
        number=uow.workspaces.next_task_number(workspace_id),
        title=title,
        details=details,
        assignee_id=assignee_id,
        delegator_id=delegator_id,
        team_id=team_id,
        priority=priority.value,
        status=opening.status.value,
        due_at=due_at,
        created_at=now,
        updated_at=now,
        accepted_at=opening.accepted_at,
        created_channel_id=created_channel_id,
        source_link=source_link,
        assignment_seq=1,
        assigned_at=now,
        next_check_at=now,
        series_id=series_id,
    )
    uow.tasks.add(task)
    uow.tasks.record(task, at=now, actor_id=delegator_id, action=TaskAction.CREATED)
    ids: list[int] = []
    if opening.asks_assignee:
        row = queue_assignment(uow, task, now=now)
        if row is not None:
            ids.append(row)
    return task, ids


def queue_assignment(uow: UnitOfWork, task: Task, *, now: datetime) -> int | None:
    """Queue the assignee's DM with Accept / Decline, once per (re)assignment of the task."""
    notice = transitions.assignment_notice(
        task_id=task.id, assignee_id=task.assignee_id, assignment_seq=task.assignment_seq
    )
    queued = queue_notices(uow, task, [notice], now=now)
    return queued[0] if queued else None

"""Opening a task (its row, its first history line, its assignee's DM): as Core statements for a one-off task,
as ORM objects for the occurrences of a series, which go on working on the row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain import transitions
from bot.domain.model import Priority, TaskAction, TaskView, TeamContact
from bot.services.messages import queue_notices
from bot.services.read_models import new_task_view
from storage.models import Task
from storage.uow import UnitOfWork


def _row(
    *,
    workspace_id: str,
    number: int,
    title: str,
    assignee_id: str,
    delegator_id: str,
    priority: Priority,
    due_at: datetime | None,
    now: datetime,
    details: str,
    team_id: int | None,
    created_channel_id: str | None,
    source_link: str | None,
    series_id: int | None,
) -> tuple[dict[str, Any], transitions.Opening]:
    """A new task's row, numbered `number`, and how it opens (accepted at once when it is one's own)."""
    opening = transitions.opening(assignee_id=assignee_id, delegator_id=delegator_id, now=now)
    row = {
        "workspace_id": workspace_id,
        "number": number,
        "title": title,
        "details": details,
        "assignee_id": assignee_id,
        "delegator_id": delegator_id,
        "team_id": team_id,
        "priority": priority.value,
        "status": opening.status.value,
        "due_at": due_at,
        "created_at": now,
        "updated_at": now,
        "accepted_at": opening.accepted_at,
        "created_channel_id": created_channel_id,
        "source_link": source_link,
        "assignment_seq": 1,
        "assigned_at": now,
        "next_check_at": now,
        "series_id": series_id,
    }
    return row, opening


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
    row, opening = _row(
        workspace_id=workspace_id,
        number=uow.workspaces.next_task_number(workspace_id),
        title=title,
        assignee_id=assignee_id,
        delegator_id=delegator_id,
        priority=priority,
        due_at=due_at,
        now=now,
        details=details,
        team_id=team_id,
        created_channel_id=created_channel_id,
        source_link=source_link,
        series_id=series_id,
    )
    task = Task(**row)
    uow.tasks.add(task)
    uow.tasks.record(task, at=now, actor_id=delegator_id, action=TaskAction.CREATED)
    ids: list[int] = []
    if opening.asks_assignee:
        queued = queue_assignment(uow, task, now=now)
        if queued is not None:
            ids.append(queued)
    return task, ids


def insert_task(
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
    team: TeamContact | None = None,
    created_channel_id: str | None = None,
    source_link: str | None = None,
) -> tuple[TaskView, list[int]]:
    """`open_task` as Core statements and no ORM object: the workspace's next number taken (the workspace
    made on first contact), the task's row, its first history line and its assignee's DM (one statement on
    PostgreSQL); returns the task as it was written and the outbox ids queued."""
    row, opening = _row(
        workspace_id=workspace_id,
        number=0,  # taken with the insert
        title=title,
        assignee_id=assignee_id,
        delegator_id=delegator_id,
        priority=priority,
        due_at=due_at,
        now=now,
        details=details,
        team_id=team.id if team else None,
        created_channel_id=created_channel_id,
        source_link=source_link,
        series_id=None,
    )

    def assignment_dm(task_id: int) -> list[dict[str, Any]]:
        if not opening.asks_assignee:
            return []
        notice = transitions.assignment_notice(task_id=task_id, assignee_id=assignee_id, assignment_seq=1)
        return [uow.outbox.row(workspace_id, notice, task_id=task_id, now=now)]

    task_id, row["number"], ids = uow.tasks.insert_numbered(
        row, at=now, actor_id=delegator_id, action=TaskAction.CREATED.value, queued=assignment_dm
    )
    return new_task_view(task_id, row, team_channel_id=team.channel_id if team else None), ids


def queue_assignment(uow: UnitOfWork, task: Task, *, now: datetime) -> int | None:
    """Queue the assignee's DM with Accept / Decline, once per (re)assignment of the task."""
    notice = transitions.assignment_notice(
        task_id=task.id, assignee_id=task.assignee_id, assignment_seq=task.assignment_seq
    )
    queued = queue_notices(uow, task, [notice], now=now)
    return queued[0] if queued else None

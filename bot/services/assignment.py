"""Queueing the assignee's DM, shared by one-off tasks and the occurrences of a series."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import OutboxKind
from bot.domain.payloads import AssignmentPayload
from storage.models import Task
from storage.uow import UnitOfWork


def queue_assignment(uow: UnitOfWork, task: Task, *, now: datetime) -> int | None:
    """Queue the assignee's DM with Accept / Decline, once per (re)assignment of the task."""
    return uow.outbox.add(
        task.workspace_id,
        dedupe_key=f"assign:{task.id}:{task.assignment_seq}",
        kind=OutboxKind.ASSIGNMENT,
        recipient_id=task.assignee_id,
        task_id=task.id,
        payload=AssignmentPayload(seq=task.assignment_seq),
        now=now,
    )

"""Which status changes a task allows; a repeated change is a no-op, never a second effect."""

from __future__ import annotations

from enum import Enum

from bot.domain.errors import BadInput
from bot.domain.model import TaskStatus
from bot.domain.text import task_ref


class Change(Enum):
    ACCEPT = "accept"
    DECLINE = "decline"
    COMPLETE = "complete"
    CANCEL = "cancel"
    REASSIGN = "reassign"
    CHANGE_DUE = "change_due"


# (from, change) -> to; a pair that is missing is refused, a pair mapping to itself is a no-op.
_TRANSITIONS: dict[tuple[TaskStatus, Change], TaskStatus] = {
    (TaskStatus.OPEN, Change.ACCEPT): TaskStatus.ACCEPTED,
    (TaskStatus.ACCEPTED, Change.ACCEPT): TaskStatus.ACCEPTED,
    (TaskStatus.OPEN, Change.DECLINE): TaskStatus.DECLINED,
    (TaskStatus.ACCEPTED, Change.DECLINE): TaskStatus.DECLINED,
    (TaskStatus.DECLINED, Change.DECLINE): TaskStatus.DECLINED,
    (TaskStatus.OPEN, Change.COMPLETE): TaskStatus.DONE,
    (TaskStatus.ACCEPTED, Change.COMPLETE): TaskStatus.DONE,
    (TaskStatus.DECLINED, Change.COMPLETE): TaskStatus.DONE,
    (TaskStatus.DONE, Change.COMPLETE): TaskStatus.DONE,
    (TaskStatus.OPEN, Change.CANCEL): TaskStatus.CANCELLED,
    (TaskStatus.ACCEPTED, Change.CANCEL): TaskStatus.CANCELLED,
    (TaskStatus.DECLINED, Change.CANCEL): TaskStatus.CANCELLED,
    (TaskStatus.CANCELLED, Change.CANCEL): TaskStatus.CANCELLED,
    (TaskStatus.OPEN, Change.REASSIGN): TaskStatus.OPEN,
    (TaskStatus.ACCEPTED, Change.REASSIGN): TaskStatus.OPEN,
    (TaskStatus.DECLINED, Change.REASSIGN): TaskStatus.OPEN,
    (TaskStatus.OPEN, Change.CHANGE_DUE): TaskStatus.OPEN,
    (TaskStatus.ACCEPTED, Change.CHANGE_DUE): TaskStatus.ACCEPTED,
    (TaskStatus.DECLINED, Change.CHANGE_DUE): TaskStatus.DECLINED,
}

_REFUSALS = {
    TaskStatus.DONE: "{ref} is already done.",
    TaskStatus.CANCELLED: "{ref} was cancelled.",
    TaskStatus.DECLINED: "{ref} was declined; it needs reassigning first (`/task reassign {ref} @person`).",
}


def transition(status: TaskStatus, change: Change, *, number: int) -> TaskStatus:
    """The status after `change`; raises BadInput with a reason when the task no longer allows it."""
    target = _TRANSITIONS.get((status, change))
    if target is None:
        raise BadInput(_REFUSALS.get(status, "{ref} can't change now.").format(ref=task_ref(number)))
    return target


def is_noop(status: TaskStatus, change: Change) -> bool:
    """True when the change was already made (a double click, a retried request)."""
    return change in (Change.ACCEPT, Change.DECLINE, Change.COMPLETE, Change.CANCEL) and (
        _TRANSITIONS.get((status, change)) == status
    )

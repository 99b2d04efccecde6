"""Whether a queued outbox message still says something true when its turn comes to be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import worktime
from bot.domain.model import OutboxKind, Outgoing, TaskStatus
from bot.domain.payloads import (
    AssignmentPayload,
    CheckinPayload,
    DueChangedPayload,
    OverduePayload,
    WarningPayload,
    payload_as,
)

HOUR = timedelta(hours=1)

# Kinds about a task that are not sent to its assignee while they are away.
NOT_WHILE_AWAY = (OutboxKind.CHECKIN, OutboxKind.WARNING, OutboxKind.OVERDUE, OutboxKind.REMINDER)


@dataclass(frozen=True)
class TaskFacts:
    """What is known, at a message's turn, of its task beyond the task as it stands (the message's `task`)."""

    task_gone: bool = False  # the message names a task that is no longer stored
    assignment_seq: int | None = None  # the task's current hand-over: a reminder for an earlier one is stale
    assignee_away: bool = False  # the assignee is away now
    overdue_sent_today: bool = False  # an overdue notice went to this recipient, about this task, on their local today
    overdue_overtaken: bool = False  # a later overdue moment than this notice's has come
    silent: bool = False  # the task's check-ins are still unanswered since its escalation was planned


def _iso(moment: datetime | None) -> str | None:
    """A moment as the ISO-8601 text it was planned under: compared as text, as the deadline the task has now."""
    return moment.isoformat() if moment is not None else None


def still_true(out: Outgoing, facts: TaskFacts, *, now: datetime) -> bool:
    """Whether a queued message still says something true when its turn comes: a check-in for a
    finished task, or a warning for a deadline that moved or passed, is skipped, never sent."""
    if facts.task_gone:
        return False
    task = out.task
    if task is None:
        return out.kind in (OutboxKind.KUDOS, OutboxKind.RECOGNITION, OutboxKind.DIGEST)
    if out.kind is OutboxKind.REFRESH:
        return True
    if facts.assignee_away and out.recipient_id == task.assignee_id and out.kind in NOT_WHILE_AWAY:
        return False  # queued before their time off was recorded
    due = task.due_at.isoformat() if task.due_at else None
    if (
        out.kind in (OutboxKind.CHECKIN, OutboxKind.WARNING, OutboxKind.REMINDER)
        and out.recipient_id != task.assignee_id
    ):
        return False  # reassigned since: the new assignee gets their own
    if out.kind is OutboxKind.OVERDUE:
        audience = payload_as(out.payload, OverduePayload).audience
        if out.recipient_id != (task.assignee_id if audience == "assignee" else task.delegator_id):
            return False
    if out.kind is OutboxKind.CHECKIN:
        # A check-in held up past the local day it was for is not sent beside the next day's; one for a task
        # not accepted (reassigned since) would ask how work nobody took on is going.
        checkin = payload_as(out.payload, CheckinPayload)
        return task.status is TaskStatus.ACCEPTED and checkin.day == worktime.local_date(now, tz=checkin.tz)
    if out.kind in (OutboxKind.REMINDER, OutboxKind.UNANSWERED):
        return task.status is TaskStatus.OPEN and out.dedupe_key.split(":")[2] == str(facts.assignment_seq)
    if out.kind is OutboxKind.ESCALATION:
        return task.status is TaskStatus.ACCEPTED and facts.silent
    if out.kind is OutboxKind.WARNING:
        warning = payload_as(out.payload, WarningPayload)
        if not (task.status.is_active and _iso(warning.due) == due and task.due_at is not None):
            return False
        if warning.hours_before == 24 and task.due_at - HOUR <= now:
            return False  # the 1-hour warning's turn has come: the 24-hour one is old news
        return now < task.due_at
    if out.kind is OutboxKind.OVERDUE:
        overdue_due = payload_as(out.payload, OverduePayload).due
        if not (task.status.is_active and _iso(overdue_due) == due and task.due_at is not None):
            return False
        # A notice held up (to working hours, paced, retried, caught up) counts for the day it goes out on,
        # like a check-in: that day's own one is then not sent as well; and one a later overdue moment has
        # overtaken is old news (that moment has its own notice).
        return not facts.overdue_sent_today and not facts.overdue_overtaken
    if out.kind is OutboxKind.ASSIGNMENT:
        return (
            task.status is TaskStatus.OPEN
            and task.assignee_id == out.recipient_id
            and payload_as(out.payload, AssignmentPayload).seq == facts.assignment_seq
        )
    if out.kind is OutboxKind.DUE_CHANGED:
        return not task.status.is_final and _iso(payload_as(out.payload, DueChangedPayload).new_due) == due
    if out.kind is OutboxKind.CELEBRATION:
        return task.status is TaskStatus.DONE
    return True

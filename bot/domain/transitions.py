"""What each change to a task decides: who may make it, whether it was already made, the task after it,
its history line and the notices it sends. Pure: the services load, call one of these, and save."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain import lifecycle, permissions
from bot.domain.errors import BadInput
from bot.domain.lifecycle import Change
from bot.domain.model import HistoryEntry, OutboxKind, PersonView, TaskAction, TaskStatus
from bot.domain.payloads import (
    AcceptedPayload,
    AssignmentPayload,
    CancelledPayload,
    CelebrationPayload,
    DeclinedPayload,
    DueChangedPayload,
    Payload,
    UnassignedPayload,
)
from bot.domain.text import task_ref

MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class TaskState:
    """A task as its changes read and write it; everything after `created_channel_id` is what they may change."""

    id: int
    number: int
    delegator_id: str
    created_channel_id: str | None
    assignee_id: str
    status: TaskStatus
    assignment_seq: int
    due_at: datetime | None
    updated_at: datetime
    accepted_at: datetime | None = None
    done_at: datetime | None = None
    cancelled_at: datetime | None = None
    decline_reason: str | None = None
    next_check_at: datetime | None = None
    overdue_after: datetime | None = None
    assignment_channel_id: str | None = None
    assignment_ts: str | None = None
    assigned_at: datetime | None = None
    reminded_at: datetime | None = None
    unanswered_told_at: datetime | None = None
    escalated_at: datetime | None = None
    last_answer_at: datetime | None = None
    checkins_unanswered: int = 0


@dataclass(frozen=True)
class Notice:
    """One outbox row a change queues: its kind, who gets it, the key that makes it exist once, its payload."""

    kind: OutboxKind
    recipient_id: str
    dedupe_key: str
    payload: Payload | None = None


@dataclass(frozen=True)
class Transition:
    """A task after a change, with its history line and notices; no history line means it was already made."""

    task: TaskState
    history: HistoryEntry | None = None
    notices: tuple[Notice, ...] = ()

    @property
    def changed(self) -> bool:
        return self.history is not None


@dataclass(frozen=True)
class Opening:
    """How a new task starts: one for oneself is accepted at once, one for someone else asks them first."""

    status: TaskStatus
    accepted_at: datetime | None
    asks_assignee: bool


def is_channel(conversation_id: str | None) -> bool:
    """A channel (public or private), not a DM."""
    return bool(conversation_id) and str(conversation_id)[0] in "CG"


def opening(*, assignee_id: str, delegator_id: str, now: datetime) -> Opening:
    is_self = assignee_id == delegator_id
    return Opening(
        status=TaskStatus.ACCEPTED if is_self else TaskStatus.OPEN,
        accepted_at=now if is_self else None,
        asks_assignee=not is_self,
    )


def assignment_notice(*, task_id: int, assignee_id: str, assignment_seq: int) -> Notice:
    """The assignee's DM with Accept / Decline, once per (re)assignment of the task."""
    return Notice(
        kind=OutboxKind.ASSIGNMENT,
        recipient_id=assignee_id,
        dedupe_key=f"assign:{task_id}:{assignment_seq}",
        payload=AssignmentPayload(seq=assignment_seq),
    )


def notices(
    kind: OutboxKind,
    *,
    to: Sequence[str],
    actor_id: str,
    key: str,
    payload: Payload,
    skip_self: bool = True,
) -> tuple[Notice, ...]:
    """A notice to each of `to` once, except whoever did it (nobody needs telling)."""
    return tuple(
        Notice(kind=kind, recipient_id=recipient, dedupe_key=f"{key}:{recipient}", payload=payload)
        for recipient in dict.fromkeys(to)
        if not (skip_self and recipient == actor_id)
    )


def _require_change(task: TaskState, actor: PersonView, managers: Collection[str]) -> None:
    permissions.require_change(
        actor.user_id,
        number=task.number,
        assignee_id=task.assignee_id,
        delegator_id=task.delegator_id,
        team_manager_ids=managers,
        actor_is_admin=actor.is_admin,
    )


def _status_after(task: TaskState, change: Change) -> TaskStatus | None:
    """The status `change` leads to; None when it was already made; raises BadInput when it is refused."""
    if lifecycle.is_noop(task.status, change):
        return None
    return lifecycle.transition(task.status, change, number=task.number)


# answers from the assignee -------------------------------------------------------------------------
def accept(task: TaskState, *, actor_id: str, now: datetime) -> Transition:
    permissions.require_assignee(actor_id, number=task.number, assignee_id=task.assignee_id)
    status = _status_after(task, Change.ACCEPT)
    if status is None:
        return Transition(task)
    return Transition(
        replace(task, status=status, updated_at=now, accepted_at=now),
        HistoryEntry(at=now, actor_id=actor_id, action=TaskAction.ACCEPTED),
        notices(
            OutboxKind.ACCEPTED,
            to=[task.delegator_id],
            actor_id=actor_id,
            key=f"{OutboxKind.ACCEPTED.value}:{task.id}:{task.assignment_seq}",
            payload=AcceptedPayload(actor_id=actor_id),
        ),
    )


def decline(task: TaskState, *, actor_id: str, reason: str, now: datetime) -> Transition:
    reason = reason.strip()[:MAX_REASON_CHARS]
    permissions.require_assignee(actor_id, number=task.number, assignee_id=task.assignee_id)
    status = _status_after(task, Change.DECLINE)
    if status is None:
        return Transition(task)
    return Transition(
        replace(task, status=status, updated_at=now, decline_reason=reason or None, next_check_at=None),
        HistoryEntry(at=now, actor_id=actor_id, action=TaskAction.DECLINED, detail=reason),
        notices(
            OutboxKind.DECLINED,
            to=[task.delegator_id],
            actor_id=actor_id,
            key=f"{OutboxKind.DECLINED.value}:{task.id}:{task.assignment_seq}",
            payload=DeclinedPayload(actor_id=actor_id, reason=reason),
        ),
    )


# changes by anyone allowed -------------------------------------------------------------------------
def complete(
    task: TaskState,
    *,
    actor: PersonView,
    managers: Collection[str],
    team_channel_id: str | None,
    note: str,
    now: datetime,
) -> Transition:
    """Done, celebrated where the team (else the channel it was created in, else its delegator) sees it."""
    note = note.strip()[:MAX_REASON_CHARS]
    _require_change(task, actor, managers)
    status = _status_after(task, Change.COMPLETE)
    if status is None:
        return Transition(task)
    if team_channel_id is not None:
        where = team_channel_id
    elif is_channel(task.created_channel_id):
        where = str(task.created_channel_id)
    else:
        where = task.delegator_id
    return Transition(
        replace(
            task,
            status=status,
            done_at=now,
            updated_at=now,
            next_check_at=None,
            checkins_unanswered=0,
            escalated_at=None,
        ),
        HistoryEntry(at=now, actor_id=actor.user_id, action=TaskAction.DONE, detail=note),
        notices(
            OutboxKind.CELEBRATION,
            to=[where],
            actor_id=actor.user_id,
            key=f"celebrate:{task.id}",
            payload=CelebrationPayload(actor_id=actor.user_id, note=note),
            skip_self=False,
        ),
    )


def cancel(task: TaskState, *, actor: PersonView, managers: Collection[str], reason: str, now: datetime) -> Transition:
    reason = reason.strip()[:MAX_REASON_CHARS]
    _require_change(task, actor, managers)
    status = _status_after(task, Change.CANCEL)
    if status is None:
        return Transition(task)
    return Transition(
        replace(task, status=status, cancelled_at=now, updated_at=now, next_check_at=None),
        HistoryEntry(at=now, actor_id=actor.user_id, action=TaskAction.CANCELLED, detail=reason),
        notices(
            OutboxKind.CANCELLED,
            to=[task.assignee_id, task.delegator_id],
            actor_id=actor.user_id,
            key=f"cancelled:{task.id}",
            payload=CancelledPayload(actor_id=actor.user_id, reason=reason),
        ),
    )


def reassign(
    task: TaskState, *, actor: PersonView, managers: Collection[str], assignee_id: str, now: datetime
) -> Transition:
    """A new assignee starts afresh: asked again, their own reminder, check-ins counted from now. Never a
    no-op: giving a task to whoever already has it is refused, unless they declined it."""
    _require_change(task, actor, managers)
    if task.assignee_id == assignee_id and task.status != TaskStatus.DECLINED:
        raise BadInput(f"{task_ref(task.number)} is already assigned to <@{assignee_id}>.")
    status = lifecycle.transition(task.status, Change.REASSIGN, number=task.number)
    previous = task.assignee_id
    after = replace(
        task,
        status=status,
        assignee_id=assignee_id,
        assignment_seq=task.assignment_seq + 1,
        accepted_at=None,
        decline_reason=None,
        assignment_channel_id=None,
        assignment_ts=None,
        updated_at=now,
        next_check_at=now,
        assigned_at=now,
        reminded_at=None,
        unanswered_told_at=None,
        escalated_at=None,
        last_answer_at=None,
        checkins_unanswered=0,
    )
    told: tuple[Notice, ...] = (
        assignment_notice(task_id=task.id, assignee_id=assignee_id, assignment_seq=after.assignment_seq),
    )
    if previous != assignee_id:
        told += notices(
            OutboxKind.UNASSIGNED,
            to=[previous, task.delegator_id],
            actor_id=actor.user_id,
            key=f"unassigned:{task.id}:{after.assignment_seq}",
            payload=UnassignedPayload(actor_id=actor.user_id, new_assignee_id=assignee_id),
        )
    return Transition(
        after,
        HistoryEntry(at=now, actor_id=actor.user_id, action=TaskAction.REASSIGNED, detail=f"{previous}>{assignee_id}"),
        told,
    )


def change_due(
    task: TaskState, *, actor: PersonView, managers: Collection[str], due_at: datetime, now: datetime
) -> Transition:
    """A new deadline; its warnings are planned afresh (old ones no longer apply). The same one is a no-op."""
    _require_change(task, actor, managers)
    lifecycle.transition(task.status, Change.CHANGE_DUE, number=task.number)
    if task.due_at == due_at:
        return Transition(task)
    old = task.due_at
    return Transition(
        replace(task, due_at=due_at, overdue_after=None, updated_at=now, next_check_at=now),
        HistoryEntry(at=now, actor_id=actor.user_id, action=TaskAction.DUE_CHANGED, detail=due_at.isoformat()),
        notices(
            OutboxKind.DUE_CHANGED,
            to=[task.assignee_id, task.delegator_id],
            actor_id=actor.user_id,
            key=f"due:{task.id}:{due_at.isoformat()}",
            payload=DueChangedPayload(actor_id=actor.user_id, old_due=old, new_due=due_at),
        ),
    )

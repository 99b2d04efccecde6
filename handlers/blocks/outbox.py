"""The message for an outbox row or a sent message, drawn again as its tasks now stand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.domain.model import (
    Message,
    OutboxKind,
    Outgoing,
    SentMessage,
    TaskStatus,
)
from handlers.blocks.cards import assignment, assignment_answered, status_answer
from handlers.blocks.checkins import bundle, checkin, checkin_answered, moved_on
from handlers.blocks.notices import (
    need_task,
    render_accepted,
    render_away_flag,
    render_blocked,
    render_cancelled,
    render_celebration,
    render_declined,
    render_due_changed,
    render_escalation,
    render_kudos,
    render_overdue,
    render_reminder,
    render_unanswered,
    render_unassigned,
    render_warning,
)
from handlers.blocks.weekly import render_digest, render_recognition


def _render_assignment(out: Outgoing, now: datetime) -> Message:
    return assignment(need_task(out), now=now)


def _render_checkin(out: Outgoing, now: datetime) -> Message:
    return checkin(need_task(out), now=now)


def render_message(message: SentMessage, *, now: datetime) -> Message:
    """A message the scheduler sends (or sent, drawn again as its tasks now stand): one row's own message,
    or a message about several tasks for a person."""
    if message.is_bundle:
        return bundle(message.items, now=now)
    item = message.items[0]
    out = item.out
    if out.task is None or out.kind not in (OutboxKind.ASSIGNMENT, OutboxKind.CHECKIN, OutboxKind.REMINDER):
        return render_outbox(out, now=now)
    task = out.task
    if out.kind is OutboxKind.ASSIGNMENT:
        if task.status is TaskStatus.OPEN and task.assignee_id == out.recipient_id and item.answer is None:
            return assignment(task, now=now)
        return assignment_answered(task, answer=status_answer(task, reader_id=out.recipient_id), now=now)
    moved = moved_on(task, reader_id=out.recipient_id)
    if out.kind is OutboxKind.REMINDER:
        if task.status is TaskStatus.OPEN and moved is None and item.answer is None:
            return render_outbox(out, now=now)
        return assignment_answered(task, answer=status_answer(task, reader_id=out.recipient_id), now=now)
    if item.answer is not None:
        return checkin_answered(task, answer=item.answer, now=now)
    if moved is not None or task.status is not TaskStatus.ACCEPTED:
        return checkin_answered(task, answer=moved or status_answer(task), now=now)
    return checkin(task, now=now)


_RENDERERS: dict[OutboxKind, Callable[[Outgoing, datetime], Message]] = {
    OutboxKind.ASSIGNMENT: _render_assignment,
    OutboxKind.ACCEPTED: render_accepted,
    OutboxKind.DECLINED: render_declined,
    OutboxKind.UNASSIGNED: render_unassigned,
    OutboxKind.DUE_CHANGED: render_due_changed,
    OutboxKind.CANCELLED: render_cancelled,
    OutboxKind.CELEBRATION: render_celebration,
    OutboxKind.KUDOS: render_kudos,
    OutboxKind.CHECKIN: _render_checkin,
    OutboxKind.WARNING: render_warning,
    OutboxKind.OVERDUE: render_overdue,
    OutboxKind.BLOCKED: render_blocked,
    OutboxKind.AWAY_FLAG: render_away_flag,
    OutboxKind.RECOGNITION: render_recognition,
    OutboxKind.DIGEST: render_digest,
    OutboxKind.REMINDER: render_reminder,
    OutboxKind.UNANSWERED: render_unanswered,
    OutboxKind.ESCALATION: render_escalation,
}


def render_outbox(out: Outgoing, *, now: datetime) -> Message:
    """The message for one outbox row, as the scheduler's delivery sends it."""
    renderer = _RENDERERS.get(out.kind)
    if renderer is None:
        raise ValueError(f"no message for outbox kind {out.kind!r}")
    return renderer(out, now)

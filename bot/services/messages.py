"""Messages Baton sent, read back as they stand (each row, its task now, its answer), and kept true: when a
task is done, cancelled, reassigned or answered, the messages still showing its buttons are drawn again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.model import OutboxKind, Outgoing, SentItem, SentMessage, TaskAction
from bot.domain.payloads import RefreshPayload, from_json
from bot.domain.transitions import Notice
from bot.services.read_models import task_view
from storage.models import Task
from storage.uow import UnitOfWork

# Messages older than this keep what they said: a check-in from last month with live buttons answers
# "that task is done" when clicked, which is true enough.
STAY_TRUE_WINDOW = timedelta(days=14)
STAY_TRUE_LIMIT = 10


def sent_message(uow: UnitOfWork, workspace_id: str, *, channel_id: str, ts: str) -> SentMessage | None:
    """A message Baton sent, read back: every row at (channel, ts) with its task as it stands and its answer."""
    rows = uow.outbox.at_message(workspace_id, channel_id=channel_id, ts=ts)
    rows = [r for r in rows if r.kind != OutboxKind.REFRESH.value]
    if not rows:
        return None
    items = []
    channels: dict[int, str | None] = {}
    for r in rows:
        view = None
        if r.task_id is not None:
            task = uow.tasks.get(workspace_id, r.task_id)
            if task is None:
                continue
            if task.team_id is not None and task.team_id not in channels:
                team = uow.teams.get(workspace_id, task.team_id, with_managers=False)
                channels[task.team_id] = team.channel_id if team else None
            view = task_view(task, team_channel_id=channels.get(task.team_id) if task.team_id else None)
        out = Outgoing(
            kind=OutboxKind(r.kind),
            dedupe_key=r.dedupe_key,
            recipient_id=r.recipient_id,
            task=view,
            payload=from_json(OutboxKind(r.kind), r.payload),
        )
        items.append(SentItem(out=out, answer=r.answer))
    if not items:
        return None
    return SentMessage(items=tuple(items), channel_id=channel_id, ts=ts)


def stay_true(
    uow: UnitOfWork, task: Task, *, now: datetime, except_message: tuple[str, str] | None = None
) -> list[int]:
    """Queue a redraw of every recent message about `task` that still shows buttons for it (its assignment
    DM, unanswered reminders and check-ins), except the one being answered; returns the outbox ids."""
    queued = []
    messages = uow.outbox.live_messages_of(
        task.workspace_id, task.id, since=now - STAY_TRUE_WINDOW, limit=STAY_TRUE_LIMIT
    )
    for channel, ts in messages:
        if (channel, ts) == except_message:
            continue
        row = uow.outbox.add(
            task.workspace_id,
            dedupe_key=f"refresh:{channel}:{ts}:{task.id}:{task.status}:{task.assignment_seq}",
            kind=OutboxKind.REFRESH,
            recipient_id=channel,
            task_id=task.id,
            payload=RefreshPayload(channel=channel, ts=ts),
            now=now,
        )
        if row is not None:
            queued.append(row)
    return queued


def queue_notices(uow: UnitOfWork, task: Task, notices: Sequence[Notice], *, now: datetime) -> list[int]:
    """Queue what a change to `task` sends; one already queued (same dedupe key) is not queued again."""
    queued = []
    for notice in notices:
        row = uow.outbox.add(
            task.workspace_id,
            dedupe_key=notice.dedupe_key,
            kind=notice.kind,
            recipient_id=notice.recipient_id,
            task_id=task.id,
            payload=notice.payload,
            now=now,
        )
        if row is not None:
            queued.append(row)
    return queued


def record_answer(uow: UnitOfWork, task: Task, *, channel_id: str, ts: str, answer: str) -> bool:
    """Write a person's answer on the rows about `task` in the message they answered; False when that
    message is not one Baton sent about it."""
    found = False
    for row in uow.outbox.at_message(task.workspace_id, channel_id=channel_id, ts=ts):
        if row.task_id == task.id and row.kind in (OutboxKind.CHECKIN.value, OutboxKind.REMINDER.value):
            row.answer = answer[:600]
            found = True
    return found


_ANSWERS: dict[TaskAction, str] = {
    TaskAction.ACCEPTED: "Accepted",
    TaskAction.DECLINED: "Declined",
    TaskAction.DONE: "Done 🎉",
    TaskAction.CHECKIN_ON_TRACK: "On track 👍",
    TaskAction.CHECKIN_BLOCKED: "Blocked 🚧",
}


def action_text(action: TaskAction, reason: str = "") -> str:
    """How an answer reads on the message it answered: "On track 👍", "Blocked 🚧: waiting on billing"."""
    text = _ANSWERS.get(action, action.value)
    return f"{text}: {reason}" if reason and action in (TaskAction.CHECKIN_BLOCKED, TaskAction.DECLINED) else text

"""Outbox notices about one task: accepted, declined, handed on, moved, cancelled, finished, blocked, warned,
overdue, away, reminded, not accepted and gone quiet; and kudos."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.model import (
    Message,
    Outgoing,
    TaskView,
)
from bot.domain.payloads import (
    AcceptedPayload,
    AwayFlagPayload,
    BlockedPayload,
    CancelledPayload,
    CelebrationPayload,
    DeclinedPayload,
    DueChangedPayload,
    EscalationPayload,
    KudosPayload,
    OverduePayload,
    UnansweredPayload,
    UnassignedPayload,
    payload_as,
)
from handlers.blocks.cards import (
    due_text,
    fallback_title,
    finish_timing,
    headline,
    priority_label,
    reminder_buttons,
    task_line,
    task_title,
)
from handlers.blocks.primitives import (
    FALLBACK_TITLE_CHARS,
    MAX_SECTION_CHARS,
    NOTE_CHARS,
    Block,
    context,
    duration_text,
    escape_within,
    fields,
    fit_message,
    last_day,
    mention,
    one_line,
    plural,
    quote,
    section,
    when,
)


def time_left(task: TaskView, now: datetime) -> str:
    """ "in 3 hours (Fri 5 Dec 17:00)": said from `now`, as a warning moved earlier may be further ahead."""
    left = (task.due_at - now) if task.due_at is not None else timedelta(0)
    hours = round(left.total_seconds() / 3600)
    minutes = max(1, round(left.total_seconds() / 60))
    soon = f"in {plural(hours, 'hour')}" if minutes >= 60 else f"in {plural(minutes, 'minute')}"
    return soon + (f" ({when(task.due_at)})" if task.due_at is not None else "")


def escalation_notice_text(out: Outgoing, task: TaskView, *, now: datetime) -> str:
    escalation = payload_as(out.payload, EscalationPayload)
    since = escalation.silent_since
    count = max(escalation.unanswered, 1)
    quiet = f", nothing heard for {duration_text(now - since)}" if since is not None and since < now else ""
    return (
        f"🔕 {mention(task.assignee_id)} left the last {plural(count, 'check-in')} on {headline(task)} "
        f"unanswered{quiet}."
    )


def unanswered_notice_text(out: Outgoing, task: TaskView, *, now: datetime) -> str:
    since = payload_as(out.payload, UnansweredPayload).since
    handed = f" since {when(since)}" if since is not None else ""
    return f"⏳ {mention(task.assignee_id)} has not accepted or declined {headline(task)}{handed}."


def need_task(out: Outgoing) -> TaskView:
    if out.task is None:
        raise ValueError(f"outbox {out.kind.value} message needs its task")
    return out.task


def _task_notice(task: TaskView, now: datetime, text: str, fallback: str, *extra: Block) -> Message:
    return fit_message(fallback, [section(text), *extra, context(task_line(task, now=now))])


def _reason_blocks(reason: str, *, none: str | None = None) -> list[Block]:
    if reason.strip():
        return [section(quote(reason, NOTE_CHARS))]
    return [section(none)] if none else []


def render_accepted(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    actor = mention(payload_as(out.payload, AcceptedPayload).actor_id or task.assignee_id)
    text = f"✅ {actor} accepted *{task.ref}* {task_title(task)}"
    return _task_notice(task, now, text, f"✅ {actor} accepted {task.ref} {fallback_title(task)}")


def render_declined(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    declined = payload_as(out.payload, DeclinedPayload)
    actor = mention(declined.actor_id or task.assignee_id)
    text = f"❌ {actor} declined *{task.ref}* {task_title(task)}"
    return _task_notice(
        task,
        now,
        text,
        f"❌ {actor} declined {task.ref} {fallback_title(task)}",
        *_reason_blocks(declined.reason, none="_No reason given._"),
        context(
            f"Hand it to someone else with `/task reassign {task.ref} @person`, "
            f"or drop it with `/task cancel {task.ref}`."
        ),
    )


def render_unassigned(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    unassigned = payload_as(out.payload, UnassignedPayload)
    new = mention(unassigned.new_assignee_id or task.assignee_id)
    actor_id = unassigned.actor_id
    by = f" by {mention(actor_id)}" if actor_id else ""
    text = f"↪️ *{task.ref}* {task_title(task)} was handed to {new}{by}. It is off your list."
    return fit_message(
        f"↪️ {task.ref} was handed to {new}: {fallback_title(task)}",
        [section(text)],
    )


def render_due_changed(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    changed = payload_as(out.payload, DueChangedPayload)
    old_due = changed.old_due
    old = when(old_due) if old_due is not None else "no deadline"
    new = when(task.due_at) if task.due_at is not None else "no deadline"
    actor_id = changed.actor_id
    who = f"{mention(actor_id)} moved" if actor_id else "Moved"
    text = f"📅 {who} the deadline of *{task.ref}* {task_title(task)}: {old} → {new}"
    return _task_notice(task, now, text, f"📅 {task.ref} is now due {new} (was {old})")


def render_cancelled(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    cancelled = payload_as(out.payload, CancelledPayload)
    actor_id = cancelled.actor_id
    by = f" by {mention(actor_id)}" if actor_id else ""
    text = f"🚫 *{task.ref}* {task_title(task)} was cancelled{by}. Nothing more to do on it."
    return fit_message(
        f"🚫 {task.ref} was cancelled{by}: {fallback_title(task)}",
        [section(text), *_reason_blocks(cancelled.reason)],
    )


def render_celebration(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    who = mention(task.assignee_id)
    timing = finish_timing(task, now)
    said = f" {timing}" if timing else ""
    text = f"🎉 {who} finished *{task.ref}* {task_title(task)}" + (f" — *{timing}*" if timing else "")
    return fit_message(
        f"🎉 {who} finished {task.ref} {fallback_title(task)}{said}",
        [section(text), *_reason_blocks(payload_as(out.payload, CelebrationPayload).note)],
    )


def render_kudos(out: Outgoing, now: datetime) -> Message:
    kudos = payload_as(out.payload, KudosPayload)
    giver = mention(kudos.giver_id)
    recipients = ", ".join(mention(rid) for rid in kudos.recipient_ids)
    message = kudos.message
    head = f"👏 {giver} → {recipients}"
    text = f"{head}: {escape_within(message.strip(), MAX_SECTION_CHARS - len(head) - 2)}"
    return fit_message(
        f"{head}: {escape_within(one_line(message), FALLBACK_TITLE_CHARS)}",
        [section(text)],
    )


def render_warning(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    left = time_left(task, now)
    text = f"⏰ *{task.ref}* {task_title(task)} is due {left}."
    return _task_notice(
        task,
        now,
        text,
        f"⏰ {task.ref} is due {left.split(' (')[0]}: {fallback_title(task)}",
        context(f"Finished? `/task done {task.ref}`"),
    )


def render_overdue(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    was = f"it was due {when(task.due_at)}" if task.due_at is not None else "its deadline passed"
    if payload_as(out.payload, OverduePayload).audience == "delegator":
        text = f"⚠️ *{task.ref}* {task_title(task)}, assigned to {mention(task.assignee_id)}, is overdue: {was}."
        hint = f"`/task due {task.ref} fri 5pm` moves the deadline; `/task show {task.ref}` shows its history."
    else:
        text = f"⚠️ *{task.ref}* {task_title(task)} is overdue: {was}."
        hint = (
            f"Finished? `/task done {task.ref}`. Need more time? Ask {mention(task.delegator_id)} to move the deadline."
        )
    return _task_notice(task, now, text, f"⚠️ {task.ref} is overdue: {fallback_title(task)}", context(hint))


def render_blocked(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    who = mention(task.assignee_id)
    text = f"🚧 {who} is blocked on *{task.ref}* {task_title(task)}"
    return _task_notice(
        task,
        now,
        text,
        f"🚧 {who} is blocked on {task.ref} {fallback_title(task)}",
        *_reason_blocks(payload_as(out.payload, BlockedPayload).reason),
    )


def render_away_flag(out: Outgoing, now: datetime) -> Message:
    """To the delegator, once per task and absence: the deadline falls while the assignee is away."""
    task = need_task(out)
    away = payload_as(out.payload, AwayFlagPayload)
    who = mention(away.user_id or task.assignee_id)
    back = away.ends_at
    until = f" until {last_day(back)}" if back is not None else ""
    text = (
        f"🏖️ {who} is away{until}, and *{task.ref}* {task_title(task)} is due {due_text(task, now)}, while they are out."
    )
    hint = f"`/task due {task.ref} …` moves the deadline; `/task reassign {task.ref} @person` hands it on."
    return _task_notice(task, now, text, f"{who} is away{until}; {task.ref} is due meanwhile", context(hint))


def render_reminder(out: Outgoing, now: datetime) -> Message:
    """To the assignee of a task not accepted yet, once: the task again, with Accept / Decline."""
    task = need_task(out)
    intro = f"📬 {mention(task.delegator_id)} is waiting for your answer on this task"
    blocks = [
        section(f"{intro}\n{headline(task)}"),
        fields(("Due", due_text(task, now)), ("Priority", priority_label(task.priority))),
        reminder_buttons(task),
    ]
    return fit_message(f"Waiting for your answer: {task.ref} {fallback_title(task)}", blocks)


def render_unanswered(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    hint = f"`/task reassign {task.ref} @person` hands it to someone else; `/task cancel {task.ref}` drops it."
    text = unanswered_notice_text(out, task, now=now)
    return _task_notice(task, now, text, f"⏳ {task.ref} is not accepted yet", context(hint))


def render_escalation(out: Outgoing, now: datetime) -> Message:
    task = need_task(out)
    hint = f"`/task show {task.ref}` shows its history; `/task reassign {task.ref} @person` hands it on."
    text = escalation_notice_text(out, task, now=now)
    return _task_notice(task, now, text, f"🔕 {task.ref} has gone quiet", context(hint))

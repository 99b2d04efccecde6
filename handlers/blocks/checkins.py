"""Check-in prompts, several tasks for one person in one DM, and the team's check-in settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bot.domain.model import (
    WORKING_DAYS,
    CheckinSchedule,
    Message,
    OutboxKind,
    SentItem,
    TaskStatus,
    TaskView,
    TeamView,
)
from handlers import ids
from handlers.blocks.cards import (
    STATUS_WORDS,
    due_phrase,
    due_text,
    fallback_title,
    headline,
    priority_label,
    reminder_buttons,
)
from handlers.blocks.notices import escalation_notice_text, need_task, time_left, unanswered_notice_text
from handlers.blocks.primitives import (
    DAYS,
    FALLBACK_TITLE_CHARS,
    MAX_MESSAGE_BLOCKS,
    NOTE_CHARS,
    Block,
    actions,
    button,
    channel_mention,
    context,
    escape_within,
    fit_message,
    mention,
    one_line,
    plural,
    section,
    task_block_id,
    when,
)

_NEVER = datetime.max.replace(tzinfo=UTC)  # sorts tasks with no deadline last


def _checkin_intro(task: TaskView, now: datetime) -> list[Block]:
    return [
        section(f"🔔 Check-in: how is *{task.ref}* going?\n{headline(task)}"),
        context(f"Due {due_text(task, now)}", f"{priority_label(task.priority)} priority", STATUS_WORDS[task.status]),
    ]


def checkin(task: TaskView, *, now: datetime) -> Message:
    """The check-in DM: On track / Blocked / Done, or an emoji reaction."""
    blocks = [
        *_checkin_intro(task, now),
        _checkin_buttons(task),
        context("A reaction on this message also answers: ✅ done, 👍 on track, 🚧 blocked."),
    ]
    return fit_message(f"Check-in: how is {task.ref} going? {fallback_title(task)}", blocks)


def checkin_answered(task: TaskView, *, answer: str, now: datetime) -> Message:
    """The check-in DM once answered, without buttons; `answer` is escaped."""
    blocks = [*_checkin_intro(task, now), section(f"➡️ {escape_within(answer.strip(), NOTE_CHARS)}")]
    return fit_message(f"{task.ref}: {escape_within(one_line(answer), FALLBACK_TITLE_CHARS)}", blocks)


def _checkin_buttons(task: TaskView) -> Block:
    value = str(task.id)
    return actions(
        task_block_id(ids.ACTION_CHECKIN_ON_TRACK, task),
        button("👍 On track", action_id=ids.ACTION_CHECKIN_ON_TRACK, value=value),
        button("🚧 Blocked", action_id=ids.ACTION_CHECKIN_BLOCKED, value=value),
        button("✅ Done", action_id=ids.ACTION_CHECKIN_DONE, value=value, style="primary"),
        button("⏰ Later", action_id=ids.ACTION_CHECKIN_LATER, value=value),
    )


def moved_on(task: TaskView, *, reader_id: str) -> str | None:
    """What became of a task since a message about it was sent, when its buttons no longer apply."""
    if task.status is TaskStatus.DONE:
        return "✅ Done"
    if task.status is TaskStatus.CANCELLED:
        return "🚫 Cancelled"
    if task.status is TaskStatus.DECLINED:
        return "❌ Declined"
    if reader_id != task.assignee_id and reader_id != task.delegator_id:
        return f"↪️ Handed to {mention(task.assignee_id)}"
    return None


# A message about several tasks: which comes first, and how its header counts them.
_BUNDLE_ORDER = (
    OutboxKind.OVERDUE,
    OutboxKind.WARNING,
    OutboxKind.REMINDER,
    OutboxKind.CHECKIN,
    OutboxKind.ESCALATION,
    OutboxKind.UNANSWERED,
)
_BUNDLE_COUNTS: dict[OutboxKind, tuple[str, str]] = {
    OutboxKind.CHECKIN: ("task to check in on", "tasks to check in on"),
    OutboxKind.WARNING: ("due soon", "due soon"),
    OutboxKind.OVERDUE: ("overdue", "overdue"),
    OutboxKind.REMINDER: ("waiting for your answer", "waiting for your answer"),
    OutboxKind.ESCALATION: ("gone quiet", "gone quiet"),
    OutboxKind.UNANSWERED: ("not accepted yet", "not accepted yet"),
}


def bundle_header(kinds: Sequence[OutboxKind]) -> str:
    """ "3 tasks to check in on, 1 due soon, 1 overdue": what a message about several tasks holds."""
    parts = []
    for kind in _BUNDLE_COUNTS:
        count = sum(1 for k in kinds if k is kind)
        if count:
            one, many = _BUNDLE_COUNTS[kind]
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


def _bundle_line(item: SentItem, *, now: datetime, moved: str | None) -> str:
    """What one row says of its task; a task that moved on is named without a countdown."""
    out, task = item.out, need_task(item.out)
    head = headline(task)
    if out.kind is OutboxKind.CHECKIN:
        return f"🔔 {head}" if moved else f"🔔 {head}\n{due_phrase(task, now)} · {priority_label(task.priority)}"
    if out.kind is OutboxKind.WARNING:
        return f"⏰ {head}" if moved else f"⏰ {head} is due {time_left(task, now)}."
    if out.kind is OutboxKind.OVERDUE:
        if moved:
            return f"⚠️ {head}"
        was = f"due {when(task.due_at)}" if task.due_at is not None else "its deadline passed"
        who = f", assigned to {mention(task.assignee_id)}," if out.recipient_id != task.assignee_id else ""
        return f"⚠️ {head}{who} is overdue: {was}."
    if out.kind is OutboxKind.REMINDER:
        return f"📬 {head} from {mention(task.delegator_id)} waits for you to accept or decline it."
    if out.kind is OutboxKind.ESCALATION:
        return escalation_notice_text(out, task, now=now)
    if out.kind is OutboxKind.UNANSWERED:
        return unanswered_notice_text(out, task, now=now)
    raise ValueError(f"outbox {out.kind.value} messages are not bundled")


def _bundle_task(items: Sequence[SentItem], *, now: datetime) -> list[Block]:
    """One task's row in a message about several: what each of its items says (a check-in and its deadline
    warning together), with the task's own buttons while they apply."""
    task = need_task(items[0].out)
    reader = items[0].out.recipient_id
    moved = moved_on(task, reader_id=reader)
    kinds = {item.out.kind: item for item in items}
    # A check-in or a reminder leads, the notices about the same task follow it.
    lead = kinds.get(OutboxKind.CHECKIN) or kinds.get(OutboxKind.REMINDER) or items[0]
    rest = [item for item in items if item is not lead]
    if lead.out.kind in (OutboxKind.CHECKIN, OutboxKind.REMINDER) and moved is None:
        # Folded into the lead's line: its deadline is already on it ("due …" or "overdue").
        rest = [item for item in rest if item.out.kind not in (OutboxKind.WARNING, OutboxKind.OVERDUE)]
        warned = OutboxKind.WARNING in kinds and lead.out.kind is OutboxKind.CHECKIN
        soon = time_left(task, now).split(" (")[0]  # the due date is on the line already
        text = _bundle_line(lead, now=now, moved=moved) + (f" · ⏰ due {soon}" if warned else "")
    else:
        text = _bundle_line(lead, now=now, moved=moved)
    text = "\n".join([text, *(_bundle_line(item, now=now, moved=moved) for item in rest)])
    buttons: Block | None = None
    if lead.answer is not None:
        text += f"\n➡️ {escape_within(one_line(lead.answer), NOTE_CHARS)}"
    elif moved is not None:
        text += f"\n➡️ {moved}"
    elif lead.out.kind is OutboxKind.CHECKIN and task.status is TaskStatus.ACCEPTED:
        buttons = _checkin_buttons(task)
    elif lead.out.kind is OutboxKind.REMINDER and task.status is TaskStatus.OPEN:
        buttons = reminder_buttons(task)
    return [section(text)] if buttons is None else [section(text), buttons]


def _rank(item: SentItem) -> tuple[int, datetime, int]:
    task = item.out.task
    kind = _BUNDLE_ORDER.index(item.out.kind) if item.out.kind in _BUNDLE_ORDER else len(_BUNDLE_ORDER)
    return (kind, task.due_at if task is not None and task.due_at is not None else _NEVER, task.number if task else 0)


def bundle(items: Sequence[SentItem], *, now: datetime) -> Message:
    """Everything the scheduler has for a person at one pass, in one DM: a short header, then each task on
    its own row with its own buttons; past Slack's 50 blocks, the rest are counted on one line."""
    by_task: dict[int, list[SentItem]] = {}
    for item in sorted(items, key=_rank):
        by_task.setdefault(item.out.task.id if item.out.task is not None else -1, []).append(item)
    rows = list(by_task.values())
    summary = bundle_header([i.out.kind for i in items])
    live_checkins = sum(
        1
        for i in items
        if i.out.kind is OutboxKind.CHECKIN
        and i.answer is None
        and i.out.task is not None
        and i.out.task.status is TaskStatus.ACCEPTED
    )
    footer = context(
        "A 👍 on this message marks every check-in here on track; the other answers go by each task's buttons."
    )
    # Room for the header, the footer and a closing "and N more" line.
    room = MAX_MESSAGE_BLOCKS - 3
    body: list[Block] = []
    shown = 0
    for row in rows:
        blocks = _bundle_task(row, now=now)
        if len(body) + len(blocks) > room:
            break
        body += blocks
        shown += 1
    blocks_out = [section(f"*{summary}*"), *body]
    if shown < len(rows):
        blocks_out.append(section(f"…and {len(rows) - shown} more on your Home tab."))
    if live_checkins > 1:
        blocks_out.append(footer)
    return fit_message(f"Baton: {summary}", blocks_out)


def schedule_text(schedule: CheckinSchedule) -> str:
    """A team's check-in schedule in words: "weekdays at 10:00", "Mon, Thu at 09:30", "off"."""
    if schedule.is_off:
        return "off"
    days = sorted(schedule.days)
    if days == sorted(WORKING_DAYS):
        named = "weekdays"
    elif len(days) == len(DAYS):
        named = "daily"
    else:
        named = ", ".join(DAYS[day] for day in days if 0 <= day < len(DAYS))
    return f"{named} at {schedule.at:%H:%M} in each person's time zone"


def checkin_snoozed(task: TaskView, *, until: datetime, now: datetime) -> Message:
    """The check-in DM after **Later**, without buttons."""
    blocks = [*_checkin_intro(task, now), section(f"⏰ Snoozed until {when(until)}")]
    return fit_message(f"{task.ref}: snoozed", blocks)


def escalation_text(team: TeamView, *, saved: bool = False) -> str:
    """What `/team escalation` says about the team's setting."""
    where = channel_mention(team.channel_id)
    if team.escalation_after <= 0:
        return f"{'✅ ' if saved else ''}{where}: no escalations. `/team escalation 2` turns them on."
    return (
        f"{'✅ ' if saved else ''}{where}: when a task's last {plural(team.escalation_after, 'check-in')} in a row "
        "went unanswered, its team's managers hear of it once (again only after the assignee answers). "
        "`/team escalation off` stops it."
    )

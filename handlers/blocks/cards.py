"""Task cards: a task's line, its detail and list answers, the assignment DM and the replies to `/task`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.model import (
    HistoryEntry,
    Message,
    Priority,
    TaskAction,
    TaskStatus,
    TaskView,
)
from bot.domain.recurrence import Rule, describe
from bot.domain.text import escape
from handlers import ids
from handlers.blocks.primitives import (
    FALLBACK_TITLE_CHARS,
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_TEXT_CHARS,
    MAX_SECTION_CHARS,
    NOTE_CHARS,
    TITLE_CHARS,
    Block,
    actions,
    button,
    channel_mention,
    context,
    duration_text,
    escape_in_chunks,
    escape_within,
    fields,
    fit_message,
    link,
    mention,
    newest_within,
    one_line,
    pack_within,
    plural,
    quote,
    section,
    task_block_id,
    text_chars,
    when,
)

_HISTORY_DETAIL_CHARS = 300
# 2000 typed characters fit whole unless nearly all are `&`, `<` or `>` (which escape to 4-5 each).
_DETAIL_SECTIONS = 2
_LIST_MAX_TASKS = 40


_GLYPHS: dict[Priority, str] = {
    Priority.URGENT: "🔴",
    Priority.HIGH: "🟠",
    Priority.NORMAL: "⚪",
    Priority.LOW: "🔵",
}
STATUS_WORDS: dict[TaskStatus, str] = {
    TaskStatus.OPEN: "not answered yet",
    TaskStatus.ACCEPTED: "accepted",
    TaskStatus.DECLINED: "declined",
    TaskStatus.DONE: "done",
    TaskStatus.CANCELLED: "cancelled",
}
_HISTORY: dict[TaskAction, str] = {
    TaskAction.CREATED: "created the task",
    TaskAction.ACCEPTED: "accepted it",
    TaskAction.DECLINED: "declined it",
    TaskAction.DONE: "marked it done",
    TaskAction.REASSIGNED: "reassigned it",
    TaskAction.DUE_CHANGED: "moved the deadline",
    TaskAction.CANCELLED: "cancelled it",
    TaskAction.CHECKIN_ON_TRACK: "said it is on track",
    TaskAction.CHECKIN_BLOCKED: "said they are blocked",
    TaskAction.CHECKIN_SNOOZED: "asked to be checked on later",
}


def priority_label(priority: Priority) -> str:
    return f"{_GLYPHS[priority]} {priority.value.capitalize()}"


def task_title(task: TaskView, limit: int = TITLE_CHARS) -> str:
    return escape_within(one_line(task.title), limit)


def headline(task: TaskView) -> str:
    return f"{_GLYPHS[task.priority]} *{task.ref}* {task_title(task)}"


def due_text(task: TaskView, now: datetime) -> str:
    if task.due_at is None:
        return "no deadline"
    if task.is_overdue(now):
        return f"{when(task.due_at)} ⚠️ *overdue*"
    return when(task.due_at)


def due_phrase(task: TaskView, now: datetime) -> str:
    if task.due_at is None:
        return "no deadline"
    if task.is_overdue(now):
        return f"⚠️ *overdue* (due {when(task.due_at)})"
    return f"due {when(task.due_at)}"


def finish_timing(task: TaskView, now: datetime) -> str | None:
    """Early (an hour or more before the deadline), on time, or how late; None without a deadline."""
    if task.due_at is None:
        return None
    done = task.done_at or now
    if done > task.due_at:
        return f"{duration_text(done - task.due_at)} late"
    if task.due_at - done >= timedelta(hours=1):
        return f"{duration_text(task.due_at - done)} early"
    return "on time"


def _source(task: TaskView) -> str | None:
    if not task.source_link:
        return None
    return f"From {link(task.source_link, 'the original message')}"


def _details(task: TaskView) -> list[Block]:
    if not task.details.strip():
        return []
    return [section(chunk) for chunk in escape_in_chunks(task.details, MAX_SECTION_CHARS, _DETAIL_SECTIONS)]


def _history_line(entry: HistoryEntry) -> str:
    line = f"• {when(entry.at)} {mention(entry.actor_id)} {_HISTORY.get(entry.action, entry.action.value)}"
    handover = _handover(entry)
    if handover is not None:
        line += f": {mention(handover[0])} → {mention(handover[1])}"
    elif entry.detail.strip():
        line += f": {escape_within(one_line(entry.detail), _HISTORY_DETAIL_CHARS)}"
    return line


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")


def _handover(entry: HistoryEntry) -> tuple[str, str] | None:
    """A reassignment's "<from>><to>" detail (two user ids, recorded by TaskService.reassign), as people."""
    if entry.action is not TaskAction.REASSIGNED:
        return None
    before, _, after = entry.detail.partition(">")
    if _USER_ID.fullmatch(before) and _USER_ID.fullmatch(after):
        return before, after
    return None


def fallback_title(task: TaskView) -> str:
    return task_title(task, FALLBACK_TITLE_CHARS)


def task_line(task: TaskView, *, now: datetime) -> str:
    """One task on one line, for lists and Home: priority, id, title, assignee, due, status."""
    return " · ".join((headline(task), mention(task.assignee_id), due_phrase(task, now), STATUS_WORDS[task.status]))


def help_message(text: str) -> Message:
    """Usage help; `text` is Baton's own trusted mrkdwn."""
    sections = pack_within(
        text.strip().splitlines() or ["…"],
        max_blocks=MAX_MESSAGE_BLOCKS,
        max_chars=MAX_MESSAGE_TEXT_CHARS,
        more=lambda _: "…",
    )
    return fit_message(text, [section(chunk) for chunk in sections])


def task_created(task: TaskView, *, now: datetime) -> Message:
    """The caller's confirmation after `/task @user …` or the New task modal."""
    who = mention(task.assignee_id)
    blocks = [
        section(f"✅ Created {headline(task)}\nDelegated to {who}; they get a DM to accept it."),
        context(f"Due {due_text(task, now)}", f"{priority_label(task.priority)} priority"),
    ]
    if source := _source(task):
        blocks.append(context(source))
    return fit_message(f"Created {task.ref} for {who}: {fallback_title(task)}", blocks)


def recurring_created(task: TaskView, *, rule: Rule, tz: str, now: datetime) -> Message:
    """`/task @user … every …`: the first occurrence, and how the series goes on."""
    created = task_created(task, now=now)
    repeats = (
        f"🔁 Repeats {describe(rule)} ({escape(tz)} time). The next one is created when this one is done "
        f"or due; `/task stop {task.ref}` stops the series."
    )
    return fit_message(f"{created.text} (repeats {describe(rule)})", [*created.blocks, context(repeats)])


def series_stopped(task: TaskView, *, rule: Rule, changed: bool) -> Message:
    """`/task stop`: the series has ended (or already had); the open occurrence is left as it is."""
    if changed:
        text = (
            f"Stopped the series of *{task.ref}* ({describe(rule)}): no more occurrences will be created. "
            f"{task.ref} itself stays as it is; `/task cancel {task.ref}` drops it too."
        )
    else:
        text = f"The series of *{task.ref}* ({describe(rule)}) was already stopped; nothing changed."
    return fit_message(text.replace("*", ""), [section(text)])


def task_detail(task: TaskView, *, now: datetime) -> Message:
    """`/task show`: everything about one task, history newest last."""
    blocks: list[Block] = [section(headline(task)), *_details(task)]
    facts = [
        ("Assignee", mention(task.assignee_id)),
        ("Delegated by", mention(task.delegator_id)),
        ("Due", due_text(task, now)),
        ("Priority", priority_label(task.priority)),
        ("Status", STATUS_WORDS[task.status]),
    ]
    if task.team_channel_id:
        facts.append(("Team", channel_mention(task.team_channel_id)))
    blocks.append(fields(*facts))
    if task.status is TaskStatus.DECLINED and task.decline_reason and task.decline_reason.strip():
        blocks.append(section("Declined because:\n" + quote(task.decline_reason, NOTE_CHARS)))
    if source := _source(task):
        blocks.append(context(source))
    if task.history:
        lines = [_history_line(entry) for entry in task.history]
        heading_chars = 60
        chunks, shown = newest_within(
            lines,
            max_blocks=MAX_MESSAGE_BLOCKS - len(blocks) - 1,
            max_chars=MAX_MESSAGE_TEXT_CHARS - text_chars(blocks) - heading_chars,
        )
        heading = "*History*" if shown == len(lines) else f"*History* (latest {shown} of {len(lines)})"
        blocks.append(section(heading))
        blocks.extend(section(chunk) for chunk in chunks)
    return fit_message(f"{task.ref}: {fallback_title(task)}", blocks)


def task_list(tasks: Sequence[TaskView], *, heading: str, now: datetime, empty: str) -> Message:
    """A `/task list` answer; `heading` and `empty` are Baton's own trusted mrkdwn."""
    if not tasks:
        return fit_message(empty, [section(f"*{heading}*"), section(empty)])
    blocks = [section(f"*{heading}*")]
    room = MAX_MESSAGE_TEXT_CHARS - text_chars(blocks) - 200  # 200: the closing "…and N more"
    for task in tasks[:_LIST_MAX_TASKS]:
        line = section(task_line(task, now=now))
        room -= text_chars(line)
        if room < 0:
            break
        blocks.append(line)
    if len(tasks) > len(blocks) - 1:
        more = len(tasks) - (len(blocks) - 1)
        blocks.append(context(f"…and {more} more. Narrow it with `/task list overdue` or `/task list @person`."))
    return fit_message(f"{heading}: {plural(len(tasks), 'task')}", blocks)


def task_updated(task: TaskView, *, verb: str, now: datetime) -> Message:
    """A change confirmed: `verb` is Baton's own mrkdwn ("is done.", "reassigned to <@U2>.")."""
    return fit_message(
        f"{task.ref} {verb}",
        [section(f"*{task.ref}* {verb}"), context(task_line(task, now=now))],
    )


def _assignment_body(task: TaskView, *, now: datetime, answered: bool) -> list[Block]:
    delegator = mention(task.delegator_id)
    intro = (
        "👋 You filed a task for yourself"
        if task.delegator_id == task.assignee_id
        else f"👋 {delegator} delegated a task to you"
    )
    blocks: list[Block] = [section(f"{intro}\n{headline(task)}"), *_details(task)]
    facts = [("Due", due_text(task, now)), ("Priority", priority_label(task.priority))]
    if answered:
        facts.append(("Assignee", mention(task.assignee_id)))
    if task.team_channel_id:
        facts.append(("Team", channel_mention(task.team_channel_id)))
    blocks.append(fields(*facts))
    if source := _source(task):
        blocks.append(context(source))
    return blocks


def assignment(task: TaskView, *, now: datetime) -> Message:
    """The assignee's DM with Accept / Decline."""
    blocks = [*_assignment_body(task, now=now, answered=False), reminder_buttons(task)]
    return fit_message(f"{mention(task.delegator_id)} delegated {task.ref} to you: {fallback_title(task)}", blocks)


def assignment_answered(task: TaskView, *, answer: str, now: datetime) -> Message:
    """The assignment DM once answered, without buttons; `answer` may hold typed text, so it is escaped."""
    blocks = _assignment_body(task, now=now, answered=True)
    blocks.append(section(f"➡️ {escape_within(answer.strip(), NOTE_CHARS)}"))
    return fit_message(f"{task.ref}: {escape_within(one_line(answer), FALLBACK_TITLE_CHARS)}", blocks)


def status_answer(task: TaskView, *, reader_id: str | None = None) -> str:
    """How an answered assignment DM (or reminder) reads, from the task's current state; for its former
    assignee (`reader_id`), that it was handed on."""
    if reader_id is not None and reader_id != task.assignee_id:
        return f"Handed to {mention(task.assignee_id)}"
    if task.status is TaskStatus.DECLINED:
        return "Declined" + (f": {task.decline_reason}" if task.decline_reason else "")
    return {
        TaskStatus.OPEN: "Waiting for an answer",
        TaskStatus.ACCEPTED: "Accepted",
        TaskStatus.DONE: "Done",
        TaskStatus.CANCELLED: "Cancelled",
    }[task.status]


def reminder_buttons(task: TaskView) -> Block:
    return actions(
        task_block_id(ids.ACTION_ACCEPT, task),
        button("Accept", action_id=ids.ACTION_ACCEPT, value=str(task.id), style="primary"),
        button("Decline", action_id=ids.ACTION_DECLINE, value=str(task.id), style="danger"),
    )

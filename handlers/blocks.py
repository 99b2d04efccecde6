"""Pure Block Kit builders: every message, modal and Home tab Baton shows, within Slack's limits.

No I/O, no Slack client and no clock reads here: callers pass `now`. User text (titles, details,
notes, reasons, kudos) goes through `bot.domain.text.escape` exactly once before it enters mrkdwn or
a message `text` (DESIGN rule 4); plain_text fields show text literally, so they are only clipped.
Limits (DESIGN rule 14) are from https://docs.slack.dev/reference/block-kit/blocks.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.hours import WorkingHours
from bot.domain.insight import PersonReport, Ratio, TeamReport
from bot.domain.model import (
    WORKING_DAYS,
    CheckinSchedule,
    HistoryEntry,
    Message,
    OutboxKind,
    Outgoing,
    Priority,
    SentItem,
    SentMessage,
    TaskAction,
    TaskStatus,
    TaskView,
    TeamOption,
    TeamView,
)
from bot.domain.recurrence import Rule, describe
from bot.domain.skills import PersonSkills
from bot.domain.suggest import Suggestion, load_word
from bot.domain.text import MAX_DETAILS_CHARS, MAX_TITLE_CHARS, clip, escape
from bot.domain.upcoming import Coming
from bot.services.availability import TimeView
from bot.services.preview import PreviewMessage, TeamPreview, messages
from bot.services.teams import TeamCalendar
from handlers import ids

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks and …/composition-objects)
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_CHARS = 3000
MAX_FIELD_CHARS = 2000
MAX_BUTTON_CHARS = 75
MAX_HEADER_CHARS = 150
MAX_MODAL_TITLE_CHARS = 24
MAX_OPTION_CHARS = 75
MAX_CONTEXT_ELEMENTS = 10
MAX_FALLBACK_CHARS = 4000
MAX_LABEL_CHARS = 2000
MAX_PRIVATE_METADATA_CHARS = 3000
MAX_RADIO_OPTIONS = 10
MAX_SELECT_OPTIONS = 100
MAX_REASON_CHARS = 500
# Not in Slack's docs: chat.postMessage answers `msg_blocks_too_long` once the blocks' text adds up
# to about 12,000 characters (reports fail from 11,341: slackapi/bolt-js#2509, #2867), and that
# answer is final, so an outbox row would fail for good. Baton keeps every message under this.
MAX_MESSAGE_TEXT_CHARS = 10000

# How much escaped user text one piece of a message may take. A 200-character title escapes to
# at most 1000 characters (`&` becomes `&amp;`), so these never cut a valid title.
_TITLE_CHARS = 1000
_FALLBACK_TITLE_CHARS = 300
_NOTE_CHARS = 1500
_HISTORY_DETAIL_CHARS = 300
# 2000 typed characters fit whole unless nearly all are `&`, `<` or `>` (which escape to 4-5 each).
_DETAIL_SECTIONS = 2
_LIST_MAX_TASKS = 40
_RECOGNITION_TITLES = 5
_NEVER = datetime.max.replace(tzinfo=UTC)  # sorts tasks with no deadline last

Block = dict[str, Any]
View = dict[str, Any]

_GLYPHS: dict[Priority, str] = {
    Priority.URGENT: "🔴",
    Priority.HIGH: "🟠",
    Priority.NORMAL: "⚪",
    Priority.LOW: "🔵",
}
_STATUS: dict[TaskStatus, str] = {
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
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Slack ids are upper-case letters and digits; anything else is shown as text, never as a mention.
_SLACK_ID = re.compile(r"[A-Z0-9]{1,40}")
# Links Baton makes (message permalinks): http(s) and URL characters only, so no `>` or `|` can end
# the `<url|label>` token early.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{1,2000}")


# --------------------------------------------------------------------------- text pieces


def when(dt: datetime | None) -> str:
    """A moment every reader sees in their own time zone, with a UTC fallback for old clients.

    No moment (a task without a deadline) reads "no deadline".
    """
    if dt is None:
        return "no deadline"
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("when() needs an aware datetime")
    utc = dt.astimezone(UTC)
    fallback = f"{_DAYS[utc.weekday()]} {utc.day} {_MONTHS[utc.month - 1]} {utc.year} {utc:%H:%M} UTC"
    epoch = math.floor(utc.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _user(user_id: str) -> str:
    return f"<@{user_id}>" if _SLACK_ID.fullmatch(user_id) else escape(user_id)


def _channel(channel_id: str) -> str:
    return f"<#{channel_id}>" if _SLACK_ID.fullmatch(channel_id) else escape(channel_id)


def _link(url: str, label: str) -> str:
    if _SAFE_URL.fullmatch(url):
        return f"<{url}|{escape(label)}>"
    return escape(clip(url, 300))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _escaped(text: str, limit: int) -> str:
    """Escape user text, cutting it (before escaping) so the escaped form fits in `limit`."""
    full = escape(text)
    if len(full) <= limit:
        return full
    size = 0
    cut = 0
    for index, char in enumerate(text):
        size += len(escape(char))
        if size > limit - 1:
            break
        cut = index + 1
    return escape(text[:cut]).rstrip() + "…"


def _escaped_chunks(text: str, limit: int, max_chunks: int) -> list[str]:
    """Escape long user text into pieces of at most `limit` characters, split at whitespace."""
    chunks: list[str] = []
    rest = text.strip()
    while rest and len(chunks) < max_chunks - 1 and len(escape(rest)) > limit:
        size = 0
        cut = 0
        for index, char in enumerate(rest):
            size += len(escape(char))
            if size > limit:
                break
            cut = index + 1
        space = max(rest.rfind("\n", 0, cut), rest.rfind(" ", 0, cut))
        if space > cut // 2:
            cut = space
        chunks.append(escape(rest[:cut].rstrip()))
        rest = rest[cut:].strip()
    if rest:
        chunks.append(_escaped(rest, limit))
    return [chunk for chunk in chunks if chunk.strip()]


def _quote(text: str, limit: int) -> str:
    """User text as a mrkdwn block quote, escaped, at most `limit` characters."""
    lines: list[str] = []
    size = 0
    for raw in text.strip().splitlines():
        if not raw.strip():
            continue
        escaped = escape(raw)
        if size + len(escaped) + 3 > limit:
            room = limit - size - 3
            if room > 1:
                lines.append("> " + _escaped(raw, room))
            break
        lines.append("> " + escaped)
        size += len(escaped) + 3
    return "\n".join(lines)


def _fit(text: str, limit: int) -> str:
    """Last-resort clip for composed mrkdwn: never cut inside a `<…>` token or an `&…;` entity."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    open_at = head.rfind("<")
    if open_at > head.rfind(">"):
        head = head[:open_at]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head.rstrip() + "…"


def _pack(lines: Sequence[str], limit: int = MAX_SECTION_CHARS) -> list[str]:
    """Join lines into as few texts of at most `limit` characters as possible."""
    chunks: list[str] = []
    current = ""
    for raw in lines:
        line = _fit(raw, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def _pack_within(lines: Sequence[str], *, max_blocks: int, max_chars: int, more: Callable[[int], str]) -> list[str]:
    """Pack the first lines into at most `max_blocks` texts and `max_chars` characters in all;
    what does not fit becomes one closing `more(n)` line."""

    def packed(shown: int) -> list[str]:
        omitted = len(lines) - shown
        return _pack([*lines[:shown], *([more(omitted)] if omitted else [])])

    def fits(chunks: list[str]) -> bool:
        return len(chunks) <= max_blocks and sum(map(len, chunks)) <= max_chars

    low, high = 0, len(lines)  # more lines never take fewer blocks or characters
    while low < high:
        middle = (low + high + 1) // 2
        if fits(packed(middle)):
            low = middle
        else:
            high = middle - 1
    return packed(low)


def _newest_within(lines: Sequence[str], *, max_blocks: int, max_chars: int) -> tuple[list[str], int]:
    """Pack the last (newest) lines that fit in `max_blocks` texts and `max_chars` characters."""
    low, high = 0, len(lines)
    while low < high:
        middle = (low + high + 1) // 2
        chunks = _pack(lines[len(lines) - middle :])
        if len(chunks) <= max_blocks and sum(map(len, chunks)) <= max_chars:
            low = middle
        else:
            high = middle - 1
    return _pack(lines[len(lines) - low :]) if low else [], low


# --------------------------------------------------------------------------- blocks


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def _mrkdwn(text: str, limit: int = MAX_SECTION_CHARS) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _fit(text, limit)}


def _section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": _mrkdwn(text)}
    if block_id is not None:
        block["block_id"] = block_id
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _fields(*pairs: tuple[str, str]) -> Block:
    return {
        "type": "section",
        "fields": [_mrkdwn(f"*{name}*\n{value}", MAX_FIELD_CHARS) for name, value in pairs[:10]],
    }


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(text) for text in texts[:MAX_CONTEXT_ELEMENTS]]}


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(text, MAX_HEADER_CHARS)}


def _divider() -> Block:
    return {"type": "divider"}


def _button(text: str, *, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(text, MAX_BUTTON_CHARS),
        "value": value,
    }
    if style is not None:
        button["style"] = style
    return button


def _actions(block_id: str | None, *buttons: Block) -> Block:
    block: Block = {"type": "actions", "elements": list(buttons)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def _task_block_id(action_id: str, task: TaskView) -> str:
    """A block id unique per task, named after the block's first action (ids.py holds the base)."""
    return f"{action_id}-{task.id}"


def _text_chars(node: Any) -> int:
    """How many characters of text a block holds, as Slack adds them up."""
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(_text_chars(value) for key, value in node.items() if key != "text" or own == 0)
    if isinstance(node, list):
        return sum(_text_chars(value) for value in node)
    return 0


def _message(text: str, blocks: Sequence[Block]) -> Message:
    """A message within Slack's limits; the builders aim inside them, this is the safety net.

    Blocks that would break the block count or the text budget are left out (buttons never are),
    and a closing line says so.
    """
    note = _context("…part of this message was left out to fit Slack.")
    room = MAX_MESSAGE_TEXT_CHARS - _text_chars(note)
    kept: list[Block] = []
    left_out = False
    for index, block in enumerate(blocks):
        size = _text_chars(block)
        later_actions = sum(1 for b in blocks[index + 1 :] if b.get("type") == "actions")
        fits = size <= room and len(kept) + later_actions < MAX_MESSAGE_BLOCKS - 1
        if block.get("type") == "actions" or fits:
            kept.append(block)
            room -= size
        else:
            left_out = True
    if left_out:
        kept.append(note)
    return Message(text=_fit(text, MAX_FALLBACK_CHARS), blocks=tuple(kept))


# --------------------------------------------------------------------------- task pieces


def _priority(priority: Priority) -> str:
    return f"{_GLYPHS[priority]} {priority.value.capitalize()}"


def _title(task: TaskView, limit: int = _TITLE_CHARS) -> str:
    return _escaped(_one_line(task.title), limit)


def _headline(task: TaskView) -> str:
    return f"{_GLYPHS[task.priority]} *{task.ref}* {_title(task)}"


def _due(task: TaskView, now: datetime) -> str:
    if task.due_at is None:
        return "no deadline"
    if task.is_overdue(now):
        return f"{when(task.due_at)} ⚠️ *overdue*"
    return when(task.due_at)


def _due_phrase(task: TaskView, now: datetime) -> str:
    if task.due_at is None:
        return "no deadline"
    if task.is_overdue(now):
        return f"⚠️ *overdue* (due {when(task.due_at)})"
    return f"due {when(task.due_at)}"


def _span(delta: timedelta) -> str:
    """A duration said plainly: `25 minutes`, `3 hours`, `2 days`."""
    minutes = delta.total_seconds() / 60
    if minutes < 60:
        return _plural(max(1, math.floor(minutes)), "minute")
    hours = minutes / 60
    if hours < 23.5:
        return _plural(max(1, round(hours)), "hour")
    return _plural(max(1, round(hours / 24)), "day")


def _timing(task: TaskView, now: datetime) -> str | None:
    """Early (an hour or more before the deadline), on time, or how late; None without a deadline."""
    if task.due_at is None:
        return None
    done = task.done_at or now
    if done > task.due_at:
        return f"{_span(done - task.due_at)} late"
    if task.due_at - done >= timedelta(hours=1):
        return f"{_span(task.due_at - done)} early"
    return "on time"


def _source(task: TaskView) -> str | None:
    if not task.source_link:
        return None
    return f"From {_link(task.source_link, 'the original message')}"


def _details(task: TaskView) -> list[Block]:
    if not task.details.strip():
        return []
    return [_section(chunk) for chunk in _escaped_chunks(task.details, MAX_SECTION_CHARS, _DETAIL_SECTIONS)]


def _history_line(entry: HistoryEntry) -> str:
    line = f"• {when(entry.at)} {_user(entry.actor_id)} {_HISTORY.get(entry.action, entry.action.value)}"
    handover = _handover(entry)
    if handover is not None:
        line += f": {_user(handover[0])} → {_user(handover[1])}"
    elif entry.detail.strip():
        line += f": {_escaped(_one_line(entry.detail), _HISTORY_DETAIL_CHARS)}"
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


def _fallback_title(task: TaskView) -> str:
    return _title(task, _FALLBACK_TITLE_CHARS)


def task_line(task: TaskView, *, now: datetime) -> str:
    """One task on one line, for lists and Home: priority, id, title, assignee, due, status."""
    return " · ".join((_headline(task), _user(task.assignee_id), _due_phrase(task, now), _STATUS[task.status]))


# --------------------------------------------------------------------------- messages


def help_message(text: str) -> Message:
    """Usage help; `text` is Baton's own trusted mrkdwn."""
    sections = _pack_within(
        text.strip().splitlines() or ["…"],
        max_blocks=MAX_MESSAGE_BLOCKS,
        max_chars=MAX_MESSAGE_TEXT_CHARS,
        more=lambda _: "…",
    )
    return _message(text, [_section(chunk) for chunk in sections])


def task_created(task: TaskView, *, now: datetime) -> Message:
    """The caller's confirmation after `/task @user …` or the New task modal."""
    who = _user(task.assignee_id)
    blocks = [
        _section(f"✅ Created {_headline(task)}\nDelegated to {who}; they get a DM to accept it."),
        _context(f"Due {_due(task, now)}", f"{_priority(task.priority)} priority"),
    ]
    if source := _source(task):
        blocks.append(_context(source))
    return _message(f"Created {task.ref} for {who}: {_fallback_title(task)}", blocks)


def recurring_created(task: TaskView, *, rule: Rule, tz: str, now: datetime) -> Message:
    """`/task @user … every …`: the first occurrence, and how the series goes on."""
    created = task_created(task, now=now)
    repeats = (
        f"🔁 Repeats {describe(rule)} ({escape(tz)} time). The next one is created when this one is done "
        f"or due; `/task stop {task.ref}` stops the series."
    )
    return _message(f"{created.text} (repeats {describe(rule)})", [*created.blocks, _context(repeats)])


def series_stopped(task: TaskView, *, rule: Rule, changed: bool) -> Message:
    """`/task stop`: the series has ended (or already had); the open occurrence is left as it is."""
    if changed:
        text = (
            f"Stopped the series of *{task.ref}* ({describe(rule)}): no more occurrences will be created. "
            f"{task.ref} itself stays as it is; `/task cancel {task.ref}` drops it too."
        )
    else:
        text = f"The series of *{task.ref}* ({describe(rule)}) was already stopped; nothing changed."
    return _message(text.replace("*", ""), [_section(text)])


def task_detail(task: TaskView, *, now: datetime) -> Message:
    """`/task show`: everything about one task, history newest last."""
    blocks: list[Block] = [_section(_headline(task)), *_details(task)]
    facts = [
        ("Assignee", _user(task.assignee_id)),
        ("Delegated by", _user(task.delegator_id)),
        ("Due", _due(task, now)),
        ("Priority", _priority(task.priority)),
        ("Status", _STATUS[task.status]),
    ]
    if task.team_channel_id:
        facts.append(("Team", _channel(task.team_channel_id)))
    blocks.append(_fields(*facts))
    if task.status is TaskStatus.DECLINED and task.decline_reason and task.decline_reason.strip():
        blocks.append(_section("Declined because:\n" + _quote(task.decline_reason, _NOTE_CHARS)))
    if source := _source(task):
        blocks.append(_context(source))
    if task.history:
        lines = [_history_line(entry) for entry in task.history]
        heading_chars = 60
        chunks, shown = _newest_within(
            lines,
            max_blocks=MAX_MESSAGE_BLOCKS - len(blocks) - 1,
            max_chars=MAX_MESSAGE_TEXT_CHARS - _text_chars(blocks) - heading_chars,
        )
        heading = "*History*" if shown == len(lines) else f"*History* (latest {shown} of {len(lines)})"
        blocks.append(_section(heading))
        blocks.extend(_section(chunk) for chunk in chunks)
    return _message(f"{task.ref}: {_fallback_title(task)}", blocks)


def task_list(tasks: Sequence[TaskView], *, heading: str, now: datetime, empty: str) -> Message:
    """A `/task list` answer; `heading` and `empty` are Baton's own trusted mrkdwn."""
    if not tasks:
        return _message(empty, [_section(f"*{heading}*"), _section(empty)])
    blocks = [_section(f"*{heading}*")]
    room = MAX_MESSAGE_TEXT_CHARS - _text_chars(blocks) - 200  # 200: the closing "…and N more"
    for task in tasks[:_LIST_MAX_TASKS]:
        line = _section(task_line(task, now=now))
        room -= _text_chars(line)
        if room < 0:
            break
        blocks.append(line)
    if len(tasks) > len(blocks) - 1:
        more = len(tasks) - (len(blocks) - 1)
        blocks.append(_context(f"…and {more} more. Narrow it with `/task list overdue` or `/task list @person`."))
    return _message(f"{heading}: {_plural(len(tasks), 'task')}", blocks)


def task_updated(task: TaskView, *, verb: str, now: datetime) -> Message:
    """A change confirmed: `verb` is Baton's own mrkdwn ("is done.", "reassigned to <@U2>.")."""
    return _message(
        f"{task.ref} {verb}",
        [_section(f"*{task.ref}* {verb}"), _context(task_line(task, now=now))],
    )


def _assignment_body(task: TaskView, *, now: datetime, answered: bool) -> list[Block]:
    delegator = _user(task.delegator_id)
    intro = (
        "👋 You filed a task for yourself"
        if task.delegator_id == task.assignee_id
        else f"👋 {delegator} delegated a task to you"
    )
    blocks: list[Block] = [_section(f"{intro}\n{_headline(task)}"), *_details(task)]
    facts = [("Due", _due(task, now)), ("Priority", _priority(task.priority))]
    if answered:
        facts.append(("Assignee", _user(task.assignee_id)))
    if task.team_channel_id:
        facts.append(("Team", _channel(task.team_channel_id)))
    blocks.append(_fields(*facts))
    if source := _source(task):
        blocks.append(_context(source))
    return blocks


def assignment(task: TaskView, *, now: datetime) -> Message:
    """The assignee's DM with Accept / Decline."""
    blocks = [*_assignment_body(task, now=now, answered=False), _reminder_buttons(task)]
    return _message(f"{_user(task.delegator_id)} delegated {task.ref} to you: {_fallback_title(task)}", blocks)


def assignment_answered(task: TaskView, *, answer: str, now: datetime) -> Message:
    """The assignment DM once answered, without buttons; `answer` may hold typed text, so it is escaped."""
    blocks = _assignment_body(task, now=now, answered=True)
    blocks.append(_section(f"➡️ {_escaped(answer.strip(), _NOTE_CHARS)}"))
    return _message(f"{task.ref}: {_escaped(_one_line(answer), _FALLBACK_TITLE_CHARS)}", blocks)


def _checkin_intro(task: TaskView, now: datetime) -> list[Block]:
    return [
        _section(f"🔔 Check-in: how is *{task.ref}* going?\n{_headline(task)}"),
        _context(f"Due {_due(task, now)}", f"{_priority(task.priority)} priority", _STATUS[task.status]),
    ]


def checkin(task: TaskView, *, now: datetime) -> Message:
    """The check-in DM: On track / Blocked / Done, or an emoji reaction."""
    blocks = [
        *_checkin_intro(task, now),
        _checkin_buttons(task),
        _context("A reaction on this message also answers: ✅ done, 👍 on track, 🚧 blocked."),
    ]
    return _message(f"Check-in: how is {task.ref} going? {_fallback_title(task)}", blocks)


def checkin_answered(task: TaskView, *, answer: str, now: datetime) -> Message:
    """The check-in DM once answered, without buttons; `answer` is escaped."""
    blocks = [*_checkin_intro(task, now), _section(f"➡️ {_escaped(answer.strip(), _NOTE_CHARS)}")]
    return _message(f"{task.ref}: {_escaped(_one_line(answer), _FALLBACK_TITLE_CHARS)}", blocks)


def status_answer(task: TaskView, *, reader_id: str | None = None) -> str:
    """How an answered assignment DM (or reminder) reads, from the task's current state; for its former
    assignee (`reader_id`), that it was handed on."""
    if reader_id is not None and reader_id != task.assignee_id:
        return f"Handed to {_user(task.assignee_id)}"
    if task.status is TaskStatus.DECLINED:
        return "Declined" + (f": {task.decline_reason}" if task.decline_reason else "")
    return {
        TaskStatus.OPEN: "Waiting for an answer",
        TaskStatus.ACCEPTED: "Accepted",
        TaskStatus.DONE: "Done",
        TaskStatus.CANCELLED: "Cancelled",
    }[task.status]


def _reminder_buttons(task: TaskView) -> Block:
    return _actions(
        _task_block_id(ids.ACTION_ACCEPT, task),
        _button("Accept", action_id=ids.ACTION_ACCEPT, value=str(task.id), style="primary"),
        _button("Decline", action_id=ids.ACTION_DECLINE, value=str(task.id), style="danger"),
    )


def _checkin_buttons(task: TaskView) -> Block:
    value = str(task.id)
    return _actions(
        _task_block_id(ids.ACTION_CHECKIN_ON_TRACK, task),
        _button("👍 On track", action_id=ids.ACTION_CHECKIN_ON_TRACK, value=value),
        _button("🚧 Blocked", action_id=ids.ACTION_CHECKIN_BLOCKED, value=value),
        _button("✅ Done", action_id=ids.ACTION_CHECKIN_DONE, value=value, style="primary"),
        _button("⏰ Later", action_id=ids.ACTION_CHECKIN_LATER, value=value),
    )


def _moved_on(task: TaskView, *, reader_id: str) -> str | None:
    """What became of a task since a message about it was sent, when its buttons no longer apply."""
    if task.status is TaskStatus.DONE:
        return "✅ Done"
    if task.status is TaskStatus.CANCELLED:
        return "🚫 Cancelled"
    if task.status is TaskStatus.DECLINED:
        return "❌ Declined"
    if reader_id != task.assignee_id and reader_id != task.delegator_id:
        return f"↪️ Handed to {_user(task.assignee_id)}"
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
    out, task = item.out, _need_task(item.out)
    head = _headline(task)
    if out.kind is OutboxKind.CHECKIN:
        return f"🔔 {head}" if moved else f"🔔 {head}\n{_due_phrase(task, now)} · {_priority(task.priority)}"
    if out.kind is OutboxKind.WARNING:
        return f"⏰ {head}" if moved else f"⏰ {head} is due {_left(task, now)}."
    if out.kind is OutboxKind.OVERDUE:
        if moved:
            return f"⚠️ {head}"
        was = f"due {when(task.due_at)}" if task.due_at is not None else "its deadline passed"
        who = f", assigned to {_user(task.assignee_id)}," if out.recipient_id != task.assignee_id else ""
        return f"⚠️ {head}{who} is overdue: {was}."
    if out.kind is OutboxKind.REMINDER:
        return f"📬 {head} from {_user(task.delegator_id)} waits for you to accept or decline it."
    if out.kind is OutboxKind.ESCALATION:
        return _escalation_text(out, task, now=now)
    if out.kind is OutboxKind.UNANSWERED:
        return _unanswered_text(out, task, now=now)
    raise ValueError(f"outbox {out.kind.value} messages are not bundled")


def _bundle_task(items: Sequence[SentItem], *, now: datetime) -> list[Block]:
    """One task's row in a message about several: what each of its items says (a check-in and its deadline
    warning together), with the task's own buttons while they apply."""
    task = _need_task(items[0].out)
    reader = items[0].out.recipient_id
    moved = _moved_on(task, reader_id=reader)
    kinds = {item.out.kind: item for item in items}
    # A check-in or a reminder leads, the notices about the same task follow it.
    lead = kinds.get(OutboxKind.CHECKIN) or kinds.get(OutboxKind.REMINDER) or items[0]
    rest = [item for item in items if item is not lead]
    if lead.out.kind in (OutboxKind.CHECKIN, OutboxKind.REMINDER) and moved is None:
        # Folded into the lead's line: its deadline is already on it ("due …" or "overdue").
        rest = [item for item in rest if item.out.kind not in (OutboxKind.WARNING, OutboxKind.OVERDUE)]
        warned = OutboxKind.WARNING in kinds and lead.out.kind is OutboxKind.CHECKIN
        soon = _left(task, now).split(" (")[0]  # the due date is on the line already
        text = _bundle_line(lead, now=now, moved=moved) + (f" · ⏰ due {soon}" if warned else "")
    else:
        text = _bundle_line(lead, now=now, moved=moved)
    text = "\n".join([text, *(_bundle_line(item, now=now, moved=moved) for item in rest)])
    buttons: Block | None = None
    if lead.answer is not None:
        text += f"\n➡️ {_escaped(_one_line(lead.answer), _NOTE_CHARS)}"
    elif moved is not None:
        text += f"\n➡️ {moved}"
    elif lead.out.kind is OutboxKind.CHECKIN and task.status is TaskStatus.ACCEPTED:
        buttons = _checkin_buttons(task)
    elif lead.out.kind is OutboxKind.REMINDER and task.status is TaskStatus.OPEN:
        buttons = _reminder_buttons(task)
    return [_section(text)] if buttons is None else [_section(text), buttons]


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
    footer = _context(
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
    blocks_out = [_section(f"*{summary}*"), *body]
    if shown < len(rows):
        blocks_out.append(_section(f"…and {len(rows) - shown} more on your Home tab."))
    if live_checkins > 1:
        blocks_out.append(footer)
    return _message(f"Baton: {summary}", blocks_out)


def _left(task: TaskView, now: datetime) -> str:
    """ "in 3 hours (Fri 5 Dec 17:00)": said from `now`, as a warning moved earlier may be further ahead."""
    left = (task.due_at - now) if task.due_at is not None else timedelta(0)
    hours = round(left.total_seconds() / 3600)
    minutes = max(1, round(left.total_seconds() / 60))
    soon = f"in {_plural(hours, 'hour')}" if minutes >= 60 else f"in {_plural(minutes, 'minute')}"
    return soon + (f" ({when(task.due_at)})" if task.due_at is not None else "")


def _escalation_text(out: Outgoing, task: TaskView, *, now: datetime) -> str:
    since = _payload_time(out.payload, "silent_since")
    count = max(_payload_int(out.payload, "unanswered"), 1)
    quiet = f", nothing heard for {_span(now - since)}" if since is not None and since < now else ""
    return (
        f"🔕 {_user(task.assignee_id)} left the last {_plural(count, 'check-in')} on {_headline(task)} "
        f"unanswered{quiet}."
    )


def _unanswered_text(out: Outgoing, task: TaskView, *, now: datetime) -> str:
    since = _payload_time(out.payload, "since")
    handed = f" since {when(since)}" if since is not None else ""
    return f"⏳ {_user(task.assignee_id)} has not accepted or declined {_headline(task)}{handed}."


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
    moved = _moved_on(task, reader_id=out.recipient_id)
    if out.kind is OutboxKind.REMINDER:
        if task.status is TaskStatus.OPEN and moved is None and item.answer is None:
            return render_outbox(out, now=now)
        return assignment_answered(task, answer=status_answer(task, reader_id=out.recipient_id), now=now)
    if item.answer is not None:
        return checkin_answered(task, answer=item.answer, now=now)
    if moved is not None or task.status is not TaskStatus.ACCEPTED:
        return checkin_answered(task, answer=moved or status_answer(task), now=now)
    return checkin(task, now=now)


# --------------------------------------------------------------------------- outbox


def _payload_str(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    return "" if value is None else str(value)


def _payload_int(payload: Mapping[str, Any], key: str) -> int:
    value = payload.get(key)
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def _payload_list(payload: Mapping[str, Any], key: str) -> list[Any]:
    value = payload.get(key)
    return list(value) if isinstance(value, list | tuple) else []


def _payload_time(payload: Mapping[str, Any], key: str) -> datetime | None:
    value = payload.get(key)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value:
        moment = datetime.fromisoformat(value)
    else:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _need_task(out: Outgoing) -> TaskView:
    if out.task is None:
        raise ValueError(f"outbox {out.kind.value} message needs its task")
    return out.task


def _task_notice(task: TaskView, now: datetime, text: str, fallback: str, *extra: Block) -> Message:
    return _message(fallback, [_section(text), *extra, _context(task_line(task, now=now))])


def _reason_blocks(reason: str, *, none: str | None = None) -> list[Block]:
    if reason.strip():
        return [_section(_quote(reason, _NOTE_CHARS))]
    return [_section(none)] if none else []


def _render_assignment(out: Outgoing, now: datetime) -> Message:
    return assignment(_need_task(out), now=now)


def _render_checkin(out: Outgoing, now: datetime) -> Message:
    return checkin(_need_task(out), now=now)


def _render_accepted(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    actor = _user(_payload_str(out.payload, "actor_id") or task.assignee_id)
    text = f"✅ {actor} accepted *{task.ref}* {_title(task)}"
    return _task_notice(task, now, text, f"✅ {actor} accepted {task.ref} {_fallback_title(task)}")


def _render_declined(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    actor = _user(_payload_str(out.payload, "actor_id") or task.assignee_id)
    text = f"❌ {actor} declined *{task.ref}* {_title(task)}"
    return _task_notice(
        task,
        now,
        text,
        f"❌ {actor} declined {task.ref} {_fallback_title(task)}",
        *_reason_blocks(_payload_str(out.payload, "reason"), none="_No reason given._"),
        _context(
            f"Hand it to someone else with `/task reassign {task.ref} @person`, "
            f"or drop it with `/task cancel {task.ref}`."
        ),
    )


def _render_unassigned(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    new = _user(_payload_str(out.payload, "new_assignee_id") or task.assignee_id)
    actor_id = _payload_str(out.payload, "actor_id")
    by = f" by {_user(actor_id)}" if actor_id else ""
    text = f"↪️ *{task.ref}* {_title(task)} was handed to {new}{by}. It is off your list."
    return _message(
        f"↪️ {task.ref} was handed to {new}: {_fallback_title(task)}",
        [_section(text)],
    )


def _render_due_changed(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    old_due = _payload_time(out.payload, "old_due")
    old = when(old_due) if old_due is not None else "no deadline"
    new = when(task.due_at) if task.due_at is not None else "no deadline"
    actor_id = _payload_str(out.payload, "actor_id")
    who = f"{_user(actor_id)} moved" if actor_id else "Moved"
    text = f"📅 {who} the deadline of *{task.ref}* {_title(task)}: {old} → {new}"
    return _task_notice(task, now, text, f"📅 {task.ref} is now due {new} (was {old})")


def _render_cancelled(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    actor_id = _payload_str(out.payload, "actor_id")
    by = f" by {_user(actor_id)}" if actor_id else ""
    text = f"🚫 *{task.ref}* {_title(task)} was cancelled{by}. Nothing more to do on it."
    return _message(
        f"🚫 {task.ref} was cancelled{by}: {_fallback_title(task)}",
        [_section(text), *_reason_blocks(_payload_str(out.payload, "reason"))],
    )


def _render_celebration(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    who = _user(task.assignee_id)
    timing = _timing(task, now)
    said = f" {timing}" if timing else ""
    text = f"🎉 {who} finished *{task.ref}* {_title(task)}" + (f" — *{timing}*" if timing else "")
    return _message(
        f"🎉 {who} finished {task.ref} {_fallback_title(task)}{said}",
        [_section(text), *_reason_blocks(_payload_str(out.payload, "note"))],
    )


def _render_kudos(out: Outgoing, now: datetime) -> Message:
    giver = _user(_payload_str(out.payload, "giver_id"))
    recipients = ", ".join(_user(str(rid)) for rid in _payload_list(out.payload, "recipient_ids"))
    message = _payload_str(out.payload, "message")
    head = f"👏 {giver} → {recipients}"
    text = f"{head}: {_escaped(message.strip(), MAX_SECTION_CHARS - len(head) - 2)}"
    return _message(
        f"{head}: {_escaped(_one_line(message), _FALLBACK_TITLE_CHARS)}",
        [_section(text)],
    )


def _render_warning(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    left = _left(task, now)
    text = f"⏰ *{task.ref}* {_title(task)} is due {left}."
    return _task_notice(
        task,
        now,
        text,
        f"⏰ {task.ref} is due {left.split(' (')[0]}: {_fallback_title(task)}",
        _context(f"Finished? `/task done {task.ref}`"),
    )


def _render_overdue(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    was = f"it was due {when(task.due_at)}" if task.due_at is not None else "its deadline passed"
    if _payload_str(out.payload, "audience") == "delegator":
        text = f"⚠️ *{task.ref}* {_title(task)}, assigned to {_user(task.assignee_id)}, is overdue: {was}."
        hint = f"`/task due {task.ref} fri 5pm` moves the deadline; `/task show {task.ref}` shows its history."
    else:
        text = f"⚠️ *{task.ref}* {_title(task)} is overdue: {was}."
        hint = (
            f"Finished? `/task done {task.ref}`. Need more time? Ask {_user(task.delegator_id)} to move the deadline."
        )
    return _task_notice(task, now, text, f"⚠️ {task.ref} is overdue: {_fallback_title(task)}", _context(hint))


def _render_blocked(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    who = _user(task.assignee_id)
    text = f"🚧 {who} is blocked on *{task.ref}* {_title(task)}"
    return _task_notice(
        task,
        now,
        text,
        f"🚧 {who} is blocked on {task.ref} {_fallback_title(task)}",
        *_reason_blocks(_payload_str(out.payload, "reason")),
    )


def _render_away_flag(out: Outgoing, now: datetime) -> Message:
    """To the delegator, once per task and absence: the deadline falls while the assignee is away."""
    task = _need_task(out)
    who = _user(_payload_str(out.payload, "user_id") or task.assignee_id)
    back = _payload_time(out.payload, "ends_at")
    until = f" until {last_day(back)}" if back is not None else ""
    text = f"🏖️ {who} is away{until}, and *{task.ref}* {_title(task)} is due {_due(task, now)}, while they are out."
    hint = f"`/task due {task.ref} …` moves the deadline; `/task reassign {task.ref} @person` hands it on."
    return _task_notice(task, now, text, f"{who} is away{until}; {task.ref} is due meanwhile", _context(hint))


def _finished_line(entry: Mapping[str, Any]) -> str:
    count = _payload_int(entry, "count")
    on_time = _payload_int(entry, "on_time")
    titles = [str(title) for title in _payload_list(entry, "titles")]
    shown = ", ".join(_escaped(_one_line(title), 150) for title in titles[:_RECOGNITION_TITLES])
    if len(titles) > _RECOGNITION_TITLES:
        shown += f" and {len(titles) - _RECOGNITION_TITLES} more"
    line = f"• {_user(_payload_str(entry, 'user_id'))} finished {_plural(count, 'task')}, {on_time} on time"
    return f"{line}: {shown}" if shown else line


def _render_reminder(out: Outgoing, now: datetime) -> Message:
    """To the assignee of a task not accepted yet, once: the task again, with Accept / Decline."""
    task = _need_task(out)
    intro = f"📬 {_user(task.delegator_id)} is waiting for your answer on this task"
    blocks = [
        _section(f"{intro}\n{_headline(task)}"),
        _fields(("Due", _due(task, now)), ("Priority", _priority(task.priority))),
        _reminder_buttons(task),
    ]
    return _message(f"Waiting for your answer: {task.ref} {_fallback_title(task)}", blocks)


def _render_unanswered(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    hint = f"`/task reassign {task.ref} @person` hands it to someone else; `/task cancel {task.ref}` drops it."
    text = _unanswered_text(out, task, now=now)
    return _task_notice(task, now, text, f"⏳ {task.ref} is not accepted yet", _context(hint))


def _render_escalation(out: Outgoing, now: datetime) -> Message:
    task = _need_task(out)
    hint = f"`/task show {task.ref}` shows its history; `/task reassign {task.ref} @person` hands it on."
    text = _escalation_text(out, task, now=now)
    return _task_notice(task, now, text, f"🔕 {task.ref} has gone quiet", _context(hint))


def _render_recognition(out: Outgoing, now: datetime) -> Message:
    payload = out.payload
    since = _payload_time(payload, "since")
    channel_id = _payload_str(payload, "team_channel_id")
    finished = [e for e in _payload_list(payload, "finished") if isinstance(e, Mapping)]
    streaks = [e for e in _payload_list(payload, "streaks") if isinstance(e, Mapping)]
    kudos = [e for e in _payload_list(payload, "kudos") if isinstance(e, Mapping)]
    total = sum(_payload_int(entry, "count") for entry in finished)

    where = f" in {_channel(channel_id)}" if channel_id else ""
    period = f" since {when(since)}" if since is not None else " this week"
    blocks: list[Block] = [
        _header("🏆 Weekly recognition"),
        _section(f"What the team got done{period}{where}:"),
    ]

    def people_more(count: int) -> str:
        return f"…and {count} more {'person' if count == 1 else 'people'}"

    if finished:
        lines = ["*Finished*", *(_finished_line(entry) for entry in finished)]
        chunks = _pack_within(lines, max_blocks=30, max_chars=6000, more=people_more)
        blocks.extend(_section(c) for c in chunks)
    else:
        blocks.append(_section("No tasks were finished this week. On to the next one!"))
    if streaks:
        lines = ["*On-time streaks*"] + [
            f"🔥 {_user(_payload_str(e, 'user_id'))}: {_plural(_payload_int(e, 'streak'), 'task')} in a row on time"
            for e in streaks
        ]
        blocks.extend(_section(c) for c in _pack_within(lines, max_blocks=6, max_chars=1200, more=people_more))
    if kudos:
        lines = ["*Kudos*"] + [
            f"👏 {_user(_payload_str(e, 'user_id'))} got {_payload_int(e, 'count')} kudos" for e in kudos
        ]
        blocks.extend(_section(c) for c in _pack_within(lines, max_blocks=6, max_chars=1200, more=people_more))
    people = f"{len(finished)} {'person' if len(finished) == 1 else 'people'}"
    return _message(f"🏆 Weekly recognition: {_plural(total, 'task')} finished by {people}", blocks)


def _payload_float(payload: Mapping[str, Any], key: str) -> float:
    value = payload.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def _render_digest(out: Outgoing, now: datetime) -> Message:
    """The weekly manager digest: five short sections, each summarised beyond a few lines."""
    payload = out.payload

    def tasks(key: str, heading: str) -> list[str]:
        entries = [e for e in _payload_list(payload, key) if isinstance(e, Mapping)]
        lines = [heading]
        for e in entries:
            due = _payload_time(e, "due")
            reason = _payload_str(e, "reason")
            line = (
                f"• *{_escaped(_payload_str(e, 'ref'), 20)}* {_escaped(_one_line(_payload_str(e, 'title')), 150)}"
                f" — {_user(_payload_str(e, 'assignee_id'))}, due {when(due)}"
            )
            lines.append(f"{line} ({_escaped(reason, 100)})" if reason else line)
        return lines

    def people(key: str, heading: str) -> list[str]:
        entries = [e for e in _payload_list(payload, key) if isinstance(e, Mapping)]
        return [heading] + [
            f"• {_user(_payload_str(e, 'user_id'))}: {_escaped(_payload_str(e, 'reason'), 200)}" for e in entries
        ]

    def load() -> list[str]:
        lines = ["*⚖️ Load imbalance*"]
        for e in (e for e in _payload_list(payload, "imbalance") if isinstance(e, Mapping)):
            where = _payload_str(e, "team_channel_id")
            team = f" in {_channel(where)}" if where else ""
            if _payload_str(e, "reason") == "idle":
                lines.append(f"• {_user(_payload_str(e, 'user_id'))} has no open tasks{team} while others carry 3+")
            else:
                lines.append(
                    f"• {_user(_payload_str(e, 'user_id'))} carries a load of {_payload_int(e, 'load')}{team}"
                    f" (team median {_payload_float(e, 'median'):g})"
                )
        return lines

    sections = [
        ("overdue", tasks("overdue", "*⚠️ Overdue*")),
        ("at_risk", tasks("at_risk", "*🔶 At risk*")),
        ("imbalance", load()),
        ("support", people("support", "*🤝 May need support*")),
        ("recognise", people("recognise", "*🏅 To recognise*")),
    ]
    blocks: list[Block] = [_header("📋 Your weekly digest")]
    counts: list[str] = []
    for key, lines in sections:
        if len(lines) < 2:
            continue
        total = max(_payload_int(payload, f"{key}_total"), len(lines) - 1)
        hidden = total - (len(lines) - 1)
        counts.append(f"{total} {key.replace('_', ' ')}")

        def more(count: int, hidden: int = hidden) -> str:
            return f"…and {count + hidden} more"

        chunks = _pack_within(lines, max_blocks=8, max_chars=1800, more=more)
        if hidden and chunks and not chunks[-1].endswith("more"):
            chunks[-1] += f"\n…and {hidden} more"
        blocks.extend(_section(c) for c in chunks)
    blocks.append(_context("`/task list overdue` and `/team report` give the details."))
    return _message("📋 Your weekly digest: " + ", ".join(counts), blocks)


_RENDERERS: dict[OutboxKind, Callable[[Outgoing, datetime], Message]] = {
    OutboxKind.ASSIGNMENT: _render_assignment,
    OutboxKind.ACCEPTED: _render_accepted,
    OutboxKind.DECLINED: _render_declined,
    OutboxKind.UNASSIGNED: _render_unassigned,
    OutboxKind.DUE_CHANGED: _render_due_changed,
    OutboxKind.CANCELLED: _render_cancelled,
    OutboxKind.CELEBRATION: _render_celebration,
    OutboxKind.KUDOS: _render_kudos,
    OutboxKind.CHECKIN: _render_checkin,
    OutboxKind.WARNING: _render_warning,
    OutboxKind.OVERDUE: _render_overdue,
    OutboxKind.BLOCKED: _render_blocked,
    OutboxKind.AWAY_FLAG: _render_away_flag,
    OutboxKind.RECOGNITION: _render_recognition,
    OutboxKind.DIGEST: _render_digest,
    OutboxKind.REMINDER: _render_reminder,
    OutboxKind.UNANSWERED: _render_unanswered,
    OutboxKind.ESCALATION: _render_escalation,
}


def render_outbox(out: Outgoing, *, now: datetime) -> Message:
    """The message for one outbox row, as the scheduler's delivery sends it."""
    renderer = _RENDERERS.get(out.kind)
    if renderer is None:
        raise ValueError(f"no message for outbox kind {out.kind!r}")
    return renderer(out, now)


def schedule_text(schedule: CheckinSchedule) -> str:
    """A team's check-in schedule in words: "weekdays at 10:00", "Mon, Thu at 09:30", "off"."""
    if schedule.is_off:
        return "off"
    days = sorted(schedule.days)
    if days == sorted(WORKING_DAYS):
        named = "weekdays"
    elif len(days) == len(_DAYS):
        named = "daily"
    else:
        named = ", ".join(_DAYS[day] for day in days if 0 <= day < len(_DAYS))
    return f"{named} at {schedule.at:%H:%M} in each person's time zone"


# --------------------------------------------------------------------------- skills and suggestions

_SKILLS_HOW = "`/team skills @person billing, refunds` sets someone's skills (managers); `-` clears them."
_SUGGEST_TEXT_CHARS = 600


def _skills_text(skills: Sequence[str]) -> str:
    return ", ".join(escape(skill) for skill in skills)


def _teams_text(channel_ids: Sequence[str]) -> str:
    shown = ", ".join(_channel(c) for c in channel_ids[:10])
    return shown + (f" and {len(channel_ids) - 10} more" if len(channel_ids) > 10 else "")


def skills_list(people: Sequence[PersonSkills], *, channel_id: str) -> Message:
    """`/team skills` alone: the team's people and their skills."""
    where = _channel(channel_id)
    if not people:
        empty = f"No one in {where} has skills or tasks on record yet."
        return _message(empty, [_section(f"*Skills in {where}*\n{empty}"), _context(_SKILLS_HOW)])
    lines = [
        f"• {_user(p.user_id)}: {_skills_text(p.skills)}" if p.skills else f"• {_user(p.user_id)}: _no skills yet_"
        for p in people
    ]
    chunks = _pack_within(
        [f"*Skills in {where}*", *lines],
        max_blocks=MAX_MESSAGE_BLOCKS - 2,
        max_chars=MAX_MESSAGE_TEXT_CHARS - 500,
        more=lambda n: f"…and {n} more {'person' if n == 1 else 'people'}",
    )
    people_count = "1 person" if len(people) == 1 else f"{len(people)} people"
    return _message(f"Skills in {where}: {people_count}", [*(_section(c) for c in chunks), _context(_SKILLS_HOW)])


def skills_saved(person: PersonSkills, *, channel_id: str) -> Message:
    """The manager's confirmation after `/team skills @person …`."""
    who, where = _user(person.user_id), _channel(channel_id)
    if not person.skills:
        text = f"Cleared {who}'s skills in {where}."
        return _message(text, [_section(text)])
    text = f"🧰 {who}'s skills in {where}: {_skills_text(person.skills)}."
    hint = "`/task suggest what needs doing #skill` puts people forward by these skills."
    return _message(text, [_section(text), _context(hint)])


def _on_time(found: Suggestion) -> str:
    percent = found.on_time_percent
    if percent is None:
        return "no finished task with a deadline yet"
    return f"{percent}% on time (last {_plural(found.finished, 'task')} with a deadline)"


def _reasons(found: Suggestion) -> str:
    skills = f"skills: {_skills_text(found.matched_skills)}" if found.matched_skills else "no matching skills"
    load = "no open tasks"
    if found.open_tasks:
        load = f"open load {found.load} ({_plural(found.open_tasks, 'open task')})"
    reasons = [skills, load, _on_time(found)]
    if found.away:
        reasons.insert(0, "🌴 away")
    return " · ".join(reasons)


def suggestions(
    found: Sequence[Suggestion],
    *,
    text: str,
    wanted: Sequence[str],
    unmatched: Sequence[str],
    channel_ids: Sequence[str],
) -> Message:
    """`/task suggest`: the best people, each with the reasons for their place."""
    where = _teams_text(channel_ids)
    asked = _escaped(_one_line(text), _SUGGEST_TEXT_CHARS)
    wanted_text = f" · {', '.join('#' + escape(skill) for skill in wanted)}" if wanted else ""
    heading = f"*Who could take* “{asked}”{wanted_text} _(from {where})_"
    if not found:
        empty = (
            f"No one to suggest yet: no one in {where} has skills or tasks on record. "
            "`/team skills @person billing, refunds` records what someone is good at."
        )
        return _message(f"No one to suggest yet in {where}.", [_section(heading), _section(empty)])
    blocks: list[Block] = [_section(heading)]
    blocks.extend(_section(f"{n}. {_user(s.user_id)} — {_reasons(s)}") for n, s in enumerate(found, start=1))
    if unmatched:
        missing = ", ".join("#" + escape(skill) for skill in unmatched)
        blocks.append(_context(f"No one in {where} has {missing} on record; {_SKILLS_HOW}"))
    blocks.append(
        _context(
            "Ranked by matching skills (#skill counts double), then lighter open load "
            "(low 1, normal 2, high 3, urgent 4 a task), then on-time rate. "
            "Delegate with `/task @person title`."
        )
    )
    names = ", ".join(_user(s.user_id) for s in found)
    return _message(f"Suggested for {_escaped(_one_line(text), _FALLBACK_TITLE_CHARS)}: {names}", blocks)


def suggested_lines(found: Sequence[Suggestion]) -> list[str]:
    """Short lines for the New task modal's hint: `@a (light load, 95% on time)`."""
    lines = []
    for s in found:
        percent = s.on_time_percent
        record = "no on-time record yet" if percent is None else f"{percent}% on time"
        away = "away, " if s.away else ""
        lines.append(f"{_user(s.user_id)} ({away}{load_word(s.load)}, {record})")
    return lines


# --------------------------------------------------------------------------- views


def _input(block_id: str, label: str, element: Block, *, optional: bool = False, hint: str | None = None) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label, MAX_LABEL_CHARS),
        "element": element,
        "optional": optional,
    }
    if hint is not None:
        block["hint"] = _plain(hint, MAX_LABEL_CHARS)
    return block


def _modal(*, callback_id: str, title: str, submit: str, blocks: list[Block], private_metadata: str) -> View:
    if len(private_metadata) > MAX_PRIVATE_METADATA_CHARS:
        raise ValueError(f"private_metadata is over {MAX_PRIVATE_METADATA_CHARS} characters")
    view: View = {
        "type": "modal",
        "callback_id": callback_id,
        "title": _plain(title, MAX_MODAL_TITLE_CHARS),
        "submit": _plain(submit, MAX_MODAL_TITLE_CHARS),
        "close": _plain("Cancel", MAX_MODAL_TITLE_CHARS),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


_PRIORITY_ORDER = (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)


def notice_modal(*, title: str, text: str) -> View:
    """A modal that only says something (a refusal after a click); `text` is Baton's own mrkdwn."""
    return {
        "type": "modal",
        "title": _plain(title, MAX_MODAL_TITLE_CHARS),
        "close": _plain("OK", MAX_MODAL_TITLE_CHARS),
        "blocks": [_section(chunk) for chunk in _pack(text.strip().splitlines() or ["…"])][:MAX_VIEW_BLOCKS],
    }


def _priority_option(priority: Priority) -> dict[str, Any]:
    return {"text": _plain(_priority(priority), MAX_OPTION_CHARS), "value": priority.value}


def _team_element(teams: Sequence[TeamOption], team_id: int | None) -> Block:
    # Radio buttons take mrkdwn, so `<#C…>` shows the channel's name; select menus take plain_text
    # only (https://docs.slack.dev/reference/block-kit/composition-objects/option-object).
    # Both put the choice in `selected_option.value`.
    if len(teams) <= MAX_RADIO_OPTIONS:
        options = [
            {"text": _mrkdwn(_channel(team.channel_id), MAX_OPTION_CHARS), "value": str(team.id)} for team in teams
        ]
        element: Block = {"type": "radio_buttons", "action_id": ids.INPUT_TEAM, "options": options}
    else:
        options = [
            {"text": _plain(f"#{team.channel_id}", MAX_OPTION_CHARS), "value": str(team.id)}
            for team in teams[:MAX_SELECT_OPTIONS]
        ]
        element = {
            "type": "static_select",
            "action_id": ids.INPUT_TEAM,
            "placeholder": _plain("Pick a team", 150),
            "options": options,
        }
    chosen = [option for option in options if option["value"] == str(team_id)]
    if team_id is not None and chosen:
        element["initial_option"] = chosen[0]
    return element


def new_task_modal(
    *,
    teams: Sequence[TeamOption],
    title: str = "",
    details: str = "",
    assignee_id: str | None = None,
    team_id: int | None = None,
    source_link: str | None = None,
    private_metadata: str = "",
    suggested: Sequence[str] = (),
) -> View:
    """The New task modal (`/task` alone, the message shortcut), prefilled when values are given.

    `suggested` are Baton's own mrkdwn lines (`suggested_lines`), shown under the assignee picker."""
    title_input: Block = {
        "type": "plain_text_input",
        "action_id": ids.INPUT_TITLE,
        "max_length": MAX_TITLE_CHARS,
        "placeholder": _plain("What needs doing?", 150),
    }
    if title.strip():
        title_input["initial_value"] = clip(_one_line(title), MAX_TITLE_CHARS)
    details_input: Block = {
        "type": "plain_text_input",
        "action_id": ids.INPUT_DETAILS,
        "multiline": True,
        "max_length": MAX_DETAILS_CHARS,
    }
    if details.strip():
        details_input["initial_value"] = clip(details.strip(), MAX_DETAILS_CHARS)
    assignee_input: Block = {
        "type": "users_select",
        "action_id": ids.INPUT_ASSIGNEE,
        "placeholder": _plain("Who should do it?", 150),
    }
    if assignee_id:
        assignee_input["initial_user"] = assignee_id
    normal = _priority_option(Priority.NORMAL)
    blocks: list[Block] = [
        _input(ids.BLOCK_TITLE, "Title", title_input),
        _input(ids.BLOCK_DETAILS, "Details", details_input, optional=True),
        _input(ids.BLOCK_ASSIGNEE, "Assign to", assignee_input),
        *([_context("Suggested: " + ", ".join(suggested))] if suggested else []),
        _input(
            ids.BLOCK_DUE_DATE,
            "Due date",
            {"type": "datepicker", "action_id": ids.INPUT_DUE_DATE},
            optional=True,
        ),
        _input(
            ids.BLOCK_DUE_TIME,
            "Due time",
            {"type": "timepicker", "action_id": ids.INPUT_DUE_TIME},
            optional=True,
            hint="A date without a time means 17:00 in your time zone.",
        ),
        _input(
            ids.BLOCK_PRIORITY,
            "Priority",
            {
                "type": "static_select",
                "action_id": ids.INPUT_PRIORITY,
                "options": [
                    _priority_option(p) for p in (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT)
                ],
                "initial_option": normal,
            },
        ),
    ]
    if teams:
        blocks.append(_input(ids.BLOCK_TEAM, "Team", _team_element(teams, team_id), optional=True))
    if source_link:
        blocks.append(_context(f"From {_link(source_link, 'the original message')}"))
    return _modal(
        callback_id=ids.VIEW_NEW_TASK,
        title="New task",
        submit="Delegate",
        blocks=blocks,
        private_metadata=private_metadata,
    )


def reason_modal(*, callback_id: str, task: TaskView, title: str, label: str, private_metadata: str) -> View:
    """A short modal asking why (optional): Decline (ids.VIEW_DECLINE) and Blocked (ids.VIEW_BLOCKED)."""
    reason_input: Block = {
        "type": "plain_text_input",
        "action_id": ids.INPUT_REASON,
        "multiline": True,
        "max_length": MAX_REASON_CHARS,
    }
    blocks = [
        _section(_headline(task)),
        _input(ids.BLOCK_REASON, label, reason_input, optional=True),
    ]
    return _modal(
        callback_id=callback_id,
        title=title,
        submit="Send",
        blocks=blocks,
        private_metadata=private_metadata,
    )


def _share(budget: int, sizes: Sequence[int]) -> list[int]:
    """Split `budget` rows between sections fairly; what a small section leaves goes to the others."""
    shares = [0] * len(sizes)
    left = budget
    waiting = [index for index, size in enumerate(sizes) if size > 0]
    while left > 0 and waiting:
        each = max(left // len(waiting), 1)
        for index in list(waiting):
            give = min(each, sizes[index] - shares[index], left)
            shares[index] += give
            left -= give
            if shares[index] == sizes[index]:
                waiting.remove(index)
            if left == 0:
                break
    return shares


def home_view(
    *,
    mine: Sequence[TaskView],
    delegated: Sequence[TaskView],
    team_tasks: Sequence[TaskView],
    is_manager: bool,
    now: datetime,
    totals: Sequence[int] | None = None,
    time: TimeView | None = None,
    coming: Sequence[Coming] = (),
) -> View:
    """The App Home tab: my time and what Baton will send me next, what I must do, what I handed out, and
    (for managers) my teams' tasks.

    `totals` are the sections' real counts when the task lists were read with a limit; the lists
    must then hold at least 100 tasks each (or all of them), more than any section can show."""
    # (heading, tasks, said when empty, where to see all, whether each task gets a Done button)
    sections: list[tuple[str, Sequence[TaskView], str, str, bool]] = [
        (
            "Assigned to me",
            mine,
            "Nothing assigned to you right now. 🎉",
            "`/task list` shows them all.",
            True,
        ),
        (
            "Delegated by me",
            delegated,
            "You have no open delegated tasks. `/task @person title` hands one out.",
            "`/task list delegated` shows them all.",
            False,
        ),
    ]
    if is_manager:
        sections.append(
            (
                "My teams",
                team_tasks,
                "Your teams have no open tasks.",
                "`/task list team` in a team channel shows them all.",
                False,
            )
        )
    blocks: list[Block] = [
        _header("Baton"),
        _actions(
            None,
            _button("New task", action_id=ids.ACTION_OPEN_TASK_MODAL, value="new", style="primary"),
        ),
    ]
    if time is not None:
        blocks += [*_home_time(time, coming, now=now), _divider()]
    # Each section costs a heading, a divider (but the first) and a closing line when it is empty
    # or cut short ("…and N more"); the tasks share what is left.
    sizes = [
        max(len(tasks), totals[index] if totals is not None and index < len(totals) else 0)
        for index, (_, tasks, _, _, _) in enumerate(sections)
    ]
    fixed = len(blocks) + 2 * len(sections) - 1 + sum(1 for size in sizes if size == 0)
    budget = MAX_VIEW_BLOCKS - fixed - sum(1 for size in sizes if size > 0)
    shares = _share(budget, sizes)
    freed = sum(1 for share, size in zip(shares, sizes, strict=True) if 0 < size == share)
    shares = _share(budget + freed, sizes)  # sections shown whole need no closing line
    for index, (section, share, count) in enumerate(zip(sections, shares, sizes, strict=True)):
        name, tasks, empty, everything, with_buttons = section
        if index:
            blocks.append(_divider())
        blocks.append(_section(f"*{name}* · {count} open" if tasks else f"*{name}*"))
        if not tasks:
            blocks.append(_context(empty))
            continue
        seen: set[int] = set()
        for task in tasks[:share]:
            accessory = None
            if with_buttons and not task.status.is_final and task.id not in seen:
                seen.add(task.id)
                accessory = _button("Done", action_id=ids.ACTION_DONE, value=str(task.id))
            blocks.append(
                _section(
                    task_line(task, now=now),
                    block_id=_task_block_id(ids.ACTION_DONE, task) if accessory else None,
                    accessory=accessory,
                )
            )
        shown = min(share, len(tasks))
        if count > shown:
            blocks.append(_context(f"…and {count - shown} more. {everything}"))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _coming_line(item: Coming) -> str:
    what = ", ".join(kinds_said(kind.value, count) for kind, count in item.kinds)
    tasks = ", ".join(f"T-{n}" for n in item.task_numbers if n)
    held = " (held to your working hours)" if item.held else ""
    return f"• {when(item.at)}: {what}" + (f" · {tasks}" if tasks else "") + held


def _home_time(time: TimeView, coming: Sequence[Coming], *, now: datetime) -> list[Block]:
    """The top of someone's Home tab: their working time, holidays, time away, and what Baton sends next."""
    lines = [
        f"*Your working hours:* {hours_text(time.hours, time.tz)}",
        f"*Public holidays:* {_calendar_text(time)}",
    ]
    away = _away_text(time, now)
    if away:
        lines.append(f"*Away:* {away}")
    shown = [_section("\n".join(lines))]
    if coming:
        one_message = "each line is one message" if len(coming) > 1 else "one message"
        shown.append(_section(f"*Coming up* ({one_message})\n" + "\n".join(_coming_line(c) for c in coming)))
    else:
        shown.append(_section("*Coming up:* nothing scheduled in the next 3 days."))
    shown.append(_context("`/task hours` changes when Baton may message you; `/task away` records time off."))
    return shown


# --------------------------------------------------------------------------- team report

_BAR_CELLS = 5
# The per-person table is one inline-code line per person, every column padded to its width, so
# the lines align in Slack's monospace font; the mention goes after it, where Slack renders it.
_REPORT_COLUMNS = (
    ("on time", 11),
    ("done", 6),
    ("load", 6),
    ("overdue", 9),
    ("to done", 9),
    ("check-ins", 14),
    ("reply", 7),
    ("kudos", 7),
)
_REPORT_KEY = (
    "*On time*: done by the due date, of the tasks done that had one. *Load*: open tasks weighted "
    "low 1 · normal 2 · high 3 · urgent 4. *Check-ins*: answered within 24 h and before the next "
    "one; *reply* is the median time to answer. ▲▼: against the period before."
)


def _bar(percent: int) -> str:
    """`▇▇▇▇▁` for 82 %: filled fifths, to the nearest (halves up)."""
    filled = max(0, min(_BAR_CELLS, (percent + 10) // 20))
    return "▇" * filled + "▁" * (_BAR_CELLS - filled)


def _tenths(amount: int, unit: int) -> str:
    """`amount / unit` to one decimal, halves up, without a trailing `.0`."""
    tenths = (amount * 10 + unit // 2) // unit
    whole, rest = divmod(tenths, 10)
    return f"{whole}.{rest}" if rest else str(whole)


def _short_span(span: timedelta | None) -> str:
    """A duration in a few characters: `45m`, `1.5h`, `20h`, `2.3d`; none is `—`."""
    if span is None:
        return "—"
    minutes = (int(span.total_seconds()) + 30) // 60
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 10 * 60:
        return _tenths(minutes, 60) + "h"
    if minutes < 48 * 60:
        return f"{(minutes + 30) // 60}h"
    return _tenths(minutes, 24 * 60) + "d"


def _change(delta: int, *, unit: str = "") -> str:
    """`▲ 7 pts`, `▼ 3`, or `no change`."""
    if delta == 0:
        return "no change"
    return f"{'▲' if delta > 0 else '▼'} {abs(delta)}{unit}"


def _span_change(delta: timedelta | None) -> str:
    """`▲ 1.5h`, `▼ 30m`, or `no change`."""
    if delta is None:
        return ""
    size = _short_span(abs(delta))
    if size == "0m":
        return "no change"
    return f"{'▲' if delta > timedelta() else '▼'} {size}"


def _compared(now: str | None, before: str | None, change: str) -> str:
    """A figure with its trend: `82 % (▲ 7 pts)`; `— (was 75 %)` or `82 % (was —)` when one is missing."""
    if now is None:
        return "—" + (f" (was {before})" if before is not None else "")
    if before is None:
        return f"{now} (was —)"
    return f"{now} ({change})"


def _pct(ratio: Ratio) -> str | None:
    return None if ratio.percent is None else f"{ratio.percent} %"


def _points(delta: int | None) -> str:
    if delta is None:
        return ""
    return _change(delta, unit=" pt" if abs(delta) == 1 else " pts")


def _report_totals(report: TeamReport) -> Block:
    team, before, trend, load = report.team, report.previous, report.trend, report.load
    on_time = None if team.on_time.percent is None else f"`{_bar(team.on_time.percent)}` {_pct(team.on_time)}"
    answered = _pct(team.checkins)
    if answered is not None:
        answered += f" · {team.checkins.hits} of {team.checkins.total}"

    return _fields(
        ("Done", _compared(str(team.done), str(before.done), _change(trend.done))),
        ("On time", _compared(on_time, _pct(before.on_time), _points(trend.on_time_pts))),
        ("Open load", f"{load.weighted} ({_plural(load.open_tasks, 'open task')})"),
        ("Overdue now", f"⚠️ {load.overdue}" if load.overdue else "0"),
        (
            "Avg time to done",
            _compared(
                None if team.time_to_done is None else _short_span(team.time_to_done),
                None if before.time_to_done is None else _short_span(before.time_to_done),
                _span_change(trend.time_to_done),
            ),
        ),
        ("Check-ins answered", _compared(answered, _pct(before.checkins), _points(trend.answered_pts))),
        (
            "Median reply",
            _compared(
                None if team.response is None else _short_span(team.response),
                None if before.response is None else _short_span(before.response),
                _span_change(trend.response),
            ),
        ),
        ("Kudos", _compared(str(team.kudos), str(before.kudos), _change(trend.kudos))),
    )


def _report_cells(cells: Sequence[str]) -> str:
    first, *rest = cells
    line = first.ljust(_REPORT_COLUMNS[0][1])
    line += "".join(cell.rjust(width) for cell, (_, width) in zip(rest, _REPORT_COLUMNS[1:], strict=True))
    return f"`{line}`"


def _report_row(person: PersonReport) -> str:
    stats, load = person.stats, person.load
    percent = stats.on_time.percent
    on_time = f"{_bar(percent)} {f'{percent} %':>5}" if percent is not None else f"{'—':>11}"
    checkins = "—"
    if stats.checkins.percent is not None:
        checkins = f"{stats.checkins.hits}/{stats.checkins.total} {_pct(stats.checkins)}"
    cells = (
        on_time,
        str(stats.done),
        str(load.weighted),
        str(load.overdue),
        _short_span(stats.time_to_done),
        checkins,
        _short_span(stats.response),
        str(stats.kudos),
    )
    return f"{_report_cells(cells)} {_user(person.user_id)}"


def team_report(report: TeamReport, *, now: datetime, channel_id: str) -> Message:
    """`/team report`: the team's totals with their trend, then one aligned line per person."""
    days = report.period.days
    where = _channel(channel_id)
    blocks: list[Block] = [
        _header(f"📊 Team report · last {days} days"),
        _context(f"{where} · {when(report.period.start)} to {when(now)} · ▲▼ against the {days} days before"),
        _report_totals(report),
        _divider(),
    ]
    if report.people:
        heading = _report_cells([name for name, _ in _REPORT_COLUMNS])
        lines = ["*Per person*, most overdue, then heaviest load, first", heading]
        lines += [_report_row(person) for person in report.people]
        chunks = _pack_within(
            lines,
            max_blocks=MAX_MESSAGE_BLOCKS - len(blocks) - 2,
            max_chars=MAX_MESSAGE_TEXT_CHARS - 2500,
            more=lambda n: f"…and {n} more {'person' if n == 1 else 'people'}",
        )
        blocks.extend(_section(chunk) for chunk in chunks)
    else:
        blocks.append(
            _section(
                f"No one in {where} had open tasks, finished one or got a check-in in these {days} days. "
                "`/task @person <title>` here delegates a task to the team."
            )
        )
    blocks.append(_context(_REPORT_KEY))
    on_time = _pct(report.team.on_time) or "—"
    text = (
        f"Team report for {where}, last {days} days: {report.team.done} done, on time {on_time}, "
        f"{report.load.overdue} overdue now."
    )
    return _message(text, blocks)


# --------------------------------------------------------------------------- time off and snooze


def last_day(ends_at: datetime) -> str:
    """The last day of a period that ends (exclusive) at `ends_at`, as a date in the reader's zone."""
    utc = ends_at.astimezone(UTC) - timedelta(seconds=1)
    fallback = f"{_DAYS[utc.weekday()]} {utc.day} {_MONTHS[utc.month - 1]} {utc.year}"
    return f"<!date^{math.floor(utc.timestamp())}^{{date_short_pretty}}|{fallback}>"


def away_recorded(user_id: str, *, starts_at: datetime, ends_at: datetime, flagged: int, own: bool) -> Message:
    """The answer to `/task away …` or `/team away @person …`."""
    who = "You are" if own else f"{_user(user_id)} is"
    first = last_day(starts_at + timedelta(seconds=1))
    text = f"🏖️ {who} away from {first} to {last_day(ends_at)}: no check-ins or deadline warnings meanwhile."
    if flagged:
        text += f" {_plural(flagged, 'task')} due meanwhile flagged to who delegated them."
    off = "`/task away off`" if own else f"`/team away {_user(user_id)} off`"
    return _message(text, [_section(text), _context(f"{off} ends it early.")])


def away_ended(user_id: str, *, changed: int, own: bool) -> Message:
    who = "You are" if own else f"{_user(user_id)} is"
    if not changed:
        text = f"{'You have' if own else _user(user_id) + ' has'} no time off recorded; nothing changed."
    else:
        text = f"👋 {who} back: check-ins and deadline warnings resume."
    return _message(text, [_section(text)])


def away_list(periods: Sequence[tuple[str, datetime, datetime]], *, now: datetime) -> Message:
    """`/team away`: who is away now or later (user, start, end)."""
    if not periods:
        text = "No one is away. `/task away today fri` records your own time off."
        return _message(text, [_section(text)])
    lines = [
        f"• {_user(user)}: {'away' if start <= now else 'from ' + last_day(start + timedelta(seconds=1))} "
        f"until {last_day(end)}"
        for user, start, end in periods
    ]
    chunks = _pack_within(
        ["*Time off*", *lines],
        max_blocks=MAX_MESSAGE_BLOCKS - 1,
        max_chars=MAX_MESSAGE_TEXT_CHARS - 500,
        more=lambda n: f"…and {n} more",
    )
    return _message("Time off", [_section(chunk) for chunk in chunks])


def away_warning(user_id: str, ends_at: datetime) -> Block:
    """Added to the delegator's reply when the new task's assignee is away."""
    return _context(f"🏖️ {_user(user_id)} is away until {last_day(ends_at)}; check-ins wait until they are back.")


def checkin_snoozed(task: TaskView, *, until: datetime, now: datetime) -> Message:
    """The check-in DM after **Later**, without buttons."""
    blocks = [*_checkin_intro(task, now), _section(f"⏰ Snoozed until {when(until)}")]
    return _message(f"{task.ref}: snoozed", blocks)


# --------------------------------------------------------------------------- people's time

_HOURS_HOW = (
    "`/task hours 09:00-17:30 [weekdays|daily|mon,tue,…]` changes them; `/task hours default` goes back to "
    "08:00-20:00 weekdays. `/task holidays JP` follows a country's public holidays for you."
)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _days_said(days: frozenset[int]) -> str:
    if days == frozenset(range(5)):
        return "Monday to Friday"
    if days == frozenset(range(7)):
        return "every day"
    return ", ".join(_WEEKDAY_NAMES[d] for d in sorted(days))


def hours_text(hours: WorkingHours, tz: str) -> str:
    """`09:00-17:30 Monday to Friday (Europe/Berlin)`: someone's hours as they read them."""
    return f"{hours.start:%H:%M}-{hours.end:%H:%M} {_days_said(hours.days)} ({_escaped(tz, 64)})"


def _holiday_lines(upcoming: Sequence[tuple[date, str]], limit: int = 8) -> str:
    shown = [
        f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]}: {_escaped(name, 80)}" for d, name in upcoming[:limit]
    ]
    more = f", and {len(upcoming) - limit} more" if len(upcoming) > limit else ""
    return "; ".join(shown) + more if shown else "none in the next 60 days"


def due_outside_hours(task: TaskView, time: TimeView) -> Block:
    """Added to the delegator's reply: the deadline falls outside the assignee's working time."""
    hours = time.hours
    return _context(
        f"🕘 {when(task.due_at)} is outside {_user(task.assignee_id)}'s working time: "
        f"{hours.start:%H:%M}-{hours.end:%H:%M} {_days_said(hours.days)} in {_escaped(time.tz, 64)}, less "
        "holidays and time off. The task stands; its deadline warnings come earlier, within those hours."
    )


def _calendar_text(view: TimeView) -> str:
    if view.calendar:
        return f"`{view.calendar}` (your own): {_holiday_lines(view.upcoming_holidays)}"
    if view.team_calendars:
        return f"`{view.team_calendars[0]}` (your team's): {_holiday_lines(view.upcoming_holidays)}"
    return "none. `/task holidays US` (any country code, `DE-BY` with a region) adds one"


def _away_text(view: TimeView, now: datetime) -> str | None:
    parts = []
    if view.status.is_away(now):
        until = f" until {when(view.status.expires_at)}" if view.status.expires_at else ""
        parts.append(f"your Slack status {_escaped(view.status.describe(), 120)} says you are away{until}")
    for period in view.away:
        if period.ends_at - period.starts_at > timedelta(days=400):
            continue
        if view.status.expires_at is not None and period.ends_at == view.status.expires_at:
            continue  # the status's own period, said above
        start = "now" if period.starts_at <= now else f"from {last_day(period.starts_at + timedelta(seconds=1))}"
        parts.append(f"time off {start} until {last_day(period.ends_at)}")
    return "; ".join(parts) if parts else None


def hours_view(view: TimeView, *, now: datetime, saved: bool = False) -> Message:
    """`/task hours` (and `/task holidays` alone): someone's hours, holiday calendar and time away."""
    head = "✅ Saved. Your working hours" if saved else "🕘 Your working hours"
    lines = [
        f"*{head}:* {hours_text(view.hours, view.tz)}. Baton sends you nothing outside them: a check-in, warning "
        "or notice due then waits for the start of your next working time.",
        f"*Public holidays:* {_calendar_text(view)}",
    ]
    away = _away_text(view, now)
    if away:
        lines.append(f"*Away:* {away}")
    return _message(
        f"{head}: {view.hours.start:%H:%M}-{view.hours.end:%H:%M}", [_section("\n".join(lines)), _context(_HOURS_HOW)]
    )


def own_calendar_saved(view: TimeView, *, now: datetime) -> Message:
    """The answer to `/task holidays <code>` or `off`."""
    if view.calendar:
        text = f"📅 You follow the public holidays of `{view.calendar}`: {_holiday_lines(view.upcoming_holidays)}."
    elif view.team_calendars:
        text = f"📅 You follow your team's public holidays again (`{view.team_calendars[0]}`)."
    else:
        text = "📅 You follow no public-holiday calendar now."
    return _message(
        text, [_section(text), _context("No check-ins on your holidays; the rest waits for your next working day.")]
    )


def team_calendar(calendar: TeamCalendar, *, saved: bool = False) -> Message:
    """`/team holidays [<code>|off]`: the team's calendar and its holidays of the next 60 days."""
    where = _channel(calendar.channel_id)
    if calendar.code is None:
        text = (
            f"{where} follows no public-holiday calendar. `/team holidays DE-BY` (any country code, a region after a "
            "dash) sets one; people with their own (`/task holidays …`) keep theirs."
        )
        return _message(text, [_section(("✅ " if saved else "") + text)])
    head = f"{'✅ ' if saved else ''}📅 {where} follows the public holidays of `{calendar.code}`."
    lines = [
        f"• {_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}: {_escaped(n, 100)}"
        for d, n in calendar.upcoming
    ]
    body = "\n".join(lines) if lines else "No public holidays in the next 60 days."
    return _message(
        head,
        [
            _section(head),
            _section(f"*The next 60 days*\n{body}"),
            _context(
                "No check-ins on those days and no overdue reminders; deadline warnings come the working day before."
            ),
        ],
    )


def escalation_text(team: TeamView, *, saved: bool = False) -> str:
    """What `/team escalation` says about the team's setting."""
    where = _channel(team.channel_id)
    if team.escalation_after <= 0:
        return f"{'✅ ' if saved else ''}{where}: no escalations. `/team escalation 2` turns them on."
    return (
        f"{'✅ ' if saved else ''}{where}: when a task's last {_plural(team.escalation_after, 'check-in')} in a row "
        "went unanswered, its team's managers hear of it once (again only after the assignee answers). "
        "`/team escalation off` stops it."
    )


# --------------------------------------------------------------------------- schedule preview

PREVIEW_LIMIT = 200
# What each kind of message is called where Baton lists them (previews, the Home tab): one, several.
KIND_NAMES: dict[str, tuple[str, str]] = {
    OutboxKind.ASSIGNMENT.value: ("assignment", "assignments"),
    OutboxKind.REMINDER.value: ("reminder to accept", "reminders to accept"),
    OutboxKind.UNANSWERED.value: ("not-accepted notice", "not-accepted notices"),
    OutboxKind.ESCALATION.value: ("escalation", "escalations"),
    OutboxKind.CHECKIN.value: ("check-in", "check-ins"),
    OutboxKind.WARNING.value: ("deadline warning", "deadline warnings"),
    OutboxKind.OVERDUE.value: ("overdue notice", "overdue notices"),
    OutboxKind.RECOGNITION.value: ("weekly recognition", "weekly recognitions"),
    OutboxKind.DIGEST.value: ("weekly digest", "weekly digests"),
}


def preview_kind(kind: str) -> str:
    return KIND_NAMES.get(kind, (kind.replace("_", " "), ""))[0]


def kinds_said(kind: str, count: int) -> str:
    """ "1 check-in", "3 check-ins"."""
    one, many = KIND_NAMES.get(kind, (kind.replace("_", " "), kind.replace("_", " ") + "s"))
    return f"{count} {one if count == 1 else many}"


def local_wall(at: datetime, tz: str) -> str:
    """`Mon 09:00` in a zone (UTC when the zone is unknown)."""
    try:
        zone: tzinfo = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return f"{at.astimezone(zone):%a %H:%M}"


def _preview_line(message: PreviewMessage) -> str:
    """One message as it will go out: when (in Slack's reader zone and the recipient's), what, to whom."""
    to = _user(message.recipient_id) if message.recipient_id[:1] in ("U", "W") else _channel(message.recipient_id)
    theirs = local_wall(message.at, message.recipient_tz)
    held = ", held to their working hours" if message.held else ""
    head = f"• {when(message.at)} ({theirs} their time{held}): "
    items = message.items
    if len(items) == 1:
        item = items[0]
        line = head + f"{preview_kind(item.kind)} to {to}"
        if item.task_number is not None:
            line += f" — *T-{item.task_number}* {_escaped(_one_line(item.task_title), 120)}"
        return line
    kinds: dict[str, int] = {}
    for item in items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    what = ", ".join(kinds_said(kind, n) for kind, n in kinds.items())
    tasks = ", ".join(f"*T-{i.task_number}*" for i in items if i.task_number is not None)
    return head + f"one message to {to} with {what}" + (f": {tasks}" if tasks else "")


def schedule_preview(shown: TeamPreview, *, now: datetime) -> Message:
    """`/team preview`: what Baton will send for the team in the next days, soonest first, each message as it
    will really go out (what waits for someone's working hours, and several tasks for a person in one DM)."""
    grouped = messages(shown.preview.items)
    where = _channel(shown.channel_id)
    if not grouped:
        text = f"Nothing is scheduled for {where} in the next {_plural(shown.days, 'day')}."
        return _message(text, [_section(text)])
    lines = [f"*What Baton will send for {where} in the next {_plural(shown.days, 'day')}*"]
    lines += [_preview_line(message) for message in grouped]
    more_beyond = " or more" if shown.preview.truncated else ""
    chunks = _pack_within(
        lines,
        max_blocks=MAX_MESSAGE_BLOCKS - 2,
        max_chars=MAX_MESSAGE_TEXT_CHARS - 1000,
        more=lambda n: f"…and {n}{more_beyond} more",
    )
    if shown.preview.truncated and not chunks[-1].endswith("more"):
        chunks[-1] += f"\n…and more beyond these {len(grouped)}"
    return _message(
        f"{_plural(len(grouped), 'message')} scheduled for the next {_plural(shown.days, 'day')}",
        [*(_section(c) for c in chunks), _context("Times as planned now; changes to tasks change them.")],
    )

"""Block Kit pieces within Slack's limits: escaped text, mentions, dates, sections, buttons and the
message safety net."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.model import (
    Message,
    TaskView,
)
from bot.domain.text import clip, escape

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
TITLE_CHARS = 1000
FALLBACK_TITLE_CHARS = 300
NOTE_CHARS = 1500


Block = dict[str, Any]
View = dict[str, Any]


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Slack ids are upper-case letters and digits; anything else is shown as text, never as a mention.
_SLACK_ID = re.compile(r"[A-Z0-9]{1,40}")
# Links Baton makes (message permalinks): http(s) and URL characters only, so no `>` or `|` can end
# the `<url|label>` token early.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]{1,2000}")


def when(dt: datetime | None) -> str:
    """A moment every reader sees in their own time zone, with a UTC fallback for old clients.

    No moment (a task without a deadline) reads "no deadline".
    """
    if dt is None:
        return "no deadline"
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("when() needs an aware datetime")
    utc = dt.astimezone(UTC)
    fallback = f"{DAYS[utc.weekday()]} {utc.day} {MONTHS[utc.month - 1]} {utc.year} {utc:%H:%M} UTC"
    epoch = math.floor(utc.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def mention(user_id: str) -> str:
    return f"<@{user_id}>" if _SLACK_ID.fullmatch(user_id) else escape(user_id)


def channel_mention(channel_id: str) -> str:
    return f"<#{channel_id}>" if _SLACK_ID.fullmatch(channel_id) else escape(channel_id)


def link(url: str, label: str) -> str:
    if _SAFE_URL.fullmatch(url):
        return f"<{url}|{escape(label)}>"
    return escape(clip(url, 300))


def one_line(text: str) -> str:
    return " ".join(text.split())


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def escape_within(text: str, limit: int) -> str:
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


def escape_in_chunks(text: str, limit: int, max_chunks: int) -> list[str]:
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
        chunks.append(escape_within(rest, limit))
    return [chunk for chunk in chunks if chunk.strip()]


def quote(text: str, limit: int) -> str:
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
                lines.append("> " + escape_within(raw, room))
            break
        lines.append("> " + escaped)
        size += len(escaped) + 3
    return "\n".join(lines)


def fit(text: str, limit: int) -> str:
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


def pack(lines: Sequence[str], limit: int = MAX_SECTION_CHARS) -> list[str]:
    """Join lines into as few texts of at most `limit` characters as possible."""
    chunks: list[str] = []
    current = ""
    for raw in lines:
        line = fit(raw, limit)
        if current and len(current) + 1 + len(line) > limit:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def pack_within(lines: Sequence[str], *, max_blocks: int, max_chars: int, more: Callable[[int], str]) -> list[str]:
    """Pack the first lines into at most `max_blocks` texts and `max_chars` characters in all;
    what does not fit becomes one closing `more(n)` line."""

    def packed(shown: int) -> list[str]:
        omitted = len(lines) - shown
        return pack([*lines[:shown], *([more(omitted)] if omitted else [])])

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


def newest_within(lines: Sequence[str], *, max_blocks: int, max_chars: int) -> tuple[list[str], int]:
    """Pack the last (newest) lines that fit in `max_blocks` texts and `max_chars` characters."""
    low, high = 0, len(lines)
    while low < high:
        middle = (low + high + 1) // 2
        chunks = pack(lines[len(lines) - middle :])
        if len(chunks) <= max_blocks and sum(map(len, chunks)) <= max_chars:
            low = middle
        else:
            high = middle - 1
    return pack(lines[len(lines) - low :]) if low else [], low


def plain_text(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_CHARS) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": fit(text, limit)}


def section(text: str, *, block_id: str | None = None, accessory: Block | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id is not None:
        block["block_id"] = block_id
    if accessory is not None:
        block["accessory"] = accessory
    return block


def fields(*pairs: tuple[str, str]) -> Block:
    return {
        "type": "section",
        "fields": [mrkdwn(f"*{name}*\n{value}", MAX_FIELD_CHARS) for name, value in pairs[:10]],
    }


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text) for text in texts[:MAX_CONTEXT_ELEMENTS]]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text, MAX_HEADER_CHARS)}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, *, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "action_id": action_id,
        "text": plain_text(text, MAX_BUTTON_CHARS),
        "value": value,
    }
    if style is not None:
        element["style"] = style
    return element


def actions(block_id: str | None, *buttons: Block) -> Block:
    block: Block = {"type": "actions", "elements": list(buttons)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def task_block_id(action_id: str, task: TaskView) -> str:
    """A block id unique per task, named after the block's first action (ids.py holds the base)."""
    return f"{action_id}-{task.id}"


def text_chars(node: Any) -> int:
    """How many characters of text a block holds, as Slack adds them up."""
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(text_chars(value) for key, value in node.items() if key != "text" or own == 0)
    if isinstance(node, list):
        return sum(text_chars(value) for value in node)
    return 0


def fit_message(text: str, blocks: Sequence[Block]) -> Message:
    """A message within Slack's limits; the builders aim inside them, this is the safety net.

    Blocks that would break the block count or the text budget are left out (buttons never are),
    and a closing line says so.
    """
    note = context("…part of this message was left out to fit Slack.")
    room = MAX_MESSAGE_TEXT_CHARS - text_chars(note)
    kept: list[Block] = []
    left_out = False
    for index, block in enumerate(blocks):
        size = text_chars(block)
        later_actions = sum(1 for b in blocks[index + 1 :] if b.get("type") == "actions")
        fits = size <= room and len(kept) + later_actions < MAX_MESSAGE_BLOCKS - 1
        if block.get("type") == "actions" or fits:
            kept.append(block)
            room -= size
        else:
            left_out = True
    if left_out:
        kept.append(note)
    return Message(text=fit(text, MAX_FALLBACK_CHARS), blocks=tuple(kept))


def duration_text(delta: timedelta) -> str:
    """A duration said plainly: `25 minutes`, `3 hours`, `2 days`."""
    minutes = delta.total_seconds() / 60
    if minutes < 60:
        return plural(max(1, math.floor(minutes)), "minute")
    hours = minutes / 60
    if hours < 23.5:
        return plural(max(1, round(hours)), "hour")
    return plural(max(1, round(hours / 24)), "day")


def last_day(ends_at: datetime) -> str:
    """The last day of a period that ends (exclusive) at `ends_at`, as a date in the reader's zone."""
    utc = ends_at.astimezone(UTC) - timedelta(seconds=1)
    fallback = f"{DAYS[utc.weekday()]} {utc.day} {MONTHS[utc.month - 1]} {utc.year}"
    return f"<!date^{math.floor(utc.timestamp())}^{{date_short_pretty}}|{fallback}>"

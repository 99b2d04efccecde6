"""`/team preview`: what Baton will send for a team in the next days."""

from __future__ import annotations

from datetime import datetime

from bot.domain.model import Message
from bot.domain.wording import kind_name, kinds_said, local_wall
from bot.services.preview import PreviewMessage, TeamPreview, messages
from handlers.blocks.primitives import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_TEXT_CHARS,
    channel_mention,
    context,
    escape_within,
    fit_message,
    mention,
    one_line,
    pack_within,
    plural,
    section,
    when,
)

PREVIEW_LIMIT = 200


def _preview_line(message: PreviewMessage) -> str:
    """One message as it will go out: when (in Slack's reader zone and the recipient's), what, to whom."""
    to = (
        mention(message.recipient_id)
        if message.recipient_id[:1] in ("U", "W")
        else channel_mention(message.recipient_id)
    )
    theirs = local_wall(message.at, message.recipient_tz)
    held = ", held to their working hours" if message.held else ""
    head = f"• {when(message.at)} ({theirs} their time{held}): "
    items = message.items
    if len(items) == 1:
        item = items[0]
        line = head + f"{kind_name(item.kind)} to {to}"
        if item.task_number is not None:
            line += f" — *T-{item.task_number}* {escape_within(one_line(item.task_title), 120)}"
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
    where = channel_mention(shown.channel_id)
    if not grouped:
        text = f"Nothing is scheduled for {where} in the next {plural(shown.days, 'day')}."
        return fit_message(text, [section(text)])
    lines = [f"*What Baton will send for {where} in the next {plural(shown.days, 'day')}*"]
    lines += [_preview_line(message) for message in grouped]
    more_beyond = " or more" if shown.preview.truncated else ""
    chunks = pack_within(
        lines,
        max_blocks=MAX_MESSAGE_BLOCKS - 2,
        max_chars=MAX_MESSAGE_TEXT_CHARS - 1000,
        more=lambda n: f"…and {n}{more_beyond} more",
    )
    if shown.preview.truncated and not chunks[-1].endswith("more"):
        chunks[-1] += f"\n…and more beyond these {len(grouped)}"
    return fit_message(
        f"{plural(len(grouped), 'message')} scheduled for the next {plural(shown.days, 'day')}",
        [*(section(c) for c in chunks), context("Times as planned now; changes to tasks change them.")],
    )

"""The weekly outbox messages: a team's recognition and a manager's digest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.domain.model import (
    Message,
    Outgoing,
)
from handlers.blocks.notices import payload_int, payload_list, payload_str, payload_time
from handlers.blocks.primitives import (
    Block,
    channel_mention,
    context,
    escape_within,
    fit_message,
    header,
    mention,
    one_line,
    pack_within,
    plural,
    section,
    when,
)

_RECOGNITION_TITLES = 5


def _finished_line(entry: Mapping[str, Any]) -> str:
    count = payload_int(entry, "count")
    on_time = payload_int(entry, "on_time")
    titles = [str(title) for title in payload_list(entry, "titles")]
    shown = ", ".join(escape_within(one_line(title), 150) for title in titles[:_RECOGNITION_TITLES])
    if len(titles) > _RECOGNITION_TITLES:
        shown += f" and {len(titles) - _RECOGNITION_TITLES} more"
    line = f"• {mention(payload_str(entry, 'user_id'))} finished {plural(count, 'task')}, {on_time} on time"
    return f"{line}: {shown}" if shown else line


def render_recognition(out: Outgoing, now: datetime) -> Message:
    payload = out.payload
    since = payload_time(payload, "since")
    channel_id = payload_str(payload, "team_channel_id")
    finished = [e for e in payload_list(payload, "finished") if isinstance(e, Mapping)]
    streaks = [e for e in payload_list(payload, "streaks") if isinstance(e, Mapping)]
    kudos = [e for e in payload_list(payload, "kudos") if isinstance(e, Mapping)]
    total = sum(payload_int(entry, "count") for entry in finished)

    where = f" in {channel_mention(channel_id)}" if channel_id else ""
    period = f" since {when(since)}" if since is not None else " this week"
    blocks: list[Block] = [
        header("🏆 Weekly recognition"),
        section(f"What the team got done{period}{where}:"),
    ]

    def people_more(count: int) -> str:
        return f"…and {count} more {'person' if count == 1 else 'people'}"

    if finished:
        lines = ["*Finished*", *(_finished_line(entry) for entry in finished)]
        chunks = pack_within(lines, max_blocks=30, max_chars=6000, more=people_more)
        blocks.extend(section(c) for c in chunks)
    else:
        blocks.append(section("No tasks were finished this week. On to the next one!"))
    if streaks:
        lines = ["*On-time streaks*"] + [
            f"🔥 {mention(payload_str(e, 'user_id'))}: {plural(payload_int(e, 'streak'), 'task')} in a row on time"
            for e in streaks
        ]
        blocks.extend(section(c) for c in pack_within(lines, max_blocks=6, max_chars=1200, more=people_more))
    if kudos:
        lines = ["*Kudos*"] + [
            f"👏 {mention(payload_str(e, 'user_id'))} got {payload_int(e, 'count')} kudos" for e in kudos
        ]
        blocks.extend(section(c) for c in pack_within(lines, max_blocks=6, max_chars=1200, more=people_more))
    people = f"{len(finished)} {'person' if len(finished) == 1 else 'people'}"
    return fit_message(f"🏆 Weekly recognition: {plural(total, 'task')} finished by {people}", blocks)


def _payload_float(payload: Mapping[str, Any], key: str) -> float:
    value = payload.get(key)
    return float(value) if isinstance(value, int | float) else 0.0


def render_digest(out: Outgoing, now: datetime) -> Message:
    """The weekly manager digest: five short sections, each summarised beyond a few lines."""
    payload = out.payload

    def tasks(key: str, heading: str) -> list[str]:
        entries = [e for e in payload_list(payload, key) if isinstance(e, Mapping)]
        lines = [heading]
        for e in entries:
            due = payload_time(e, "due")
            reason = payload_str(e, "reason")
            line = (
                f"• *{escape_within(payload_str(e, 'ref'), 20)}* "
                f"{escape_within(one_line(payload_str(e, 'title')), 150)}"
                f" — {mention(payload_str(e, 'assignee_id'))}, due {when(due)}"
            )
            lines.append(f"{line} ({escape_within(reason, 100)})" if reason else line)
        return lines

    def people(key: str, heading: str) -> list[str]:
        entries = [e for e in payload_list(payload, key) if isinstance(e, Mapping)]
        return [heading] + [
            f"• {mention(payload_str(e, 'user_id'))}: {escape_within(payload_str(e, 'reason'), 200)}" for e in entries
        ]

    def load() -> list[str]:
        lines = ["*⚖️ Load imbalance*"]
        for e in (e for e in payload_list(payload, "imbalance") if isinstance(e, Mapping)):
            where = payload_str(e, "team_channel_id")
            team = f" in {channel_mention(where)}" if where else ""
            if payload_str(e, "reason") == "idle":
                lines.append(f"• {mention(payload_str(e, 'user_id'))} has no open tasks{team} while others carry 3+")
            else:
                lines.append(
                    f"• {mention(payload_str(e, 'user_id'))} carries a load of {payload_int(e, 'load')}{team}"
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
    blocks: list[Block] = [header("📋 Your weekly digest")]
    counts: list[str] = []
    for key, lines in sections:
        if len(lines) < 2:
            continue
        total = max(payload_int(payload, f"{key}_total"), len(lines) - 1)
        hidden = total - (len(lines) - 1)
        counts.append(f"{total} {key.replace('_', ' ')}")

        def more(count: int, hidden: int = hidden) -> str:
            return f"…and {count + hidden} more"

        chunks = pack_within(lines, max_blocks=8, max_chars=1800, more=more)
        if hidden and chunks and not chunks[-1].endswith("more"):
            chunks[-1] += f"\n…and {hidden} more"
        blocks.extend(section(c) for c in chunks)
    blocks.append(context("`/task list overdue` and `/team report` give the details."))
    return fit_message("📋 Your weekly digest: " + ", ".join(counts), blocks)

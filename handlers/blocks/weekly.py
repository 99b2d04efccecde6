"""The weekly outbox messages: a team's recognition and a manager's digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.model import (
    Message,
    Outgoing,
)
from bot.domain.payloads import (
    DigestPayload,
    DigestPersonLine,
    DigestTaskLine,
    FinishedLine,
    RecognitionPayload,
    payload_as,
)
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


def _finished_line(entry: FinishedLine) -> str:
    titles = entry.titles
    shown = ", ".join(escape_within(one_line(title), 150) for title in titles[:_RECOGNITION_TITLES])
    if len(titles) > _RECOGNITION_TITLES:
        shown += f" and {len(titles) - _RECOGNITION_TITLES} more"
    line = f"• {mention(entry.user_id)} finished {plural(entry.count, 'task')}, {entry.on_time} on time"
    return f"{line}: {shown}" if shown else line


def render_recognition(out: Outgoing, now: datetime) -> Message:
    payload = payload_as(out.payload, RecognitionPayload)
    since, channel_id = payload.since, payload.team_channel_id
    finished, streaks, kudos = payload.finished, payload.streaks, payload.kudos
    total = sum(entry.count for entry in finished)

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
            f"🔥 {mention(e.user_id)}: {plural(e.streak, 'task')} in a row on time" for e in streaks
        ]
        blocks.extend(section(c) for c in pack_within(lines, max_blocks=6, max_chars=1200, more=people_more))
    if kudos:
        lines = ["*Kudos*"] + [f"👏 {mention(e.user_id)} got {e.count} kudos" for e in kudos]
        blocks.extend(section(c) for c in pack_within(lines, max_blocks=6, max_chars=1200, more=people_more))
    people = f"{len(finished)} {'person' if len(finished) == 1 else 'people'}"
    return fit_message(f"🏆 Weekly recognition: {plural(total, 'task')} finished by {people}", blocks)


def render_digest(out: Outgoing, now: datetime) -> Message:
    """The weekly manager digest: five short sections, each summarised beyond a few lines."""
    payload = payload_as(out.payload, DigestPayload)

    def tasks(entries: Sequence[DigestTaskLine], heading: str) -> list[str]:
        lines = [heading]
        for e in entries:
            line = (
                f"• *{escape_within(e.ref, 20)}* {escape_within(one_line(e.title), 150)}"
                f" — {mention(e.assignee_id)}, due {when(e.due)}"
            )
            lines.append(f"{line} ({escape_within(e.reason, 100)})" if e.reason else line)
        return lines

    def people(entries: Sequence[DigestPersonLine], heading: str) -> list[str]:
        return [heading] + [f"• {mention(e.user_id)}: {escape_within(e.reason, 200)}" for e in entries]

    def load() -> list[str]:
        lines = ["*⚖️ Load imbalance*"]
        for e in payload.imbalance:
            team = f" in {channel_mention(e.team_channel_id)}" if e.team_channel_id else ""
            if e.reason == "idle":
                lines.append(f"• {mention(e.user_id)} has no open tasks{team} while others carry 3+")
            else:
                lines.append(f"• {mention(e.user_id)} carries a load of {e.load}{team} (team median {e.median:g})")
        return lines

    sections = [
        ("overdue", tasks(payload.overdue, "*⚠️ Overdue*"), payload.overdue_total),
        ("at_risk", tasks(payload.at_risk, "*🔶 At risk*"), payload.at_risk_total),
        ("imbalance", load(), payload.imbalance_total),
        ("support", people(payload.support, "*🤝 May need support*"), payload.support_total),
        ("recognise", people(payload.recognise, "*🏅 To recognise*"), payload.recognise_total),
    ]
    blocks: list[Block] = [header("📋 Your weekly digest")]
    counts: list[str] = []
    for key, lines, stored_total in sections:
        if len(lines) < 2:
            continue
        total = max(stored_total, len(lines) - 1)
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

"""Skills and suggestions: `/team skills` and `/task suggest`, and the New task modal's hint."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.model import (
    Message,
)
from bot.domain.skills import PersonSkills
from bot.domain.suggest import Suggestion, load_word
from bot.domain.text import escape
from handlers.blocks.primitives import (
    FALLBACK_TITLE_CHARS,
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_TEXT_CHARS,
    Block,
    channel_mention,
    context,
    escape_within,
    fit_message,
    mention,
    one_line,
    pack_within,
    plural,
    section,
)

_SKILLS_HOW = "`/team skills @person billing, refunds` sets someone's skills (managers); `-` clears them."
_SUGGEST_TEXT_CHARS = 600


def _skills_text(skills: Sequence[str]) -> str:
    return ", ".join(escape(skill) for skill in skills)


def _teams_text(channel_ids: Sequence[str]) -> str:
    shown = ", ".join(channel_mention(c) for c in channel_ids[:10])
    return shown + (f" and {len(channel_ids) - 10} more" if len(channel_ids) > 10 else "")


def skills_list(people: Sequence[PersonSkills], *, channel_id: str) -> Message:
    """`/team skills` alone: the team's people and their skills."""
    where = channel_mention(channel_id)
    if not people:
        empty = f"No one in {where} has skills or tasks on record yet."
        return fit_message(empty, [section(f"*Skills in {where}*\n{empty}"), context(_SKILLS_HOW)])
    lines = [
        f"• {mention(p.user_id)}: {_skills_text(p.skills)}" if p.skills else f"• {mention(p.user_id)}: _no skills yet_"
        for p in people
    ]
    chunks = pack_within(
        [f"*Skills in {where}*", *lines],
        max_blocks=MAX_MESSAGE_BLOCKS - 2,
        max_chars=MAX_MESSAGE_TEXT_CHARS - 500,
        more=lambda n: f"…and {n} more {'person' if n == 1 else 'people'}",
    )
    people_count = "1 person" if len(people) == 1 else f"{len(people)} people"
    return fit_message(f"Skills in {where}: {people_count}", [*(section(c) for c in chunks), context(_SKILLS_HOW)])


def skills_saved(person: PersonSkills, *, channel_id: str) -> Message:
    """The manager's confirmation after `/team skills @person …`."""
    who, where = mention(person.user_id), channel_mention(channel_id)
    if not person.skills:
        text = f"Cleared {who}'s skills in {where}."
        return fit_message(text, [section(text)])
    text = f"🧰 {who}'s skills in {where}: {_skills_text(person.skills)}."
    hint = "`/task suggest what needs doing #skill` puts people forward by these skills."
    return fit_message(text, [section(text), context(hint)])


def _on_time(found: Suggestion) -> str:
    percent = found.on_time_percent
    if percent is None:
        return "no finished task with a deadline yet"
    return f"{percent}% on time (last {plural(found.finished, 'task')} with a deadline)"


def _reasons(found: Suggestion) -> str:
    skills = f"skills: {_skills_text(found.matched_skills)}" if found.matched_skills else "no matching skills"
    load = "no open tasks"
    if found.open_tasks:
        load = f"open load {found.load} ({plural(found.open_tasks, 'open task')})"
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
    asked = escape_within(one_line(text), _SUGGEST_TEXT_CHARS)
    wanted_text = f" · {', '.join('#' + escape(skill) for skill in wanted)}" if wanted else ""
    heading = f"*Who could take* “{asked}”{wanted_text} _(from {where})_"
    if not found:
        empty = (
            f"No one to suggest yet: no one in {where} has skills or tasks on record. "
            "`/team skills @person billing, refunds` records what someone is good at."
        )
        return fit_message(f"No one to suggest yet in {where}.", [section(heading), section(empty)])
    blocks: list[Block] = [section(heading)]
    blocks.extend(section(f"{n}. {mention(s.user_id)} — {_reasons(s)}") for n, s in enumerate(found, start=1))
    if unmatched:
        missing = ", ".join("#" + escape(skill) for skill in unmatched)
        blocks.append(context(f"No one in {where} has {missing} on record; {_SKILLS_HOW}"))
    blocks.append(
        context(
            "Ranked by matching skills (#skill counts double), then lighter open load "
            "(low 1, normal 2, high 3, urgent 4 a task), then on-time rate. "
            "Delegate with `/task @person title`."
        )
    )
    names = ", ".join(mention(s.user_id) for s in found)
    return fit_message(f"Suggested for {escape_within(one_line(text), FALLBACK_TITLE_CHARS)}: {names}", blocks)


def suggested_lines(found: Sequence[Suggestion]) -> list[str]:
    """Short lines for the New task modal's hint: `@a (light load, 95% on time)`."""
    lines = []
    for s in found:
        percent = s.on_time_percent
        record = "no on-time record yet" if percent is None else f"{percent}% on time"
        away = "away, " if s.away else ""
        lines.append(f"{mention(s.user_id)} ({away}{load_word(s.load)}, {record})")
    return lines

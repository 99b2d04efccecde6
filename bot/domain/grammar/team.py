"""`/team`: set up, check-ins, skills, report, preview, holidays, escalation, time away."""

from __future__ import annotations

import re
from datetime import time

from bot.domain.errors import BadInput
from bot.domain.grammar.commands import (
    ListAway,
    ListSkills,
    SetCheckins,
    SetEscalation,
    SetSkills,
    SetupTeam,
    ShowEscalation,
    TeamCommand,
    TeamHelp,
    TeamPreviewCommand,
    TeamReportCommand,
)
from bot.domain.grammar.shared import TEAM_AWAY_EXAMPLE, parse_away, parse_calendar_setting
from bot.domain.grammar.tokens import (
    MAX_WORD_SHOWN,
    USER_MENTION,
    channels_as_skills,
    refuse_extra,
    refuse_non_person,
    shown,
    split_first,
)
from bot.domain.hours import parse_days
from bot.domain.model import CheckinSchedule
from bot.domain.skills import normalise_skills
from bot.domain.text import clip, escape, unescape

_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


_CHECKINS_FORM = (
    "Use `/team checkins weekdays 10:00`: the days are `weekdays`, `daily` or a comma list such as "
    "`mon,wed,fri`, and the time is 24-hour HH:MM; `/team checkins off` stops them."
)


def parse_team(text: str) -> TeamCommand:
    """Read the text after `/team`."""
    word, rest = split_first(text)
    sub = word.lower()
    if sub in {"", "help"}:
        return TeamHelp()
    if sub == "setup":
        refuse_extra(rest, form="/team setup")
        return SetupTeam()
    if sub == "checkins":
        return SetCheckins(schedule=_parse_schedule(rest))
    if sub == "skills":
        return _parse_skills(rest)
    if sub == "report":
        return _parse_report(rest)
    if sub == "preview":
        return _parse_preview(rest)
    if sub in ("holidays", "holiday"):
        return parse_calendar_setting(rest, command="/team holidays", example="DE-BY")
    if sub == "escalation":
        return _parse_escalation(rest)
    if sub == "away":
        rest = rest.strip()
        if not rest:
            return ListAway()
        mention = USER_MENTION.match(rest)
        if mention is None:
            first, _ = split_first(rest)
            refuse_non_person(first, example=TEAM_AWAY_EXAMPLE)
            raise BadInput(f"Name the person first: {TEAM_AWAY_EXAMPLE}, or `/team away` alone to list who is away.")
        return parse_away(rest[mention.end() :], user_id=mention.group(1))
    raise BadInput(f'Unknown sub-command "{shown(word)}". Try `/team help`.')


_SKILLS_EXAMPLE = "`/team skills @alice billing, refunds, spanish`"
_NO_SKILLS = frozenset({"-", "none"})


def _parse_skills(raw_rest: str) -> SetSkills | ListSkills:
    rest = raw_rest.strip()
    if not rest:
        return ListSkills()
    mention = USER_MENTION.match(rest)
    if mention is None:
        word, _ = split_first(rest)
        refuse_non_person(word, example=_SKILLS_EXAMPLE)
        raise BadInput(
            f"Name the person first, then their skills: {_SKILLS_EXAMPLE}. `/team skills` alone lists everyone's."
        )
    raw_skills = rest[mention.end() :].strip()
    if USER_MENTION.search(raw_skills):
        raise BadInput(f"Set one person's skills at a time: {_SKILLS_EXAMPLE}")
    no_skills = (
        f"Add the skills after the person, separated by commas: {_SKILLS_EXAMPLE}. `/team skills @alice -` clears them."
    )
    unreadable = f"Slack turned a #skill into a link to a channel; type skills without `#`, like {_SKILLS_EXAMPLE}."
    typed = unescape(channels_as_skills(raw_skills, unreadable=unreadable))
    if typed.strip().lower() in _NO_SKILLS:
        return SetSkills(user_id=mention.group(1), skills=())
    skills = normalise_skills(typed.split(","))
    if not skills:  # nothing but commas: clearing takes a plain `-`
        raise BadInput(no_skills)
    return SetSkills(user_id=mention.group(1), skills=skills)


def _parse_schedule(raw_rest: str) -> CheckinSchedule:
    value = unescape(raw_rest).strip().lower()
    if value == "off":
        return CheckinSchedule(days=frozenset())
    parts = value.rsplit(maxsplit=1)
    if len(parts) != 2:
        raise BadInput(_CHECKINS_FORM)
    days_text, clock_text = parts
    clock = _CLOCK.match(clock_text)
    if clock is None:
        raise BadInput(f'"{escape(clip(clock_text, MAX_WORD_SHOWN))}" is not a time. {_CHECKINS_FORM}')
    return CheckinSchedule(days=_parse_days(days_text), at=time(int(clock.group(1)), int(clock.group(2))))


def _parse_days(days_text: str) -> frozenset[int]:
    return parse_days(days_text, how=_CHECKINS_FORM)


MAX_ESCALATION = 10
_ESCALATION_FORM = (
    "Say after how many unanswered check-ins in a row the managers hear of a task, from 1 to "
    f"{MAX_ESCALATION}, like `/team escalation 2`; `/team escalation off` stops it."
)


def _parse_escalation(raw_rest: str) -> SetEscalation | ShowEscalation:
    value = unescape(raw_rest).strip().lower()
    if not value:
        return ShowEscalation()
    if value == "off":
        return SetEscalation(after=0)
    if value.isdigit() and 1 <= int(value) <= MAX_ESCALATION:
        return SetEscalation(after=int(value))
    raise BadInput(f'"{escape(clip(value, MAX_WORD_SHOWN))}" is not a count. {_ESCALATION_FORM}')


def _parse_preview(raw_rest: str) -> TeamPreviewCommand:
    value = unescape(raw_rest).strip().lower().removesuffix("d")
    if not value:
        return TeamPreviewCommand()
    if value.isdigit() and 1 <= int(value) <= 30:
        return TeamPreviewCommand(days=int(value))
    raise BadInput("`/team preview` takes a number of days from 1 to 30 (7 by default), like `/team preview 14`.")


def _parse_report(raw_rest: str) -> TeamReportCommand:
    value = unescape(raw_rest).strip().lower()
    if value in {"", "7d"}:
        return TeamReportCommand(days=7)
    if value == "30d":
        return TeamReportCommand(days=30)
    raise BadInput("`/team report` covers `7d` (the default) or `30d`, like `/team report 30d`.")

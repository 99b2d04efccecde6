"""Turns `/task`, `/kudos` and `/team` text into command values, or a `BadInput` showing the right form.

Slack escapes `&`, `<` and `>` in command text and sends mentions as `<@U123>` or `<@U123|name>`
(https://api.slack.com/interactivity/slash-commands, `should_escape: true`). Mentions are taken from the
raw text first, then the rest is decoded once with `text.unescape`, so a typed "&lt;@U1&gt;" is text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import TypeAlias

from bot.domain.calendars import parse_calendar
from bot.domain.errors import BadInput
from bot.domain.hours import DEFAULT_HOURS, WorkingHours, parse_days, parse_hours
from bot.domain.model import CheckinSchedule, Priority
from bot.domain.model import ListScope as ListScope  # the parser's `list` scopes are the model's
from bot.domain.recurrence import Rule, parse_rule
from bot.domain.skills import normalise_skills
from bot.domain.text import MAX_DETAILS_CHARS, MAX_TITLE_CHARS, clip, escape, parse_task_ref, unescape
from bot.domain.when import is_date_text

MAX_KUDOS_CHARS = 500
_MAX_WORD_SHOWN = 30

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_SPECIAL_MENTION = re.compile(r"<![^<>]*>")  # <!here>, <!channel>, <!everyone>, <!subteam^S1|@group>
_CHANNEL_MENTION = re.compile(r"<#[^<>]*>")
_GROUP_WORDS = frozenset({"@here", "@channel", "@everyone"})
_PRIORITY_TOKEN = re.compile(r"^!([A-Za-z]+)$")
# `by` or `due` as a whole word; lookarounds so "x by by fri" finds both.
_DUE_KEYWORD = re.compile(r"(?<!\S)(?:by|due)(?=\s)", re.IGNORECASE)
_EVERY_KEYWORD = re.compile(r"(?<!\S)every(?=\s)", re.IGNORECASE)
_CLOCK = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")

TASK_HELP = "\n".join(
    [
        "*Baton: `/task`*",
        "• `/task` opens the New task form",
        "• `/task @person title [by|due when] [!low|!normal|!high|!urgent]` delegates a task, "
        "e.g. `/task @alice Fix the refund macro by fri 5pm !high`",
        "• `/task list [mine|delegated|team|overdue|@person]` lists open tasks, soonest due first",
        "• `/task show T-12` shows one task",
        "• `/task done T-12 [note]` marks it done",
        "• `/task reassign T-12 @person` hands it to someone else",
        "• `/task due T-12 when` moves the deadline",
        "• `/task cancel T-12 [reason]` cancels it",
        "• `/task away today fri` records your time off (the last day included); `/task away off` ends it",
        "• `/task @person title every mon|day|weekday|15th [at HH:MM]` repeats it, e.g. "
        "`/task @alice Send the invoices every 1st at 09:30`; a day past a month's end means its last day",
        "• `/task stop T-12` stops the series T-12 belongs to; T-12 itself stays open",
        "• `/task suggest what needs doing [#skill…]` names the three best people of the team to do it",
        "• `/task hours` shows your working hours; `/task hours 09:00-17:30 [weekdays|mon,tue,…]` sets them "
        "(Baton sends you nothing outside them)",
        "• `/task holidays JP` follows a country's public holidays for you (`off` goes back to your team's)",
        '_when_ is "fri 5pm", "tomorrow", "in 3 days" or "2026-12-04 17:00", read in your time zone; '
        "a date alone means 17:00. Ids may be typed `T-12`, `t-12` or `12`.",
    ]
)

TEAM_HELP = "\n".join(
    [
        "*Baton: `/team`*",
        "• `/team setup` in a channel makes it a team channel, with you as a manager",
        "• `/team checkins weekdays 10:00` sets the check-in days and time; days are `weekdays`, `daily` "
        "or a comma list such as `mon,wed,fri`, and the time is 24-hour",
        "• `/team checkins off` stops check-ins",
        "• `/team away @person mon to fri` (managers) records someone's time off; `off` ends it; "
        "`/team away` alone lists who is away",
        "• `/team report [7d|30d]` (managers) per person: on-time rate, open load, overdue, time to done, "
        "check-ins answered and reply time, kudos",
        "• `/team preview [days]` (managers) lists what Baton will send for the team, and when (7 days by default, "
        "at most 30)",
        "• `/team skills @person billing, refunds, spanish` (managers) sets what someone is good at; "
        "`-` clears it, and `/team skills` alone lists the team's people and their skills",
        "• `/team holidays DE-BY` (managers) follows a country's (and region's) public holidays; `off` stops it; "
        "`/team holidays` alone lists the next 60 days'",
        "• `/team escalation 2` (managers): after that many unanswered check-ins in a row on a task, the managers "
        "hear of it once; `off` stops it",
    ]
)


# --- /task ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OpenTaskModal:
    pass


@dataclass(frozen=True, kw_only=True)
class TaskHelp:
    pass


@dataclass(frozen=True, kw_only=True)
class ListTasks:
    scope: ListScope = ListScope.MINE
    user_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ShowTask:
    number: int


@dataclass(frozen=True, kw_only=True)
class CompleteTask:
    number: int
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class ReassignTask:
    number: int
    assignee_id: str


@dataclass(frozen=True, kw_only=True)
class ChangeDue:
    number: int
    when_text: str


@dataclass(frozen=True, kw_only=True)
class CancelTask:
    number: int
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class DelegateTask:
    assignee_id: str
    title: str
    when_text: str | None = None
    priority: Priority = Priority.NORMAL
    rule: Rule | None = None  # `every …`: a recurring task, due at each occurrence


@dataclass(frozen=True, kw_only=True)
class StopSeries:
    """`/task stop`: no more occurrences of the series task `number` belongs to."""

    number: int


@dataclass(frozen=True, kw_only=True)
class SuggestAssignee:
    """`/task suggest`: who should do the work `text` describes; `skills` were asked for with `#skill`."""

    text: str
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SetAway:
    """`/task away <from> <to>` (`user_id` None: the caller) or `/team away @user …`; `off` ends it early."""

    user_id: str | None = None
    when_text: str = ""
    off: bool = False


@dataclass(frozen=True, kw_only=True)
class ListAway:
    """`/team away`: who is away now or later."""


@dataclass(frozen=True, kw_only=True)
class ShowHours:
    """`/task hours`: the caller's working hours, holiday calendar and time off."""


@dataclass(frozen=True, kw_only=True)
class SetHours:
    """`/task hours 09:00-17:30 [days]` (or `default`)."""

    hours: WorkingHours


@dataclass(frozen=True, kw_only=True)
class SetCalendar:
    """`/task holidays JP` / `off` (the caller's own) or `/team holidays DE-BY` / `off` (the channel's team);
    `code` None: none of its own."""

    code: str | None


@dataclass(frozen=True, kw_only=True)
class ShowCalendar:
    """`/task holidays` or `/team holidays` alone: the calendar and the holidays of the next 60 days."""


@dataclass(frozen=True, kw_only=True)
class SetEscalation:
    """`/team escalation 3` / `off` (0)."""

    after: int


@dataclass(frozen=True, kw_only=True)
class ShowEscalation:
    """`/team escalation` alone."""


TaskCommand: TypeAlias = (
    OpenTaskModal
    | TaskHelp
    | ListTasks
    | ShowTask
    | CompleteTask
    | ReassignTask
    | ChangeDue
    | CancelTask
    | DelegateTask
    | SuggestAssignee
    | SetAway
    | StopSeries
    | ShowHours
    | SetHours
    | SetCalendar
    | ShowCalendar
)

# --- /kudos --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GiveKudos:
    recipient_ids: tuple[str, ...]
    message: str


# --- /team ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SetupTeam:
    pass


@dataclass(frozen=True, kw_only=True)
class TeamHelp:
    pass


@dataclass(frozen=True, kw_only=True)
class SetCheckins:
    schedule: CheckinSchedule


@dataclass(frozen=True, kw_only=True)
class TeamReport:
    days: int = 7


@dataclass(frozen=True, kw_only=True)
class SetSkills:
    """Replace a person's skills in the channel's team; no skills clears them."""

    user_id: str
    skills: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ListSkills:
    pass


@dataclass(frozen=True, kw_only=True)
class TeamPreview:
    """`/team preview [days]`: what Baton will send for the team in the next days (1-30)."""

    days: int = 7


TeamCommand: TypeAlias = (
    SetupTeam
    | TeamHelp
    | SetCheckins
    | TeamReport
    | SetSkills
    | ListSkills
    | SetAway
    | ListAway
    | TeamPreview
    | SetCalendar
    | ShowCalendar
    | SetEscalation
    | ShowEscalation
)


# --- shared pieces -------------------------------------------------------------------------------------

_PICK_FROM_AUTOCOMPLETE = "pick the person from Slack's autocomplete so the name turns into a mention"


def _split_first(raw: str) -> tuple[str, str]:
    """The first word and the rest, both still as Slack sent them."""
    parts = raw.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _shown(raw_word: str) -> str:
    """A word the person typed, shortened and escaped for quoting in a (mrkdwn) reply."""
    return escape(clip(unescape(raw_word), _MAX_WORD_SHOWN))


def _refuse_non_person(raw_word: str, *, example: str) -> None:
    """A word where a person should be that is a group, a channel or a plain @name: say what to do."""
    if _SPECIAL_MENTION.match(raw_word) or raw_word.lower() in _GROUP_WORDS:
        raise BadInput(f"Name one person, not a group or @here: {example}")
    if _CHANNEL_MENTION.match(raw_word):
        raise BadInput(f"Name a person, not a channel: {example}")
    if raw_word.startswith("@"):
        raise BadInput(f'"{_shown(raw_word)}" is not a mention; {_PICK_FROM_AUTOCOMPLETE}: {example}')


# --- /task ---------------------------------------------------------------------------------------------

_DELEGATE_EXAMPLE = "`/task @alice Fix the refund macro by fri 5pm`"
_PRIORITIES = "`!low`, `!normal`, `!high` or `!urgent`"


def parse_task(text: str) -> TaskCommand:
    """Read the text after `/task`."""
    raw = text.strip()
    if not raw:
        return OpenTaskModal()
    if raw.startswith("<@"):
        return _parse_delegate(raw)
    word, rest = _split_first(raw)
    _refuse_non_person(word, example=_DELEGATE_EXAMPLE)
    sub = word.lower()
    if sub == "help":
        return TaskHelp()
    if sub == "list":
        return _parse_list(rest)
    if sub == "show":
        number, extra = _task_number(rest, form="/task show T-12")
        _refuse_extra(extra, form="/task show T-12")
        return ShowTask(number=number)
    if sub == "done":
        number, extra = _task_number(rest, form="/task done T-12")
        return CompleteTask(number=number, note=_free_text(extra, what="note"))
    if sub == "reassign":
        return _parse_reassign(rest)
    if sub == "due":
        number, extra = _task_number(rest, form="/task due T-12 fri 5pm")
        when_text = " ".join(unescape(extra).split())
        if not when_text:
            raise BadInput("`/task due` needs a new due time after the id, like `/task due T-12 fri 5pm`.")
        return ChangeDue(number=number, when_text=when_text)
    if sub == "suggest":
        return _parse_suggest(rest)
    if sub == "away":
        return _parse_away(rest, user_id=None)
    if sub == "cancel":
        number, extra = _task_number(rest, form="/task cancel T-12")
        return CancelTask(number=number, reason=_free_text(extra, what="reason"))
    if sub == "stop":
        number, extra = _task_number(rest, form="/task stop T-12")
        _refuse_extra(extra, form="/task stop T-12")
        return StopSeries(number=number)
    if sub == "hours":
        return _parse_hours(rest)
    if sub in ("holidays", "holiday"):
        return _parse_calendar(rest, command="/task holidays", example="JP")
    raise BadInput(
        f'Unknown sub-command "{_shown(word)}". To delegate, type `/task @person title`; for the rest, '
        "try `/task help`."
    )


def _task_number(raw_rest: str, *, form: str) -> tuple[int, str]:
    """The task id that starts `raw_rest`, and what follows it."""
    command = " ".join(form.split()[:2])
    word, extra = _split_first(raw_rest)
    if not word:
        raise BadInput(f"`{command}` needs a task id, like `{form}`.")
    number = parse_task_ref(word)
    if number is None:
        raise BadInput(f'"{_shown(word)}" is not a task id. `{command}` needs one, like `{form}`.')
    return number, extra


def _refuse_extra(raw_extra: str, *, form: str) -> None:
    if raw_extra.strip():
        raise BadInput(f'I didn\'t expect "{_shown(raw_extra.strip())}" there. Use `{form}`.')


def _free_text(raw: str, *, what: str) -> str:
    """A note or reason as typed, decoded once."""
    value = unescape(raw).strip()
    if len(value) > MAX_DETAILS_CHARS:
        raise BadInput(f"That {what} is {len(value)} characters long; keep it to {MAX_DETAILS_CHARS} or fewer.")
    return value


def _parse_list(raw_rest: str) -> ListTasks:
    form = "`/task list` takes one of `mine`, `delegated`, `team`, `overdue` or `@person`"
    rest = raw_rest.strip()
    if not rest:
        return ListTasks(scope=ListScope.MINE)
    mention = _USER_MENTION.fullmatch(rest)  # whole, as a `|name` may hold spaces
    if mention is not None:
        return ListTasks(scope=ListScope.USER, user_id=mention.group(1))
    word, extra = _split_first(rest)
    if extra:
        raise BadInput(f"{form}, like `/task list overdue`.")
    _refuse_non_person(word, example="`/task list @alice`")
    scope = word.lower()
    if scope in {ListScope.MINE, ListScope.DELEGATED, ListScope.TEAM, ListScope.OVERDUE}:
        return ListTasks(scope=ListScope(scope))
    raise BadInput(f'"{_shown(word)}" is not a list. {form}.')


def _parse_reassign(raw_rest: str) -> ReassignTask:
    form = "/task reassign T-12 @alice"
    number, extra = _task_number(raw_rest, form=form)
    mention = _USER_MENTION.match(extra)
    if mention is None:
        word, _ = _split_first(extra)
        _refuse_non_person(word, example=f"`{form}`")
        raise BadInput(f"`/task reassign` needs the new person after the id, like `{form}`.")
    if extra[mention.end() :].strip():
        raise BadInput(f"A task has one assignee; name one person, like `{form}`.")
    return ReassignTask(number=number, assignee_id=mention.group(1))


def _parse_delegate(raw: str) -> DelegateTask:
    match = _USER_MENTION.match(raw)
    if match is None:  # "<@" that is not a well-formed user mention
        raise BadInput(f"Start with the person, picked from Slack's autocomplete: {_DELEGATE_EXAMPLE}")
    raw_rest = raw[match.end() :].lstrip()
    if _USER_MENTION.match(raw_rest):  # a second person; <!here> or <#C…> there is title text, escaped
        raise BadInput(f"A task has one assignee; make one task per person: {_DELEGATE_EXAMPLE}")
    words, priority = _take_priority(unescape(raw_rest).split())
    typed, rule = _split_every(" ".join(words))
    title, when_text = _split_due(typed)
    if rule is not None and when_text is not None:
        raise BadInput(
            "A repeating task is due at each occurrence; drop the `by …` part, like "
            "`/task @alice Send the invoices every mon at 09:30`."
        )
    if not title:
        raise BadInput(f"Give the task a title: {_DELEGATE_EXAMPLE}")
    if len(title) > MAX_TITLE_CHARS:
        raise BadInput(
            f"That title is {len(title)} characters long; keep it to {MAX_TITLE_CHARS} or fewer "
            "and put the rest in the details (type `/task` alone for the form)."
        )
    return DelegateTask(assignee_id=match.group(1), title=title, when_text=when_text, priority=priority, rule=rule)


def _take_priority(words: list[str]) -> tuple[list[str], Priority]:
    """Remove `!high`-style words from anywhere; the one priority they name, else normal."""
    kept: list[str] = []
    named: set[Priority] = set()
    for word in words:
        match = _PRIORITY_TOKEN.match(word)
        if match is None:
            kept.append(word)
            continue
        name = match.group(1).lower()
        if name not in {p.value for p in Priority}:
            raise BadInput(f'"{escape(clip(word, _MAX_WORD_SHOWN))}" is not a priority. Use {_PRIORITIES}.')
        named.add(Priority(name))
    if len(named) > 1:
        raise BadInput(f"Give one priority, not several: {_PRIORITIES}.")
    return kept, next(iter(named), Priority.NORMAL)


def _split_every(text: str) -> tuple[str, Rule | None]:
    """Split off a trailing `every …` when what follows reads as a rule; else it is all title."""
    for match in reversed(list(_EVERY_KEYWORD.finditer(text))):
        rule = parse_rule(text[match.end() :])
        if rule is not None:
            return text[: match.start()].strip(), rule
    return text, None


def _split_due(text: str) -> tuple[str, str | None]:
    """Split off a trailing `by …` or `due …` when what follows reads as a date; else it is all title.

    The last keyword is tried first, so "Sign off by legal by fri" keeps "by legal" in the title.
    """
    for match in reversed(list(_DUE_KEYWORD.finditer(text))):
        rest = text[match.end() :].strip()
        if is_date_text(rest):
            return text[: match.start()].strip(), rest
    return text.strip(), None


_MAX_SUGGEST_CHARS = 500
_SUGGEST_EXAMPLE = "`/task suggest Refund a Spanish customer #billing`"
# Slack links a `#word` that is also a channel's name: `<#C123|word>`, or `<#C123|>` for a private one.
_CHANNEL_LINK = re.compile(r"<#[CG][A-Z0-9]*(?:\|([^<>]*))?>")


def _channels_as_skills(raw: str, *, unreadable: str) -> str:
    """Read a `#skill` that Slack turned into a channel link back as `#skill`."""

    def as_skill(match: re.Match[str]) -> str:
        name = (match.group(1) or "").strip()
        if not name:
            raise BadInput(unreadable)
        return "#" + name

    return _CHANNEL_LINK.sub(as_skill, raw)


def _parse_suggest(raw_rest: str) -> SuggestAssignee:
    """`#skill` words anywhere are the skills asked for; the other words say what needs doing."""
    unreadable = (
        "Slack turned a #skill into a link to the channel of that name, so I can't read it; write that "
        "skill as a plain word in the text instead (skills named there count too)."
    )
    words: list[str] = []
    wanted: list[str] = []
    for word in unescape(_channels_as_skills(raw_rest, unreadable=unreadable)).split():
        if word.startswith("#") and len(word) > 1:
            wanted.append(word.rstrip(",.;:!?"))
        else:
            words.append(word)
    text = " ".join(words)
    if not text:
        raise BadInput(f"Say what needs doing after `/task suggest`, like {_SUGGEST_EXAMPLE}.")
    if len(text) > _MAX_SUGGEST_CHARS:
        raise BadInput(
            f"That description is {len(text)} characters long; keep it to {_MAX_SUGGEST_CHARS} or fewer, "
            f"like {_SUGGEST_EXAMPLE}."
        )
    return SuggestAssignee(text=text, skills=normalise_skills(wanted))


# --- /kudos --------------------------------------------------------------------------------------------

_KUDOS_EXAMPLE = "`/kudos @alice @bob Thanks for covering the on-call weekend!`"


def parse_kudos(text: str) -> GiveKudos:
    """Read the text after `/kudos`: the people first, then the message."""
    raw = text.strip()
    recipients: list[str] = []
    while match := _USER_MENTION.match(raw):
        if match.group(1) not in recipients:
            recipients.append(match.group(1))
        raw = raw[match.end() :].lstrip().removeprefix(",").lstrip()  # "@a, @b thanks"
    if not recipients:
        word, _ = _split_first(raw)
        _refuse_non_person(word, example=_KUDOS_EXAMPLE)
        raise BadInput(f"Start with the people you thank: {_KUDOS_EXAMPLE}")
    if _SPECIAL_MENTION.match(raw) or _CHANNEL_MENTION.match(raw):
        raise BadInput(f"Kudos go to people, not groups or channels: {_KUDOS_EXAMPLE}")
    message = unescape(raw).strip()
    if not message:
        raise BadInput(f"Add a message after the names: {_KUDOS_EXAMPLE}")
    if len(message) > MAX_KUDOS_CHARS:
        raise BadInput(f"That message is {len(message)} characters long; keep it to {MAX_KUDOS_CHARS} or fewer.")
    return GiveKudos(recipient_ids=tuple(recipients), message=message)


# --- /team ---------------------------------------------------------------------------------------------

_CHECKINS_FORM = (
    "Use `/team checkins weekdays 10:00`: the days are `weekdays`, `daily` or a comma list such as "
    "`mon,wed,fri`, and the time is 24-hour HH:MM; `/team checkins off` stops them."
)


def parse_team(text: str) -> TeamCommand:
    """Read the text after `/team`."""
    word, rest = _split_first(text)
    sub = word.lower()
    if sub in {"", "help"}:
        return TeamHelp()
    if sub == "setup":
        _refuse_extra(rest, form="/team setup")
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
        return _parse_calendar(rest, command="/team holidays", example="DE-BY")
    if sub == "escalation":
        return _parse_escalation(rest)
    if sub == "away":
        rest = rest.strip()
        if not rest:
            return ListAway()
        mention = _USER_MENTION.match(rest)
        if mention is None:
            first, _ = _split_first(rest)
            _refuse_non_person(first, example=_TEAM_AWAY_EXAMPLE)
            raise BadInput(f"Name the person first: {_TEAM_AWAY_EXAMPLE}, or `/team away` alone to list who is away.")
        return _parse_away(rest[mention.end() :], user_id=mention.group(1))
    raise BadInput(f'Unknown sub-command "{_shown(word)}". Try `/team help`.')


_TEAM_AWAY_EXAMPLE = "`/team away @alice 2026-12-21 to 2026-12-31`"


def _parse_away(raw_rest: str, *, user_id: str | None) -> SetAway:
    when_text = " ".join(unescape(raw_rest).split())
    if when_text.lower() == "off":
        return SetAway(user_id=user_id, off=True)
    if not when_text:
        example = _TEAM_AWAY_EXAMPLE if user_id else "`/task away today fri`"
        raise BadInput(f"Say which days: {example} (the last day included), or `off` to end it.")
    return SetAway(user_id=user_id, when_text=when_text)


_SKILLS_EXAMPLE = "`/team skills @alice billing, refunds, spanish`"
_NO_SKILLS = frozenset({"-", "none"})


def _parse_skills(raw_rest: str) -> SetSkills | ListSkills:
    rest = raw_rest.strip()
    if not rest:
        return ListSkills()
    mention = _USER_MENTION.match(rest)
    if mention is None:
        word, _ = _split_first(rest)
        _refuse_non_person(word, example=_SKILLS_EXAMPLE)
        raise BadInput(
            f"Name the person first, then their skills: {_SKILLS_EXAMPLE}. `/team skills` alone lists everyone's."
        )
    raw_skills = rest[mention.end() :].strip()
    if _USER_MENTION.search(raw_skills):
        raise BadInput(f"Set one person's skills at a time: {_SKILLS_EXAMPLE}")
    no_skills = (
        f"Add the skills after the person, separated by commas: {_SKILLS_EXAMPLE}. `/team skills @alice -` clears them."
    )
    unreadable = f"Slack turned a #skill into a link to a channel; type skills without `#`, like {_SKILLS_EXAMPLE}."
    typed = unescape(_channels_as_skills(raw_skills, unreadable=unreadable))
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
        raise BadInput(f'"{escape(clip(clock_text, _MAX_WORD_SHOWN))}" is not a time. {_CHECKINS_FORM}')
    return CheckinSchedule(days=_parse_days(days_text), at=time(int(clock.group(1)), int(clock.group(2))))


def _parse_days(days_text: str) -> frozenset[int]:
    return parse_days(days_text, how=_CHECKINS_FORM)


_DEFAULT_WORDS = frozenset({"default", "reset"})


def _parse_hours(raw_rest: str) -> ShowHours | SetHours:
    text = " ".join(unescape(raw_rest).split())
    if not text:
        return ShowHours()
    if text.lower() in _DEFAULT_WORDS:
        return SetHours(hours=DEFAULT_HOURS)
    return SetHours(hours=parse_hours(text))


def _parse_calendar(raw_rest: str, *, command: str, example: str) -> SetCalendar | ShowCalendar:
    text = " ".join(unescape(raw_rest).split())
    if not text:
        return ShowCalendar()
    if text.lower() in {"off", "none", "-"}:
        return SetCalendar(code=None)
    try:
        return SetCalendar(code=parse_calendar(text))
    except BadInput as error:
        raise BadInput(f"{error.reply} Like `{command} {example}`; `{command} off` removes it.") from None


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
    raise BadInput(f'"{escape(clip(value, _MAX_WORD_SHOWN))}" is not a count. {_ESCALATION_FORM}')


def _parse_preview(raw_rest: str) -> TeamPreview:
    value = unescape(raw_rest).strip().lower().removesuffix("d")
    if not value:
        return TeamPreview()
    if value.isdigit() and 1 <= int(value) <= 30:
        return TeamPreview(days=int(value))
    raise BadInput("`/team preview` takes a number of days from 1 to 30 (7 by default), like `/team preview 14`.")


def _parse_report(raw_rest: str) -> TeamReport:
    value = unescape(raw_rest).strip().lower()
    if value in {"", "7d"}:
        return TeamReport(days=7)
    if value == "30d":
        return TeamReport(days=30)
    raise BadInput("`/team report` covers `7d` (the default) or `30d`, like `/team report 30d`.")

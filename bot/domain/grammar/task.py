"""`/task`: delegate, list, show, finish, hand over, re-date, cancel, suggest, time away, hours, holidays."""

from __future__ import annotations

import re

from bot.domain.errors import BadInput
from bot.domain.grammar.commands import (
    CancelTask,
    ChangeDue,
    CompleteTask,
    DelegateTask,
    ListTasks,
    OpenTaskModal,
    ReassignTask,
    SetHours,
    ShowHours,
    ShowTask,
    StopSeries,
    SuggestAssignee,
    TaskCommand,
    TaskHelp,
)
from bot.domain.grammar.shared import parse_away, parse_calendar_setting
from bot.domain.grammar.tokens import (
    MAX_WORD_SHOWN,
    USER_MENTION,
    channels_as_skills,
    refuse_extra,
    refuse_non_person,
    shown,
    split_first,
)
from bot.domain.hours import DEFAULT_HOURS, parse_hours
from bot.domain.model import ListScope, Priority
from bot.domain.recurrence import Rule, parse_rule
from bot.domain.skills import normalise_skills
from bot.domain.text import MAX_DETAILS_CHARS, MAX_TITLE_CHARS, clip, escape, parse_task_ref, unescape
from bot.domain.when import is_date_text

_PRIORITY_TOKEN = re.compile(r"^!([A-Za-z]+)$")
# `by` or `due` as a whole word; lookarounds so "x by by fri" finds both.
_DUE_KEYWORD = re.compile(r"(?<!\S)(?:by|due)(?=\s)", re.IGNORECASE)
_EVERY_KEYWORD = re.compile(r"(?<!\S)every(?=\s)", re.IGNORECASE)


_DELEGATE_EXAMPLE = "`/task @alice Fix the refund macro by fri 5pm`"
_PRIORITIES = "`!low`, `!normal`, `!high` or `!urgent`"


def parse_task(text: str) -> TaskCommand:
    """Read the text after `/task`."""
    raw = text.strip()
    if not raw:
        return OpenTaskModal()
    if raw.startswith("<@"):
        return _parse_delegate(raw)
    word, rest = split_first(raw)
    refuse_non_person(word, example=_DELEGATE_EXAMPLE)
    sub = word.lower()
    if sub == "help":
        return TaskHelp()
    if sub == "list":
        return _parse_list(rest)
    if sub == "show":
        number, extra = _task_number(rest, form="/task show T-12")
        refuse_extra(extra, form="/task show T-12")
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
        return parse_away(rest, user_id=None)
    if sub == "cancel":
        number, extra = _task_number(rest, form="/task cancel T-12")
        return CancelTask(number=number, reason=_free_text(extra, what="reason"))
    if sub == "stop":
        number, extra = _task_number(rest, form="/task stop T-12")
        refuse_extra(extra, form="/task stop T-12")
        return StopSeries(number=number)
    if sub == "hours":
        return _parse_hours(rest)
    if sub in ("holidays", "holiday"):
        return parse_calendar_setting(rest, command="/task holidays", example="JP")
    raise BadInput(
        f'Unknown sub-command "{shown(word)}". To delegate, type `/task @person title`; for the rest, try `/task help`.'
    )


def _task_number(raw_rest: str, *, form: str) -> tuple[int, str]:
    """The task id that starts `raw_rest`, and what follows it."""
    command = " ".join(form.split()[:2])
    word, extra = split_first(raw_rest)
    if not word:
        raise BadInput(f"`{command}` needs a task id, like `{form}`.")
    number = parse_task_ref(word)
    if number is None:
        raise BadInput(f'"{shown(word)}" is not a task id. `{command}` needs one, like `{form}`.')
    return number, extra


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
    mention = USER_MENTION.fullmatch(rest)  # whole, as a `|name` may hold spaces
    if mention is not None:
        return ListTasks(scope=ListScope.USER, user_id=mention.group(1))
    word, extra = split_first(rest)
    if extra:
        raise BadInput(f"{form}, like `/task list overdue`.")
    refuse_non_person(word, example="`/task list @alice`")
    scope = word.lower()
    if scope in {ListScope.MINE, ListScope.DELEGATED, ListScope.TEAM, ListScope.OVERDUE}:
        return ListTasks(scope=ListScope(scope))
    raise BadInput(f'"{shown(word)}" is not a list. {form}.')


def _parse_reassign(raw_rest: str) -> ReassignTask:
    form = "/task reassign T-12 @alice"
    number, extra = _task_number(raw_rest, form=form)
    mention = USER_MENTION.match(extra)
    if mention is None:
        word, _ = split_first(extra)
        refuse_non_person(word, example=f"`{form}`")
        raise BadInput(f"`/task reassign` needs the new person after the id, like `{form}`.")
    if extra[mention.end() :].strip():
        raise BadInput(f"A task has one assignee; name one person, like `{form}`.")
    return ReassignTask(number=number, assignee_id=mention.group(1))


def _parse_delegate(raw: str) -> DelegateTask:
    match = USER_MENTION.match(raw)
    if match is None:  # "<@" that is not a well-formed user mention
        raise BadInput(f"Start with the person, picked from Slack's autocomplete: {_DELEGATE_EXAMPLE}")
    raw_rest = raw[match.end() :].lstrip()
    if USER_MENTION.match(raw_rest):  # a second person; <!here> or <#C…> there is title text, escaped
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
            raise BadInput(f'"{escape(clip(word, MAX_WORD_SHOWN))}" is not a priority. Use {_PRIORITIES}.')
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


def _parse_suggest(raw_rest: str) -> SuggestAssignee:
    """`#skill` words anywhere are the skills asked for; the other words say what needs doing."""
    unreadable = (
        "Slack turned a #skill into a link to the channel of that name, so I can't read it; write that "
        "skill as a plain word in the text instead (skills named there count too)."
    )
    words: list[str] = []
    wanted: list[str] = []
    for word in unescape(channels_as_skills(raw_rest, unreadable=unreadable)).split():
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


_DEFAULT_WORDS = frozenset({"default", "reset"})


def _parse_hours(raw_rest: str) -> ShowHours | SetHours:
    text = " ".join(unescape(raw_rest).split())
    if not text:
        return ShowHours()
    if text.lower() in _DEFAULT_WORDS:
        return SetHours(hours=DEFAULT_HOURS)
    return SetHours(hours=parse_hours(text))

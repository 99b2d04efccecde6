"""Time off and snooze: the pure rules for when a person is away and when a snoozed check-in returns."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from bot.domain import worktime
from bot.domain.errors import BadInput
from bot.domain.text import clip, escape
from bot.domain.when import read_when
from bot.domain.worktime import Period, covering

__all__ = ["Period", "covering", "may_snooze", "read_period"]

MAX_AWAY = timedelta(days=366)
_SEPARATOR = re.compile(r"\s+(?:to|until|till|-|–)\s+", re.IGNORECASE)
_EXAMPLE = "`/task away today fri`, `/task away 2026-12-21 to 2026-12-31` or `/task away mon until wed`"


def _day(text: str, *, now: datetime, tz: str) -> date | None:
    if text.strip().lower() == "today":
        return worktime.local_date(now, tz=tz)
    moment = read_when(text, now=now, tz=tz)
    return None if moment is None else worktime.local_date(moment, tz=tz)


def _split(text: str, *, now: datetime, tz: str) -> tuple[date, date]:
    cleaned = " ".join(text.split())
    halves = _SEPARATOR.split(cleaned, maxsplit=1)
    if len(halves) == 2:
        first, last = _day(halves[0], now=now, tz=tz), _day(halves[1], now=now, tz=tz)
        if first is not None and last is not None:
            return first, last
    words = cleaned.split()
    for cut in range(1, len(words)):  # "dec 21 dec 31": the first split where both halves are dates
        first, last = _day(" ".join(words[:cut]), now=now, tz=tz), _day(" ".join(words[cut:]), now=now, tz=tz)
        if first is not None and last is not None:
            return first, last
    if len(words) >= 1:
        only = _day(cleaned, now=now, tz=tz)
        if only is not None:  # one day: away that day
            return only, only
    raise BadInput(f'I couldn\'t read "{escape(clip(cleaned, 60))}" as two dates. Try {_EXAMPLE}.')


def read_period(text: str, *, now: datetime, tz: str) -> Period:
    """`<from> <to>` in the person's zone: from the start of the first local day to the end of the last."""
    if not text.strip():
        raise BadInput(f"Say when you are away, like {_EXAMPLE}.")
    first, last = _split(text, now=now, tz=tz)
    if last < first:
        raise BadInput(f"The last day ({last:%a %d %b}) is before the first ({first:%a %d %b}); swap them.")
    starts_at = worktime.at_local(first, time(0, 0), tz=tz)
    ends_at = worktime.at_local(last + timedelta(days=1), time(0, 0), tz=tz)
    if ends_at <= now:
        raise BadInput(f"That time off ({first:%a %d %b} to {last:%a %d %b}) is over already; pick days ahead.")
    if ends_at - starts_at > MAX_AWAY:
        raise BadInput("Time off can be at most a year; record it in parts.")
    return Period(starts_at=starts_at, ends_at=ends_at)


def may_snooze(*, last_snoozed_at: datetime | None, now: datetime, tz: str) -> bool:
    """At most one snooze per task per local day of the assignee."""
    return last_snoozed_at is None or worktime.local_date(last_snoozed_at, tz=tz) != worktime.local_date(now, tz=tz)

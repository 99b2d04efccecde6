"""Recurring-task rules ("every mon at 09:30", "every 15th"): reading them, saying them, and their next moment."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.domain import worktime
from bot.domain.when import DEFAULT_DUE_TIME

# A rule always has a matching day within 31 days; a margin covers DST gaps that skip a day's moment.
_MAX_DAYS_AHEAD = 62

_WEEKDAY_NAMES: dict[str, int] = {
    **{name: index for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{
        name: index
        for index, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    **{"tues": 1, "thur": 3, "thurs": 3},
}
_LONG_WEEKDAY = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_DAY = re.compile(r"^([1-9]|[12][0-9]|3[01])(?:st|nd|rd|th)$")
_CLOCK_24 = re.compile(r"^([01]?[0-9]|2[0-3])[:.]([0-5][0-9])$")
_CLOCK_12 = re.compile(r"^(1[0-2]|0?[1-9])(?:[:.]([0-5][0-9]))?(am|pm)$")


class Every(StrEnum):
    DAY = "day"
    WEEKDAY = "weekday"  # Monday to Friday
    WEEK = "week"  # on one weekday
    MONTH = "month"  # on one day of the month; the last day in months too short for it


@dataclass(frozen=True)
class Rule:
    """When a series repeats: `day` is a Python weekday (WEEK) or a month day 1-31 (MONTH); `at` is wall time."""

    every: Every
    day: int = 0
    at: time = DEFAULT_DUE_TIME

    def __post_init__(self) -> None:
        if self.every is Every.WEEK and not 0 <= self.day <= 6:
            raise ValueError(f"weekday {self.day} out of range")
        if self.every is Every.MONTH and not 1 <= self.day <= 31:
            raise ValueError(f"month day {self.day} out of range")

    def encode(self) -> str:
        """The stored form: `week:0`, `month:31`, `day`, `weekday` (the time is stored apart)."""
        return f"{self.every.value}:{self.day}" if self.every in (Every.WEEK, Every.MONTH) else self.every.value

    @classmethod
    def decode(cls, stored: str, *, at: time) -> Rule:
        kind, _, day = stored.partition(":")
        return cls(every=Every(kind), day=int(day or 0), at=at)

    def matches(self, day: date) -> bool:
        """Whether an occurrence falls on this local day."""
        if self.every is Every.DAY:
            return True
        if self.every is Every.WEEKDAY:
            return day.weekday() < 5
        if self.every is Every.WEEK:
            return day.weekday() == self.day
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(self.day, last)


def parse_rule(text: str) -> Rule | None:
    """The rule in the words after `every` ("mon at 09:30", "day", "15th at 5pm"); None when they are not one."""
    words = text.lower().split()
    if not words:
        return None
    at = DEFAULT_DUE_TIME
    if len(words) >= 2 and words[-2] == "at":
        clock = parse_clock(words[-1])
        if clock is None:
            return None
        at = clock
        words = words[:-2]
    if len(words) != 1:
        return None
    word = words[0]
    if word == "day":
        return Rule(every=Every.DAY, at=at)
    if word == "weekday":
        return Rule(every=Every.WEEKDAY, at=at)
    if word in _WEEKDAY_NAMES:
        return Rule(every=Every.WEEK, day=_WEEKDAY_NAMES[word], at=at)
    month_day = _MONTH_DAY.match(word)
    if month_day is not None:
        return Rule(every=Every.MONTH, day=int(month_day.group(1)), at=at)
    return None


def parse_clock(word: str) -> time | None:
    """`09:30`, `9:30`, `17.00`, `9am`, `5:30pm`; None for anything else."""
    match = _CLOCK_24.match(word)
    if match is not None:
        return time(int(match.group(1)), int(match.group(2)))
    match = _CLOCK_12.match(word)
    if match is None:
        return None
    hour = int(match.group(1)) % 12 + (12 if match.group(3) == "pm" else 0)
    return time(hour, int(match.group(2) or 0))


def _ordinal(number: int) -> str:
    suffix = "th" if 11 <= number % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def describe(rule: Rule) -> str:
    """The rule in words for replies: "every Monday at 09:30"."""
    at = f"at {rule.at:%H:%M}"
    if rule.every is Every.DAY:
        return f"every day {at}"
    if rule.every is Every.WEEKDAY:
        return f"every weekday (Monday to Friday) {at}"
    if rule.every is Every.WEEK:
        return f"every {_LONG_WEEKDAY[rule.day]} {at}"
    shorter = " (the last day in shorter months)" if rule.day > 28 else ""
    return f"every month on the {_ordinal(rule.day)}{shorter} {at}"


def next_occurrence(rule: Rule, *, after: datetime, tz: str) -> datetime:
    """The first moment of `rule` strictly after `after`, in zone `tz`, as aware UTC.

    A wall time inside a spring-forward gap moves to the end of the gap and a repeated one takes the
    first reading (`worktime.at_local`).
    """
    start = worktime.local_date(after, tz=tz)
    for offset in range(_MAX_DAYS_AHEAD):
        day = start + timedelta(days=offset)
        if rule.matches(day):
            moment = worktime.at_local(day, rule.at, tz=tz)
            if moment > after:
                return moment
    raise AssertionError(f"no occurrence of {rule!r} within {_MAX_DAYS_AHEAD} days")  # pragma: no cover

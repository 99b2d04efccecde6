"""A person's working hours (`/task hours`): the wall-clock window and weekdays Baton may DM them in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from bot.domain.errors import BadInput
from bot.domain.text import clip, escape

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES: dict[str, int] = {
    **{name: index for index, name in enumerate(_DAY_NAMES)},
    **{name: index for index, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"))},
    "saturday": 5,
    "sunday": 6,
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_DAY_SETS: dict[str, frozenset[int]] = {"weekdays": frozenset(range(5)), "daily": frozenset(range(7))}
_RANGE = re.compile(r"^(\S+?)\s*(?:-|–|to)\s*(\S+)$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")
EXAMPLE = "`/task hours 09:00-17:30` or `/task hours 07:00-15:00 mon,tue,wed,thu`"
MIN_LENGTH_MINUTES = 60


@dataclass(frozen=True)
class WorkingHours:
    """From `start` to `end` (both included) on `days` (Python weekday numbers), in the person's own zone."""

    start: time = time(8, 0)
    end: time = time(20, 0)
    days: frozenset[int] = frozenset(range(5))

    def text(self) -> str:
        """How people type and read them: `08:00-20:00 weekdays`."""
        return f"{self.start:%H:%M}-{self.end:%H:%M} {days_text(self.days)}"

    @property
    def is_default(self) -> bool:
        return self == DEFAULT_HOURS

    def stored_days(self) -> str:
        return ",".join(str(d) for d in sorted(self.days))


DEFAULT_HOURS = WorkingHours()


def days_text(days: frozenset[int]) -> str:
    for name, value in _DAY_SETS.items():
        if days == value:
            return name
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def stored_hours(start: str | None, end: str | None, days: str | None) -> WorkingHours:
    """Hours as the people table keeps them (`HH:MM`, `HH:MM`, `0,1,2`); missing parts are the default."""
    if not start or not end:
        return DEFAULT_HOURS
    day_set = frozenset(int(d) for d in days.split(",") if d) if days else DEFAULT_HOURS.days
    return WorkingHours(
        start=time.fromisoformat(start), end=time.fromisoformat(end), days=day_set or DEFAULT_HOURS.days
    )


def _shown(word: str) -> str:
    return escape(clip(word, 30))


def _clock(word: str) -> time:
    match = _CLOCK.match(word)
    if match is None:
        raise BadInput(f'"{_shown(word)}" is not a time of day. Use 24-hour times, like {EXAMPLE}.')
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise BadInput(f'"{_shown(word)}" is not a time of day (00:00 to 23:59). Use 24-hour times, like {EXAMPLE}.')
    return time(hour, minute)


def parse_days(text: str, *, how: str) -> frozenset[int]:
    """`weekdays`, `daily` or a comma list of day names as weekday numbers; `how` ends the refusal."""
    compact = "".join(text.lower().split())
    if compact in _DAY_SETS:
        return _DAY_SETS[compact]
    days: set[int] = set()
    for name in compact.split(","):
        if name not in _DAY_ALIASES:
            shown = f'"{_shown(name)}" is not a day.' if name else "A day is missing."
            raise BadInput(f"{shown} {how}")
        days.add(_DAY_ALIASES[name])
    return frozenset(days)


def parse_hours(text: str) -> WorkingHours:
    """`09:00-17:30 [weekdays|daily|mon,tue,…]`; days default to Monday to Friday. A range that ends
    before it starts (a night shift) or is shorter than an hour is refused with the right form."""
    words = text.split()
    if not words:
        raise BadInput(f"Give the hours, like {EXAMPLE}.")
    # "09:00 - 17:30" and "09:00 to 17:30" are one range typed with spaces.
    head, rest = words[0], words[1:]
    if len(words) >= 3 and words[1].lower() in ("-", "–", "to"):
        head, rest = f"{words[0]}-{words[2]}", words[3:]
    match = _RANGE.match(head)
    if match is None:
        raise BadInput(f'"{_shown(head)}" is not a range of hours. Type start and end, like {EXAMPLE}.')
    start, end = _clock(match.group(1)), _clock(match.group(2))
    if end <= start:
        raise BadInput(
            f"Those hours end ({end:%H:%M}) before they start ({start:%H:%M}). Baton does not do night shifts "
            f"across midnight; give a range within one day, like {EXAMPLE}."
        )
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    if minutes < MIN_LENGTH_MINUTES:
        raise BadInput(f"Working hours must be at least an hour long, like {EXAMPLE}.")
    how = f"Days are `weekdays`, `daily` or a comma list such as `mon,tue,wed`: {EXAMPLE}."
    days = parse_days(" ".join(rest), how=how) if rest else DEFAULT_HOURS.days
    return WorkingHours(start=start, end=end, days=days)

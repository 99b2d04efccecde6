"""Reads the due times people type ("fri 5pm", "in 3 days", ISO) as aware UTC moments in their own zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.errors import BadInput
from bot.domain.text import clip, escape

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

DEFAULT_DUE_TIME = time(17, 0)
MAX_WHEN_CHARS = 80

# is_date_text must not depend on the clock; any fixed moment does (a Wednesday, so no weekday is "today"
# in a way that matters for readability).
_REFERENCE_NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
_REFERENCE_TZ = "UTC"


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_WEEKDAYS: dict[str, int] = {
    **{name: index for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: index for index, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"))},
    **{"saturday": 5, "sunday": 6, "tues": 1, "thur": 3, "thurs": 3},
}
_MONTHS = _word_set(
    "jan feb mar apr may jun jul aug sep sept oct nov dec "
    "january february march april june july august september october november december"
)
_TIME_WORDS = _word_set("noon midnight am pm")
_DAY_WORDS = _word_set("today tomorrow tonight yesterday now morning afternoon evening night")
_UNIT_WORDS = _word_set("minute minutes min mins hour hours hr hrs day days week weeks month months year years")
_NUMBER_WORDS = _word_set("one two three four five six seven eight nine ten eleven twelve")
# Zone names a person might add ("fri 5pm EST"); dateparser returns an aware time for them.
_ZONE_WORDS = _word_set("utc gmt est edt cst cdt mst mdt pst pdt cet cest bst")
_DATE_WORDS = frozenset(_WEEKDAYS) | _MONTHS | _TIME_WORDS | _DAY_WORDS | _ZONE_WORDS
# Words that make a duration a moment: "in 2 hours", "3 days ago", "a week from now", "next week".
_RELATIVE_WORDS = _word_set("in next this last ago from after")
# Words that only join date words ("on fri", "at 5pm", "5th of dec").
_FILLER_WORDS = _word_set("at on of")
_RELATIVE_UNIT_WORDS = _word_set("month months year years")

# "fri 9:30", "5pm", "17.00": a time of day as people type it next to a weekday.
_CLOCK_TOKEN = re.compile(r"^\d{1,2}(?:[:.]\d{2})?(?:am|pm)?$")
_LONG_NUMBER = re.compile(r"\d{5,}")
# "2d", "1h", "17h", "+90m": dateparser reads these as durations from now.
_COMPACT_DURATION = re.compile(r"^\+?\d+(?:\.\d+)?(?:m|mins?|h|hrs?|d|w|wks?|y)$")
_PUNCTUATION = ".,;:!?()[]'\""

# Periods (RETURN_TIME_AS_PERIOD) whose moment has no time of day in it.
_DATE_ONLY_PERIODS = frozenset({"day", "week", "month", "year"})
_PRECISE_PERIODS = frozenset({"time", "part_of_day", "day", "week"})


@lru_cache(maxsize=64)
def _parser(relative_base: datetime) -> DateDataParser:
    """One parser per reference wall time: dateparser takes RELATIVE_BASE only at construction. Imported on first
    use: the fast path reads most due times, and a server that never needs dateparser does not hold it."""
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "RETURN_TIME_AS_PERIOD": True,
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": relative_base,
        },
    )


def _words(text: str) -> list[str]:
    return [token.strip(_PUNCTUATION).lower() for token in text.split()]


def _looks_like_date(text: str) -> bool:
    """Guard before dateparser, which reads nearly any mix of date-ish words as some date.

    Left alone it reads "a" as January, "we" or "fr" as weekdays, "fri 5pm a" as 26 January, "the sun"
    as Sunday and "2 hours" (as in "cut the build by 2 hours") as two hours from now. So every word must
    be a date word or hold a digit, at least one must carry a date, durations need a relative word
    ("in 2 hours", "3 days ago", "next week"), "a", "an", "the" or "two" must lead to a unit, and
    "now" stands alone or in "from now".
    """
    if not text or len(text) > MAX_WHEN_CHARS or _LONG_NUMBER.search(text):
        return False
    words = _words(text)
    is_relative = not _RELATIVE_WORDS.isdisjoint(words)
    has_anchor = False
    for index, word in enumerate(words):
        previous = words[index - 1] if index > 0 else ""
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in _UNIT_WORDS or _COMPACT_DURATION.match(word):
            if not is_relative:
                return False
            has_anchor = True
        elif word in _NUMBER_WORDS or word in {"a", "an"}:
            if following not in _UNIT_WORDS:
                return False
        elif word == "the":
            if following not in _UNIT_WORDS and not _has_digit(following):
                return False
        elif word in {"am", "pm"}:
            if not _CLOCK_TOKEN.match(previous):
                return False
        elif word == "now":  # alone or "from now"; dateparser lets it swallow anything else
            if len(words) > 1 and previous != "from":
                return False
            has_anchor = True
        elif _has_digit(word) or word in _DATE_WORDS:
            has_anchor = True
        elif word and word not in _RELATIVE_WORDS | _FILLER_WORDS:
            return False
    return has_anchor


def _has_digit(word: str) -> bool:
    return any(char.isdigit() for char in word)


def _is_precise(period: str, words: list[str]) -> bool:
    """A bare month ("dec"), number ("12") or year ("2026") reads as a whole month or year: too vague.

    "in 2 months" or "next year" also come back as month or year periods but name a day, so those pass.
    """
    if period in _PRECISE_PERIODS:
        return True
    return period in {"month", "year"} and any(word in _RELATIVE_UNIT_WORDS for word in words)


def _names_only_weekday_and_time(words: list[str], weekday: int) -> bool:
    """True for "fri", "fri 5pm", "on friday at 9:30": a weekday and at most a time of day."""
    named = False
    for word in words:
        if _WEEKDAYS.get(word) == weekday:
            named = True
        elif word in {"on", "at"} or word in _TIME_WORDS or word in _ZONE_WORDS:
            continue
        elif not _CLOCK_TOKEN.match(word):
            return False
    return named


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """Place a wall time in `zone`; a naive one takes fold=0.

    fold=0 (PEP 495) gives the first of two ambiguous fall-back times, and reads a wall time inside a
    spring-forward gap with the offset from before the gap, which lands on the valid instant the same
    distance past the gap (02:30 in New York on 2026-03-08 becomes 03:30 EDT).
    """
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=zone, fold=0)
    return wall.astimezone(UTC)


# The forms most due times take, read here as dateparser reads them (held to it by a property test), since
# dateparser costs about a millisecond a text: ISO dates, today/tomorrow/a weekday with an optional time,
# a time alone, and "in N minutes/hours/days/weeks". Anything else (or out of range) goes to dateparser.
_CLOCK = r"(?:(?P<h12>\d{1,2})(?::(?P<m12>\d{2}))? ?(?P<ampm>am|pm)|(?P<h24>\d{1,2}):(?P<m24>\d{2}))"
_FAST_WEEKDAYS: dict[str, int] = {
    **{name: index for index, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{f"{name}day": index for index, name in enumerate(("mon", "tues", "wednes", "thurs", "fri", "satur", "sun"))},
    "tues": 1,
}
_DAY_FORM = re.compile(rf"(?P<day>today|tomorrow|{'|'.join(_FAST_WEEKDAYS)})(?: (?:at )?{_CLOCK})?")
_CLOCK_FORM = re.compile(rf"(?:at )?{_CLOCK}")
_ISO_FORM = re.compile(r"(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})(?:[ t](?P<h>\d{1,2}):(?P<mi>\d{2}))?")
_IN_FORM = re.compile(r"in (?P<n>\d{1,4}) (?P<unit>minutes?|mins?|hours?|days?|weeks?)")
_UNIT_DELTAS = {
    "min": timedelta(minutes=1),
    "hou": timedelta(hours=1),
    "day": timedelta(days=1),
    "wee": timedelta(weeks=1),
}


def _clock(match: re.Match[str]) -> time | None:
    """The time of day a `_CLOCK` group names; None when out of range (dateparser then decides)."""
    if match["ampm"]:
        hour, minute = int(match["h12"]), int(match["m12"] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        return time(hour % 12 + (12 if match["ampm"] == "pm" else 0), minute)
    if match["h24"] is None:
        return None
    hour, minute = int(match["h24"]), int(match["m24"])
    return time(hour, minute) if hour <= 23 and minute <= 59 else None


def _common_wall(lowered: str, base: datetime) -> datetime | None:
    """The wall time `_dateparser_wall` gives for the common forms, computed directly; None for any other text."""
    if match := _DAY_FORM.fullmatch(lowered):
        day = match["day"]
        if day == "today":
            on = base.date()
        elif day == "tomorrow":
            on = base.date() + timedelta(days=1)
        else:  # dateparser takes the next such weekday, never today's
            on = base.date() + timedelta(days=(_FAST_WEEKDAYS[day] - base.weekday() - 1) % 7 + 1)
        if match["ampm"] is None and match["h24"] is None:
            return datetime.combine(on, DEFAULT_DUE_TIME)
        clock = _clock(match)
        return None if clock is None else datetime.combine(on, clock)
    if match := _CLOCK_FORM.fullmatch(lowered):
        clock = _clock(match)
        if clock is None:
            return None
        wall = datetime.combine(base.date(), clock)
        if wall >= base:
            return wall
        # A time already past today means tomorrow's, on a month's last day too (dateparser alone would take
        # day 1 of the current month there: 31 Dec 18:00, "5pm" read as 1 Dec of the next year).
        return wall + timedelta(days=1)
    if match := _ISO_FORM.fullmatch(lowered):
        year, month, day_of_month = int(match["y"]), int(match["mo"]), int(match["d"])
        if not (1900 <= year <= 2999 and 1 <= month <= 12):
            return None
        try:
            clock = time(int(match["h"]), int(match["mi"])) if match["h"] else DEFAULT_DUE_TIME
            return datetime.combine(date(year, month, day_of_month), clock)
        except ValueError:  # no such day or time of day: dateparser decides
            return None
    if match := _IN_FORM.fullmatch(lowered):
        unit = _UNIT_DELTAS[match["unit"][:3]]
        try:
            wall = base + int(match["n"]) * unit
        except OverflowError:
            return None
        return datetime.combine(wall.date(), DEFAULT_DUE_TIME) if unit >= timedelta(days=1) else wall
    return None


_TIME_OF_DAY = re.compile(r"\b\d{1,2}\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}[:.h]\d{2}\b|\bnoon\b|\bmidnight\b", re.I)


def read_when(text: str, *, now: datetime, tz: str) -> datetime | None:
    """The aware UTC moment `text` names, read in zone `tz` relative to `now`; None when it names none."""
    return _read(text, now=now, tz=tz, fast=True)


def read_when_with_dateparser(text: str, *, now: datetime, tz: str) -> datetime | None:
    """`read_when` without the fast path: every text through dateparser (the reference the fast path is held to)."""
    return _read(text, now=now, tz=tz, fast=False)


def _read(text: str, *, now: datetime, tz: str, fast: bool) -> datetime | None:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    cleaned = " ".join(text.split())
    if not _looks_like_date(cleaned):
        return None
    zone = ZoneInfo(tz)
    base = now.astimezone(zone).replace(tzinfo=None)
    words = _words(cleaned)
    wall = _common_wall(cleaned.lower(), base) if fast else None
    if wall is None:
        wall = _dateparser_wall(cleaned, base, words)
        if wall is None:
            return None
    return _placed(wall, base=base, words=words, zone=zone, now=now)


def _dateparser_wall(cleaned: str, base: datetime, words: list[str]) -> datetime | None:
    """The wall time dateparser reads, 17:00 on the day when the text gives no time of day; None if vague."""
    data = _parser(base).get_date_data(cleaned)
    wall = data.date_obj
    period = data.period or "day"
    if wall is None or not _is_precise(period, words):
        return None
    # dateparser reports a "day" period when the typed time equals the current wall time
    # ("tomorrow 9am" typed at 09:00), so the text decides whether a time was given.
    if period in _DATE_ONLY_PERIODS and not _TIME_OF_DAY.search(cleaned):
        wall = datetime.combine(wall.date(), DEFAULT_DUE_TIME, tzinfo=wall.tzinfo)
    return wall


def _placed(wall: datetime, *, base: datetime, words: list[str], zone: ZoneInfo, now: datetime) -> datetime | None:
    """The UTC moment of a wall time read relative to `base`, a bare weekday still ahead today taken as today."""
    try:
        moment = _to_utc(wall, zone)
        # dateparser never reads a weekday name as today ("fri 5pm" on a Friday at 10:00 gives next Friday);
        # take today's when it is still ahead, as people mean.
        a_week_earlier = wall - timedelta(days=7)
        if (
            wall.date() == base.date() + timedelta(days=7)
            and _names_only_weekday_and_time(words, base.weekday())
            and _to_utc(a_week_earlier, zone) > now
        ):
            moment = _to_utc(a_week_earlier, zone)
    except OverflowError:  # "9999-12-31 23:59" in a zone behind UTC
        return None
    return moment


@lru_cache(maxsize=2048)
def is_date_text(text: str) -> bool:
    """Whether `text` reads as a due time at all, whatever the clock and zone; for the `/task … by` split.
    A pure function of the text (fixed reference clock and zone), so the common phrases are read once."""
    return read_when(text, now=_REFERENCE_NOW, tz=_REFERENCE_TZ) is not None


def _format_due(moment: datetime, *, tz: str, now: datetime) -> str:
    """`Thu 26 Nov 10:00 EST` in the reader's zone, with the year when it is not the current one."""
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    year = f" {local.year}" if local.year != now.astimezone(zone).year else ""
    return f"{local:%a} {local.day} {local:%b}{year} {local:%H:%M %Z}".rstrip()


def parse_due(text: str, *, now: datetime, tz: str) -> datetime:
    """Like `read_when`, for setting a due time: unreadable or past text gets a reply saying how to fix it."""
    examples = '"fri 5pm", "tomorrow", "in 3 days" or "2026-12-04 17:00"'
    shown = " ".join(text.split())
    if not shown:
        raise BadInput(f"Give a due time, such as {examples}.")
    moment = read_when(text, now=now, tz=tz)
    if moment is None:
        raise BadInput(f'I couldn\'t read "{escape(clip(shown, MAX_WHEN_CHARS))}" as a date. Try {examples}.')
    if moment <= now:
        raise BadInput(
            f"That due time ({_format_due(moment, tz=tz, now=now)}) is in the past. "
            'Pick a later one, such as "tomorrow 5pm".'
        )
    return moment

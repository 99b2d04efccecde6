"""Public-holiday calendars (`/team holidays DE-BY`, `/task holidays JP`), from the `holidays` package.

A calendar is named by an ISO 3166 country code, optionally with a subdivision (`US`, `DE-BY`, `IN-KA`).
The dates come from https://github.com/vacanza/holidays, never from tables written here. The package is
imported on first use: most processes never look a holiday up, and it costs tens of milliseconds to load.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from bot.domain.errors import BadInput
from bot.domain.text import clip, escape

EXAMPLE = "`US`, `DE`, `DE-BY`, `JP` or `IN-KA`"


def _package() -> Any:
    import holidays  # noqa: PLC0415 - loaded lazily on purpose (see the module docstring)

    return holidays


@lru_cache(maxsize=1)
def _supported() -> dict[str, tuple[str, ...]]:
    """Country code -> its subdivision codes, upper-cased (the package also lists some by name)."""
    return {
        country.upper(): tuple(s.upper() for s in subs)
        for country, subs in _package().list_supported_countries().items()
    }


def parse_calendar(text: str) -> str:
    """A calendar code as typed (`de-by`, `DE BY`, `de_by`) in its stored form `DE-BY`; unknown ones refused."""
    typed = " ".join(text.split())
    compact = typed.upper().replace("_", "-").replace(" ", "-")
    country, _, subdivision = compact.partition("-")
    supported = _supported()
    shown = escape(clip(typed, 30))
    if not country or country not in supported or len(country) not in (2, 3):
        raise BadInput(
            f'"{shown}" is not a country code Baton knows. Use an ISO country code, optionally with a region: '
            f"{EXAMPLE}."
        )
    if subdivision and subdivision not in supported[country]:
        regions = ", ".join(f"`{country}-{s}`" for s in supported[country][:12] if s.isalnum())
        known = f" Known regions include {regions}." if regions else f" {country} has no regions in the calendar."
        raise BadInput(f'"{shown}" is not a region of {country}.{known}')
    return f"{country}-{subdivision}" if subdivision else country


@lru_cache(maxsize=512)
def _year(code: str, year: int) -> dict[date, str]:
    country, _, subdivision = code.partition("-")
    # English names whatever the process's locale (the package reads LANG otherwise); a calendar without
    # English names keeps its own.
    found = _package().country_holidays(country, subdiv=subdivision or None, years=year, language="en_US")
    return {day: str(name) for day, name in sorted(found.items())}


def holiday_name(code: str | None, day: date) -> str | None:
    """The public holiday `day` is in that calendar, or None (also with no calendar)."""
    if not code:
        return None
    return _year(code, day.year).get(day)


def is_holiday(code: str | None, day: date) -> bool:
    return holiday_name(code, day) is not None


def holidays_between(code: str | None, first: date, last: date) -> list[tuple[date, str]]:
    """The calendar's holidays from `first` to `last` (both included), in date order."""
    if not code or last < first:
        return []
    found: list[tuple[date, str]] = []
    for year in range(first.year, last.year + 1):
        found += [(day, name) for day, name in _year(code, year).items() if first <= day <= last]
    return found

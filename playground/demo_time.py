"""The demo's moments: where its clock starts, and where the clock bar's buttons (and Holiday) take it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.errors import UserError
from bot.services import Services
from playground import demo
from playground.demo import Person
from playground.errors import PlaygroundError

MAX_FORWARD = timedelta(days=14)
DEMO_START_HOUR = 9  # the demo starts at 09:00 on a weekday in the manager's zone
HOLIDAY_HOUR = 10  # "Next holiday" jumps to this hour of the holiday, when a check-in would go out


@dataclass(frozen=True)
class Holiday:
    """The next public holiday in someone's calendar, as Baton reads it, and the moment the clock jumps to."""

    day: date
    name: str
    calendar: str
    at: datetime  # HOLIDAY_HOUR that day in the person's zone, UTC


def demo_start(now: datetime, tz: str) -> datetime:
    """Where a demo's clock starts: 09:00 in `tz` today if `now` (the real time) falls on a weekday there,
    else on the next Monday, so the story of a morning plays out on working days, whatever day it is."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(DEMO_START_HOUR), tzinfo=zone).astimezone(UTC)


def next_weekday_at(now: datetime, tz: str, *, hour: int, weekday: int | None = None) -> datetime:
    """The next moment after `now` that is `hour`:00 in `tz` on a weekday (Mon-Fri), or on `weekday` (0=Mon)."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    day = local.date()
    for _ in range(15):
        candidate = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
        fits = candidate.weekday() < 5 if weekday is None else candidate.weekday() == weekday
        if fits and candidate > local:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)
    raise PlaygroundError("no such moment in the next two weeks")  # unreachable for real zones


def target_for(preset: str, *, now: datetime, tz: str) -> datetime:
    """The moment a clock-bar button means, from `now`, in the viewer's zone."""
    if preset == "hour":
        return now + timedelta(hours=1)
    if preset == "day":
        return now + timedelta(days=1)
    if preset == "weekday10":
        return next_weekday_at(now, tz, hour=10)
    if preset == "friday16":
        return next_weekday_at(now, tz, hour=16, weekday=4)
    raise PlaygroundError(f"unknown clock button {preset!r}")


def next_holiday(services: Services, person: Person, *, manager: Person, now: datetime) -> Holiday:
    """The next public holiday of `person`'s calendar, read from Baton's own state: their `/task holidays`,
    else their team's, at HOLIDAY_HOUR in their zone, after `now` and within MAX_FORWARD. Otherwise a
    PlaygroundError that says why in one line (`manager` is the one who can set the team's)."""
    try:
        mine = services.availability.time_of(demo.TEAM_ID, person.id)
        code = mine.calendar or next(iter(mine.team_calendars), None)
        upcoming = mine.upcoming_holidays
        if code is None:  # no task of theirs in a team yet: the team they are in, #support
            team = services.teams.calendar(demo.TEAM_ID, demo.CHANNEL_ID)
            code, upcoming = team.code, team.upcoming
    except UserError as error:
        raise PlaygroundError(error.reply) from None
    if code is None:
        raise PlaygroundError(
            f"{person.name} has no public-holiday calendar: /task holidays US (as {person.name}) sets their "
            f"own, /team holidays US (as {manager.name}, in #{demo.CHANNEL_NAME}) the team's."
        )
    zone = ZoneInfo(person.tz)
    for day, name in upcoming:
        moment = datetime.combine(day, time(HOLIDAY_HOUR), tzinfo=zone).astimezone(UTC)
        if moment <= now:
            continue
        if moment - now > MAX_FORWARD:
            raise PlaygroundError(
                f"{person.name}'s next public holiday ({code}) is {name} on {day:%a} {day.day} {day:%b}, "
                "more than 14 days away: move the clock closer first (at most 14 days at once)."
            )
        return Holiday(day=day, name=name, calendar=code, at=moment)
    raise PlaygroundError(f"No public holiday in {person.name}'s calendar ({code}) in the next 60 days.")

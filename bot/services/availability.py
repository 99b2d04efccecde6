"""When people may be sent a DM: their `Availability` (zone, hours, holiday calendar, time off, Slack
status) read from the people, time off and team rows, each person once per unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.hours import WorkingHours, stored_hours
from bot.domain.status import SlackStatus
from bot.domain.worktime import Availability, Period
from storage.models import Person
from storage.uow import UnitOfWork

# Time off that ended this long ago still matters: warnings look back over the last two days.
TIME_OFF_LOOKBACK = timedelta(days=2)
# An away status with no expiry is taken to last this long from now; the planner and delivery look
# again then, and a user_change event that clears it brings the person back at once.
OPEN_STATUS_HORIZON = timedelta(days=7)


@dataclass(frozen=True)
class PersonTime:
    """What the people row says of someone's time, before team calendars and time off are added."""

    tz: str
    hours: WorkingHours
    calendar: str | None
    status: SlackStatus


def person_time(person: Person | None, *, fallback_tz: str = "UTC") -> PersonTime:
    if person is None:
        return PersonTime(tz=fallback_tz, hours=stored_hours(None, None, None), calendar=None, status=SlackStatus())
    return PersonTime(
        tz=person.tz,
        hours=stored_hours(person.work_start, person.work_end, person.work_days),
        calendar=person.calendar,
        status=SlackStatus(
            emoji=person.status_emoji or "", text=person.status_text or "", expiration=person.status_expiration or 0
        ),
    )


def status_period(status: SlackStatus, *, now: datetime) -> Period | None:
    """An away status in effect at `now` as a period of time off (it started before anything we plan)."""
    if not status.is_away(now):
        return None
    ends = status.expires_at or now + OPEN_STATUS_HORIZON
    return Period(starts_at=now - TIME_OFF_LOOKBACK, ends_at=ends)


class AvailabilityReader:
    """Reads people's availability inside one unit of work, each person (and their time off) once."""

    def __init__(self, uow: UnitOfWork, *, now: datetime) -> None:
        self._uow = uow
        self._now = now
        self._people: dict[tuple[str, str], PersonTime] = {}
        self._away: dict[tuple[str, str], tuple[Period, ...]] = {}

    def person(self, workspace_id: str, user_id: str, *, fallback_tz: str = "UTC") -> PersonTime:
        key = (workspace_id, user_id)
        if key not in self._people:
            self._people[key] = person_time(self._uow.people.get(workspace_id, user_id), fallback_tz=fallback_tz)
        return self._people[key]

    def away(self, workspace_id: str, user_id: str) -> tuple[Period, ...]:
        """Recorded time off not over two days ago, and an away status, as periods."""
        key = (workspace_id, user_id)
        if key not in self._away:
            rows = self._uow.time_off.of_user(workspace_id, user_id, ending_after=self._now - TIME_OFF_LOOKBACK)
            periods = [Period(starts_at=r.starts_at, ends_at=r.ends_at) for r in rows]
            by_status = status_period(self.person(workspace_id, user_id).status, now=self._now)
            if by_status is not None:
                periods.append(by_status)
            self._away[key] = tuple(periods)
        return self._away[key]

    def of(
        self, workspace_id: str, user_id: str, *, team_calendar: str | None = None, fallback_tz: str = "UTC"
    ) -> Availability:
        """Their availability: their own holiday calendar, else the team's the message is about."""
        person = self.person(workspace_id, user_id, fallback_tz=fallback_tz)
        return Availability(
            tz=person.tz,
            hours=person.hours,
            calendar=person.calendar or team_calendar,
            away=self.away(workspace_id, user_id),
        )

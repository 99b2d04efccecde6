"""When people may be sent a DM: their `Availability` (zone, hours, holiday calendar, time off, Slack
status) read from the people, time off and team rows, each person once per unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.domain import calendars, worktime
from bot.domain.errors import NotFound
from bot.domain.hours import WorkingHours, stored_hours
from bot.domain.status import SlackStatus
from bot.domain.worktime import Availability, Period
from bot.services.people import PeopleService, replan_person
from storage.models import Person
from storage.uow import UnitOfWork, UnitOfWorkFactory

# Time off that ended this long ago still matters: warnings look back over the last two days.
TIME_OFF_LOOKBACK = timedelta(days=2)
# An away status with no expiry is taken to last this long from now; the planner and delivery look
# again then, and a user_change event that clears it brings the person back at once.
OPEN_STATUS_HORIZON = timedelta(days=7)
TIME_OFF_PAGE = 20  # the most periods `TimeOffRepository.of_user` returns by default
READ_AHEAD_CHUNK = 500  # people read ahead in one statement (bound parameters stay well under SQLite's limit)


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

    def __init__(self, uow: UnitOfWork | None, *, now: datetime, read_only: bool = False) -> None:
        self._uow = uow  # None: a reader of what it was given only (`known`)
        self._now = now
        # In a unit of work that only reads, people are read as plain rows (nothing unflushed can differ).
        self._read_only = read_only
        self._people: dict[tuple[str, str], PersonTime] = {}
        self._recorded: dict[tuple[str, str], tuple[Period, ...]] = {}
        self._away: dict[tuple[str, str], tuple[Period, ...]] = {}
        self._not_stored: set[tuple[str, str]] = set()  # people `read_ahead` looked for and found no row of

    @classmethod
    def known(
        cls, workspace_id: str, user_id: str, *, person: PersonTime, recorded: tuple[Period, ...], now: datetime
    ) -> AvailabilityReader:
        """A reader of one person read already, with their recorded time off that ends after `now` (fewer than a
        page of it): it reads nothing more."""
        reader = cls(None, now=now)
        reader._people[(workspace_id, user_id)] = person
        reader._recorded[(workspace_id, user_id)] = recorded
        return reader

    def _reads(self) -> UnitOfWork:
        if self._uow is None:
            raise RuntimeError("this reader knows only what it was given")
        return self._uow

    def person(self, workspace_id: str, user_id: str, *, fallback_tz: str = "UTC") -> PersonTime:
        key = (workspace_id, user_id)
        if key not in self._people:
            found: Any = None  # someone `read_ahead` found no row of
            if key not in self._not_stored:
                people = self._reads().people
                found = (
                    people.time_fields(workspace_id, user_id) if self._read_only else people.get(workspace_id, user_id)
                )
            self._people[key] = person_time(found, fallback_tz=fallback_tz)
        return self._people[key]

    def read_ahead(self, people: Iterable[tuple[str, str]]) -> None:
        """Read these (workspace, user) people's time and recorded time off now, in a statement or two per workspace
        (READ_AHEAD_CHUNK people at a time), for lookups to come: a planner batch's assignees and delegators, each
        of whom was one or two statements. What it reads is what `person` and `recorded` would read; someone not
        stored is remembered as such, and `person` gives them its fallback zone without a statement."""
        wanted: dict[str, list[str]] = {}
        for workspace_id, user_id in dict.fromkeys(people):
            key = (workspace_id, user_id)
            if key not in self._people or key not in self._recorded:
                wanted.setdefault(workspace_id, []).append(user_id)
        if not wanted:
            return
        uow = self._reads()
        for workspace_id, user_ids in wanted.items():
            for start in range(0, len(user_ids), READ_AHEAD_CHUNK):
                chunk = user_ids[start : start + READ_AHEAD_CHUNK]
                found = uow.people.times_of(workspace_id, chunk)
                periods = uow.time_off.periods_of_many(
                    workspace_id, chunk, ending_after=self._now - TIME_OFF_LOOKBACK, limit=TIME_OFF_PAGE
                )
                for user_id in chunk:
                    key = (workspace_id, user_id)
                    if user_id in found:
                        self._people.setdefault(key, person_time(found[user_id]))
                    else:
                        self._not_stored.add(key)
                    rows = periods.get(user_id, ())
                    self._recorded.setdefault(
                        key, tuple(Period(starts_at=r.starts_at, ends_at=r.ends_at) for r in rows)
                    )

    def recorded(self, workspace_id: str, user_id: str) -> tuple[Period, ...]:
        """Recorded time off not over two days ago (at most the repository's page of it), soonest first."""
        key = (workspace_id, user_id)
        if key not in self._recorded:
            rows = self._reads().time_off.periods_of(workspace_id, user_id, ending_after=self._now - TIME_OFF_LOOKBACK)
            self._recorded[key] = tuple(Period(starts_at=r.starts_at, ends_at=r.ends_at) for r in rows)
        return self._recorded[key]

    def away_until(self, workspace_id: str, user_id: str) -> datetime | None:
        """When their recorded time off covering now ends (None: not away now); a Slack status is not counted."""
        periods = self.recorded(workspace_id, user_id)
        if len(periods) >= TIME_OFF_PAGE:  # a full page may have left out later periods that end after now
            rows = self._reads().time_off.periods_of(workspace_id, user_id, ending_after=self._now)
            periods = tuple(Period(starts_at=r.starts_at, ends_at=r.ends_at) for r in rows)
        found = worktime.covering((p for p in periods if p.ends_at > self._now), self._now)
        return found.ends_at if found else None

    def away(self, workspace_id: str, user_id: str) -> tuple[Period, ...]:
        """Recorded time off not over two days ago, and an away status, as periods."""
        key = (workspace_id, user_id)
        if key not in self._away:
            periods = list(self.recorded(workspace_id, user_id))
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


@dataclass(frozen=True)
class TimeView:
    """Someone's time as `/task hours` and their Home tab show it."""

    user_id: str
    tz: str
    hours: WorkingHours
    calendar: str | None  # their own
    team_calendars: tuple[str, ...]  # the calendars of their tasks' teams, used when they have none of their own
    status: SlackStatus
    away: tuple[Period, ...]  # recorded time off and an away status, now or later
    upcoming_holidays: tuple[tuple[date, str], ...]  # in the next 60 days, from the calendar that applies

    @property
    def availability(self) -> Availability:
        """As the scheduler reads them: their own calendar, else (for this summary) their first team's."""
        calendar = self.calendar or (self.team_calendars[0] if self.team_calendars else None)
        return Availability(tz=self.tz, hours=self.hours, calendar=calendar, away=self.away)


HOLIDAY_DAYS_SHOWN = 60


def time_view(
    uow: UnitOfWork,
    workspace_id: str,
    user_id: str,
    *,
    now: datetime,
    team_calendars: Sequence[str] | None = None,
    reader: AvailabilityReader | None = None,
) -> TimeView:
    """Someone's hours, calendar (their own, else their team's), status and time away, from what is stored;
    `team_calendars` when the caller has read their teams already, `reader` when it has read them (at `now`)."""
    reader = reader or AvailabilityReader(uow, now=now)
    person = reader.person(workspace_id, user_id)
    if team_calendars is None:
        team_calendars = [t.calendar for t in uow.teams.of_people_tasks(workspace_id, user_id) if t.calendar]
    return _time_view(user_id, person, reader.away(workspace_id, user_id), team_calendars, now=now)


def _time_view(
    user_id: str, person: PersonTime, away: Sequence[Period], team_calendars: Sequence[str], *, now: datetime
) -> TimeView:
    """`time_view` from what was read: the person, their time away (recorded and by status), their teams' calendars."""
    teams = tuple(dict.fromkeys(team_calendars))
    calendar = person.calendar or (teams[0] if teams else None)
    today = worktime.local_date(now, tz=person.tz)
    upcoming = calendars.holidays_between(calendar, today, today + timedelta(days=HOLIDAY_DAYS_SHOWN))
    return TimeView(
        user_id=user_id,
        tz=person.tz,
        hours=person.hours,
        calendar=person.calendar,
        team_calendars=teams,
        status=person.status,
        away=tuple(p for p in away if p.ends_at > now),
        upcoming_holidays=tuple(upcoming),
    )


class AvailabilityService:
    """`/task hours` and `/task holidays`: a person's own working hours and holiday calendar."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, people: PeopleService) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people

    def time_of(self, workspace_id: str, user_id: str) -> TimeView:
        self._people.get(workspace_id, user_id)  # their zone and status, read from Slack when not cached
        with self._uow(read_only=True) as uow:
            return time_view(uow, workspace_id, user_id, now=self._clock.now())

    def set_hours(self, workspace_id: str, user_id: str, hours: WorkingHours) -> TimeView:
        """Their own working hours from now on; follow-ups are planned again and held DMs looked at again."""
        self._people.get(workspace_id, user_id)  # their row exists before it is changed
        now = self._clock.now()
        with self._uow() as uow:
            person = uow.people.get(workspace_id, user_id)
            if person is None:
                raise NotFound("Slack didn't tell me who you are just now; try again in a minute.")
            if hours.is_default:
                person.work_start = person.work_end = person.work_days = None
            else:
                person.work_start, person.work_end = f"{hours.start:%H:%M}", f"{hours.end:%H:%M}"
                person.work_days = hours.stored_days()
            replan_person(uow, workspace_id, user_id, now=now)
            uow.commit()
        self._people.forget(workspace_id, user_id)
        return self.time_of(workspace_id, user_id)

    def set_calendar(self, workspace_id: str, user_id: str, code: str | None) -> TimeView:
        """Their own public-holiday calendar (None: their team's again)."""
        self._people.get(workspace_id, user_id)
        now = self._clock.now()
        with self._uow() as uow:
            person = uow.people.get(workspace_id, user_id)
            if person is None:
                raise NotFound("Slack didn't tell me who you are just now; try again in a minute.")
            person.calendar = code
            replan_person(uow, workspace_id, user_id, now=now)
            uow.commit()
        return self.time_of(workspace_id, user_id)

    def assignee_notes(
        self,
        workspace_id: str,
        assignee_id: str,
        due_at: datetime | None,
        *,
        team_id: int | None = None,
        facts: NoteFacts | None = None,
    ) -> AssigneeNotes:
        """What a delegator is told of the assignee with a new or changed task: when their current time off
        ends, and (with a deadline) their time when it falls outside their working hours or on a day they do not work
        (a holiday, a weekend, time away); their person and time off are read once, or not at all when the
        task's own transaction read them (`facts`) and they decide the notes."""
        if facts is not None:
            known = notes_from(facts, due_at, workspace_id=workspace_id, user_id=assignee_id)
            if known is not None:
                return known
        now = self._clock.now()
        with self._uow(read_only=True) as uow:
            reader = AvailabilityReader(uow, now=now, read_only=True)
            calendar = None
            if due_at is not None and team_id is not None:
                team = uow.teams.get(workspace_id, team_id, with_managers=False)
                calendar = team.calendar if team is not None else None
            return _notes(reader, workspace_id, assignee_id, due_at, team_calendar=calendar, now=now)


@dataclass(frozen=True)
class NoteFacts:
    """What the notes on a new task's answer need of its assignee, read with the task (no unit of work of its own
    for the answer): their time as the people row says, their time off that ends after `now` (a page at most,
    read in the task's write transaction) and the task's team's calendar."""

    now: datetime
    person: PersonTime
    recorded: tuple[Period, ...]
    team_calendar: str | None

    @property
    def full_page(self) -> bool:
        """A full page of time off may have left out later periods: then they are read again."""
        return len(self.recorded) >= TIME_OFF_PAGE


def assignee_time(uow: UnitOfWork, workspace_id: str, user_id: str) -> PersonTime:
    """Someone's time as the people row says, read as one Core row (in a unit of work with nothing unflushed)."""
    return person_time(uow.people.time_fields(workspace_id, user_id))


def notes_from(facts: NoteFacts, due_at: datetime | None, *, workspace_id: str, user_id: str) -> AssigneeNotes | None:
    """The notes as `AvailabilityService.assignee_notes` finds them, from facts already read; None when a full
    page of time off means more must be read."""
    if facts.full_page:
        return None
    reader = AvailabilityReader.known(
        workspace_id, user_id, person=facts.person, recorded=facts.recorded, now=facts.now
    )
    return _notes(reader, workspace_id, user_id, due_at, team_calendar=facts.team_calendar, now=facts.now)


def _notes(
    reader: AvailabilityReader,
    workspace_id: str,
    user_id: str,
    due_at: datetime | None,
    *,
    team_calendar: str | None,
    now: datetime,
) -> AssigneeNotes:
    """When their current time off ends, and their time when the deadline falls outside it."""
    outside = None
    if due_at is not None and not worktime.is_working(
        due_at, reader.of(workspace_id, user_id, team_calendar=team_calendar)
    ):
        person, away = reader.person(workspace_id, user_id), reader.away(workspace_id, user_id)
        outside = _time_view(user_id, person, away, [team_calendar] if team_calendar else [], now=now)
    return AssigneeNotes(away_until=reader.away_until(workspace_id, user_id), outside=outside)


@dataclass(frozen=True)
class AssigneeNotes:
    away_until: datetime | None  # when their current time off ends; None when they are not away now
    outside: TimeView | None  # their time, when the deadline falls outside it

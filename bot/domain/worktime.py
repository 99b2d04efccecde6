"""When Baton may speak to a person: their working time, check-in days and deadlines, in their own zone."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain import calendars
from bot.domain.hours import DEFAULT_HOURS, WorkingHours
from bot.domain.model import CheckinSchedule

MAX_RANGE = timedelta(days=400)
CATCH_UP_LOOKBACK = timedelta(days=7)
MAX_OVERDUE_NOTICES = 400
# How far to look for a working day: a person may take a long run of days off or holidays.
WORKING_DAY_SEARCH = 60

_ONE_DAY = timedelta(days=1)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: Baton's times are aware UTC")
    return moment.astimezone(UTC)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """The naive local reading of an instant; it never leaves this module."""
    return moment.astimezone(zone).replace(tzinfo=None)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _end_of_gap(naive: datetime, zone: ZoneInfo) -> datetime:
    """The instant the clock jumps over `naive`, rounded up to the first whole local minute."""
    # Inside a gap fold=1 reads the wall time with the offset after the jump (an instant
    # before it) and fold=0 with the offset before (an instant after it): PEP 495.
    before = naive.replace(tzinfo=zone, fold=1).astimezone(UTC).replace(microsecond=0)
    after = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    low, high = 0, max(int((after - before).total_seconds()), 1)
    while low < high:  # smallest whole second whose wall time has jumped past `naive`
        mid = (low + high) // 2
        if _wall(before + timedelta(seconds=mid), zone) > naive:
            high = mid
        else:
            low = mid + 1
    jump = before + timedelta(seconds=low)
    wall = _wall(jump, zone)
    past_minute = timedelta(seconds=wall.second, microseconds=wall.microsecond)
    return jump + (timedelta(minutes=1) - past_minute if past_minute else timedelta(0))


def _on_day(day: date, wall: time, zone: ZoneInfo, tz: str) -> datetime | None:
    """`at_local`, or None when a gap pushes the wall time off that local day (it did not exist)."""
    moment = at_local(day, wall, tz=tz)
    return moment if _wall(moment, zone).date() == day else None


def local_date(moment: datetime, *, tz: str) -> date:
    """The assignee's calendar day at `moment`: what "today" and "each working day" count in."""
    return _wall(_utc(moment), _zone(tz)).date()


def at_local(day: date, wall: time, *, tz: str) -> datetime:
    """A wall time on a local day as UTC; in a DST gap it moves forward, a repeated one takes the first."""
    if wall.tzinfo is not None:
        raise ValueError(f"wall time {wall!r} must be naive: the zone is {tz!r}")
    zone = _zone(tz)
    naive = datetime.combine(day, wall).replace(fold=0)
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if _wall(first, zone) == naive:
        return first
    return _end_of_gap(naive, zone)


@dataclass(frozen=True)
class Period:
    """Time away: from `starts_at` to `ends_at` (exclusive), aware UTC."""

    starts_at: datetime
    ends_at: datetime


def covering(periods: Iterable[Period], at: datetime) -> Period | None:
    """The period `at` falls in (the one ending last when several overlap), or None."""
    inside = [p for p in periods if p.starts_at <= at < p.ends_at]
    return max(inside, key=lambda p: p.ends_at) if inside else None


@dataclass(frozen=True)
class Availability:
    """When Baton may DM one person (CONTRACT, People's time): their zone, working hours and days,
    public-holiday calendar, and the time they are away (`/task away`, or a Slack status that says so)."""

    tz: str
    hours: WorkingHours = DEFAULT_HOURS
    calendar: str | None = None
    away: tuple[Period, ...] = ()

    def is_working_day(self, day: date) -> bool:
        """A day of their working week that is not a public holiday in their calendar."""
        return day.weekday() in self.hours.days and not calendars.is_holiday(self.calendar, day)

    def is_away(self, moment: datetime) -> bool:
        return covering(self.away, _utc(moment)) is not None


def _in_hours(moment: datetime, who: Availability) -> bool:
    wall = _wall(_utc(moment), _zone(who.tz))
    return who.is_working_day(wall.date()) and who.hours.start <= wall.time() <= who.hours.end


def is_working(moment: datetime, who: Availability) -> bool:
    """Inside their hours (both ends included) on a working day, and not away: when Baton may DM them."""
    return _in_hours(moment, who) and not who.is_away(moment)


def _start_on(day: date, who: Availability, *, after: datetime) -> datetime | None:
    """The start of their hours on `day` if it is at or after `after` (the later reading in a repeated hour)."""
    start = at_local(day, who.hours.start, tz=who.tz)
    if start >= after:
        return start
    # The clocks went back and `after` is in the repeated hour: the second reading of the start time.
    again = datetime.combine(day, who.hours.start).replace(tzinfo=_zone(who.tz), fold=1).astimezone(UTC)
    return again if again >= after and _wall(again, _zone(who.tz)).date() == day else None


def _next_in_hours(moment: datetime, who: Availability) -> datetime:
    if _in_hours(moment, who):
        return moment
    wall = _wall(moment, _zone(who.tz))
    today = wall.date()
    if who.is_working_day(today) and wall.time() < who.hours.start:
        start = _start_on(today, who, after=moment)
        if start is not None:
            return start
    for ahead in range(1, WORKING_DAY_SEARCH):
        day = today + timedelta(days=ahead)
        if who.is_working_day(day):
            return at_local(day, who.hours.start, tz=who.tz)
    raise ValueError(f"no working day in the {WORKING_DAY_SEARCH} days after {moment.isoformat()}")


def _merged(periods: Iterable[Period]) -> list[Period]:
    """Time away with overlapping or back-to-back periods joined, in order."""
    merged: list[Period] = []
    for period in sorted(periods, key=lambda p: p.starts_at):
        if merged and period.starts_at <= merged[-1].ends_at:
            last = merged[-1]
            merged[-1] = Period(starts_at=last.starts_at, ends_at=max(last.ends_at, period.ends_at))
        else:
            merged.append(period)
    return merged


def next_working_start(moment: datetime, who: Availability) -> datetime:
    """`moment` when Baton may DM them then, else the start of their next working period (after any
    time away): where a DM whose moment falls outside their time is held to."""
    at = _utc(moment)
    away = _merged(who.away)
    for _ in range(len(away) + 1):
        at = _next_in_hours(at, who)
        period = covering(away, at)
        if period is None:
            return at
        at = period.ends_at
    return _next_in_hours(at, who)


def _end_on(day: date, who: Availability) -> datetime:
    """The end of their hours on `day`; when a clock change skips that wall time, the last minute before it."""
    end = at_local(day, who.hours.end, tz=who.tz)
    for _ in range(6 * 60):  # a gap is an hour (30 minutes on Lord Howe); bounded whatever the zone
        if _in_hours(end, who):
            return end
        end -= timedelta(minutes=1)
    return end


def last_working_moment(moment: datetime, who: Availability) -> datetime:
    """`moment` inside their hours on a working day, else the end of their last working period before it."""
    moment = _utc(moment)
    if _in_hours(moment, who):
        return moment
    wall = _wall(moment, _zone(who.tz))
    today = wall.date()
    if who.is_working_day(today) and wall.time() > who.hours.end:
        return min(_end_on(today, who), moment)
    for back in range(1, WORKING_DAY_SEARCH):
        day = today - timedelta(days=back)
        if who.is_working_day(day):
            return _end_on(day, who)
    raise ValueError(f"no working day in the {WORKING_DAY_SEARCH} days before {moment.isoformat()}")


def next_working_morning(now: datetime, who: Availability) -> datetime:
    """The start of their first working day after today (where **Later** moves a check-in)."""
    today = local_date(now, tz=who.tz)
    return _next_in_hours(at_local(today + _ONE_DAY, time(0, 0), tz=who.tz), who)


def one_working_day_after(moment: datetime, who: Availability) -> datetime:
    """The same wall time on their next working day after `moment`'s, held to their working time:
    "a working day later"."""
    wall = _wall(_utc(moment), _zone(who.tz))
    for ahead in range(1, WORKING_DAY_SEARCH):
        day = wall.date() + timedelta(days=ahead)
        if who.is_working_day(day):
            return next_working_start(at_local(day, wall.time().replace(microsecond=0), tz=who.tz), who)
    raise ValueError(f"no working day in the {WORKING_DAY_SEARCH} days after {moment.isoformat()}")


def checkin_moments(*, start: datetime, end: datetime, who: Availability, schedule: CheckinSchedule) -> list[datetime]:
    """Every scheduled check-in in (start, end]: on the schedule's days at its time in the person's zone,
    on their working days (a check-in on a holiday or a day they do not work is not due at all)."""
    return list(_checkins(start=start, end=end, who=who, schedule=schedule))


def _checkins(*, start: datetime, end: datetime, who: Availability, schedule: CheckinSchedule) -> Iterator[datetime]:
    """`checkin_moments` one at a time, soonest first: a caller after the first stops there."""
    start, end = _utc(start), _utc(end)
    if end - start > MAX_RANGE:
        raise ValueError(f"check-in range of {end - start} is longer than {MAX_RANGE.days} days")
    zone = _zone(who.tz)
    if schedule.is_off or end <= start:
        return
    first = _wall(start, zone).date() - _ONE_DAY
    last = _wall(end, zone).date() + _ONE_DAY
    for day in _days(first, last):
        if day.weekday() not in schedule.days or not who.is_working_day(day):
            continue
        moment = _on_day(day, schedule.at, zone, who.tz)
        if moment is not None and start < moment <= end:
            yield moment


def next_checkin(after: datetime, *, who: Availability, schedule: CheckinSchedule) -> datetime | None:
    """The first scheduled check-in strictly after `after`, to plan a task's next wake-up; None when off."""
    after = _utc(after)
    if schedule.is_off:
        return None
    # Three weeks covers any weekly schedule even across a week of holidays or a day a gap swallowed.
    return next(_checkins(start=after, end=after + timedelta(days=22), who=who, schedule=schedule), None)


def _missed_checkins(
    last_pass: datetime | None, *, now: datetime, who: Availability, schedule: CheckinSchedule
) -> list[datetime]:
    floor = now - CATCH_UP_LOOKBACK
    if last_pass is not None:
        floor = max(floor, _utc(last_pass))
    return checkin_moments(start=floor, end=now, who=who, schedule=schedule)


def due_checkin(
    *, last_pass: datetime | None, now: datetime, who: Availability, schedule: CheckinSchedule
) -> datetime | None:
    """The one check-in a pass at `now` should send for a task (on time or caught up), or None.

    `last_pass` is the scheduled moment of the last check-in this task was sent (the value this
    function returned), or the task's creation time if it never got one; None means neither is
    known and only the last 7 days count. It must not be the time of the last scheduler pass:
    passes outside the person's hours would then swallow the check-ins they could not send.

    The candidate is the latest scheduled moment m with last_pass < m <= now (and m > now - 7 days) on
    one of the person's working days. It is returned only when `now` is inside their working time: a
    check-in scheduled outside their hours, or missed during downtime, goes out at the start of their
    next working period (CONTRACT, People's time and catch-up). All older missed moments collapse into
    the returned one: an outage sends at most one per task. "At most one per local day" is the planner's
    dedupe key, which names the local day the check-in is sent on: a check-in held to 08:00 and that
    day's own at 10:00 share it, so the second plans nothing.
    After sending, store the returned moment as the task's next `last_pass`, then ask
    `next_checkin_pass` when to look again.
    """
    now = _utc(now)
    if schedule.is_off or not is_working(now, who):
        return None
    missed = _missed_checkins(last_pass, now=now, who=who, schedule=schedule)
    return missed[-1] if missed else None


def next_checkin_pass(
    *, last_pass: datetime | None, now: datetime, who: Availability, schedule: CheckinSchedule
) -> datetime | None:
    """When a pass next needs to look at a task's check-ins (its `next_check_at`); None when off.

    Call it after acting on `due_checkin` at `now`, with the updated `last_pass`. It returns `now` if
    a check-in is still due, else the earliest later moment at which `due_checkin` can return one:
    the start of their next working period while a missed check-in waits for it, or the next
    check-in's moment held to their working time.
    """
    now = _utc(now)
    if schedule.is_off:
        return None
    if due_checkin(last_pass=last_pass, now=now, who=who, schedule=schedule) is not None:
        return now
    upcoming = next_checkin(now, who=who, schedule=schedule)
    wakes = [] if upcoming is None else [next_working_start(upcoming, who)]
    if not is_working(now, who) and _missed_checkins(last_pass, now=now, who=who, schedule=schedule):
        wakes.append(next_working_start(now, who))
    return min(wakes, default=None)


def warning_moment(ideal: datetime, who: Availability) -> datetime:
    """Move a deadline warning into the person's working time, earlier and never later: to the end of
    their last working period before it (CONTRACT). Time away is not looked at here: a warning whose
    moment falls while they are away is dropped by the planner, not moved."""
    return last_working_moment(ideal, who)


def warning_moments(due: datetime, who: Availability) -> dict[str, datetime]:
    """The 24 h and 1 h warnings for a deadline, moved into working time; callers drop those already past."""
    due = _utc(due)
    return {
        "warn24": warning_moment(due - timedelta(hours=24), who),
        "warn1": warning_moment(due - timedelta(hours=1), who),
    }


def overdue_moments(due: datetime, *, who: Availability, until: datetime) -> list[datetime]:
    """Overdue notices up to `until`: at `due`, then each later working day of the assignee at its local
    time of day (none on their days off or public holidays)."""
    due, until = _utc(due), _utc(until)
    zone = _zone(who.tz)
    if until < due:
        return []
    due_wall = _wall(due, zone)
    moments = [due]
    day = due_wall.date()
    last_day = _wall(until, zone).date() + _ONE_DAY
    while len(moments) < MAX_OVERDUE_NOTICES and day < last_day:
        day += _ONE_DAY
        if not who.is_working_day(day):
            continue
        moment = _on_day(day, due_wall.time(), zone, who.tz)
        if moment is None or moment <= moments[-1]:
            continue
        if moment > until:
            break
        moments.append(moment)
    return moments


def next_overdue_moment(due: datetime, *, who: Availability, after: datetime) -> datetime:
    """The first overdue notice strictly after `after`, for a task's `next_check_at`, however old `due` is."""
    due, after = _utc(due), _utc(after)
    zone = _zone(who.tz)
    if after < due:
        return due
    due_wall = _wall(due, zone)
    first = max(_wall(after, zone).date(), due_wall.date() + _ONE_DAY)
    for ahead in range(WORKING_DAY_SEARCH):
        day = first + timedelta(days=ahead)
        if not who.is_working_day(day):
            continue
        moment = _on_day(day, due_wall.time(), zone, who.tz)
        if moment is not None and moment > after:
            return moment
    raise ValueError(f"no working day in the {WORKING_DAY_SEARCH} days after {after.isoformat()} in {who.tz!r}")


def latest_overdue_moment(due: datetime, *, who: Availability, now: datetime) -> datetime | None:
    """The one overdue notice to send at `now` after an outage (the latest one due); None before `due`."""
    due, now = _utc(due), _utc(now)
    zone = _zone(who.tz)
    if now < due:
        return None
    due_wall = _wall(due, zone)
    today = _wall(now, zone).date()
    for back in range(WORKING_DAY_SEARCH):
        day = today - timedelta(days=back)
        if day <= due_wall.date():
            break
        if not who.is_working_day(day):
            continue
        moment = _on_day(day, due_wall.time(), zone, who.tz)
        if moment is not None and due < moment <= now:
            return moment
    return due


RECOGNITION_WEEKDAY = 4  # Friday
RECOGNITION_TIME = time(16, 0)


def next_recognition(after: datetime, *, tz: str) -> datetime:
    """The first Friday 16:00 in the team's zone strictly after `after` (the weekly recognition)."""
    after = _utc(after)
    today = local_date(after, tz=tz)
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if day.weekday() != RECOGNITION_WEEKDAY:
            continue
        moment = at_local(day, RECOGNITION_TIME, tz=tz)
        if moment > after:
            return moment
    return at_local(today + timedelta(days=7 + (RECOGNITION_WEEKDAY - today.weekday()) % 7), RECOGNITION_TIME, tz=tz)

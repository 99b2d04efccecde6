"""When Baton may speak to a person: their working window, check-in days and deadlines, in their own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.model import WORKING_DAYS, CheckinSchedule

WINDOW_START = time(8, 0)
WINDOW_END = time(20, 0)

MAX_RANGE = timedelta(days=400)
CATCH_UP_LOOKBACK = timedelta(days=7)
MAX_OVERDUE_NOTICES = 400

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


def is_in_window(moment: datetime, *, tz: str) -> bool:
    """Whether `moment` is inside 08:00-20:00 (both included) of the person's day, when Baton may DM them."""
    return WINDOW_START <= _wall(_utc(moment), _zone(tz)).time() <= WINDOW_END


def checkin_moments(*, start: datetime, end: datetime, tz: str, schedule: CheckinSchedule) -> list[datetime]:
    """Every scheduled check-in in (start, end], on the schedule's days at its time in the assignee's zone."""
    start, end = _utc(start), _utc(end)
    if end - start > MAX_RANGE:
        raise ValueError(f"check-in range of {end - start} is longer than {MAX_RANGE.days} days")
    zone = _zone(tz)
    if schedule.is_off or end <= start:
        return []
    first = _wall(start, zone).date() - _ONE_DAY
    last = _wall(end, zone).date() + _ONE_DAY
    moments: list[datetime] = []
    for day in _days(first, last):
        if day.weekday() not in schedule.days:
            continue
        moment = _on_day(day, schedule.at, zone, tz)
        if moment is not None and start < moment <= end:
            moments.append(moment)
    return moments


def next_checkin(after: datetime, *, tz: str, schedule: CheckinSchedule) -> datetime | None:
    """The first scheduled check-in strictly after `after`, to plan a task's next wake-up; None when off."""
    after = _utc(after)
    if schedule.is_off:
        return None
    # Two weeks covers any weekly schedule even if a gap swallowed one of its days.
    upcoming = checkin_moments(start=after, end=after + timedelta(days=15), tz=tz, schedule=schedule)
    return upcoming[0] if upcoming else None


def checkin_send_moment(moment: datetime, *, tz: str) -> datetime:
    """When a check-in scheduled at `moment` may go out: at once inside 08:00-20:00, else the next 08:00."""
    moment = _utc(moment)
    zone = _zone(tz)
    wall = _wall(moment, zone)
    if WINDOW_START <= wall.time() <= WINDOW_END:
        return moment
    day = wall.date() if wall.time() < WINDOW_START else wall.date() + _ONE_DAY
    return at_local(day, WINDOW_START, tz=tz)


def _missed_checkins(
    last_pass: datetime | None, *, now: datetime, tz: str, schedule: CheckinSchedule
) -> list[datetime]:
    floor = now - CATCH_UP_LOOKBACK
    if last_pass is not None:
        floor = max(floor, _utc(last_pass))
    return checkin_moments(start=floor, end=now, tz=tz, schedule=schedule)


def due_checkin(*, last_pass: datetime | None, now: datetime, tz: str, schedule: CheckinSchedule) -> datetime | None:
    """The one check-in a pass at `now` should send for a task (on time or caught up), or None.

    `last_pass` is the scheduled moment of the last check-in this task was sent (the value this
    function returned), or the task's creation time if it never got one; None means neither is
    known and only the last 7 days count. It must not be the time of the last scheduler pass:
    passes outside the window would then swallow the check-ins they could not send.

    The candidate is the latest scheduled moment m with last_pass < m <= now (and m > now - 7 days).
    It is returned only when `now` is inside 08:00-20:00 of the assignee's day: a check-in
    scheduled outside the window, or missed during downtime, goes out at the next pass inside it
    (CONTRACT, catch-up). All older missed moments collapse into the returned one: an outage sends
    at most one per task. "At most one per local day" is the planner's dedupe key, which names the
    local day the check-in is sent on: a caught-up check-in at 08:00 and that day's own at 10:00
    share it, so the second plans nothing.
    After sending, store the returned moment as the task's next `last_pass`, then ask
    `next_checkin_pass` when to look again.
    """
    now = _utc(now)
    if schedule.is_off or not is_in_window(now, tz=tz):
        return None
    missed = _missed_checkins(last_pass, now=now, tz=tz, schedule=schedule)
    return missed[-1] if missed else None


def next_checkin_pass(
    *, last_pass: datetime | None, now: datetime, tz: str, schedule: CheckinSchedule
) -> datetime | None:
    """When a pass next needs to look at a task's check-ins (its `next_check_at`); None when off.

    Call it after acting on `due_checkin` at `now`, with the updated `last_pass`. It returns `now` if
    a check-in is still due, else the earliest later moment at which `due_checkin` can return one:
    the next window opening while a missed check-in waits for it, or the next check-in's send moment.
    """
    now = _utc(now)
    if schedule.is_off:
        return None
    if due_checkin(last_pass=last_pass, now=now, tz=tz, schedule=schedule) is not None:
        return now
    upcoming = next_checkin(now, tz=tz, schedule=schedule)
    wakes = [] if upcoming is None else [checkin_send_moment(upcoming, tz=tz)]
    if not is_in_window(now, tz=tz) and _missed_checkins(last_pass, now=now, tz=tz, schedule=schedule):
        wakes.append(checkin_send_moment(now, tz=tz))  # the next 08:00
    return min(wakes, default=None)


def warning_moment(ideal: datetime, *, tz: str) -> datetime:
    """Move a deadline warning into the assignee's 08:00-20:00, earlier and never later (contract)."""
    ideal = _utc(ideal)
    zone = _zone(tz)
    wall = _wall(ideal, zone)
    if WINDOW_START <= wall.time() <= WINDOW_END:
        return ideal
    for back in range(8):  # the latest 20:00 before `ideal`: today's, else the evening before
        evening = at_local(wall.date() - timedelta(days=back), WINDOW_END, tz=tz)
        if evening <= ideal and is_in_window(evening, tz=tz):
            return evening
    raise ValueError(f"no working window in the week before {ideal.isoformat()} in {tz!r}")


def warning_moments(due: datetime, *, tz: str) -> dict[str, datetime]:
    """The 24 h and 1 h warnings for a deadline, moved into the window; callers drop those already past."""
    due = _utc(due)
    return {
        "warn24": warning_moment(due - timedelta(hours=24), tz=tz),
        "warn1": warning_moment(due - timedelta(hours=1), tz=tz),
    }


def overdue_moments(due: datetime, *, tz: str, until: datetime) -> list[datetime]:
    """Overdue notices up to `until`: at `due`, then each later working day at its local time of day."""
    due, until = _utc(due), _utc(until)
    zone = _zone(tz)
    if until < due:
        return []
    due_wall = _wall(due, zone)
    moments = [due]
    day = due_wall.date()
    while len(moments) < MAX_OVERDUE_NOTICES:
        day += _ONE_DAY
        if day.weekday() not in WORKING_DAYS:
            continue
        moment = _on_day(day, due_wall.time(), zone, tz)
        if moment is None or moment <= moments[-1]:
            continue
        if moment > until:
            break
        moments.append(moment)
    return moments


def next_overdue_moment(due: datetime, *, tz: str, after: datetime) -> datetime:
    """The first overdue notice strictly after `after`, for a task's `next_check_at`, however old `due` is."""
    due, after = _utc(due), _utc(after)
    zone = _zone(tz)
    if after < due:
        return due
    due_wall = _wall(due, zone)
    first = max(_wall(after, zone).date(), due_wall.date() + _ONE_DAY)
    for ahead in range(9):  # a weekend and a swallowed day at most lie between two working days
        day = first + timedelta(days=ahead)
        if day.weekday() not in WORKING_DAYS:
            continue
        moment = _on_day(day, due_wall.time(), zone, tz)
        if moment is not None and moment > after:
            return moment
    raise ValueError(f"no working day in the 9 days after {after.isoformat()} in {tz!r}")


def latest_overdue_moment(due: datetime, *, tz: str, now: datetime) -> datetime | None:
    """The one overdue notice to send at `now` after an outage (the latest one due); None before `due`."""
    due, now = _utc(due), _utc(now)
    zone = _zone(tz)
    if now < due:
        return None
    due_wall = _wall(due, zone)
    today = _wall(now, zone).date()
    for back in range(8):  # a weekend and a swallowed day at most lie between two working days
        day = today - timedelta(days=back)
        if day <= due_wall.date():
            break
        if day.weekday() not in WORKING_DAYS:
            continue
        moment = _on_day(day, due_wall.time(), zone, tz)
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

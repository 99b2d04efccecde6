"""Working time, check-ins, warnings and overdue notices in the assignee's own zone, hours, calendar and time
away, across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import calendars
from bot.domain.hours import DEFAULT_HOURS, WorkingHours
from bot.domain.model import WORKING_DAYS, CheckinSchedule
from bot.domain.status import SlackStatus
from bot.domain.worktime import (
    Availability,
    Period,
    at_local,
    checkin_moments,
    due_checkin,
    is_working,
    last_working_moment,
    latest_overdue_moment,
    local_date,
    next_checkin,
    next_checkin_pass,
    next_overdue_moment,
    next_working_start,
    overdue_moments,
    warning_moment,
    warning_moments,
)
from tests.helpers import utc

NY = "America/New_York"  # DST starts 2026-03-08 02:00 -> 03:00, ends 2026-11-01 02:00 -> 01:00
LONDON = "Europe/London"
BERLIN = "Europe/Berlin"
TOKYO = "Asia/Tokyo"
KOLKATA = "Asia/Kolkata"  # +05:30
LORD_HOWE = "Australia/Lord_Howe"  # 30-minute DST: 2026-10-04 02:00 -> 02:30, 2026-04-05 02:00 -> 01:30
KIRITIMATI = "Pacific/Kiritimati"  # +14: its Monday morning is Sunday in UTC
ZONES = [NY, LONDON, BERLIN, TOKYO, KOLKATA, LORD_HOWE, KIRITIMATI]

WEEKDAYS = CheckinSchedule()  # weekdays 10:00
DAILY = CheckinSchedule(days=frozenset(range(7)))  # every day 10:00
OFF = CheckinSchedule(days=frozenset())
EVERY_DAY = WorkingHours(days=frozenset(range(7)))  # 08:00-20:00, weekends too


@pytest.fixture(scope="module", autouse=True)
def _holidays_loaded() -> None:
    """The `holidays` package loads on first use (about 0.2 s): load it before hypothesis times examples."""
    calendars.is_holiday("US", date(2026, 1, 1))


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


# --- local days and wall times -------------------------------------------------------------


def test_local_date_is_the_assignees_calendar_day_not_utcs() -> None:
    moment = utc(2026, 3, 6, 23, 30)

    assert local_date(moment, tz=TOKYO) == date(2026, 3, 7)
    assert local_date(moment, tz=NY) == date(2026, 3, 6)
    assert local_date(moment, tz=KIRITIMATI) == date(2026, 3, 7)


def test_wall_time_takes_the_offset_in_force_that_day() -> None:
    assert at_local(date(2026, 3, 6), time(10, 0), tz=NY) == utc(2026, 3, 6, 15, 0)
    assert at_local(date(2026, 3, 9), time(10, 0), tz=NY) == utc(2026, 3, 9, 14, 0)
    assert at_local(date(2026, 3, 6), time(10, 0), tz=KOLKATA) == utc(2026, 3, 6, 4, 30)
    assert at_local(date(2026, 3, 9), time(9, 0), tz=KIRITIMATI) == utc(2026, 3, 8, 19, 0)


@pytest.mark.parametrize(
    ("day", "wall", "tz", "expected"),
    [
        (date(2026, 3, 8), time(2, 30), NY, utc(2026, 3, 8, 7, 0)),  # 03:00 EDT
        (date(2026, 3, 8), time(2, 0), NY, utc(2026, 3, 8, 7, 0)),
        (date(2026, 3, 8), time(2, 59, 59), NY, utc(2026, 3, 8, 7, 0)),
        (date(2026, 3, 29), time(1, 30), LONDON, utc(2026, 3, 29, 1, 0)),  # 02:00 BST
        (date(2026, 3, 29), time(2, 30), BERLIN, utc(2026, 3, 29, 1, 0)),  # 03:00 CEST
        (date(2026, 10, 4), time(2, 15), LORD_HOWE, utc(2026, 10, 3, 15, 30)),  # 02:30 +11
    ],
)
def test_wall_time_in_a_spring_gap_moves_to_the_first_minute_after_it(
    day: date, wall: time, tz: str, expected: datetime
) -> None:
    assert at_local(day, wall, tz=tz) == expected


def test_wall_time_just_after_a_gap_is_kept() -> None:
    assert at_local(date(2026, 3, 8), time(3, 0), tz=NY) == utc(2026, 3, 8, 7, 0)
    assert at_local(date(2026, 10, 4), time(2, 30), tz=LORD_HOWE) == utc(2026, 10, 3, 15, 30)


def test_repeated_fall_back_wall_time_takes_its_first_occurrence() -> None:
    assert at_local(date(2026, 11, 1), time(1, 30), tz=NY) == utc(2026, 11, 1, 5, 30)  # EDT, not EST
    assert at_local(date(2026, 4, 5), time(1, 45), tz=LORD_HOWE) == utc(2026, 4, 4, 14, 45)  # +11


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 3, 6, 12, 0)
    with pytest.raises(ValueError, match="naive"):
        local_date(naive, tz=NY)
    with pytest.raises(ValueError, match="naive"):
        is_working(naive, Availability(NY))
    with pytest.raises(ValueError, match="naive"):
        warning_moment(naive, Availability(NY))
    with pytest.raises(ValueError, match="naive"):
        checkin_moments(start=naive, end=utc(2026, 3, 7), who=Availability(NY), schedule=WEEKDAYS)
    with pytest.raises(ValueError, match="naive"):
        # now on a Friday: on a Saturday due_checkin returns None before it reads last_pass
        due_checkin(last_pass=naive, now=utc(2026, 3, 6, 15), who=Availability(NY), schedule=WEEKDAYS)
    with pytest.raises(ValueError, match="naive"):
        overdue_moments(utc(2026, 3, 6), who=Availability(NY), until=naive)
    with pytest.raises(ValueError, match="naive"):
        next_working_start(naive, Availability(NY))
    with pytest.raises(ValueError, match="naive"):
        last_working_moment(naive, Availability(NY))
    with pytest.raises(ValueError, match="naive"):
        Availability(NY).is_away(naive)


def test_aware_wall_time_and_unknown_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        at_local(date(2026, 3, 6), time(10, 0, tzinfo=UTC), tz=NY)
    with pytest.raises(ValueError, match="unknown time zone"):
        local_date(utc(2026, 3, 6), tz="Mars/Olympus_Mons")
    with pytest.raises(ValueError, match="unknown time zone"):
        is_working(utc(2026, 3, 6), Availability("Mars/Olympus_Mons"))


def test_aware_input_in_another_zone_comes_back_as_utc() -> None:
    tokyo_evening = datetime(2026, 3, 6, 23, 30, tzinfo=ZoneInfo(TOKYO))

    moved = warning_moment(tokyo_evening, Availability(TOKYO))

    assert moved == utc(2026, 3, 6, 11, 0)
    assert moved.tzinfo is UTC


# --- working time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 3, 6, 2, 30), True),  # 08:00 IST, the first minute
        (utc(2026, 3, 6, 2, 29, 59), False),
        (utc(2026, 3, 6, 14, 30), True),  # 20:00 IST, the last minute
        (utc(2026, 3, 6, 14, 30, 1), False),
        (utc(2026, 3, 6, 8, 0), True),
    ],
)
def test_default_hours_are_eight_to_twenty_inclusive_in_the_persons_zone(moment: datetime, expected: bool) -> None:
    assert is_working(moment, Availability(KOLKATA)) is expected  # Friday 6 March 2026


# --- check-in moments --------------------------------------------------------------------------


def test_weekday_checkins_skip_the_weekend_and_follow_dst() -> None:
    moments = checkin_moments(
        start=utc(2026, 3, 5, 16), end=utc(2026, 3, 10, 16), who=Availability(NY), schedule=WEEKDAYS
    )

    assert moments == [
        utc(2026, 3, 6, 15, 0),  # Fri 10:00 EST
        utc(2026, 3, 9, 14, 0),  # Mon 10:00 EDT
        utc(2026, 3, 10, 14, 0),
    ]


def test_checkins_go_out_on_configured_days_only() -> None:
    schedule = CheckinSchedule(days=frozenset({0, 2}), at=time(9, 30))  # mon, wed

    moments = checkin_moments(start=utc(2026, 3, 1), end=utc(2026, 3, 15), who=Availability(BERLIN), schedule=schedule)

    assert moments == [
        utc(2026, 3, 2, 8, 30),
        utc(2026, 3, 4, 8, 30),
        utc(2026, 3, 9, 8, 30),
        utc(2026, 3, 11, 8, 30),
    ]


def test_daily_checkin_inside_the_spring_gap_goes_out_when_the_clock_resumes() -> None:
    schedule = CheckinSchedule(days=frozenset(range(7)), at=time(2, 30))
    # The gap is on a Sunday: the person works every day, else the weekend has no check-ins at all.
    every_day = Availability(NY, hours=EVERY_DAY)

    moments = checkin_moments(start=utc(2026, 3, 7), end=utc(2026, 3, 10), who=every_day, schedule=schedule)

    assert moments == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 0),  # no 02:30 that day: 03:00 EDT
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_daily_checkin_in_the_repeated_hour_goes_out_once() -> None:
    schedule = CheckinSchedule(days=frozenset(range(7)), at=time(1, 30))
    every_day = Availability(NY, hours=EVERY_DAY)  # the repeated hour is on a Sunday

    moments = checkin_moments(start=utc(2026, 10, 31), end=utc(2026, 11, 3), who=every_day, schedule=schedule)

    assert moments == [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_checkins_use_the_assignees_zone_even_when_its_monday_is_sunday_in_utc() -> None:
    moments = checkin_moments(
        start=utc(2026, 3, 6), end=utc(2026, 3, 9, 12), who=Availability(KIRITIMATI), schedule=WEEKDAYS
    )

    assert moments == [utc(2026, 3, 8, 20, 0)]  # Monday 10:00 +14


def test_checkin_range_is_open_at_start_and_closed_at_end() -> None:
    friday, monday = utc(2026, 3, 6, 1, 0), utc(2026, 3, 9, 1, 0)  # 10:00 in Tokyo

    assert checkin_moments(start=friday, end=monday, who=Availability(TOKYO), schedule=WEEKDAYS) == [monday]


def test_checkins_that_are_off_yield_nothing() -> None:
    assert checkin_moments(start=utc(2026, 3, 1), end=utc(2026, 3, 30), who=Availability(NY), schedule=OFF) == []
    assert next_checkin(utc(2026, 3, 1), who=Availability(NY), schedule=OFF) is None
    assert due_checkin(last_pass=None, now=utc(2026, 3, 4, 15), who=Availability(NY), schedule=OFF) is None


def test_checkin_range_longer_than_400_days_is_refused() -> None:
    with pytest.raises(ValueError, match="400 days"):
        checkin_moments(start=utc(2026, 1, 1), end=utc(2027, 2, 6), who=Availability(NY), schedule=WEEKDAYS)


def test_next_checkin_after_friday_is_monday_and_strictly_later() -> None:
    friday_checkin = utc(2026, 3, 6, 15, 0)

    assert next_checkin(friday_checkin, who=Availability(NY), schedule=WEEKDAYS) == utc(2026, 3, 9, 14, 0)
    assert (
        next_checkin(friday_checkin - timedelta(seconds=1), who=Availability(NY), schedule=WEEKDAYS) == friday_checkin
    )


@pytest.mark.parametrize(
    ("scheduled", "expected"),
    [
        (utc(2026, 3, 6, 15, 0), utc(2026, 3, 6, 15, 0)),  # Fri 10:00 EST: at once
        (utc(2026, 3, 6, 12, 0), utc(2026, 3, 6, 13, 0)),  # Fri 07:00 EST: 08:00 that day
        # Fri 21:00 EST: was Saturday 08:00; Saturday is no working day now, so Monday 08:00 EDT.
        (utc(2026, 3, 7, 2, 0), utc(2026, 3, 9, 12, 0)),
    ],
)
def test_checkin_outside_working_time_goes_out_at_the_next_working_start(
    scheduled: datetime, expected: datetime
) -> None:
    assert next_working_start(scheduled, Availability(NY)) == expected


# --- catch-up: which check-in a pass sends -------------------------------------------------------


def test_pass_right_after_the_checkin_moment_sends_it() -> None:
    thursday = utc(2026, 3, 5, 15, 0)

    due = due_checkin(
        last_pass=utc(2026, 3, 4, 15, 0), now=thursday + timedelta(seconds=30), who=Availability(NY), schedule=WEEKDAYS
    )

    assert due == thursday


def test_pass_with_no_new_checkin_sends_nothing() -> None:
    thursday = utc(2026, 3, 5, 15, 0)

    assert due_checkin(last_pass=thursday, now=utc(2026, 3, 5, 19), who=Availability(NY), schedule=WEEKDAYS) is None
    assert due_checkin(last_pass=thursday, now=utc(2026, 3, 6, 14, 59), who=Availability(NY), schedule=WEEKDAYS) is None


def test_catch_up_after_an_outage_sends_only_the_latest_missed_checkin() -> None:
    monday = utc(2026, 3, 2, 15, 0)

    due = due_checkin(last_pass=monday, now=utc(2026, 3, 5, 16, 0), who=Availability(NY), schedule=WEEKDAYS)

    assert due == utc(2026, 3, 5, 15, 0)  # Thursday's; Tuesday's and Wednesday's collapse into it


def test_catch_up_sends_nothing_outside_working_hours() -> None:
    monday = utc(2026, 3, 2, 15, 0)

    for now in (
        utc(2026, 3, 5, 2, 0),
        utc(2026, 3, 5, 12, 59),
        utc(2026, 3, 5, 1, 0, 1),
    ):  # 21:00, 07:59, 20:00:01
        assert due_checkin(last_pass=monday, now=now, who=Availability(NY), schedule=WEEKDAYS) is None


def test_checkin_missed_overnight_goes_out_at_the_next_morning_pass_when_no_checkin_is_due_that_day() -> None:
    schedule = CheckinSchedule(days=frozenset({0, 2}), at=time(10, 0))  # mon, wed
    monday, wednesday = utc(2026, 3, 2, 15, 0), utc(2026, 3, 4, 15, 0)

    at_night = due_checkin(last_pass=monday, now=utc(2026, 3, 5, 2, 0), who=Availability(NY), schedule=schedule)
    thursday_morning = due_checkin(
        last_pass=monday, now=utc(2026, 3, 5, 13, 0), who=Availability(NY), schedule=schedule
    )

    assert at_night is None
    assert thursday_morning == wednesday


def test_missed_checkin_goes_out_at_the_next_pass_inside_working_hours() -> None:
    tuesday = utc(2026, 3, 3, 15, 0)

    thursday_eight = utc(2026, 3, 5, 13, 0)

    early = due_checkin(last_pass=tuesday, now=thursday_eight, who=Availability(NY), schedule=WEEKDAYS)
    on_time = due_checkin(last_pass=tuesday, now=utc(2026, 3, 5, 15, 0), who=Availability(NY), schedule=WEEKDAYS)

    assert early == utc(2026, 3, 4, 15, 0)  # Wednesday's, missed, goes out at Thursday 08:00
    assert on_time == utc(2026, 3, 5, 15, 0)


def test_checkin_scheduled_before_eight_goes_out_at_eight() -> None:
    schedule = CheckinSchedule(days=WORKING_DAYS, at=time(7, 0))
    thursday_seven = utc(2026, 3, 5, 12, 0)
    wednesday_seven = utc(2026, 3, 4, 12, 0)

    at_seven = due_checkin(last_pass=wednesday_seven, now=thursday_seven, who=Availability(NY), schedule=schedule)
    at_eight = due_checkin(
        last_pass=wednesday_seven, now=utc(2026, 3, 5, 13, 0), who=Availability(NY), schedule=schedule
    )

    assert at_seven is None
    assert at_eight == thursday_seven


def test_checkin_for_a_task_created_after_todays_moment_waits_for_the_next_one() -> None:
    created = utc(2026, 3, 5, 18, 0)  # Thursday 13:00 EST, after 10:00
    friday_ten = utc(2026, 3, 6, 15, 0)

    assert due_checkin(last_pass=created, now=utc(2026, 3, 5, 19), who=Availability(NY), schedule=WEEKDAYS) is None
    assert due_checkin(last_pass=created, now=friday_ten, who=Availability(NY), schedule=WEEKDAYS) == friday_ten


def test_unknown_last_pass_looks_back_one_week_for_the_latest_checkin() -> None:
    schedule = CheckinSchedule(days=frozenset({0}), at=time(10, 0))  # mondays
    sunday, monday_eight = utc(2026, 3, 8, 15), utc(2026, 3, 9, 12)  # Sun 11:00 EDT, Mon 08:00 EDT

    # A Sunday pass used to send it; Sunday is no working day now, so it waits for Monday 08:00,
    # still within the week.
    assert due_checkin(last_pass=None, now=sunday, who=Availability(NY), schedule=schedule) is None
    assert due_checkin(last_pass=None, now=monday_eight, who=Availability(NY), schedule=schedule) == utc(2026, 3, 2, 15)


def test_catch_up_uses_the_half_hour_zones_working_hours() -> None:
    wednesday = utc(2026, 3, 4, 4, 30)  # 10:00 IST

    evening = due_checkin(
        last_pass=wednesday, now=utc(2026, 3, 5, 14, 31), who=Availability(KOLKATA), schedule=WEEKDAYS
    )
    last_minute = due_checkin(
        last_pass=wednesday, now=utc(2026, 3, 5, 14, 30), who=Availability(KOLKATA), schedule=WEEKDAYS
    )

    assert evening is None  # 20:01 IST
    assert last_minute == utc(2026, 3, 5, 4, 30)


def test_next_checkin_pass_after_a_send_is_when_the_next_checkin_goes_out() -> None:
    thursday = utc(2026, 3, 5, 15, 0)

    wake = next_checkin_pass(
        last_pass=thursday, now=thursday + timedelta(seconds=30), who=Availability(NY), schedule=WEEKDAYS
    )

    assert wake == utc(2026, 3, 6, 15, 0)


def test_next_checkin_pass_is_now_while_a_checkin_is_still_due() -> None:
    now = utc(2026, 3, 5, 15, 0, 30)

    assert next_checkin_pass(last_pass=utc(2026, 3, 4, 15), now=now, who=Availability(NY), schedule=WEEKDAYS) == now


def test_next_checkin_pass_waits_for_eight_when_a_checkin_is_waiting_outside_working_time() -> None:
    early = CheckinSchedule(days=WORKING_DAYS, at=time(7, 0))
    mon_wed = CheckinSchedule(days=frozenset({0, 2}), at=time(10, 0))

    before_eight = next_checkin_pass(
        last_pass=utc(2026, 3, 4, 12, 0), now=utc(2026, 3, 5, 12, 0, 30), who=Availability(NY), schedule=early
    )
    after_outage = next_checkin_pass(
        last_pass=utc(2026, 3, 2, 15, 0), now=utc(2026, 3, 5, 3, 0), who=Availability(NY), schedule=mon_wed
    )

    assert before_eight == utc(2026, 3, 5, 13, 0)  # Thursday 08:00 EST
    assert after_outage == utc(2026, 3, 5, 13, 0)  # Wednesday's, at Thursday 08:00


def test_next_checkin_pass_is_now_while_a_missed_checkin_waits_in_working_time() -> None:
    wake = next_checkin_pass(
        last_pass=utc(2026, 3, 3, 15), now=utc(2026, 3, 5, 13, 0), who=Availability(NY), schedule=WEEKDAYS
    )

    assert wake == utc(2026, 3, 5, 13, 0)


def test_next_checkin_pass_is_none_when_checkins_are_off() -> None:
    assert next_checkin_pass(last_pass=None, now=utc(2026, 3, 5, 15), who=Availability(NY), schedule=OFF) is None


# --- deadline warnings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ideal", "expected"),
    [
        (utc(2026, 3, 6, 4, 30), utc(2026, 3, 6, 1, 0)),  # 23:30 EST -> 20:00 the same day
        (utc(2026, 3, 6, 11, 0), utc(2026, 3, 6, 1, 0)),  # 06:00 EST -> 20:00 the evening before
        (utc(2026, 3, 6, 19, 0), utc(2026, 3, 6, 19, 0)),  # 14:00 EST stays
        (utc(2026, 3, 6, 13, 0), utc(2026, 3, 6, 13, 0)),  # 08:00 stays
        (utc(2026, 3, 7, 1, 0), utc(2026, 3, 7, 1, 0)),  # 20:00 stays
        # Mon 06:00 EDT: was Sun 20:00 EDT; the weekend is no working time now, so Fri 20:00 EST.
        (utc(2026, 3, 9, 10, 0), utc(2026, 3, 7, 1, 0)),
    ],
)
def test_warning_moves_into_working_hours_never_later(ideal: datetime, expected: datetime) -> None:
    assert warning_moment(ideal, Availability(NY)) == expected


def test_warning_in_a_half_hour_zone_moves_to_its_own_twenty_oclock() -> None:
    assert warning_moment(utc(2026, 3, 6, 18, 0), Availability(KOLKATA)) == utc(2026, 3, 6, 14, 30)  # 23:30 IST


def test_warnings_before_a_monday_morning_deadline_both_move_to_friday_evening() -> None:
    due = utc(2026, 3, 9, 11, 0)  # Monday 07:00 EDT

    # They used to move to Sat 20:00 EST and Sun 20:00 EDT; the weekend is no working time now.
    assert warning_moments(due, Availability(NY)) == {
        "warn24": utc(2026, 3, 7, 1, 0),  # ideal Sun 07:00 EDT -> Fri 20:00 EST
        "warn1": utc(2026, 3, 7, 1, 0),  # ideal Mon 06:00 EDT -> Fri 20:00 EST
    }


def test_warnings_are_24h_and_1h_before_due_moved_across_dst_for_someone_working_weekends() -> None:
    due = utc(2026, 3, 9, 11, 0)  # Monday 07:00 EDT

    assert warning_moments(due, Availability(NY, hours=EVERY_DAY)) == {
        "warn24": utc(2026, 3, 8, 1, 0),  # ideal Sun 07:00 EDT -> Sat 20:00 EST
        "warn1": utc(2026, 3, 9, 0, 0),  # ideal Mon 06:00 EDT -> Sun 20:00 EDT
    }


def test_warnings_inside_working_time_stay_put() -> None:
    due = utc(2026, 3, 10, 20, 0)  # Tuesday 16:00 EDT

    assert warning_moments(due, Availability(NY)) == {
        "warn24": utc(2026, 3, 9, 20, 0),
        "warn1": utc(2026, 3, 10, 19, 0),
    }


# --- overdue notices -----------------------------------------------------------------------------


def test_overdue_repeats_each_working_day_at_the_due_time_across_dst() -> None:
    due = utc(2026, 3, 5, 22, 0)  # Thursday 17:00 EST

    moments = overdue_moments(due, who=Availability(NY), until=utc(2026, 3, 11, 23, 0))

    assert moments == [
        due,
        utc(2026, 3, 6, 22, 0),  # Fri
        utc(2026, 3, 9, 21, 0),  # Mon 17:00 EDT
        utc(2026, 3, 10, 21, 0),
        utc(2026, 3, 11, 21, 0),
    ]


def test_overdue_skips_the_weekend_of_a_tokyo_assignee_not_of_utc() -> None:
    due = utc(2026, 3, 5, 23, 0)  # Friday 08:00 JST, a Thursday in UTC

    moments = overdue_moments(due, who=Availability(TOKYO), until=utc(2026, 3, 10, 0, 0))

    assert moments == [due, utc(2026, 3, 8, 23, 0), utc(2026, 3, 9, 23, 0)]  # Mon and Tue in Tokyo
    assert utc(2026, 3, 6, 23, 0) not in moments  # a UTC Friday, but Saturday in Tokyo


def test_overdue_for_a_kiritimati_assignee_comes_on_their_monday_which_is_sunday_in_utc() -> None:
    due = utc(2026, 3, 5, 19, 0)  # Friday 09:00 +14

    moments = overdue_moments(due, who=Availability(KIRITIMATI), until=utc(2026, 3, 9, 12, 0))

    assert moments == [due, utc(2026, 3, 8, 19, 0)]
    assert moments[1].weekday() == 6


def test_overdue_due_on_a_saturday_is_noticed_then_again_on_monday() -> None:
    due = utc(2026, 3, 7, 15, 0)  # Saturday 15:00 London

    assert overdue_moments(due, who=Availability(LONDON), until=utc(2026, 3, 9, 15, 0)) == [due, utc(2026, 3, 9, 15, 0)]


def test_overdue_before_due_is_empty_and_is_bounded() -> None:
    due = utc(2026, 3, 5, 22, 0)

    assert overdue_moments(due, who=Availability(NY), until=due - timedelta(seconds=1)) == []
    assert overdue_moments(due, who=Availability(NY), until=due) == [due]
    assert len(overdue_moments(due, who=Availability(NY), until=utc(2036, 1, 1))) == 400


def test_latest_overdue_is_none_before_due_then_the_due_itself() -> None:
    due = utc(2026, 3, 5, 22, 0)  # Thursday 17:00 EST

    assert latest_overdue_moment(due, who=Availability(NY), now=due - timedelta(seconds=1)) is None
    assert latest_overdue_moment(due, who=Availability(NY), now=due) == due
    assert latest_overdue_moment(due, who=Availability(NY), now=utc(2026, 3, 6, 21, 59)) == due


def test_latest_overdue_after_a_weekend_outage_is_only_the_last_one() -> None:
    due = utc(2026, 3, 5, 23, 0)  # Friday 08:00 JST

    assert latest_overdue_moment(due, who=Availability(TOKYO), now=utc(2026, 3, 8, 22, 0)) == due  # Mon 07:00 JST
    assert latest_overdue_moment(due, who=Availability(TOKYO), now=utc(2026, 3, 9, 1, 0)) == utc(2026, 3, 8, 23, 0)


def test_latest_overdue_for_a_deadline_years_ago_is_the_last_working_day() -> None:
    due = utc(2016, 2, 29, 14, 0)  # a Monday, 09:00 EST

    now = utc(2026, 3, 9, 12, 0)  # Monday 08:00 EDT, before 09:00

    assert latest_overdue_moment(due, who=Availability(NY), now=now) == utc(2026, 3, 6, 14, 0)  # Friday 09:00 EST


def test_next_overdue_is_the_due_itself_before_it() -> None:
    due = utc(2026, 3, 5, 22, 0)

    assert next_overdue_moment(due, who=Availability(NY), after=due - timedelta(hours=1)) == due
    assert next_overdue_moment(due, who=Availability(NY), after=due) == utc(2026, 3, 6, 22, 0)


def test_next_overdue_after_a_tokyo_friday_is_their_monday() -> None:
    due = utc(2026, 3, 5, 23, 0)  # Friday 08:00 JST

    assert next_overdue_moment(due, who=Availability(TOKYO), after=due) == utc(2026, 3, 8, 23, 0)  # Sunday in UTC


def test_next_overdue_for_a_deadline_years_ago_is_the_next_working_day() -> None:
    due = utc(2016, 2, 29, 14, 0)  # a Monday, 09:00 EST

    assert next_overdue_moment(due, who=Availability(NY), after=utc(2026, 3, 6, 14, 0)) == utc(
        2026, 3, 9, 13, 0
    )  # 09:00 EDT


# --- people's time: working days and hours -------------------------------------------------------

FOUR_DAYS = WorkingHours(start=time(7, 0), end=time(15, 0), days=frozenset({0, 1, 2, 3}))  # mon-thu
LATE = WorkingHours(start=time(12, 0), end=time(18, 0))
SHORT_MORNINGS = WorkingHours(start=time(6, 0), end=time(9, 0))  # ends before the team's 10:00 check-in
UNTIL_HALF_FIVE = WorkingHours(start=time(9, 0), end=time(17, 30))
# Monday 18 January 2027 is Martin Luther King Jr. Day; 2026-04-03 and 04-06 are Good Friday and Easter Monday.
MLK_FRIDAY, MLK_MONDAY, MLK_TUESDAY = date(2027, 1, 15), date(2027, 1, 18), date(2027, 1, 19)


def test_working_days_are_their_weekdays_minus_their_holidays() -> None:
    plain, american = Availability(NY), Availability(NY, calendar="US")

    assert plain.is_working_day(MLK_MONDAY)
    assert not american.is_working_day(MLK_MONDAY)
    assert american.is_working_day(MLK_TUESDAY)
    assert not american.is_working_day(date(2027, 1, 16))  # Saturday
    assert not Availability(NY, hours=FOUR_DAYS).is_working_day(MLK_FRIDAY)
    assert Availability(NY, hours=WorkingHours(days=frozenset({5}))).is_working_day(date(2027, 1, 16))


@pytest.mark.parametrize(
    ("who", "moment", "expected"),
    [
        (Availability(NY), utc(2026, 3, 7, 17, 0), False),  # Saturday noon EST
        (Availability(NY, hours=EVERY_DAY), utc(2026, 3, 7, 17, 0), True),
        (Availability(NY), utc(2027, 1, 18, 17, 0), True),  # MLK day noon, no calendar
        (Availability(NY, calendar="US"), utc(2027, 1, 18, 17, 0), False),
        (Availability(BERLIN, calendar="DE-BY"), utc(2026, 12, 25, 11, 0), False),  # Christmas noon CET
        (Availability(BERLIN, calendar="DE-BY"), utc(2026, 12, 24, 11, 0), True),  # Christmas Eve is worked
        (Availability(NY, hours=LATE), utc(2026, 3, 12, 15, 59), False),  # Thu 11:59 EDT
        (Availability(NY, hours=LATE), utc(2026, 3, 12, 16, 0), True),  # 12:00, the start included
        (Availability(NY, hours=LATE), utc(2026, 3, 12, 22, 0), True),  # 18:00, the end included
        (Availability(NY, hours=LATE), utc(2026, 3, 12, 22, 0, 1), False),
        (Availability(NY, hours=FOUR_DAYS), utc(2026, 3, 13, 12, 0), False),  # Friday 08:00 EDT
    ],
)
def test_is_working_follows_hours_days_and_holidays(who: Availability, moment: datetime, expected: bool) -> None:
    assert is_working(moment, who) is expected


def test_is_working_is_false_while_away_and_the_period_end_is_excluded() -> None:
    away = Period(starts_at=utc(2026, 3, 16, 4, 0), ends_at=utc(2026, 3, 18, 16, 0))  # Mon 00:00 to Wed 12:00 EDT
    who = Availability(NY, away=(away,))

    assert not is_working(utc(2026, 3, 16, 14, 0), who)
    assert not is_working(utc(2026, 3, 18, 15, 59, 59), who)
    assert is_working(utc(2026, 3, 18, 16, 0), who)
    assert is_working(utc(2026, 3, 13, 14, 0), who)  # the Friday before
    assert who.is_away(utc(2026, 3, 16, 4, 0))
    assert not who.is_away(utc(2026, 3, 18, 16, 0))


# --- next working start: where a DM outside their time is held to ---------------------------------


@pytest.mark.parametrize(
    ("who", "moment", "expected"),
    [
        (Availability(NY), utc(2026, 3, 12, 18, 0), utc(2026, 3, 12, 18, 0)),  # Thu 14:00 EDT: at once
        (Availability(NY), utc(2026, 3, 12, 10, 0), utc(2026, 3, 12, 12, 0)),  # Thu 06:00 -> 08:00
        (Availability(NY), utc(2026, 3, 14, 1, 0), utc(2026, 3, 16, 12, 0)),  # Fri 21:00 -> Mon 08:00
        (Availability(NY), utc(2026, 3, 14, 16, 0), utc(2026, 3, 16, 12, 0)),  # Sat noon -> Mon 08:00
        (Availability(NY), utc(2026, 3, 13, 0, 0), utc(2026, 3, 13, 0, 0)),  # Thu 20:00 sharp: still working
        (Availability(NY), utc(2026, 3, 13, 0, 0, 1), utc(2026, 3, 13, 12, 0)),
        (Availability(NY, hours=LATE), utc(2026, 3, 12, 13, 0), utc(2026, 3, 12, 16, 0)),  # Thu 09:00 -> 12:00
        (Availability(NY, hours=LATE), utc(2026, 3, 12, 22, 30), utc(2026, 3, 13, 16, 0)),  # Thu 18:30 -> Fri 12:00
        (Availability(NY, hours=FOUR_DAYS), utc(2026, 3, 12, 20, 0), utc(2026, 3, 16, 11, 0)),  # Thu 16:00 -> Mon
    ],
)
def test_next_working_start_holds_a_moment_to_the_start_of_their_next_working_period(
    who: Availability, moment: datetime, expected: datetime
) -> None:
    assert next_working_start(moment, who) == expected


def test_a_dm_held_over_a_weekend_and_a_holiday_monday_goes_out_on_tuesday() -> None:
    friday_night = at_local(MLK_FRIDAY, time(23, 0), tz=NY)

    assert next_working_start(friday_night, Availability(NY)) == utc(2027, 1, 18, 13, 0)  # no calendar: Monday
    assert next_working_start(friday_night, Availability(NY, calendar="US")) == utc(2027, 1, 19, 13, 0)  # Tue 08:00


def test_a_dm_held_over_easter_in_bavaria_goes_out_on_tuesday() -> None:
    maundy_thursday_night = utc(2026, 4, 2, 21, 0)  # 23:00 CEST; Good Friday and Easter Monday follow

    held = next_working_start(maundy_thursday_night, Availability(BERLIN, calendar="DE-BY"))

    assert held == utc(2026, 4, 7, 6, 0)  # Tuesday 08:00 CEST


def test_a_dm_while_away_is_held_to_the_end_of_the_time_away() -> None:
    monday = utc(2026, 3, 16, 14, 0)  # 10:00 EDT
    until_wednesday_noon = Period(starts_at=utc(2026, 3, 16, 4, 0), ends_at=utc(2026, 3, 18, 16, 0))

    assert next_working_start(monday, Availability(NY, away=(until_wednesday_noon,))) == utc(2026, 3, 18, 16, 0)


def test_time_away_ending_at_midnight_holds_to_the_next_working_start_after_it() -> None:
    monday = utc(2026, 3, 16, 14, 0)
    mon_tue = Period(starts_at=utc(2026, 3, 16, 4, 0), ends_at=utc(2026, 3, 18, 4, 0))  # to Wed 00:00 EDT
    until_friday_evening = Period(starts_at=utc(2026, 3, 16, 4, 0), ends_at=utc(2026, 3, 21, 1, 0))  # Fri 21:00

    assert next_working_start(monday, Availability(NY, away=(mon_tue,))) == utc(2026, 3, 18, 12, 0)  # Wed 08:00
    assert next_working_start(monday, Availability(NY, away=(until_friday_evening,))) == utc(2026, 3, 23, 12, 0)


def test_back_to_back_time_away_and_a_holiday_after_it_are_all_skipped() -> None:
    # Away Wed 13 to Fri 15 January 2027 and again the weekend, then MLK day: back on Tuesday 08:00.
    first = Period(starts_at=at_local(date(2027, 1, 13), time(0), tz=NY), ends_at=at_local(MLK_FRIDAY, time(0), tz=NY))
    second = Period(starts_at=at_local(MLK_FRIDAY, time(0), tz=NY), ends_at=at_local(MLK_MONDAY, time(0), tz=NY))
    who = Availability(NY, calendar="US", away=(second, first))

    assert next_working_start(utc(2027, 1, 13, 15, 0), who) == utc(2027, 1, 19, 13, 0)


def away_from_status(status: SlackStatus, seen_at: datetime) -> tuple[Period, ...]:
    """What a caller makes of a Slack status (the domain leaves it to them): time away from when it was seen
    until it expires, or until OPEN_END when it has no expiry."""
    if not status.is_away(seen_at):
        return ()
    return (Period(starts_at=seen_at, ends_at=status.expires_at or OPEN_END),)


# datetime.max cannot stand for "open-ended": east of UTC its local reading overflows (see the report).
OPEN_END = datetime(9999, 1, 1, tzinfo=UTC)


def test_an_expiring_away_status_holds_dms_until_it_expires() -> None:
    seen = utc(2026, 3, 16, 14, 0)  # Monday 10:00 EDT
    status = SlackStatus(emoji=":palm_tree:", text="Vacation", expiration=int(utc(2026, 3, 18, 15, 0).timestamp()))
    who = Availability(NY, away=away_from_status(status, seen))

    assert not is_working(utc(2026, 3, 17, 16, 0), who)
    assert next_working_start(seen, who) == utc(2026, 3, 18, 15, 0)  # Wednesday 11:00 EDT, as it expires


def test_an_away_status_expiring_on_a_saturday_holds_dms_to_monday() -> None:
    seen = utc(2026, 3, 12, 14, 0)  # Thursday
    status = SlackStatus(text="OOO", expiration=int(utc(2026, 3, 14, 16, 0).timestamp()))  # Saturday noon

    held = next_working_start(seen, Availability(NY, away=away_from_status(status, seen)))

    assert held == utc(2026, 3, 16, 12, 0)  # Monday 08:00 EDT


@pytest.mark.parametrize("tz", [NY, TOKYO, KIRITIMATI])
def test_an_open_ended_away_status_holds_dms_until_it_changes(tz: str) -> None:
    seen = utc(2026, 3, 12, 14, 0)
    who = Availability(tz, away=away_from_status(SlackStatus(emoji=":face_with_thermometer:"), seen))

    assert not is_working(seen + timedelta(days=365), who)
    assert next_working_start(seen, who) >= OPEN_END


def test_a_status_that_does_not_mean_away_holds_nothing() -> None:
    seen = utc(2026, 3, 12, 14, 0)
    who = Availability(NY, away=away_from_status(SlackStatus(emoji=":coffee:", text="Focus"), seen))

    assert next_working_start(seen, who) == seen


# --- last working moment: where a warning is moved back to ----------------------------------------


@pytest.mark.parametrize(
    ("who", "moment", "expected"),
    [
        (Availability(NY), utc(2026, 3, 12, 18, 0), utc(2026, 3, 12, 18, 0)),  # Thu 14:00 EDT stays
        (Availability(NY), utc(2026, 3, 13, 2, 0), utc(2026, 3, 13, 0, 0)),  # Thu 22:00 -> Thu 20:00
        (Availability(NY), utc(2026, 3, 12, 10, 0), utc(2026, 3, 12, 0, 0)),  # Thu 06:00 -> Wed 20:00
        (Availability(NY), utc(2026, 3, 16, 11, 0), utc(2026, 3, 14, 0, 0)),  # Mon 07:00 -> Fri 20:00
        (Availability(NY), utc(2026, 3, 15, 16, 0), utc(2026, 3, 14, 0, 0)),  # Sun noon -> Fri 20:00
        (Availability(NY, hours=UNTIL_HALF_FIVE), utc(2026, 3, 12, 23, 0), utc(2026, 3, 12, 21, 30)),  # 19:00
        (Availability(NY, hours=FOUR_DAYS), utc(2026, 3, 13, 16, 0), utc(2026, 3, 12, 19, 0)),  # Fri -> Thu 15:00
    ],
)
def test_last_working_moment_is_the_end_of_their_last_working_period(
    who: Availability, moment: datetime, expected: datetime
) -> None:
    assert last_working_moment(moment, who) == expected


def test_last_working_moment_before_a_holiday_tuesday_morning_is_friday_evening() -> None:
    tuesday_early = at_local(MLK_TUESDAY, time(7, 0), tz=NY)

    assert last_working_moment(tuesday_early, Availability(NY)) == utc(2027, 1, 19, 1, 0)  # Mon 20:00 EST
    assert last_working_moment(tuesday_early, Availability(NY, calendar="US")) == utc(2027, 1, 16, 1, 0)  # Fri


def test_last_working_moment_does_not_look_at_time_away() -> None:
    # Documented: a warning falling while they are away is dropped by the planner, not moved.
    away = Period(starts_at=utc(2026, 3, 16, 4, 0), ends_at=utc(2026, 3, 18, 4, 0))
    who = Availability(NY, away=(away,))

    assert last_working_moment(utc(2026, 3, 16, 18, 0), who) == utc(2026, 3, 16, 18, 0)


# --- DST weeks ------------------------------------------------------------------------------------

# Friday 21:00 before a DST weekend -> Monday 08:00 after it, in each zone's own offsets.
DST_WEEKENDS = [
    pytest.param(NY, utc(2026, 3, 7, 2, 0), utc(2026, 3, 9, 12, 0), id="new-york-spring"),  # EST -> EDT
    pytest.param(NY, utc(2026, 10, 31, 1, 0), utc(2026, 11, 2, 13, 0), id="new-york-autumn"),  # EDT -> EST
    pytest.param(LONDON, utc(2026, 3, 27, 21, 0), utc(2026, 3, 30, 7, 0), id="london-spring"),  # GMT -> BST
    pytest.param(LONDON, utc(2026, 10, 23, 20, 0), utc(2026, 10, 26, 8, 0), id="london-autumn"),
    pytest.param(LORD_HOWE, utc(2026, 10, 2, 10, 30), utc(2026, 10, 4, 21, 0), id="lord-howe-spring"),  # +10:30->+11
    pytest.param(LORD_HOWE, utc(2026, 4, 3, 10, 0), utc(2026, 4, 5, 21, 30), id="lord-howe-autumn"),  # +11->+10:30
    pytest.param(KIRITIMATI, utc(2026, 3, 6, 7, 0), utc(2026, 3, 8, 18, 0), id="kiritimati"),  # +14: Mon is Sun UTC
    pytest.param(KOLKATA, utc(2026, 3, 6, 15, 30), utc(2026, 3, 9, 2, 30), id="kolkata"),  # +05:30
]


@pytest.mark.parametrize(("tz", "friday_night", "monday_start"), DST_WEEKENDS)
def test_next_working_start_across_a_dst_weekend_is_monday_eight_local(
    tz: str, friday_night: datetime, monday_start: datetime
) -> None:
    assert (local(friday_night, tz).weekday(), local(friday_night, tz).time()) == (4, time(21, 0))

    held = next_working_start(friday_night, Availability(tz))

    assert held == monday_start
    assert (local(held, tz).weekday(), local(held, tz).time()) == (0, time(8, 0))


@pytest.mark.parametrize(("tz", "friday_night", "monday_start"), DST_WEEKENDS)
def test_last_working_moment_across_a_dst_weekend_is_friday_twenty_local(
    tz: str, friday_night: datetime, monday_start: datetime
) -> None:
    friday_end = friday_night - timedelta(hours=1)
    monday_early = monday_start - timedelta(hours=1)

    moved = last_working_moment(monday_early, Availability(tz))

    assert moved == friday_end
    assert (local(moved, tz).weekday(), local(moved, tz).time()) == (4, time(20, 0))


@pytest.mark.parametrize(("tz", "friday_night", "monday_start"), DST_WEEKENDS)
def test_checkins_across_a_dst_weekend_are_friday_and_monday_at_ten_local(
    tz: str, friday_night: datetime, monday_start: datetime
) -> None:
    friday_ten, monday_ten = friday_night - timedelta(hours=11), monday_start + timedelta(hours=2)

    start, end = friday_night - timedelta(days=1), monday_start + timedelta(hours=3)

    found = checkin_moments(start=start, end=end, who=Availability(tz), schedule=DAILY)

    assert found == [friday_ten, monday_ten]  # a daily schedule, but the weekend is no working time
    assert [local(moment, tz).time() for moment in found] == [time(10, 0), time(10, 0)]


def test_on_a_spring_forward_sunday_hours_starting_in_the_gap_start_when_the_clock_resumes() -> None:
    night_owl = Availability(NY, hours=WorkingHours(start=time(2, 30), end=time(12, 0), days=frozenset(range(7))))

    held = next_working_start(utc(2026, 3, 8, 6, 30), night_owl)  # 01:30 EST; 02:00-03:00 does not exist

    assert held == utc(2026, 3, 8, 7, 0)  # 03:00 EDT
    assert is_working(held, night_owl)
    assert not is_working(held - timedelta(seconds=1), night_owl)


def test_lord_howes_half_hour_gap_moves_a_start_inside_it_to_two_thirty() -> None:
    early = Availability(LORD_HOWE, hours=WorkingHours(start=time(2, 15), end=time(12, 0), days=frozenset(range(7))))

    held = next_working_start(utc(2026, 10, 3, 14, 30), early)  # Sunday 01:00 +10:30

    assert held == utc(2026, 10, 3, 15, 30)  # 02:30 +11, the first minute after 02:00 -> 02:30


def test_on_a_fall_back_sunday_someone_working_weekends_starts_at_eight_standard_time() -> None:
    every_day = Availability(NY, hours=EVERY_DAY)

    assert next_working_start(utc(2026, 11, 1, 12, 0), every_day) == utc(2026, 11, 1, 13, 0)  # 07:00 -> 08:00 EST
    assert last_working_moment(utc(2026, 11, 1, 12, 0), every_day) == utc(2026, 11, 1, 0, 0)  # Sat 20:00 EDT


# --- check-ins and people's time -----------------------------------------------------------------


def test_daily_checkins_skip_the_weekend_of_someone_working_monday_to_friday() -> None:
    # New rule: a Saturday check-in with a `daily` schedule used to go out; it is not due at all now.
    found = checkin_moments(start=utc(2026, 3, 13), end=utc(2026, 3, 17), who=Availability(NY), schedule=DAILY)
    saturday_pass = due_checkin(
        last_pass=utc(2026, 3, 13, 14, 0), now=utc(2026, 3, 14, 15, 0), who=Availability(NY), schedule=DAILY
    )
    monday_eight = due_checkin(
        last_pass=utc(2026, 3, 13, 14, 0), now=utc(2026, 3, 16, 12, 0), who=Availability(NY), schedule=DAILY
    )

    assert found == [utc(2026, 3, 13, 14, 0), utc(2026, 3, 16, 14, 0)]  # Fri and Mon 10:00 EDT
    assert saturday_pass is None
    assert monday_eight is None  # nothing was missed over the weekend: Monday's own comes at 10:00


def test_daily_checkins_include_the_weekend_of_someone_working_it() -> None:
    weekend_worker = Availability(NY, hours=WorkingHours(days=frozenset({5, 6})))

    found = checkin_moments(start=utc(2026, 3, 13), end=utc(2026, 3, 17), who=weekend_worker, schedule=DAILY)

    assert found == [utc(2026, 3, 14, 14, 0), utc(2026, 3, 15, 14, 0)]  # Sat and Sun only


def test_no_checkin_is_due_on_a_public_holiday_nor_caught_up_after_it() -> None:
    tuesday_eight = at_local(MLK_TUESDAY, time(8, 0), tz=NY)
    friday_ten = at_local(MLK_FRIDAY, time(10, 0), tz=NY)

    found = checkin_moments(
        start=friday_ten - timedelta(hours=1), end=tuesday_eight, who=Availability(NY, calendar="US"), schedule=WEEKDAYS
    )
    with_calendar = due_checkin(
        last_pass=friday_ten, now=tuesday_eight, who=Availability(NY, calendar="US"), schedule=WEEKDAYS
    )
    without = due_checkin(last_pass=friday_ten, now=tuesday_eight, who=Availability(NY), schedule=WEEKDAYS)

    assert found == [friday_ten]
    assert with_calendar is None
    assert without == at_local(MLK_MONDAY, time(10, 0), tz=NY)


def test_no_checkin_is_due_on_a_day_the_person_does_not_work() -> None:
    found = checkin_moments(
        start=utc(2026, 3, 12), end=utc(2026, 3, 17), who=Availability(NY, hours=FOUR_DAYS), schedule=WEEKDAYS
    )

    assert found == [utc(2026, 3, 12, 14, 0), utc(2026, 3, 16, 14, 0)]  # Thu and Mon, no Friday


def test_next_checkin_skips_a_week_of_holidays() -> None:
    christmas_eve = utc(2026, 12, 24, 9, 0)  # Thursday 10:00 CET, a working day in Bavaria
    schedule = CheckinSchedule(days=frozenset({4}), at=time(10, 0))  # fridays: 25 Dec and 1 Jan are holidays

    upcoming = next_checkin(christmas_eve, who=Availability(BERLIN, calendar="DE-BY"), schedule=schedule)

    assert upcoming == utc(2027, 1, 8, 9, 0)


def test_a_checkin_after_their_hours_end_goes_out_at_their_next_start() -> None:
    who = Availability(NY, hours=SHORT_MORNINGS)  # 06:00-09:00 EDT; the team checks in at 10:00
    monday_ten, tuesday_six = utc(2026, 3, 16, 14, 0), utc(2026, 3, 17, 10, 0)
    before = utc(2026, 3, 13, 14, 0)  # the Friday before, already sent

    at_ten = due_checkin(last_pass=before, now=monday_ten + timedelta(seconds=30), who=who, schedule=WEEKDAYS)
    wake = next_checkin_pass(last_pass=before, now=monday_ten + timedelta(seconds=30), who=who, schedule=WEEKDAYS)
    at_six = due_checkin(last_pass=before, now=tuesday_six, who=who, schedule=WEEKDAYS)

    assert at_ten is None  # outside their hours
    assert wake == tuesday_six
    assert at_six == monday_ten  # Monday's, held to Tuesday 06:00


def test_a_friday_checkin_after_their_hours_goes_out_on_monday_at_their_start_across_dst() -> None:
    who = Availability(NY, hours=SHORT_MORNINGS)
    thursday_ten, friday_ten = utc(2026, 3, 5, 15, 0), utc(2026, 3, 6, 15, 0)  # EST
    monday_six = utc(2026, 3, 9, 10, 0)  # EDT

    wake = next_checkin_pass(last_pass=thursday_ten, now=friday_ten + timedelta(minutes=1), who=who, schedule=WEEKDAYS)

    assert wake == monday_six
    assert due_checkin(last_pass=thursday_ten, now=monday_six, who=who, schedule=WEEKDAYS) == friday_ten


def test_a_checkin_after_their_hours_in_kolkata_goes_out_at_six_ist_the_next_working_day() -> None:
    who = Availability(KOLKATA, hours=SHORT_MORNINGS)
    monday_ten = utc(2026, 3, 9, 4, 30)  # 10:00 IST

    wake = next_checkin_pass(
        last_pass=monday_ten - timedelta(days=3), now=monday_ten + timedelta(seconds=1), who=who, schedule=WEEKDAYS
    )

    assert wake == utc(2026, 3, 10, 0, 30)  # Tuesday 06:00 IST
    assert due_checkin(last_pass=monday_ten - timedelta(days=3), now=wake, who=who, schedule=WEEKDAYS) == monday_ten


def test_no_checkin_is_sent_while_away_and_the_pass_waits_for_their_return() -> None:
    away = Period(starts_at=utc(2026, 3, 16, 4, 0), ends_at=utc(2026, 3, 18, 4, 0))  # Mon and Tue
    who = Availability(NY, away=(away,))
    monday_ten = utc(2026, 3, 16, 14, 0)

    assert due_checkin(last_pass=utc(2026, 3, 13, 14, 0), now=monday_ten, who=who, schedule=WEEKDAYS) is None
    wake = next_checkin_pass(last_pass=utc(2026, 3, 13, 14, 0), now=monday_ten, who=who, schedule=WEEKDAYS)
    assert wake == utc(2026, 3, 18, 12, 0)  # Wednesday 08:00 EDT, the first working moment after


# --- warnings and people's time ------------------------------------------------------------------


def test_a_warning_on_a_holiday_moves_to_the_previous_working_days_end() -> None:
    monday_two = at_local(MLK_MONDAY, time(14, 0), tz=NY)

    assert warning_moment(monday_two, Availability(NY)) == monday_two
    assert warning_moment(monday_two, Availability(NY, calendar="US")) == utc(2027, 1, 16, 1, 0)  # Fri 20:00 EST


def test_warnings_for_a_deadline_the_morning_after_a_holiday() -> None:
    due = at_local(MLK_TUESDAY, time(9, 0), tz=NY)

    assert warning_moments(due, Availability(NY, calendar="US")) == {
        "warn24": utc(2027, 1, 16, 1, 0),  # ideal Mon 09:00, a holiday -> Fri 20:00 EST
        "warn1": utc(2027, 1, 19, 13, 0),  # ideal Tue 08:00 stays
    }


def test_warnings_move_to_a_custom_end_of_day() -> None:
    due = utc(2026, 3, 13, 13, 0)  # Friday 09:00 EDT
    who = Availability(NY, hours=UNTIL_HALF_FIVE)

    assert warning_moments(due, who) == {
        "warn24": utc(2026, 3, 12, 13, 0),  # Thu 09:00 stays, the start included
        "warn1": utc(2026, 3, 12, 21, 30),  # ideal Fri 08:00, before 09:00 -> Thu 17:30
    }
    assert warning_moment(utc(2026, 3, 12, 23, 0), who) == utc(2026, 3, 12, 21, 30)  # Thu 19:00 -> 17:30


def test_a_warning_on_a_day_they_do_not_work_moves_to_their_last_working_day() -> None:
    friday_noon = utc(2026, 3, 13, 16, 0)

    assert warning_moment(friday_noon, Availability(NY, hours=FOUR_DAYS)) == utc(2026, 3, 12, 19, 0)  # Thu 15:00


# --- overdue notices and people's time -----------------------------------------------------------


def test_overdue_skips_the_weekend_and_a_public_holiday() -> None:
    due = at_local(MLK_FRIDAY, time(17, 0), tz=NY)
    until = utc(2027, 1, 20, 23, 0)

    with_calendar = overdue_moments(due, who=Availability(NY, calendar="US"), until=until)
    without = overdue_moments(due, who=Availability(NY), until=until)

    assert with_calendar == [due, utc(2027, 1, 19, 22, 0), utc(2027, 1, 20, 22, 0)]  # Tue, Wed 17:00 EST
    assert without == [due, utc(2027, 1, 18, 22, 0), utc(2027, 1, 19, 22, 0), utc(2027, 1, 20, 22, 0)]


def test_overdue_over_christmas_in_bavaria() -> None:
    due = utc(2026, 12, 23, 16, 0)  # Wednesday 17:00 CET

    moments = overdue_moments(due, who=Availability(BERLIN, calendar="DE-BY"), until=utc(2026, 12, 29, 17, 0))

    assert moments == [due, utc(2026, 12, 24, 16, 0), utc(2026, 12, 28, 16, 0), utc(2026, 12, 29, 16, 0)]


def test_next_and_latest_overdue_skip_a_public_holiday() -> None:
    due = at_local(MLK_FRIDAY, time(17, 0), tz=NY)
    american = Availability(NY, calendar="US")
    monday_evening = utc(2027, 1, 18, 23, 0)

    assert next_overdue_moment(due, who=american, after=due) == utc(2027, 1, 19, 22, 0)
    assert next_overdue_moment(due, who=Availability(NY), after=due) == utc(2027, 1, 18, 22, 0)
    assert latest_overdue_moment(due, who=american, now=monday_evening) == due
    assert latest_overdue_moment(due, who=Availability(NY), now=monday_evening) == utc(2027, 1, 18, 22, 0)


def test_overdue_follows_the_persons_own_working_days() -> None:
    due = utc(2026, 3, 12, 21, 0)  # Thursday 17:00 EDT
    four_days, weekends = (
        Availability(NY, hours=FOUR_DAYS),
        Availability(NY, hours=WorkingHours(days=frozenset({5, 6}))),
    )

    assert overdue_moments(due, who=four_days, until=utc(2026, 3, 17, 22, 0)) == [
        due,
        utc(2026, 3, 16, 21, 0),
        utc(2026, 3, 17, 21, 0),
    ]
    assert overdue_moments(due, who=weekends, until=utc(2026, 3, 17, 22, 0)) == [
        due,
        utc(2026, 3, 14, 21, 0),
        utc(2026, 3, 15, 21, 0),
    ]


# --- clock changes, long absences and locales ---------------------------------------------------------------


def test_next_working_start_is_never_earlier_than_the_moment_in_a_repeated_hour() -> None:
    night_owl = Availability(NY, hours=WorkingHours(start=time(1, 30), end=time(10, 0), days=frozenset(range(7))))
    second_quarter_past_one = utc(2026, 11, 1, 6, 15)  # 01:15 EST, after 01:00-02:00 EDT went by

    held = next_working_start(second_quarter_past_one, night_owl)

    assert held == utc(2026, 11, 1, 6, 30)  # 01:30 EST, the next time their wall clock reads their start


def test_last_working_moment_is_working_time_when_the_hours_end_in_a_spring_gap() -> None:
    early = Availability(NY, hours=WorkingHours(start=time(0, 30), end=time(2, 30), days=frozenset(range(7))))
    four_edt = utc(2026, 3, 8, 8, 0)

    moved = last_working_moment(four_edt, early)

    assert moved <= four_edt
    assert is_working(moved, early)


def test_next_working_start_after_many_back_to_back_days_away_is_a_working_moment() -> None:
    first = date(2026, 3, 2)  # a Monday; one period per day, as someone entering days off one by one
    days_off = tuple(
        Period(
            starts_at=at_local(first + timedelta(days=n), time(0), tz=NY),
            ends_at=at_local(first + timedelta(days=n + 1), time(0), tz=NY),
        )
        for n in range(80)
    )
    who = Availability(NY, away=days_off)

    held = next_working_start(utc(2026, 3, 2, 14, 0), who)

    assert held == at_local(first + timedelta(days=80), time(8, 0), tz=NY)  # Thursday 21 May 2026, 08:00 EDT
    assert is_working(held, who)


# --- properties ----------------------------------------------------------------------------------

zones = st.sampled_from(ZONES)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC))
schedules = st.builds(
    CheckinSchedule,
    days=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    at=st.times(),
)
# IN-KA is left out: the package warns for Indian years outside 2001-2035.
CALENDARS = [None, "US", "DE-BY", "JP"]


def clock(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def availabilities(draw: st.DrawFn) -> Availability:
    """A person in one of ZONES with the default or custom hours and days, with or without a calendar.

    Custom hours start at 04:00 or later: every DST change of ZONES happens between 01:00 and 03:00, and
    hours that start or end inside a skipped or repeated hour are pinned by the tests above."""
    start = draw(st.integers(min_value=4 * 60, max_value=22 * 60 + 59))
    end = draw(st.integers(min_value=start + 60, max_value=23 * 60 + 59))
    days = draw(st.frozensets(st.integers(min_value=0, max_value=6), min_size=1))
    custom = WorkingHours(start=clock(start), end=clock(end), days=days)
    hours = custom if draw(st.booleans()) else DEFAULT_HOURS
    return Availability(draw(zones), hours=hours, calendar=draw(st.sampled_from(CALENDARS)))


def in_hours(moment: datetime, who: Availability) -> bool:
    """Inside their hours on a working day, read independently of worktime's own check."""
    wall = local(moment, who.tz)
    return who.is_working_day(wall.date()) and who.hours.start <= wall.time() <= who.hours.end


def clock_jumped_over(moment: datetime, wall: time, tz: str) -> bool:
    """True when the wall time did not exist: the local clock skipped over it at `moment`."""
    just_before = local(moment - timedelta(seconds=1), tz).time()
    now = local(moment, tz).time()
    return just_before < wall < now and now.second == 0 and now.microsecond == 0


@given(ideal=moments, who=availabilities())
def test_property_warning_is_in_working_time_and_never_after_its_ideal(ideal: datetime, who: Availability) -> None:
    moved = warning_moment(ideal, who)

    assert moved <= ideal
    assert in_hours(moved, who)
    if in_hours(ideal, who):
        assert moved == ideal
    else:  # the end of their last working period before it: none starts between the two
        assert local(moved, who.tz).time() == who.hours.end
        assert next_working_start(moved + timedelta(seconds=1), who) > ideal


@given(
    moment=moments,
    who=availabilities(),
    away=st.lists(
        st.tuples(st.integers(min_value=-5 * 24, max_value=20 * 24), st.integers(min_value=1, max_value=10 * 24)),
        max_size=3,
    ),
)
def test_property_next_working_start_is_the_first_working_moment_from_then(
    moment: datetime, who: Availability, away: list[tuple[int, int]]
) -> None:
    periods = tuple(
        Period(starts_at=moment + timedelta(hours=start), ends_at=moment + timedelta(hours=start + length))
        for start, length in away
    )
    person = Availability(who.tz, hours=who.hours, calendar=who.calendar, away=periods)

    held = next_working_start(moment, person)

    assert held >= moment
    assert is_working(held, person)
    assert in_hours(held, person) and not any(p.starts_at <= held < p.ends_at for p in periods)
    if held > moment:  # held to the very start of a working period: the second before was not one
        assert not is_working(held - timedelta(seconds=1), person)


@given(start=moments, span_days=st.integers(min_value=0, max_value=40), who=availabilities(), schedule=schedules)
def test_property_checkins_fall_on_configured_working_days_at_the_configured_time(
    start: datetime, span_days: int, who: Availability, schedule: CheckinSchedule
) -> None:
    end = start + timedelta(days=span_days, hours=7)
    tz = who.tz

    found = checkin_moments(start=start, end=end, who=who, schedule=schedule)

    assert found == sorted(set(found))
    for moment in found:
        assert start < moment <= end
        assert local(moment, tz).weekday() in schedule.days
        assert who.is_working_day(local(moment, tz).date())
        assert local(moment, tz).time() == schedule.at or clock_jumped_over(moment, schedule.at, tz)
    days_found = [local(moment, tz).date() for moment in found]
    first, last = local(start, tz).date(), local(end, tz).date()
    expected_days = [
        first + timedelta(days=n)
        for n in range(1, (last - first).days)
        if (first + timedelta(days=n)).weekday() in schedule.days and who.is_working_day(first + timedelta(days=n))
    ]
    assert [day for day in days_found if first < day < last] == expected_days


@given(after=moments, who=availabilities(), schedule=schedules)
def test_property_next_checkin_is_the_first_of_the_next_three_weeks_checkins(
    after: datetime, who: Availability, schedule: CheckinSchedule
) -> None:
    """next_checkin stops at the first moment it finds: the same as reading the three weeks whole."""
    weeks = checkin_moments(start=after, end=after + timedelta(days=22), who=who, schedule=schedule)

    assert next_checkin(after, who=who, schedule=schedule) == (weeks[0] if weeks else None)


@given(due=moments, span_days=st.integers(min_value=0, max_value=60), who=availabilities())
def test_property_overdue_notices_increase_and_fall_on_working_days(
    due: datetime, span_days: int, who: Availability
) -> None:
    until = due + timedelta(days=span_days, hours=3)
    tz = who.tz

    found = overdue_moments(due, who=who, until=until)

    assert found[0] == due
    assert all(earlier < later for earlier, later in zip(found, found[1:], strict=False))
    due_wall = local(due, tz).time().replace(fold=0)
    for moment in found[1:]:
        assert local(moment, tz).weekday() in who.hours.days
        assert who.is_working_day(local(moment, tz).date())
        assert local(moment, tz).time() == due_wall or clock_jumped_over(moment, due_wall, tz)
    assert latest_overdue_moment(due, who=who, now=until) == found[-1]
    following = overdue_moments(due, who=who, until=until + timedelta(days=70))[len(found)]
    assert next_overdue_moment(due, who=who, after=until) == following


@given(
    last_pass=moments,
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    who=availabilities(),
    schedule=schedules,
)
def test_property_catch_up_sends_at_most_the_latest_checkin_and_only_in_working_time(
    last_pass: datetime, gap: timedelta, who: Availability, schedule: CheckinSchedule
) -> None:
    now = last_pass + gap

    due = due_checkin(last_pass=last_pass, now=now, who=who, schedule=schedule)

    if due is not None:
        assert is_working(now, who)
        assert in_hours(now, who)
        assert last_pass < due <= now
        assert who.is_working_day(local(due, who.tz).date())
        later = checkin_moments(start=due, end=now, who=who, schedule=schedule)
        assert later == []


def simulate(
    passes: list[datetime], *, created: datetime, who: Availability, schedule: CheckinSchedule, wake_driven: bool
) -> list[tuple[datetime, datetime]]:
    """Run a task's check-ins through passes: at every pass, or only once its `next_check_at` came.

    Like the planner, a check-in is keyed by the local day it is sent on, so a second one that day
    writes nothing (its moment still moves `last_pass` on)."""
    last_pass, sent = created, []
    sent_days: set[date] = set()
    wake = next_checkin_pass(last_pass=last_pass, now=created, who=who, schedule=schedule)
    for now in passes:
        if wake_driven and (wake is None or now < wake):
            continue
        due = due_checkin(last_pass=last_pass, now=now, who=who, schedule=schedule)
        if due is not None:
            day = local(now, who.tz).date()
            if day not in sent_days:
                sent_days.add(day)
                sent.append((now, due))
            last_pass = due
        wake = next_checkin_pass(last_pass=last_pass, now=now, who=who, schedule=schedule)
    return sent


@settings(max_examples=25)
@given(
    created=moments,
    who=availabilities(),
    schedule=schedules,
    outage_start_hours=st.integers(min_value=0, max_value=200),
    outage_hours=st.integers(min_value=0, max_value=80),
)
def test_property_passes_send_one_checkin_a_day_in_working_time_and_waking_early_changes_nothing(
    created: datetime, who: Availability, schedule: CheckinSchedule, outage_start_hours: int, outage_hours: int
) -> None:
    outage = (
        created + timedelta(hours=outage_start_hours),
        created + timedelta(hours=outage_start_hours + outage_hours),
    )
    passes = [
        created + timedelta(minutes=30 * n)
        for n in range(1, 9 * 48)
        if not outage[0] <= created + timedelta(minutes=30 * n) < outage[1]
    ]

    sent = simulate(passes, created=created, who=who, schedule=schedule, wake_driven=False)

    assert sent == simulate(passes, created=created, who=who, schedule=schedule, wake_driven=True)
    send_days = [local(now, who.tz).date() for now, _ in sent]
    assert len(send_days) == len(set(send_days))
    for now, moment in sent:
        assert is_working(now, who)
        assert created < moment <= now

"""Working window, check-ins, warnings and overdue notices in the assignee's own zone, across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model import WORKING_DAYS, CheckinSchedule
from bot.domain.worktime import (
    WINDOW_END,
    WINDOW_START,
    at_local,
    checkin_moments,
    checkin_send_moment,
    due_checkin,
    is_in_window,
    latest_overdue_moment,
    local_date,
    next_checkin,
    next_checkin_pass,
    next_overdue_moment,
    overdue_moments,
    warning_moment,
    warning_moments,
)

NY = "America/New_York"  # DST starts 2026-03-08 02:00 -> 03:00, ends 2026-11-01 02:00 -> 01:00
LONDON = "Europe/London"
BERLIN = "Europe/Berlin"
TOKYO = "Asia/Tokyo"
KOLKATA = "Asia/Kolkata"  # +05:30
LORD_HOWE = "Australia/Lord_Howe"  # 30-minute DST: 2026-10-04 02:00 -> 02:30, 2026-04-05 02:00 -> 01:30
KIRITIMATI = "Pacific/Kiritimati"  # +14: its Monday morning is Sunday in UTC
ZONES = [NY, LONDON, BERLIN, TOKYO, KOLKATA, LORD_HOWE, KIRITIMATI]

WEEKDAYS = CheckinSchedule()  # weekdays 10:00
OFF = CheckinSchedule(days=frozenset())


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


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
        is_in_window(naive, tz=NY)
    with pytest.raises(ValueError, match="naive"):
        warning_moment(naive, tz=NY)
    with pytest.raises(ValueError, match="naive"):
        checkin_moments(start=naive, end=utc(2026, 3, 7), tz=NY, schedule=WEEKDAYS)
    with pytest.raises(ValueError, match="naive"):
        due_checkin(last_pass=naive, now=utc(2026, 3, 7, 15), tz=NY, schedule=WEEKDAYS)
    with pytest.raises(ValueError, match="naive"):
        overdue_moments(utc(2026, 3, 6), tz=NY, until=naive)


def test_aware_wall_time_and_unknown_zone_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        at_local(date(2026, 3, 6), time(10, 0, tzinfo=UTC), tz=NY)
    with pytest.raises(ValueError, match="unknown time zone"):
        local_date(utc(2026, 3, 6), tz="Mars/Olympus_Mons")


def test_aware_input_in_another_zone_comes_back_as_utc() -> None:
    tokyo_evening = datetime(2026, 3, 6, 23, 30, tzinfo=ZoneInfo(TOKYO))

    moved = warning_moment(tokyo_evening, tz=TOKYO)

    assert moved == utc(2026, 3, 6, 11, 0)
    assert moved.tzinfo is UTC


# --- the working window ------------------------------------------------------------------------


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
def test_window_is_eight_to_twenty_inclusive_in_the_persons_zone(moment: datetime, expected: bool) -> None:
    assert is_in_window(moment, tz=KOLKATA) is expected


# --- check-in moments --------------------------------------------------------------------------


def test_weekday_checkins_skip_the_weekend_and_follow_dst() -> None:
    moments = checkin_moments(start=utc(2026, 3, 5, 16), end=utc(2026, 3, 10, 16), tz=NY, schedule=WEEKDAYS)

    assert moments == [
        utc(2026, 3, 6, 15, 0),  # Fri 10:00 EST
        utc(2026, 3, 9, 14, 0),  # Mon 10:00 EDT
        utc(2026, 3, 10, 14, 0),
    ]


def test_checkins_go_out_on_configured_days_only() -> None:
    schedule = CheckinSchedule(days=frozenset({0, 2}), at=time(9, 30))  # mon, wed

    moments = checkin_moments(start=utc(2026, 3, 1), end=utc(2026, 3, 15), tz=BERLIN, schedule=schedule)

    assert moments == [
        utc(2026, 3, 2, 8, 30),
        utc(2026, 3, 4, 8, 30),
        utc(2026, 3, 9, 8, 30),
        utc(2026, 3, 11, 8, 30),
    ]


def test_daily_checkin_inside_the_spring_gap_goes_out_when_the_clock_resumes() -> None:
    schedule = CheckinSchedule(days=frozenset(range(7)), at=time(2, 30))

    moments = checkin_moments(start=utc(2026, 3, 7), end=utc(2026, 3, 10), tz=NY, schedule=schedule)

    assert moments == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 0),  # no 02:30 that day: 03:00 EDT
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_daily_checkin_in_the_repeated_hour_goes_out_once() -> None:
    schedule = CheckinSchedule(days=frozenset(range(7)), at=time(1, 30))

    moments = checkin_moments(start=utc(2026, 10, 31), end=utc(2026, 11, 3), tz=NY, schedule=schedule)

    assert moments == [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)]


def test_checkins_use_the_assignees_zone_even_when_its_monday_is_sunday_in_utc() -> None:
    moments = checkin_moments(start=utc(2026, 3, 6), end=utc(2026, 3, 9, 12), tz=KIRITIMATI, schedule=WEEKDAYS)

    assert moments == [utc(2026, 3, 8, 20, 0)]  # Monday 10:00 +14


def test_checkin_range_is_open_at_start_and_closed_at_end() -> None:
    friday, monday = utc(2026, 3, 6, 1, 0), utc(2026, 3, 9, 1, 0)  # 10:00 in Tokyo

    assert checkin_moments(start=friday, end=monday, tz=TOKYO, schedule=WEEKDAYS) == [monday]


def test_checkins_that_are_off_yield_nothing() -> None:
    assert checkin_moments(start=utc(2026, 3, 1), end=utc(2026, 3, 30), tz=NY, schedule=OFF) == []
    assert next_checkin(utc(2026, 3, 1), tz=NY, schedule=OFF) is None
    assert due_checkin(last_pass=None, now=utc(2026, 3, 4, 15), tz=NY, schedule=OFF) is None


def test_checkin_range_longer_than_400_days_is_refused() -> None:
    with pytest.raises(ValueError, match="400 days"):
        checkin_moments(start=utc(2026, 1, 1), end=utc(2027, 2, 6), tz=NY, schedule=WEEKDAYS)


def test_next_checkin_after_friday_is_monday_and_strictly_later() -> None:
    friday_checkin = utc(2026, 3, 6, 15, 0)

    assert next_checkin(friday_checkin, tz=NY, schedule=WEEKDAYS) == utc(2026, 3, 9, 14, 0)
    assert next_checkin(friday_checkin - timedelta(seconds=1), tz=NY, schedule=WEEKDAYS) == friday_checkin


@pytest.mark.parametrize(
    ("scheduled", "expected"),
    [
        (utc(2026, 3, 6, 15, 0), utc(2026, 3, 6, 15, 0)),  # 10:00 EST: at once
        (utc(2026, 3, 6, 12, 0), utc(2026, 3, 6, 13, 0)),  # 07:00 EST: 08:00 that day
        (utc(2026, 3, 7, 2, 0), utc(2026, 3, 7, 13, 0)),  # 21:00 EST: 08:00 the next day
    ],
)
def test_checkin_outside_the_window_goes_out_when_it_opens(scheduled: datetime, expected: datetime) -> None:
    assert checkin_send_moment(scheduled, tz=NY) == expected


# --- catch-up: which check-in a pass sends -------------------------------------------------------


def test_pass_right_after_the_checkin_moment_sends_it() -> None:
    thursday = utc(2026, 3, 5, 15, 0)

    due = due_checkin(last_pass=utc(2026, 3, 4, 15, 0), now=thursday + timedelta(seconds=30), tz=NY, schedule=WEEKDAYS)

    assert due == thursday


def test_pass_with_no_new_checkin_sends_nothing() -> None:
    thursday = utc(2026, 3, 5, 15, 0)

    assert due_checkin(last_pass=thursday, now=utc(2026, 3, 5, 19), tz=NY, schedule=WEEKDAYS) is None
    assert due_checkin(last_pass=thursday, now=utc(2026, 3, 6, 14, 59), tz=NY, schedule=WEEKDAYS) is None


def test_catch_up_after_an_outage_sends_only_the_latest_missed_checkin() -> None:
    monday = utc(2026, 3, 2, 15, 0)

    due = due_checkin(last_pass=monday, now=utc(2026, 3, 5, 16, 0), tz=NY, schedule=WEEKDAYS)

    assert due == utc(2026, 3, 5, 15, 0)  # Thursday's; Tuesday's and Wednesday's collapse into it


def test_catch_up_sends_nothing_outside_the_window() -> None:
    monday = utc(2026, 3, 2, 15, 0)

    for now in (
        utc(2026, 3, 5, 2, 0),
        utc(2026, 3, 5, 12, 59),
        utc(2026, 3, 5, 1, 0, 1),
    ):  # 21:00, 07:59, 20:00:01
        assert due_checkin(last_pass=monday, now=now, tz=NY, schedule=WEEKDAYS) is None


def test_checkin_missed_overnight_goes_out_at_the_next_morning_pass_when_no_checkin_is_due_that_day() -> None:
    schedule = CheckinSchedule(days=frozenset({0, 2}), at=time(10, 0))  # mon, wed
    monday, wednesday = utc(2026, 3, 2, 15, 0), utc(2026, 3, 4, 15, 0)

    at_night = due_checkin(last_pass=monday, now=utc(2026, 3, 5, 2, 0), tz=NY, schedule=schedule)
    thursday_morning = due_checkin(last_pass=monday, now=utc(2026, 3, 5, 13, 0), tz=NY, schedule=schedule)

    assert at_night is None
    assert thursday_morning == wednesday


def test_missed_checkin_goes_out_at_the_next_pass_inside_the_window() -> None:
    tuesday = utc(2026, 3, 3, 15, 0)

    early = due_checkin(last_pass=tuesday, now=utc(2026, 3, 5, 13, 0), tz=NY, schedule=WEEKDAYS)  # Thu 08:00
    on_time = due_checkin(last_pass=tuesday, now=utc(2026, 3, 5, 15, 0), tz=NY, schedule=WEEKDAYS)

    assert early == utc(2026, 3, 4, 15, 0)  # Wednesday's, missed, goes out at Thursday 08:00
    assert on_time == utc(2026, 3, 5, 15, 0)


def test_checkin_scheduled_before_eight_goes_out_at_eight() -> None:
    schedule = CheckinSchedule(days=WORKING_DAYS, at=time(7, 0))
    thursday_seven = utc(2026, 3, 5, 12, 0)
    wednesday_seven = utc(2026, 3, 4, 12, 0)

    at_seven = due_checkin(last_pass=wednesday_seven, now=thursday_seven, tz=NY, schedule=schedule)
    at_eight = due_checkin(last_pass=wednesday_seven, now=utc(2026, 3, 5, 13, 0), tz=NY, schedule=schedule)

    assert at_seven is None
    assert at_eight == thursday_seven


def test_checkin_for_a_task_created_after_todays_moment_waits_for_the_next_one() -> None:
    created = utc(2026, 3, 5, 18, 0)  # Thursday 13:00 EST, after 10:00

    assert due_checkin(last_pass=created, now=utc(2026, 3, 5, 19), tz=NY, schedule=WEEKDAYS) is None
    assert due_checkin(last_pass=created, now=utc(2026, 3, 6, 15), tz=NY, schedule=WEEKDAYS) == utc(2026, 3, 6, 15, 0)


def test_unknown_last_pass_looks_back_one_week_for_the_latest_checkin() -> None:
    schedule = CheckinSchedule(days=frozenset({0}), at=time(10, 0))  # mondays

    assert due_checkin(last_pass=None, now=utc(2026, 3, 8, 15), tz=NY, schedule=schedule) == utc(2026, 3, 2, 15)


def test_catch_up_uses_the_half_hour_zone_window() -> None:
    wednesday = utc(2026, 3, 4, 4, 30)  # 10:00 IST

    evening = due_checkin(last_pass=wednesday, now=utc(2026, 3, 5, 14, 31), tz=KOLKATA, schedule=WEEKDAYS)
    last_minute = due_checkin(last_pass=wednesday, now=utc(2026, 3, 5, 14, 30), tz=KOLKATA, schedule=WEEKDAYS)

    assert evening is None  # 20:01 IST
    assert last_minute == utc(2026, 3, 5, 4, 30)


def test_next_checkin_pass_after_a_send_is_when_the_next_checkin_goes_out() -> None:
    thursday = utc(2026, 3, 5, 15, 0)

    wake = next_checkin_pass(last_pass=thursday, now=thursday + timedelta(seconds=30), tz=NY, schedule=WEEKDAYS)

    assert wake == utc(2026, 3, 6, 15, 0)


def test_next_checkin_pass_is_now_while_a_checkin_is_still_due() -> None:
    now = utc(2026, 3, 5, 15, 0, 30)

    assert next_checkin_pass(last_pass=utc(2026, 3, 4, 15), now=now, tz=NY, schedule=WEEKDAYS) == now


def test_next_checkin_pass_waits_for_eight_when_a_checkin_is_waiting_outside_the_window() -> None:
    early = CheckinSchedule(days=WORKING_DAYS, at=time(7, 0))
    mon_wed = CheckinSchedule(days=frozenset({0, 2}), at=time(10, 0))

    before_eight = next_checkin_pass(
        last_pass=utc(2026, 3, 4, 12, 0), now=utc(2026, 3, 5, 12, 0, 30), tz=NY, schedule=early
    )
    after_outage = next_checkin_pass(
        last_pass=utc(2026, 3, 2, 15, 0), now=utc(2026, 3, 5, 3, 0), tz=NY, schedule=mon_wed
    )

    assert before_eight == utc(2026, 3, 5, 13, 0)  # Thursday 08:00 EST
    assert after_outage == utc(2026, 3, 5, 13, 0)  # Wednesday's, at Thursday 08:00


def test_next_checkin_pass_is_now_while_a_missed_checkin_waits_in_the_window() -> None:
    wake = next_checkin_pass(last_pass=utc(2026, 3, 3, 15), now=utc(2026, 3, 5, 13, 0), tz=NY, schedule=WEEKDAYS)

    assert wake == utc(2026, 3, 5, 13, 0)


def test_next_checkin_pass_is_none_when_checkins_are_off() -> None:
    assert next_checkin_pass(last_pass=None, now=utc(2026, 3, 5, 15), tz=NY, schedule=OFF) is None


# --- deadline warnings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ideal", "expected"),
    [
        (utc(2026, 3, 6, 4, 30), utc(2026, 3, 6, 1, 0)),  # 23:30 EST -> 20:00 the same day
        (utc(2026, 3, 6, 11, 0), utc(2026, 3, 6, 1, 0)),  # 06:00 EST -> 20:00 the evening before
        (utc(2026, 3, 6, 19, 0), utc(2026, 3, 6, 19, 0)),  # 14:00 EST stays
        (utc(2026, 3, 6, 13, 0), utc(2026, 3, 6, 13, 0)),  # 08:00 stays
        (utc(2026, 3, 7, 1, 0), utc(2026, 3, 7, 1, 0)),  # 20:00 stays
        (utc(2026, 3, 9, 10, 0), utc(2026, 3, 9, 0, 0)),  # Mon 06:00 EDT -> Sun 20:00 EDT, after the change
    ],
)
def test_warning_moves_into_working_hours_never_later(ideal: datetime, expected: datetime) -> None:
    assert warning_moment(ideal, tz=NY) == expected


def test_warning_in_a_half_hour_zone_moves_to_its_own_twenty_oclock() -> None:
    assert warning_moment(utc(2026, 3, 6, 18, 0), tz=KOLKATA) == utc(2026, 3, 6, 14, 30)  # 23:30 IST


def test_warnings_are_24h_and_1h_before_due_moved_across_dst() -> None:
    due = utc(2026, 3, 9, 11, 0)  # Monday 07:00 EDT

    assert warning_moments(due, tz=NY) == {
        "warn24": utc(2026, 3, 8, 1, 0),  # ideal Sun 07:00 EDT -> Sat 20:00 EST
        "warn1": utc(2026, 3, 9, 0, 0),  # ideal Mon 06:00 EDT -> Sun 20:00 EDT
    }


def test_warnings_inside_the_window_stay_put() -> None:
    due = utc(2026, 3, 10, 20, 0)  # Tuesday 16:00 EDT

    assert warning_moments(due, tz=NY) == {"warn24": utc(2026, 3, 9, 20, 0), "warn1": utc(2026, 3, 10, 19, 0)}


# --- overdue notices -----------------------------------------------------------------------------


def test_overdue_repeats_each_working_day_at_the_due_time_across_dst() -> None:
    due = utc(2026, 3, 5, 22, 0)  # Thursday 17:00 EST

    moments = overdue_moments(due, tz=NY, until=utc(2026, 3, 11, 23, 0))

    assert moments == [
        due,
        utc(2026, 3, 6, 22, 0),  # Fri
        utc(2026, 3, 9, 21, 0),  # Mon 17:00 EDT
        utc(2026, 3, 10, 21, 0),
        utc(2026, 3, 11, 21, 0),
    ]


def test_overdue_skips_the_weekend_of_a_tokyo_assignee_not_of_utc() -> None:
    due = utc(2026, 3, 5, 23, 0)  # Friday 08:00 JST, a Thursday in UTC

    moments = overdue_moments(due, tz=TOKYO, until=utc(2026, 3, 10, 0, 0))

    assert moments == [due, utc(2026, 3, 8, 23, 0), utc(2026, 3, 9, 23, 0)]  # Mon and Tue in Tokyo
    assert utc(2026, 3, 6, 23, 0) not in moments  # a UTC Friday, but Saturday in Tokyo


def test_overdue_for_a_kiritimati_assignee_comes_on_their_monday_which_is_sunday_in_utc() -> None:
    due = utc(2026, 3, 5, 19, 0)  # Friday 09:00 +14

    moments = overdue_moments(due, tz=KIRITIMATI, until=utc(2026, 3, 9, 12, 0))

    assert moments == [due, utc(2026, 3, 8, 19, 0)]
    assert moments[1].weekday() == 6


def test_overdue_due_on_a_saturday_is_noticed_then_again_on_monday() -> None:
    due = utc(2026, 3, 7, 15, 0)  # Saturday 15:00 London

    assert overdue_moments(due, tz=LONDON, until=utc(2026, 3, 9, 15, 0)) == [due, utc(2026, 3, 9, 15, 0)]


def test_overdue_before_due_is_empty_and_is_bounded() -> None:
    due = utc(2026, 3, 5, 22, 0)

    assert overdue_moments(due, tz=NY, until=due - timedelta(seconds=1)) == []
    assert overdue_moments(due, tz=NY, until=due) == [due]
    assert len(overdue_moments(due, tz=NY, until=utc(2036, 1, 1))) == 400


def test_latest_overdue_is_none_before_due_then_the_due_itself() -> None:
    due = utc(2026, 3, 5, 22, 0)  # Thursday 17:00 EST

    assert latest_overdue_moment(due, tz=NY, now=due - timedelta(seconds=1)) is None
    assert latest_overdue_moment(due, tz=NY, now=due) == due
    assert latest_overdue_moment(due, tz=NY, now=utc(2026, 3, 6, 21, 59)) == due


def test_latest_overdue_after_a_weekend_outage_is_only_the_last_one() -> None:
    due = utc(2026, 3, 5, 23, 0)  # Friday 08:00 JST

    assert latest_overdue_moment(due, tz=TOKYO, now=utc(2026, 3, 8, 22, 0)) == due  # Mon 07:00 JST
    assert latest_overdue_moment(due, tz=TOKYO, now=utc(2026, 3, 9, 1, 0)) == utc(2026, 3, 8, 23, 0)


def test_latest_overdue_for_a_deadline_years_ago_is_the_last_working_day() -> None:
    due = utc(2016, 2, 29, 14, 0)  # a Monday, 09:00 EST

    now = utc(2026, 3, 9, 12, 0)  # Monday 08:00 EDT, before 09:00

    assert latest_overdue_moment(due, tz=NY, now=now) == utc(2026, 3, 6, 14, 0)  # Friday 09:00 EST


def test_next_overdue_is_the_due_itself_before_it() -> None:
    due = utc(2026, 3, 5, 22, 0)

    assert next_overdue_moment(due, tz=NY, after=due - timedelta(hours=1)) == due
    assert next_overdue_moment(due, tz=NY, after=due) == utc(2026, 3, 6, 22, 0)


def test_next_overdue_after_a_tokyo_friday_is_their_monday() -> None:
    due = utc(2026, 3, 5, 23, 0)  # Friday 08:00 JST

    assert next_overdue_moment(due, tz=TOKYO, after=due) == utc(2026, 3, 8, 23, 0)  # Sunday in UTC


def test_next_overdue_for_a_deadline_years_ago_is_the_next_working_day() -> None:
    due = utc(2016, 2, 29, 14, 0)  # a Monday, 09:00 EST

    assert next_overdue_moment(due, tz=NY, after=utc(2026, 3, 6, 14, 0)) == utc(2026, 3, 9, 13, 0)  # 09:00 EDT


# --- properties ----------------------------------------------------------------------------------

zones = st.sampled_from(ZONES)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31), timezones=st.just(UTC))
schedules = st.builds(
    CheckinSchedule,
    days=st.frozensets(st.integers(min_value=0, max_value=6), min_size=1),
    at=st.times(),
)


def clock_jumped_over(moment: datetime, wall: time, tz: str) -> bool:
    """True when the wall time did not exist: the local clock skipped over it at `moment`."""
    just_before = local(moment - timedelta(seconds=1), tz).time()
    now = local(moment, tz).time()
    return just_before < wall < now and now.second == 0 and now.microsecond == 0


@given(ideal=moments, tz=zones)
def test_property_warning_is_in_window_and_never_after_its_ideal(ideal: datetime, tz: str) -> None:
    moved = warning_moment(ideal, tz=tz)

    assert moved <= ideal
    assert WINDOW_START <= local(moved, tz).time() <= WINDOW_END


@given(start=moments, span_days=st.integers(min_value=0, max_value=40), tz=zones, schedule=schedules)
def test_property_checkins_fall_on_configured_days_at_the_configured_time(
    start: datetime, span_days: int, tz: str, schedule: CheckinSchedule
) -> None:
    end = start + timedelta(days=span_days, hours=7)

    found = checkin_moments(start=start, end=end, tz=tz, schedule=schedule)

    assert found == sorted(set(found))
    for moment in found:
        assert start < moment <= end
        assert local(moment, tz).weekday() in schedule.days
        assert local(moment, tz).time() == schedule.at or clock_jumped_over(moment, schedule.at, tz)
    days_found = [local(moment, tz).date() for moment in found]
    first, last = local(start, tz).date(), local(end, tz).date()
    expected_days = [
        first + timedelta(days=n)
        for n in range(1, (last - first).days)
        if (first + timedelta(days=n)).weekday() in schedule.days
    ]
    assert [day for day in days_found if first < day < last] == expected_days


@given(due=moments, span_days=st.integers(min_value=0, max_value=60), tz=zones)
def test_property_overdue_notices_increase_and_fall_on_working_days(due: datetime, span_days: int, tz: str) -> None:
    until = due + timedelta(days=span_days, hours=3)

    found = overdue_moments(due, tz=tz, until=until)

    assert found[0] == due
    assert all(earlier < later for earlier, later in zip(found, found[1:], strict=False))
    due_wall = local(due, tz).time().replace(fold=0)
    for moment in found[1:]:
        assert local(moment, tz).weekday() in WORKING_DAYS
        assert local(moment, tz).time() == due_wall or clock_jumped_over(moment, due_wall, tz)
    assert latest_overdue_moment(due, tz=tz, now=until) == found[-1]
    following = overdue_moments(due, tz=tz, until=until + timedelta(days=5))[len(found)]
    assert next_overdue_moment(due, tz=tz, after=until) == following


@given(
    last_pass=moments,
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    tz=zones,
    schedule=schedules,
)
def test_property_catch_up_sends_at_most_the_latest_checkin_and_only_in_the_window(
    last_pass: datetime, gap: timedelta, tz: str, schedule: CheckinSchedule
) -> None:
    now = last_pass + gap

    due = due_checkin(last_pass=last_pass, now=now, tz=tz, schedule=schedule)

    if due is not None:
        assert is_in_window(now, tz=tz)
        assert last_pass < due <= now
        later = checkin_moments(start=due, end=now, tz=tz, schedule=schedule)
        assert later == []


def simulate(
    passes: list[datetime], *, created: datetime, tz: str, schedule: CheckinSchedule, wake_driven: bool
) -> list[tuple[datetime, datetime]]:
    """Run a task's check-ins through passes: at every pass, or only once its `next_check_at` came.

    Like the planner, a check-in is keyed by the local day it is sent on, so a second one that day
    writes nothing (its moment still moves `last_pass` on)."""
    last_pass, sent = created, []
    sent_days: set[date] = set()
    wake = next_checkin_pass(last_pass=last_pass, now=created, tz=tz, schedule=schedule)
    for now in passes:
        if wake_driven and (wake is None or now < wake):
            continue
        due = due_checkin(last_pass=last_pass, now=now, tz=tz, schedule=schedule)
        if due is not None:
            day = local(now, tz).date()
            if day not in sent_days:
                sent_days.add(day)
                sent.append((now, due))
            last_pass = due
        wake = next_checkin_pass(last_pass=last_pass, now=now, tz=tz, schedule=schedule)
    return sent


@settings(max_examples=25)
@given(
    created=moments,
    tz=zones,
    schedule=schedules,
    outage_start_hours=st.integers(min_value=0, max_value=200),
    outage_hours=st.integers(min_value=0, max_value=80),
)
def test_property_passes_send_one_checkin_a_day_in_the_window_and_waking_early_changes_nothing(
    created: datetime, tz: str, schedule: CheckinSchedule, outage_start_hours: int, outage_hours: int
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

    sent = simulate(passes, created=created, tz=tz, schedule=schedule, wake_driven=False)

    assert sent == simulate(passes, created=created, tz=tz, schedule=schedule, wake_driven=True)
    send_days = [local(now, tz).date() for now, _ in sent]
    assert len(send_days) == len(set(send_days))
    for now, moment in sent:
        assert is_in_window(now, tz=tz)
        assert created < moment <= now

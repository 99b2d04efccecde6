"""Time off and snooze rules: periods read in the person's zone, the next working morning, once a day."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.domain import worktime
from bot.domain.errors import BadInput
from bot.domain.hours import WorkingHours
from bot.domain.timeoff import Period, covering, may_snooze, read_period
from bot.domain.worktime import Availability, next_working_morning
from tests.helpers import utc

NY = "America/New_York"  # DST starts 2026-03-08
BERLIN = "Europe/Berlin"
KIRITIMATI = "Pacific/Kiritimati"  # +14
THU = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # Thursday 10:00 in New York, 16:00 in Berlin


# --- next working morning ----------------------------------------------------------------------------


def test_snooze_on_a_thursday_returns_friday_at_eight_local() -> None:
    assert next_working_morning(THU, Availability(NY)) == utc(2026, 11, 27, 13, 0)  # Fri 08:00 EST


def test_snooze_on_a_friday_skips_the_weekend_to_monday() -> None:
    assert next_working_morning(utc(2026, 11, 27, 20, 0), Availability(NY)) == utc(2026, 11, 30, 13, 0)


def test_snooze_on_a_saturday_returns_monday() -> None:
    monday_eight = utc(2026, 11, 30, 7, 0)  # 08:00 CET

    assert next_working_morning(utc(2026, 11, 28, 12, 0), Availability(BERLIN)) == monday_eight


def test_the_working_morning_counts_from_the_local_day_not_utc() -> None:
    # Friday 11:00 UTC is already Saturday 01:00 in Kiritimati: Monday 08:00 there is Sunday 18:00 UTC.
    assert next_working_morning(utc(2026, 11, 27, 11, 0), Availability(KIRITIMATI)) == utc(2026, 11, 29, 18, 0)


def test_the_working_morning_after_a_dst_weekend_uses_the_new_offset() -> None:
    # Friday 6 March 2026 in New York (EST); Monday 9 March is EDT (-4): 08:00 is 12:00 UTC.
    assert next_working_morning(utc(2026, 3, 6, 15, 0), Availability(NY)) == utc(2026, 3, 9, 12, 0)


def test_the_working_morning_is_the_start_of_custom_hours() -> None:
    late_starter = Availability(NY, hours=WorkingHours(start=time(12, 0), end=time(18, 0)))

    assert next_working_morning(THU, late_starter) == utc(2026, 11, 27, 17, 0)  # Fri 12:00 EST


def test_the_working_morning_skips_days_the_person_does_not_work() -> None:
    four_days = Availability(NY, hours=WorkingHours(start=time(7, 0), end=time(15, 0), days=frozenset({0, 1, 2, 3})))

    assert next_working_morning(THU, four_days) == utc(2026, 11, 30, 12, 0)  # Thu -> Mon 07:00 EST, not Fri


def test_the_working_morning_skips_a_public_holiday() -> None:
    wednesday = utc(2026, 11, 25, 15, 0)  # the day before Thanksgiving (Thursday 26 November 2026)

    assert next_working_morning(wednesday, Availability(NY)) == utc(2026, 11, 26, 13, 0)  # no calendar: Thu 08:00
    assert next_working_morning(wednesday, Availability(NY, calendar="US")) == utc(2026, 11, 27, 13, 0)  # Fri 08:00


def test_the_working_morning_after_a_holiday_monday_is_tuesday_at_the_persons_start() -> None:
    friday = utc(2027, 1, 15, 15, 0)  # Monday 18 January 2027 is Martin Luther King Jr. Day
    person = Availability(NY, hours=WorkingHours(start=time(9, 30), end=time(17, 30)), calendar="US")

    assert next_working_morning(friday, person) == utc(2027, 1, 19, 14, 30)  # Tue 09:30 EST


# --- once a local day ---------------------------------------------------------------------------------


def test_a_task_never_snoozed_may_be_snoozed() -> None:
    assert may_snooze(last_snoozed_at=None, now=THU, tz=NY)


def test_a_second_snooze_the_same_local_day_is_refused() -> None:
    assert not may_snooze(last_snoozed_at=utc(2026, 11, 26, 13, 0), now=utc(2026, 11, 27, 4, 0), tz=NY)


def test_a_snooze_after_local_midnight_is_allowed_again() -> None:
    # 23:30 and 00:10 in New York are different days though only 40 minutes apart.
    assert may_snooze(last_snoozed_at=utc(2026, 11, 27, 4, 30), now=utc(2026, 11, 27, 5, 10), tz=NY)


# --- periods ------------------------------------------------------------------------------------------


def test_today_to_friday_covers_whole_local_days_inclusive() -> None:
    period = read_period("today fri", now=THU, tz=BERLIN)
    assert period == Period(starts_at=utc(2026, 11, 25, 23, 0), ends_at=utc(2026, 11, 27, 23, 0))


@pytest.mark.parametrize("text", ["2026-12-21 to 2026-12-31", "2026-12-21 2026-12-31", "dec 21 until dec 31"])
def test_iso_or_natural_dates_with_or_without_a_separator(text: str) -> None:
    period = read_period(text, now=THU, tz=NY)
    assert period == Period(starts_at=utc(2026, 12, 21, 5, 0), ends_at=utc(2027, 1, 1, 5, 0))


def test_a_single_day_is_that_whole_day() -> None:
    assert read_period("2026-12-01", now=THU, tz=NY) == Period(
        starts_at=utc(2026, 12, 1, 5, 0), ends_at=utc(2026, 12, 2, 5, 0)
    )


def test_a_period_across_a_dst_change_ends_at_local_midnight_with_the_new_offset() -> None:
    period = read_period("2026-03-06 to 2026-03-09", now=utc(2026, 3, 1, 12, 0), tz=NY)
    assert period == Period(starts_at=utc(2026, 3, 6, 5, 0), ends_at=utc(2026, 3, 10, 4, 0))


def test_the_last_day_before_the_first_is_refused_with_a_fix() -> None:
    with pytest.raises(BadInput, match="swap"):
        read_period("2026-12-31 to 2026-12-21", now=THU, tz=NY)


def test_a_period_already_over_is_refused() -> None:
    with pytest.raises(BadInput, match="over already"):
        read_period("2026-11-01 to 2026-11-03", now=THU, tz=NY)


def test_unreadable_days_get_examples_and_typed_text_escaped() -> None:
    with pytest.raises(BadInput) as raised:
        read_period("<!channel> soonish", now=THU, tz=NY)
    assert "&lt;!channel&gt;" in raised.value.reply
    assert "/task away" in raised.value.reply


def test_no_days_at_all_is_refused() -> None:
    with pytest.raises(BadInput, match="when you are away"):
        read_period("  ", now=THU, tz=NY)


def test_covering_includes_the_start_and_excludes_the_end() -> None:
    period = Period(starts_at=utc(2026, 12, 1, 5, 0), ends_at=utc(2026, 12, 2, 5, 0))
    assert covering([period], utc(2026, 12, 1, 5, 0)) == period
    assert covering([period], utc(2026, 12, 2, 5, 0)) is None
    assert covering([period], utc(2026, 12, 1, 4, 59)) is None


def test_timeoff_periods_are_the_worktime_ones() -> None:
    assert Period is worktime.Period
    assert covering is worktime.covering


def test_covering_overlapping_periods_picks_the_one_ending_last() -> None:
    short = Period(starts_at=utc(2026, 12, 1, 0, 0), ends_at=utc(2026, 12, 3, 0, 0))
    long = Period(starts_at=utc(2026, 12, 2, 0, 0), ends_at=utc(2026, 12, 9, 0, 0))
    assert covering([short, long], utc(2026, 12, 2, 12, 0)) == long

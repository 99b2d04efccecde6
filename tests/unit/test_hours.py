"""`/task hours 09:00-17:30 [weekdays|daily|mon,tue,…]`: read, refused with a fix, shown and stored."""

from __future__ import annotations

from datetime import time

import pytest

from bot.domain.errors import BadInput
from bot.domain.hours import DEFAULT_HOURS, WorkingHours, days_text, parse_days, parse_hours, stored_hours

WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))


# --- the default --------------------------------------------------------------------------------


def test_default_hours_are_eight_to_twenty_monday_to_friday() -> None:
    assert WorkingHours() == DEFAULT_HOURS
    assert (DEFAULT_HOURS.start, DEFAULT_HOURS.end, DEFAULT_HOURS.days) == (time(8, 0), time(20, 0), WEEKDAYS)
    assert DEFAULT_HOURS.text() == "08:00-20:00 weekdays"
    assert DEFAULT_HOURS.is_default
    assert not WorkingHours(start=time(9, 0)).is_default


# --- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:00-17:30", WorkingHours(time(9, 0), time(17, 30), WEEKDAYS)),
        ("9-17", WorkingHours(time(9, 0), time(17, 0), WEEKDAYS)),  # bare hours are whole hours
        ("09:00 - 17:30", WorkingHours(time(9, 0), time(17, 30), WEEKDAYS)),  # a range typed with spaces
        ("09:00 to 17:30", WorkingHours(time(9, 0), time(17, 30), WEEKDAYS)),
        ("09:00–17:30", WorkingHours(time(9, 0), time(17, 30), WEEKDAYS)),  # an en dash, as phones type it
        ("07:00-15:00 mon,tue,wed,thu", WorkingHours(time(7, 0), time(15, 0), frozenset({0, 1, 2, 3}))),
        ("07:00-15:00 Mon, Tue, Wed, Thu", WorkingHours(time(7, 0), time(15, 0), frozenset({0, 1, 2, 3}))),
        ("10:00-16:00 daily", WorkingHours(time(10, 0), time(16, 0), EVERY_DAY)),
        ("10:00-16:00 weekdays", WorkingHours(time(10, 0), time(16, 0), WEEKDAYS)),
        ("10:00-16:00 saturday,sunday", WorkingHours(time(10, 0), time(16, 0), frozenset({5, 6}))),
        ("10:00-16:00 tues,thurs", WorkingHours(time(10, 0), time(16, 0), frozenset({1, 3}))),
        ("08:00-09:00", WorkingHours(time(8, 0), time(9, 0), WEEKDAYS)),  # exactly an hour is enough
        ("00:00-23:59 daily", WorkingHours(time(0, 0), time(23, 59), EVERY_DAY)),
    ],
)
def test_hours_are_read_with_their_days(typed: str, expected: WorkingHours) -> None:
    assert parse_hours(typed) == expected


def test_hours_read_back_as_they_are_shown() -> None:
    assert parse_hours("7-15 thu,mon,tue,wed").text() == "07:00-15:00 mon,tue,wed,thu"
    assert parse_hours("9-17:30 daily").text() == "09:00-17:30 daily"
    assert parse_hours(parse_hours("07:00-15:00 fri,sat").text()) == parse_hours("07:00-15:00 fri,sat")


# --- refusing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("25:00-26:00", '"25:00" is not a time of day (00:00 to 23:59)'),
        ("24:00-23:00", '"24:00" is not a time of day'),
        ("09:60-10:30", '"09:60" is not a time of day'),
        ("17:00-09:00", "Those hours end (09:00) before they start (17:00)"),
        ("09:00-09:00", "end (09:00) before they start (09:00)"),
        ("09:00-09:30", "at least an hour long"),
        ("09:00-09:59", "at least an hour long"),
        ("09:00-17:00 mon,funday", '"funday" is not a day'),
        ("09:00-17:00 weekends", '"weekends" is not a day'),
        ("09:00-17:00 mon,", "A day is missing"),
        ("nine to five", '"nine" is not a time of day'),
        ("9:5-17", '"9:5" is not a time of day'),
        ("0900", '"0900" is not a range of hours'),
        ("", "Give the hours"),
        ("   ", "Give the hours"),
    ],
)
def test_wrong_hours_are_refused_with_how_to_fix_them(typed: str, says: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_hours(typed)

    assert says in raised.value.reply
    assert "`/task hours 09:00-17:30`" in raised.value.reply  # the right form, ready to copy


def test_night_shift_refusal_says_baton_does_not_cross_midnight() -> None:
    with pytest.raises(BadInput, match="across midnight"):
        parse_hours("22:00-06:00")


def test_typed_text_in_a_refusal_is_escaped_and_clipped() -> None:
    with pytest.raises(BadInput) as raised:
        parse_hours("09:00-17:00 <!channel>")
    assert "&lt;!channel&gt;" in raised.value.reply
    assert "<!channel>" not in raised.value.reply

    with pytest.raises(BadInput) as long_one:
        parse_hours("x" * 500)
    assert "x" * 100 not in long_one.value.reply


# --- days ---------------------------------------------------------------------------------------


def test_days_are_weekday_numbers_and_the_refusal_ends_with_the_callers_hint() -> None:
    assert parse_days("weekdays", how="") == WEEKDAYS
    assert parse_days(" DAILY ", how="") == EVERY_DAY
    assert parse_days("sun,mon", how="") == frozenset({6, 0})
    with pytest.raises(BadInput) as raised:
        parse_days("mon,someday", how="Try `/team checkins mon,wed 10:00`.")
    assert raised.value.reply == '"someday" is not a day. Try `/team checkins mon,wed 10:00`.'


@pytest.mark.parametrize(
    ("days", "shown"),
    [
        (WEEKDAYS, "weekdays"),
        (EVERY_DAY, "daily"),
        (frozenset({4, 0, 2}), "mon,wed,fri"),
        (frozenset({6}), "sun"),
    ],
)
def test_days_are_shown_by_their_set_name_or_as_a_list(days: frozenset[int], shown: str) -> None:
    assert days_text(days) == shown


# --- stored form --------------------------------------------------------------------------------


def test_stored_hours_round_trip() -> None:
    hours = WorkingHours(time(7, 0), time(15, 30), frozenset({0, 1, 2, 3}))

    assert hours.stored_days() == "0,1,2,3"
    assert stored_hours("07:00", "15:30", hours.stored_days()) == hours


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [(None, None, None), ("09:00", None, "0,1"), (None, "17:00", "0,1"), ("", "", "")],
)
def test_missing_stored_times_are_the_default(start: str | None, end: str | None, days: str | None) -> None:
    assert stored_hours(start, end, days) == DEFAULT_HOURS


@pytest.mark.parametrize("days", [None, ""])
def test_missing_stored_days_are_monday_to_friday(days: str | None) -> None:
    assert stored_hours("09:00", "17:00", days) == WorkingHours(time(9, 0), time(17, 0), WEEKDAYS)

"""Public-holiday calendars: codes as typed, refused with a fix, and the days they name (from `holidays`)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import calendars
from bot.domain.calendars import holiday_name, holidays_between, is_holiday, parse_calendar
from bot.domain.errors import BadInput

# --- codes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("de-by", "DE-BY"),
        ("DE BY", "DE-BY"),
        ("de_by", "DE-BY"),
        ("  De-By  ", "DE-BY"),
        ("US", "US"),
        ("us", "US"),
        ("JP", "JP"),
        ("IN-KA", "IN-KA"),
        ("in_ka", "IN-KA"),
        ("us-ca", "US-CA"),
        ("de-", "DE"),  # a dangling separator is no region
    ],
)
def test_calendar_codes_are_stored_upper_case_with_a_hyphen(typed: str, stored: str) -> None:
    assert parse_calendar(typed) == stored


@pytest.mark.parametrize("typed", ["XX", "xx", "", "   ", "Germany", "D", "<!here>"])
def test_unknown_country_is_refused_with_examples(typed: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_calendar(typed)

    assert "is not a country code Baton knows" in raised.value.reply
    assert "`DE-BY`" in raised.value.reply and "`US`" in raised.value.reply


def test_typed_code_in_the_refusal_is_escaped() -> None:
    with pytest.raises(BadInput) as raised:
        parse_calendar("<!here>")
    assert "&lt;!here&gt;" in raised.value.reply
    assert "<!here>" not in raised.value.reply


def test_unknown_region_is_refused_naming_known_ones() -> None:
    with pytest.raises(BadInput) as raised:
        parse_calendar("DE-ZZ")

    assert '"DE-ZZ" is not a region of DE.' in raised.value.reply
    assert "`DE-BY`" in raised.value.reply  # Bavaria is among the regions offered
    assert "ZZ`" not in raised.value.reply


def test_region_of_a_country_without_regions_says_so() -> None:
    with pytest.raises(BadInput, match="IS has no regions in the calendar"):
        parse_calendar("IS-ZZ")


# --- lookups -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "day", "name"),
    [
        ("DE-BY", date(2026, 12, 25), "Christmas Day"),
        ("DE-BY", date(2026, 1, 6), "Epiphany"),  # Bavarian, not German-wide
        ("JP", date(2027, 1, 11), "Coming of Age Day"),  # second Monday of January
        ("US", date(2027, 1, 18), "Martin Luther King Jr. Day"),  # third Monday of January
        ("US", date(2026, 11, 26), "Thanksgiving Day"),
    ],
)
def test_holiday_names_come_from_the_calendar(code: str, day: date, name: str) -> None:
    assert holiday_name(code, day) == name
    assert is_holiday(code, day)


@pytest.mark.parametrize(
    ("code", "day"),
    [
        ("DE", date(2026, 1, 6)),  # Epiphany is not a holiday in all of Germany
        ("DE-BY", date(2026, 12, 24)),  # Christmas Eve is a working day
        ("JP", date(2027, 1, 18)),  # MLK day is American
        ("US", date(2027, 1, 11)),
        ("US", date(2026, 11, 27)),  # the day after Thanksgiving is not a federal holiday
    ],
)
def test_ordinary_days_are_no_holiday(code: str, day: date) -> None:
    assert holiday_name(code, day) is None
    assert not is_holiday(code, day)


@pytest.mark.parametrize("code", [None, ""])
def test_no_calendar_has_no_holidays(code: str | None) -> None:
    assert holiday_name(code, date(2026, 12, 25)) is None
    assert not is_holiday(code, date(2026, 12, 25))
    assert holidays_between(code, date(2026, 1, 1), date(2026, 12, 31)) == []


def test_holidays_between_spans_a_new_year_in_date_order_both_ends_included() -> None:
    found = holidays_between("DE-BY", date(2026, 12, 25), date(2027, 1, 6))

    assert found == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Second Day of Christmas"),
        (date(2027, 1, 1), "New Year's Day"),
        (date(2027, 1, 6), "Epiphany"),
    ]


def test_holidays_between_a_reversed_range_is_empty() -> None:
    assert holidays_between("US", date(2027, 1, 31), date(2027, 1, 1)) == []


def test_holidays_between_names_every_day_it_lists() -> None:
    found = holidays_between("US", date(2027, 1, 1), date(2027, 12, 31))

    assert [day for day, _ in found] == sorted(day for day, _ in found)
    assert date(2027, 1, 18) in [day for day, _ in found]
    assert all(holiday_name("US", day) == name for day, name in found)


def test_holiday_names_do_not_depend_on_the_process_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    names = []
    try:
        for language in ("en_US", "de"):
            monkeypatch.setenv("LANGUAGE", language)
            calendars._year.cache_clear()
            names.append((holiday_name("DE-BY", date(2026, 12, 25)), holiday_name("JP", date(2027, 1, 11))))
    finally:
        monkeypatch.undo()
        calendars._year.cache_clear()

    assert names[0] == names[1] == ("Christmas Day", "Coming of Age Day")

"""Reading due times: natural language and ISO in the caller's zone, 17:00 for a bare date, DST, junk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.errors import BadInput
from bot.domain.when import DEFAULT_DUE_TIME, is_date_text, parse_due, read_when

NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"
# Thursday 26 Nov 2026, 10:00 in New York (EST, -05:00), 20:30 in Kolkata (+05:30).
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def local(moment: datetime | None, tz: str = NEW_YORK) -> datetime:
    assert moment is not None
    return moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("text", "expected_local"),
    [
        ("fri 5pm", datetime(2026, 11, 27, 17, 0)),
        ("tomorrow 9am", datetime(2026, 11, 27, 9, 0)),
        ("in 2 hours", datetime(2026, 11, 26, 12, 0)),
        ("noon", datetime(2026, 11, 26, 12, 0)),
        ("2026-12-04 17:00", datetime(2026, 12, 4, 17, 0)),
        ("2026-12-04T08:15", datetime(2026, 12, 4, 8, 15)),
        ("dec 4 3pm", datetime(2026, 12, 4, 15, 0)),
        ("wed 09:30", datetime(2026, 12, 2, 9, 30)),
    ],
)
def test_reads_a_date_and_time_in_the_callers_zone(text: str, expected_local: datetime) -> None:
    assert local(read_when(text, now=NOW, tz=NEW_YORK)) == expected_local


@pytest.mark.parametrize(
    ("text", "expected_day"),
    [
        ("tomorrow", datetime(2026, 11, 27)),
        ("in 3 days", datetime(2026, 11, 29)),
        ("next monday", datetime(2026, 11, 30)),
        ("dec 5", datetime(2026, 12, 5)),
        ("2026-12-04", datetime(2026, 12, 4)),
        ("friday", datetime(2026, 11, 27)),
        ("in a week", datetime(2026, 12, 3)),
        ("in 2 months", datetime(2027, 1, 26)),
    ],
)
def test_a_date_without_a_time_means_five_pm_local(text: str, expected_day: datetime) -> None:
    assert local(read_when(text, now=NOW, tz=NEW_YORK)) == datetime.combine(expected_day, DEFAULT_DUE_TIME)


def test_result_is_aware_utc() -> None:
    moment = read_when("fri 5pm", now=NOW, tz=NEW_YORK)
    assert moment == datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
    assert moment is not None and moment.utcoffset() == timedelta(0)


def test_same_words_give_different_utc_in_different_zones() -> None:
    new_york = read_when("tomorrow 9am", now=NOW, tz=NEW_YORK)
    kolkata = read_when("tomorrow 9am", now=NOW, tz=KOLKATA)
    assert new_york == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert kolkata == datetime(2026, 11, 27, 3, 30, tzinfo=UTC)


def test_tomorrow_is_the_callers_tomorrow_not_utcs() -> None:
    # 23:00 UTC Thursday is already Friday 04:30 in Kolkata, so "tomorrow" there is Saturday.
    late = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)
    assert local(read_when("tomorrow", now=late, tz=KOLKATA), KOLKATA) == datetime(2026, 11, 28, 17, 0)
    assert local(read_when("tomorrow", now=late, tz=NEW_YORK)) == datetime(2026, 11, 27, 17, 0)


def test_a_typed_zone_wins_over_the_callers_zone() -> None:
    assert read_when("fri 5pm UTC", now=NOW, tz=KOLKATA) == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)


def test_weekday_and_time_on_that_weekday_after_the_time_means_next_week() -> None:
    friday_6pm = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # Fri 18:00 New York
    assert local(read_when("fri 5pm", now=friday_6pm, tz=NEW_YORK)) == datetime(2026, 12, 4, 17, 0)
    assert local(read_when("fri", now=friday_6pm, tz=NEW_YORK)) == datetime(2026, 12, 4, 17, 0)


def test_weekday_and_time_on_that_weekday_before_the_time_means_today() -> None:
    friday_10am = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert local(read_when("fri 5pm", now=friday_10am, tz=NEW_YORK)) == datetime(2026, 11, 27, 17, 0)
    assert local(read_when("friday", now=friday_10am, tz=NEW_YORK)) == datetime(2026, 11, 27, 17, 0)
    assert local(read_when("fri 9am", now=friday_10am, tz=NEW_YORK)) == datetime(2026, 12, 4, 9, 0)


def test_weekday_with_an_explicit_date_is_not_moved() -> None:
    friday_10am = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert local(read_when("fri dec 4", now=friday_10am, tz=NEW_YORK)) == datetime(2026, 12, 4, 17, 0)


def test_wall_time_in_spring_forward_gap_moves_to_a_valid_instant() -> None:
    january = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    moment = read_when("2026-03-08 02:30", now=january, tz=NEW_YORK)
    # 02:30 does not exist that night; the same distance past the gap is 03:30 EDT.
    assert moment == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert moment.astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M %Z") == "03:30 EDT"


def test_ambiguous_fall_back_time_takes_the_first_occurrence() -> None:
    january = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    moment = read_when("2026-11-01 01:30", now=january, tz=NEW_YORK)
    assert moment == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, not 01:30 EST


def test_bare_date_on_a_dst_day_is_five_pm_in_the_new_offset() -> None:
    january = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    assert read_when("2026-03-08", now=january, tz=NEW_YORK) == datetime(2026, 3, 8, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "phone",
        "email",
        "asap",
        "the end",
        "review",
        "legal",
        "a",  # dateparser reads it as January
        "we",  # ... and this as Wednesday
        "fr",
        "an",
        "the",
        "in",
        "next",
        "soon",
        "eod",
        "end of day",
        "fri 5pm please",
        "fri 5pm a",  # dateparser: 26 January, 17:00
        "the sun",  # dateparser: Sunday
        "twelve noon",  # dateparser: 26 December
        "now 5",
        "we 5pm",  # dateparser: Wednesday 17:00
        "st 5pm",  # dateparser: today 17:00
    ],
)
def test_everyday_words_are_not_dates(text: str) -> None:
    assert read_when(text, now=NOW, tz=NEW_YORK) is None
    assert not is_date_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "12",  # dateparser: the 26th of December
        "T-12",
        "#12",
        "4th",
        "dec",  # a month alone
        "may",
        "2026",  # a year alone
        "1700",
        "2000000000",  # a Unix timestamp to dateparser
        "20261204",
    ],
)
def test_vague_or_numeric_text_is_not_a_date(text: str) -> None:
    assert read_when(text, now=NOW, tz=NEW_YORK) is None


@pytest.mark.parametrize("text", ["2 hours", "3 days", "a week", "one day", "1h", "2d", "17h", "90m"])
def test_a_bare_duration_is_not_a_date(text: str) -> None:
    # "Cut the build time by 2 hours" names an amount, not a deadline; "in 2 hours" is one.
    assert read_when(text, now=NOW, tz=NEW_YORK) is None


@pytest.mark.parametrize(
    "text",
    [
        "in 2h",
        "in 3d",
        "in an hour",
        "in 90 minutes",
        "in two days",
        "a week from now",
        "2 hours from now",
        "3 days ago",
        "next week",
        "the day after tomorrow",
        "this afternoon",
        "tomorrow morning",
        "on friday at 5pm",
        "Fri, 5pm",
        "Tomorrow 9AM",
        "5th of december",
        "12/05",
        "9:30 am",
        "now",
        "next year",
        "2026-12-04T17:00:00Z",
    ],
)
def test_everyday_date_phrases_read(text: str) -> None:
    assert read_when(text, now=NOW, tz=NEW_YORK) is not None
    assert is_date_text(text)


def test_empty_and_over_long_text_is_not_a_date() -> None:
    assert read_when("", now=NOW, tz=NEW_YORK) is None
    assert read_when("   ", now=NOW, tz=NEW_YORK) is None
    assert read_when("tomorrow " + "x" * 80, now=NOW, tz=NEW_YORK) is None
    assert not is_date_text("in 3 days" + " " * 10 + "!" * 80)


def test_out_of_range_result_is_unreadable_not_a_crash() -> None:
    assert read_when("9999-12-31 23:59", now=NOW, tz=NEW_YORK) is None


def test_is_date_text_accepts_past_dates_it_can_read() -> None:
    assert is_date_text("yesterday")
    assert is_date_text("fri 5pm")
    assert is_date_text("2026-12-04 17:00")


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        read_when("tomorrow", now=datetime(2026, 11, 26, 15, 0), tz=NEW_YORK)


def test_parse_due_returns_the_future_moment() -> None:
    assert parse_due("tomorrow", now=NOW, tz=NEW_YORK) == datetime(2026, 11, 27, 22, 0, tzinfo=UTC)


def test_parse_due_refuses_unreadable_text_with_examples() -> None:
    with pytest.raises(BadInput) as caught:
        parse_due("xyz", now=NOW, tz=NEW_YORK)
    assert caught.value.reply == (
        'I couldn\'t read "xyz" as a date. Try "fri 5pm", "tomorrow", "in 3 days" or "2026-12-04 17:00".'
    )


def test_parse_due_refuses_blank_text() -> None:
    with pytest.raises(BadInput) as caught:
        parse_due("  ", now=NOW, tz=NEW_YORK)
    assert caught.value.reply.startswith("Give a due time, such as")


def test_parse_due_clips_long_text_in_its_reply() -> None:
    with pytest.raises(BadInput) as caught:
        parse_due("z" * 500, now=NOW, tz=NEW_YORK)
    assert len(caught.value.reply) < 200


def test_today_after_five_pm_is_in_the_past() -> None:
    six_pm = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # Thu 18:00 New York
    with pytest.raises(BadInput) as caught:
        parse_due("today", now=six_pm, tz=NEW_YORK)
    assert caught.value.reply == (
        'That due time (Thu 26 Nov 17:00 EST) is in the past. Pick a later one, such as "tomorrow 5pm".'
    )


def test_past_reply_names_the_year_when_it_is_not_this_one() -> None:
    with pytest.raises(BadInput) as caught:
        parse_due("2025-12-01 09:00", now=NOW, tz=KOLKATA)
    assert "(Mon 1 Dec 2025 09:00 IST)" in caught.value.reply


def test_now_itself_is_in_the_past() -> None:
    with pytest.raises(BadInput, match="in the past"):
        parse_due("now", now=NOW, tz=NEW_YORK)


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.integers(min_value=0, max_value=366 * 24 * 60),
    tz=st.sampled_from([NEW_YORK, KOLKATA, "Europe/London", "Australia/Lord_Howe", "Pacific/Kiritimati"]),
)
def test_tomorrow_is_always_five_pm_on_the_next_local_day(minutes: int, tz: str) -> None:
    now = NOW + timedelta(minutes=minutes)
    moment = read_when("tomorrow", now=now, tz=tz)
    assert moment is not None and moment.tzinfo is UTC
    today = now.astimezone(ZoneInfo(tz)).date()
    assert local(moment, tz) == datetime.combine(today + timedelta(days=1), DEFAULT_DUE_TIME)

"""The fast path for common due forms gives dateparser's answers, in the person's zone, across DST edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain import when
from bot.domain.when import read_when, read_when_with_dateparser

ZONES = (
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "America/St_Johns",
    "Pacific/Chatham",
    "America/Sao_Paulo",
)
# Moments beside DST changes: New York and Berlin, spring and autumn 2026, and Lord Howe's.
DST_EDGES = (
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 15, 0, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
)
WEEKDAYS = [
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "tues",
]


def clocks() -> st.SearchStrategy[str]:
    twelve = st.builds(
        lambda h, m, space, ampm: f"{h}{f':{m:02d}' if m is not None else ''}{space}{ampm}",
        st.integers(0, 13),
        st.none() | st.integers(0, 59),
        st.sampled_from(("", " ")),
        st.sampled_from(("am", "pm", "AM", "Pm")),
    )
    twenty_four = st.builds(
        lambda h, m, pad: f"{h:02d}:{m:02d}" if pad else f"{h}:{m:02d}",
        st.integers(0, 24),
        st.integers(0, 59),
        st.booleans(),
    )
    return twelve | twenty_four


def texts() -> st.SearchStrategy[str]:
    day = st.sampled_from(("today", "tomorrow", "Today", "TOMORROW", *WEEKDAYS, "Fri", "FRIDAY"))
    day_form = st.builds(
        lambda d, at, c: d if c is None else f"{d} {at}{c}", day, st.sampled_from(("", "at ")), st.none() | clocks()
    )
    clock_form = st.builds(lambda at, c: f"{at}{c}", st.sampled_from(("", "at ")), clocks())
    iso = st.builds(
        lambda d, sep, t: d.isoformat() + ("" if t is None else f"{sep}{t[0]}:{t[1]:02d}"),
        st.dates(datetime(1990, 1, 1).date(), datetime(2100, 12, 31).date()),
        st.sampled_from((" ", "T")),
        st.none() | st.tuples(st.integers(0, 23), st.integers(0, 59)),
    )
    relative = st.builds(
        lambda n, unit: f"in {n} {unit}",
        st.integers(0, 400),
        st.sampled_from(["minute", "minutes", "min", "mins", "hour", "hours", "day", "days", "week", "weeks"]),
    )
    return day_form | clock_form | iso | relative


def reference_instants() -> st.SearchStrategy[datetime]:
    anywhere = st.datetimes(datetime(2000, 1, 1), datetime(2090, 12, 31), timezones=st.just(UTC))
    near_dst = st.builds(
        lambda edge, minutes: edge + timedelta(minutes=minutes), st.sampled_from(DST_EDGES), st.integers(-1500, 1500)
    )
    on_the_minute = anywhere.map(lambda moment: moment.replace(second=0, microsecond=0))
    return anywhere | near_dst | on_the_minute


@settings(max_examples=600, deadline=None)
@given(text=texts(), now=reference_instants(), tz=st.sampled_from(ZONES))
@example(text="5pm", now=datetime(2026, 12, 4, 22, 0, tzinfo=UTC), tz="America/New_York")  # exactly 17:00 there
@example(text="today 5pm", now=datetime(2026, 12, 4, 22, 0, tzinfo=UTC), tz="America/New_York")
@example(text="fri 5pm", now=datetime(2026, 12, 4, 15, 0, tzinfo=UTC), tz="America/New_York")  # a Friday
@example(text="2:30", now=datetime(2026, 3, 8, 6, 0, tzinfo=UTC), tz="America/New_York")  # into the gap
@example(text="1:30am", now=datetime(2026, 11, 1, 4, 0, tzinfo=UTC), tz="America/New_York")  # the repeated hour
@example(text="in 3 hours", now=datetime(2026, 3, 8, 6, 30, tzinfo=UTC), tz="America/New_York")
def test_the_fast_path_reads_as_dateparser_does(text: str, now: datetime, tz: str) -> None:
    if _past_time_on_a_months_last_day(text, now, tz):
        return  # where dateparser is wrong (below), the fast path is not held to it
    assert read_when(text, now=now, tz=tz) == read_when_with_dateparser(text, now=now, tz=tz)


def _past_time_on_a_months_last_day(text: str, now: datetime, tz: str) -> bool:
    base = now.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    if (base + timedelta(days=1)).day != 1:
        return False
    wall = when._common_wall(" ".join(text.split()).lower(), base)
    return (
        wall is not None
        and wall.date() == base.date() + timedelta(days=1)
        and when._CLOCK_FORM.fullmatch(" ".join(text.split()).lower()) is not None
    )


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "Europe/London", datetime(2027, 1, 1, 17, 0, tzinfo=UTC)),
        (datetime(2026, 4, 30, 22, 0, tzinfo=UTC), "America/New_York", datetime(2026, 5, 1, 21, 0, tzinfo=UTC)),
        (datetime(2027, 2, 28, 18, 0, tzinfo=UTC), "UTC", datetime(2027, 3, 1, 17, 0, tzinfo=UTC)),
    ],
)
def test_a_time_already_past_on_a_months_last_day_is_tomorrows(now: datetime, tz: str, expected: datetime) -> None:
    assert read_when("5pm", now=now, tz=tz) == expected


@pytest.mark.parametrize(
    "text",
    ["fri 5pm", "Tomorrow", "today 17:00", "5pm", "at 9:30am", "2026-12-04", "2026-12-04 17:00", "in 3 days", "monday"],
)
def test_the_common_forms_take_the_fast_path(text: str) -> None:
    base = datetime(2026, 12, 2, 10, 0)
    assert when._common_wall(" ".join(text.split()).lower(), base) is not None


@pytest.mark.parametrize(
    "text",
    [
        "next monday",
        "dec 4 3pm",
        "noon",
        "thurs",
        "in a week",
        "13pm",
        "24:00",
        "1:5",
        "2026-02-30",
        "2026-12-04 24:00",
    ],
)
def test_other_forms_go_to_dateparser(text: str) -> None:
    assert when._common_wall(text.lower(), datetime(2026, 12, 2, 10, 0)) is None

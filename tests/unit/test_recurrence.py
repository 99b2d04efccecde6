"""Recurring rules: reading "every …", saying it back, and the next moment in the delegator's zone."""

from __future__ import annotations

from datetime import time

import pytest

from bot.domain.errors import BadInput
from bot.domain.grammar import DelegateTask, StopSeries, parse_task
from bot.domain.model import Priority
from bot.domain.recurrence import Every, Rule, describe, next_occurrence, parse_rule
from tests.helpers import utc


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("monday", Rule(every=Every.WEEK, day=0)),
        ("mon at 09:30", Rule(every=Every.WEEK, day=0, at=time(9, 30))),
        ("Fri at 5pm", Rule(every=Every.WEEK, day=4, at=time(17, 0))),
        ("day at 17:00", Rule(every=Every.DAY, at=time(17, 0))),
        ("day at 12am", Rule(every=Every.DAY, at=time(0, 0))),
        ("weekday", Rule(every=Every.WEEKDAY)),
        ("weekday at 9:05", Rule(every=Every.WEEKDAY, at=time(9, 5))),
        ("15th", Rule(every=Every.MONTH, day=15)),
        ("1st at 08:00", Rule(every=Every.MONTH, day=1, at=time(8, 0))),
        ("31st", Rule(every=Every.MONTH, day=31)),
    ],
)
def test_rule_reads_days_and_optional_time(text: str, rule: Rule) -> None:
    assert parse_rule(text) == rule


@pytest.mark.parametrize(
    "text", ["", "other day", "32nd", "0th", "15", "mon at 25:00", "mon at", "mon 09:30", "week", "mon and fri"]
)
def test_text_that_is_not_a_rule_reads_as_none(text: str) -> None:
    assert parse_rule(text) is None


def test_rule_survives_its_stored_form() -> None:
    for rule in (Rule(every=Every.WEEK, day=6, at=time(9, 30)), Rule(every=Every.MONTH, day=31), Rule(every=Every.DAY)):
        assert Rule.decode(rule.encode(), at=rule.at) == rule


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (Rule(every=Every.WEEK, day=0, at=time(9, 30)), "every Monday at 09:30"),
        (Rule(every=Every.DAY), "every day at 17:00"),
        (Rule(every=Every.WEEKDAY, at=time(8, 0)), "every weekday (Monday to Friday) at 08:00"),
        (Rule(every=Every.MONTH, day=1), "every month on the 1st at 17:00"),
        (Rule(every=Every.MONTH, day=22), "every month on the 22nd at 17:00"),
        (Rule(every=Every.MONTH, day=31), "every month on the 31st (the last day in shorter months) at 17:00"),
    ],
)
def test_rule_is_said_in_words(rule: Rule, words: str) -> None:
    assert describe(rule) == words


def test_weekly_rule_takes_the_same_day_when_its_time_is_still_ahead() -> None:
    monday_930 = Rule(every=Every.WEEK, day=0, at=time(9, 30))
    # Monday 2026-11-23 09:00 in London (UTC+0 in winter): 09:30 today is still ahead.
    assert next_occurrence(monday_930, after=utc(2026, 11, 23, 9, 0), tz="Europe/London") == utc(2026, 11, 23, 9, 30)
    # At 09:30 exactly it is no longer "after": next week.
    assert next_occurrence(monday_930, after=utc(2026, 11, 23, 9, 30), tz="Europe/London") == utc(2026, 11, 30, 9, 30)


def test_weekly_rule_counts_the_weekday_in_the_delegators_zone() -> None:
    # Sunday 2026-11-22 20:00 UTC is already Monday 01:30 in Kolkata (+05:30): Monday 09:30 there is today.
    rule = Rule(every=Every.WEEK, day=0, at=time(9, 30))
    assert next_occurrence(rule, after=utc(2026, 11, 22, 20, 0), tz="Asia/Kolkata") == utc(2026, 11, 23, 4, 0)


def test_weekday_rule_skips_the_weekend() -> None:
    rule = Rule(every=Every.WEEKDAY, at=time(17, 0))
    # Friday 2026-11-27 17:00 New York (EST, UTC-5) has passed: next is Monday 30th.
    assert next_occurrence(rule, after=utc(2026, 11, 27, 22, 0), tz="America/New_York") == utc(2026, 11, 30, 22, 0)


def test_daily_rule_keeps_the_wall_time_across_the_spring_change() -> None:
    rule = Rule(every=Every.DAY, at=time(9, 0))
    # New York springs forward on 2026-03-08: 09:00 is 14:00 UTC before and 13:00 UTC after.
    first = next_occurrence(rule, after=utc(2026, 3, 7, 12, 0), tz="America/New_York")
    second = next_occurrence(rule, after=first, tz="America/New_York")
    assert (first, second) == (utc(2026, 3, 7, 14, 0), utc(2026, 3, 8, 13, 0))


def test_time_in_the_spring_gap_moves_to_the_end_of_the_gap() -> None:
    rule = Rule(every=Every.DAY, at=time(2, 30))
    # 02:30 does not exist in New York on 2026-03-08; the clock jumps from 02:00 EST to 03:00 EDT (07:00 UTC).
    assert next_occurrence(rule, after=utc(2026, 3, 8, 5, 0), tz="America/New_York") == utc(2026, 3, 8, 7, 0)


def test_repeated_fall_back_time_takes_the_first_reading_once() -> None:
    rule = Rule(every=Every.DAY, at=time(1, 30))
    # 01:30 happens twice in New York on 2026-11-01: first EDT (05:30 UTC), then EST (06:30 UTC).
    first = next_occurrence(rule, after=utc(2026, 11, 1, 4, 0), tz="America/New_York")
    assert first == utc(2026, 11, 1, 5, 30)
    assert next_occurrence(rule, after=first, tz="America/New_York") == utc(2026, 11, 2, 6, 30)


def test_half_hour_dst_zone_keeps_the_wall_time() -> None:
    rule = Rule(every=Every.WEEK, day=0, at=time(9, 0))
    # Lord Howe moves from +11 to +10:30 on Sunday 2026-04-05: Monday 09:00 is 22:30 UTC on Sunday.
    assert next_occurrence(rule, after=utc(2026, 4, 4, 0, 0), tz="Australia/Lord_Howe") == utc(2026, 4, 5, 22, 30)


def test_month_day_past_a_months_end_means_its_last_day() -> None:
    rule = Rule(every=Every.MONTH, day=31, at=time(17, 0))
    after_january = next_occurrence(rule, after=utc(2026, 1, 31, 17, 0), tz="UTC")
    assert after_january == utc(2026, 2, 28, 17, 0)
    assert next_occurrence(rule, after=after_january, tz="UTC") == utc(2026, 3, 31, 17, 0)
    assert next_occurrence(rule, after=utc(2026, 4, 1, 0, 0), tz="UTC") == utc(2026, 4, 30, 17, 0)


def test_twenty_ninth_is_february_29th_in_a_leap_year() -> None:
    rule = Rule(every=Every.MONTH, day=29, at=time(17, 0))
    assert next_occurrence(rule, after=utc(2028, 2, 1, 0, 0), tz="UTC") == utc(2028, 2, 29, 17, 0)
    assert next_occurrence(rule, after=utc(2027, 2, 1, 0, 0), tz="UTC") == utc(2027, 2, 28, 17, 0)


def test_first_of_the_month_in_a_zone_far_ahead_of_utc() -> None:
    rule = Rule(every=Every.MONTH, day=1, at=time(8, 0))
    # Kiritimati is UTC+14: 1 Dec 08:00 there is 30 Nov 18:00 UTC.
    assert next_occurrence(rule, after=utc(2026, 11, 26, 0, 0), tz="Pacific/Kiritimati") == utc(2026, 11, 30, 18, 0)


# --- `/task` text with `every …` ---------------------------------------------------------------------


def test_trailing_every_clause_is_split_off_the_title() -> None:
    assert parse_task("<@U1> Send the numbers every mon at 09:30 !high") == DelegateTask(
        assignee_id="U1",
        title="Send the numbers",
        priority=Priority.HIGH,
        rule=Rule(every=Every.WEEK, day=0, at=time(9, 30)),
    )


def test_only_the_last_every_that_reads_as_a_rule_is_split_off() -> None:
    command = parse_task("<@U1> Read every day notes every fri")
    assert isinstance(command, DelegateTask)
    assert (command.title, command.rule) == ("Read every day notes", Rule(every=Every.WEEK, day=4))


def test_every_that_is_not_a_rule_stays_in_the_title() -> None:
    command = parse_task("<@U1> Water the plants every other day")
    assert command == DelegateTask(assignee_id="U1", title="Water the plants every other day")


def test_every_clause_alone_needs_a_title() -> None:
    with pytest.raises(BadInput, match="Give the task a title"):
        parse_task("<@U1> every monday")


def test_every_and_by_together_are_refused_with_the_fix() -> None:
    with pytest.raises(BadInput, match="drop the `by …` part"):
        parse_task("<@U1> Report by fri 5pm every monday")


def test_stop_names_the_task_by_any_id_form() -> None:
    assert parse_task("stop T-3") == parse_task("stop t-3") == parse_task("stop 3") == StopSeries(number=3)


def test_stop_without_an_id_or_with_extra_words_says_the_form() -> None:
    with pytest.raises(BadInput, match="/task stop T-12"):
        parse_task("stop")
    with pytest.raises(BadInput, match="/task stop T-12"):
        parse_task("stop T-3 now")

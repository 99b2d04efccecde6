"""The `/team report` maths (bot/domain/insight.py), checked by hand against a small scripted team."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.insight import (
    AnswerRow,
    CheckinRow,
    KudosRow,
    Load,
    Period,
    Ratio,
    TaskRow,
    TeamReport,
    team_report,
)
from bot.domain.model import Priority, TaskStatus

NOW = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)
WEEK = Period.ending(NOW, days=7)  # (8 Dec 12:00, 15 Dec 12:00]; the one before: (1 Dec 12:00, 8 Dec 12:00]
ALICE, BOB, CAROL, MANAGER = "UALICE", "UBOB", "UCAROL", "UMANAGER"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def done(who: str, *, created: datetime, finished: datetime, due: datetime | None = None) -> TaskRow:
    return TaskRow(who, Priority.NORMAL, TaskStatus.DONE, created_at=created, due_at=due, done_at=finished)


def live(who: str, priority: Priority, *, status: TaskStatus = TaskStatus.OPEN, due: datetime | None = None) -> TaskRow:
    return TaskRow(who, priority, status, created_at=at(1, 9), due_at=due)


TASKS = [
    # Alice, this week: on time (1 day), late (3.5 days), no deadline (6 hours).
    done(ALICE, created=at(9, 12), finished=at(10, 12), due=at(11, 12)),
    done(ALICE, created=at(9, 0), finished=at(12, 12), due=at(11, 12)),
    done(ALICE, created=at(14, 6), finished=at(14, 12)),
    live(ALICE, Priority.HIGH, due=at(14, 12)),  # overdue, weight 3
    live(ALICE, Priority.URGENT, status=TaskStatus.ACCEPTED, due=at(20, 12)),  # weight 4
    live(ALICE, Priority.NORMAL, status=TaskStatus.DECLINED),  # not hers any more: no load
    # Bob: done exactly at the deadline this week (on time, 1 day); late the week before (2 days).
    done(BOB, created=at(8, 12), finished=at(9, 12), due=at(9, 12)),
    done(BOB, created=at(3, 12), finished=at(5, 12), due=at(4, 12)),
    live(BOB, Priority.LOW),  # weight 1
    live(BOB, Priority.NORMAL, due=NOW),  # due this very moment: overdue, weight 2
    # Carol only finished something the week before (on time, 18 hours): not in this week's rows.
    done(CAROL, created=at(1, 18), finished=at(2, 12), due=at(3, 12)),
]

A_OPEN, A_ACCEPTED, B_LOW, B_PREVIOUS = 4, 5, 9, 8
CHECKINS = [
    CheckinRow(A_OPEN, ALICE, at(9, 9)),  # answered 2 h later
    CheckinRow(A_OPEN, ALICE, at(10, 9)),  # answered 23 h later, before the next one
    CheckinRow(A_OPEN, ALICE, at(11, 12)),  # unanswered: the answer 22 h later came after the next check-in
    CheckinRow(A_OPEN, ALICE, at(12, 9)),  # answered 1 h later
    CheckinRow(A_OPEN, ALICE, at(13, 9)),  # only the manager answered: unanswered
    CheckinRow(A_OPEN, ALICE, at(15, 9)),  # 3 h ago, no answer yet: still waiting, not counted
    CheckinRow(A_ACCEPTED, ALICE, at(8, 13)),  # answered after 25 h: too late
    CheckinRow(B_LOW, BOB, at(10, 9)),  # answered 30 min later
    CheckinRow(B_PREVIOUS, BOB, at(4, 9)),  # the week before: answered after 27 h, too late
]
ANSWERS = [
    AnswerRow(A_OPEN, ALICE, at(9, 11)),
    AnswerRow(A_OPEN, ALICE, at(11, 8)),
    AnswerRow(A_OPEN, ALICE, at(12, 10)),
    AnswerRow(A_OPEN, MANAGER, at(13, 9, 30)),
    AnswerRow(A_ACCEPTED, ALICE, at(9, 14)),
    AnswerRow(B_LOW, BOB, at(10, 9, 30)),
    AnswerRow(B_PREVIOUS, BOB, at(5, 12)),
]
KUDOS = [
    KudosRow(ALICE, at(10, 15)),
    KudosRow(ALICE, at(14, 15)),
    KudosRow(BOB, at(11, 15)),
    KudosRow(BOB, at(8, 12)),  # exactly the start of this week: it belongs to the week before
    KudosRow(CAROL, at(12, 15)),  # Carol has no row this week, but the team's total counts her kudos
]


@pytest.fixture
def report() -> TeamReport:
    return team_report(period=WEEK, tasks=TASKS, checkins=CHECKINS, answers=ANSWERS, kudos=KUDOS)


def test_people_are_those_with_open_work_or_done_or_checked_in_this_period_most_overdue_first(
    report: TeamReport,
) -> None:
    # Both have one overdue task; Alice's load (3 + 4) outweighs Bob's (1 + 2).
    assert [p.user_id for p in report.people] == [ALICE, BOB]


def test_per_person_done_on_time_and_time_to_done(report: TeamReport) -> None:
    alice, bob = report.people

    assert alice.stats.done == 3
    assert alice.stats.on_time == Ratio(1, 2)
    assert alice.stats.on_time.percent == 50
    assert alice.stats.time_to_done == timedelta(hours=(24 + 84 + 6) / 3)  # 38 h
    assert bob.stats.done == 1
    assert bob.stats.on_time.percent == 100  # done at the due minute is on time
    assert bob.stats.time_to_done == timedelta(hours=24)


def test_open_load_is_weighted_by_priority_and_overdue_is_counted_now(report: TeamReport) -> None:
    alice, bob = report.people

    assert alice.load == Load(open_tasks=2, weighted=3 + 4, overdue=1)
    assert bob.load == Load(open_tasks=2, weighted=1 + 2, overdue=1)
    assert report.load == Load(open_tasks=4, weighted=10, overdue=2)


def test_checkin_answers_count_within_24_hours_before_the_next_checkin_by_the_recipient(
    report: TeamReport,
) -> None:
    alice, bob = report.people

    # Counted: 9, 10, 11, 12, 13 Dec on the open task and the accepted one; the 15 Dec one still waits.
    assert alice.stats.checkins == Ratio(3, 6)
    assert alice.stats.response == timedelta(hours=2)  # median of 2 h, 23 h, 1 h
    assert bob.stats.checkins == Ratio(1, 1)
    assert bob.stats.response == timedelta(minutes=30)


def test_kudos_received_in_the_period(report: TeamReport) -> None:
    alice, bob = report.people

    assert (alice.stats.kudos, bob.stats.kudos) == (2, 1)


def test_team_totals_add_up_over_everyone(report: TeamReport) -> None:
    team = report.team

    assert team.done == 4
    assert team.on_time == Ratio(2, 3)
    assert team.on_time.percent == 67
    assert team.time_to_done == timedelta(hours=(24 + 84 + 6 + 24) / 4)  # 34.5 h
    assert team.checkins == Ratio(4, 7)
    assert team.checkins.percent == 57
    assert team.response == timedelta(hours=1.5)  # median of 30 min, 1 h, 2 h, 23 h
    assert team.kudos == 4


def test_previous_period_counts_everyone_who_finished_then(report: TeamReport) -> None:
    before = report.previous

    assert before.done == 2  # Bob late, Carol on time
    assert before.on_time == Ratio(1, 2)
    assert before.time_to_done == timedelta(hours=(48 + 18) / 2)
    assert before.checkins == Ratio(0, 1)
    assert before.response is None
    assert before.kudos == 1


def test_trend_compares_with_the_previous_period(report: TeamReport) -> None:
    trend = report.trend

    assert trend.done == 2
    assert trend.on_time_pts == 67 - 50
    assert trend.time_to_done == timedelta(hours=34.5 - 33)
    assert trend.answered_pts == 57 - 0
    assert trend.response is None  # nothing was answered the week before
    assert trend.kudos == 3


def test_an_empty_period_has_no_figures_and_divides_by_nothing() -> None:
    report = team_report(period=WEEK, tasks=[], checkins=[], answers=[], kudos=[])

    assert report.people == ()
    for stats in (report.team, report.previous):
        assert stats.done == 0
        assert stats.on_time.percent is None
        assert stats.time_to_done is None
        assert stats.checkins.percent is None
        assert stats.response is None
    assert report.load == Load()
    trend = report.trend
    assert (trend.done, trend.on_time_pts, trend.time_to_done, trend.answered_pts, trend.response, trend.kudos) == (
        0,
        None,
        None,
        None,
        None,
        0,
    )


def test_a_person_with_only_open_work_has_load_but_no_rates() -> None:
    report = team_report(
        period=WEEK, tasks=[live(BOB, Priority.URGENT)], checkins=[], answers=[], kudos=[KudosRow(BOB, at(9, 9))]
    )

    [bob] = report.people
    assert bob.load == Load(open_tasks=1, weighted=4, overdue=0)
    assert bob.stats.on_time.percent is None
    assert bob.stats.time_to_done is None
    assert bob.stats.checkins.percent is None
    assert bob.stats.kudos == 1


def test_a_checkin_answered_after_its_window_closed_by_the_next_one_counts_for_the_next() -> None:
    checkins = [CheckinRow(1, ALICE, at(10, 9)), CheckinRow(1, ALICE, at(10, 15))]
    answers = [AnswerRow(1, ALICE, at(10, 16))]

    report = team_report(period=WEEK, tasks=[live(ALICE, Priority.LOW)], checkins=checkins, answers=answers, kudos=[])

    assert report.team.checkins == Ratio(1, 2)
    assert report.team.response == timedelta(hours=1)


@pytest.mark.parametrize(
    ("hits", "total", "percent"),
    [(2, 3, 67), (1, 3, 33), (1, 8, 13), (0, 5, 0), (5, 5, 100), (0, 0, None)],
)
def test_ratio_percent_rounds_halves_up_and_has_none_for_nothing(hits: int, total: int, percent: int | None) -> None:
    assert Ratio(hits, total).percent == percent


def test_a_period_excludes_its_start_and_the_previous_one_ends_there() -> None:
    month = Period.ending(NOW, days=30)

    assert month.days == 30
    assert month.previous() == Period(start=NOW - timedelta(days=60), end=NOW - timedelta(days=30))
    assert not month.holds(month.start)
    assert month.holds(month.end)
    assert month.previous().holds(month.start)


def test_kudos_trend_counts_both_periods_alike() -> None:
    """B was thanked twice last week and did nothing this week; A once this week: the trend is -1."""
    report = team_report(
        period=WEEK,
        tasks=[live(ALICE, Priority.LOW)],
        checkins=[],
        answers=[],
        kudos=[KudosRow(BOB, at(5, 12)), KudosRow(BOB, at(6, 12)), KudosRow(ALICE, at(10, 12))],
    )

    assert (report.team.kudos, report.previous.kudos) == (1, 2)

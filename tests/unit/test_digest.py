"""The weekly manager digest's rules (bot/domain/digest.py) on hand-made tasks and hand-checked times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import digest
from bot.domain.digest import DigestTask
from bot.domain.model import Priority

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday
SINCE = NOW - timedelta(days=7)
H = timedelta(hours=1)


def task(number: int, who: str = "U1", *, team: int = 1, **kw: object) -> DigestTask:
    fields: dict[str, object] = {"priority": Priority.NORMAL, "active": True}
    fields.update(kw)
    return DigestTask(number=number, title=f"Task {number}", team_id=team, assignee_id=who, **fields)  # type: ignore[arg-type]


def build(tasks: list[DigestTask], **kw: object) -> digest.Digest:
    return digest.build(tasks, now=NOW, since=SINCE, **kw)  # type: ignore[arg-type]


# -- when -----------------------------------------------------------------------------------------


def test_next_digest_is_the_coming_monday_at_nine_in_the_managers_zone() -> None:
    friday = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert digest.next_digest(friday, tz="Europe/Berlin") == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    assert digest.next_digest(friday, tz="America/New_York") == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def test_next_digest_at_the_digest_moment_is_a_week_later() -> None:
    monday_nine = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 Berlin
    assert digest.next_digest(monday_nine, tz="Europe/Berlin") == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_digest_moments_follow_daylight_saving_time() -> None:
    # New York leaves DST on Sunday 2026-11-01: Monday 09:00 is 13:00 UTC before, 14:00 UTC after.
    assert digest.next_digest(datetime(2026, 10, 20, tzinfo=UTC), tz="America/New_York") == datetime(
        2026, 10, 26, 13, 0, tzinfo=UTC
    )
    assert digest.next_digest(datetime(2026, 10, 27, tzinfo=UTC), tz="America/New_York") == datetime(
        2026, 11, 2, 14, 0, tzinfo=UTC
    )


def test_latest_digest_after_downtime_is_only_the_last_monday() -> None:
    three_weeks_later = datetime(2026, 12, 16, 12, 0, tzinfo=UTC)  # a Wednesday
    latest = digest.latest_digest(three_weeks_later, tz="Asia/Kolkata")
    assert latest.astimezone(ZoneInfo("Asia/Kolkata")) == datetime(2026, 12, 14, 9, 0, tzinfo=ZoneInfo("Asia/Kolkata"))


def test_latest_digest_on_monday_before_nine_is_the_previous_monday() -> None:
    early = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 Berlin
    assert digest.latest_digest(early, tz="Europe/Berlin") == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


# -- sections ---------------------------------------------------------------------------------------


def test_a_quiet_week_is_quiet() -> None:
    result = build([task(1, due_at=NOW + timedelta(days=5))])
    assert result.is_quiet


def test_overdue_lists_active_past_due_tasks_soonest_first() -> None:
    result = build(
        [
            task(1, due_at=NOW - H),
            task(2, due_at=NOW - 5 * H),
            task(3, due_at=NOW - 2 * H, active=False, done_at=NOW - 3 * H),
            task(4, due_at=NOW + H),
        ]
    )
    assert [line.number for line in result.overdue] == [2, 1]


def test_at_risk_when_due_within_48_hours_and_the_last_checkin_is_unanswered() -> None:
    unanswered = task(1, due_at=NOW + 47 * H, last_checkin_at=NOW - 23 * H)
    answered = task(
        2, due_at=NOW + 47 * H, last_checkin_at=NOW - 23 * H, last_answer="on_track", last_answer_at=NOW - 22 * H
    )
    old_answer = task(
        3, due_at=NOW + 47 * H, last_checkin_at=NOW - 23 * H, last_answer="on_track", last_answer_at=NOW - 47 * H
    )
    far = task(4, due_at=NOW + 49 * H, last_checkin_at=NOW - 23 * H)
    never_checked = task(5, due_at=NOW + 10 * H)
    result = build([unanswered, answered, old_answer, far, never_checked])
    assert [(line.number, line.reason) for line in result.at_risk] == [
        (1, "no answer to the last check-in"),
        (3, "no answer to the last check-in"),
    ]


def test_at_risk_when_the_latest_answer_was_blocked_whatever_the_deadline() -> None:
    blocked = task(1, due_at=NOW + timedelta(days=20), last_answer="blocked", last_answer_at=NOW - H)
    unblocked = task(2, due_at=NOW + timedelta(days=20), last_answer="on_track", last_answer_at=NOW - H)
    result = build([blocked, unblocked])
    assert [(line.number, line.reason) for line in result.at_risk] == [(1, "blocked")]


def test_load_imbalance_flags_twice_the_median_and_the_idle_beside_a_loaded_colleague() -> None:
    tasks = [
        *(task(n, "U1", priority=Priority.URGENT) for n in range(1, 3)),  # 8
        task(10, "U2", priority=Priority.NORMAL),  # 2
        task(11, "U3", priority=Priority.HIGH),  # 3
        task(12, "U4", active=False, done_at=NOW - H),  # 0, finished this week
    ]
    result = build(tasks)  # loads 8, 2, 3, 0: median 2.5
    assert [(line.user_id, line.load, line.reason) for line in result.imbalance] == [
        ("U1", 8, "heavy"),
        ("U4", 0, "idle"),
    ]
    assert result.imbalance[0].median == 2.5


def test_load_is_compared_within_each_team_only() -> None:
    tasks = [task(1, "U1", team=1, priority=Priority.URGENT), task(2, "U2", team=2, priority=Priority.LOW)]
    assert build(tasks).imbalance == []


def test_no_flag_when_nobody_carries_three() -> None:
    tasks = [task(1, "U1", priority=Priority.NORMAL), task(2, "U2", active=False, done_at=NOW - H)]
    assert build(tasks).imbalance == []


def test_support_for_two_overdue_or_blocked_twice_in_the_period() -> None:
    tasks = [task(1, "U1", due_at=NOW - H), task(2, "U1", due_at=NOW - 2 * H), task(3, "U2", due_at=NOW - H)]
    blocked = [("U3", NOW - 2 * H), ("U3", NOW - 30 * H), ("U2", NOW - H), ("U2", SINCE - H)]
    result = build(tasks, blocked_answers=blocked)
    assert [(p.user_id, p.reason) for p in result.support] == [
        ("U1", "2 overdue tasks"),
        ("U3", "blocked 2 times this week"),
    ]


def test_recognise_all_on_time_or_kudos_but_not_a_late_or_missed_one() -> None:
    tasks = [
        task(1, "U1", active=False, due_at=NOW - 5 * H, done_at=NOW - 6 * H),
        task(2, "U1", active=False, done_at=NOW - 2 * H),  # no deadline: on time
        task(3, "U2", active=False, due_at=NOW - 5 * H, done_at=NOW - 4 * H),  # late
        task(4, "U3", active=False, due_at=NOW - 5 * H, done_at=NOW - 6 * H),
        task(5, "U3", due_at=NOW - 3 * H),  # due this week, not done
        task(6, "U5", active=False, due_at=SINCE - H, done_at=SINCE - 2 * H),  # last week's
    ]
    result = build(tasks, kudos_received=[("U4", NOW - H), ("U4", NOW - 2 * H), ("U5", SINCE - H)])
    assert [(p.user_id, p.reason) for p in result.recognise] == [
        ("U1", "all 2 tasks of the week done on time"),
        ("U4", "2 kudos"),
    ]

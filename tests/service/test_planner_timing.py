"""When the scheduler speaks: check-ins, deadline warnings, overdue notices, celebrations and the
weekly recognition, seen from FakeSlack through passes at chosen fake moments (CONTRACT "What the
scheduler sends" and its catch-up paragraph)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from storage.models import Team
from tests.conftest import Harness, flatten
from tests.fakes.posts import dedupe_key, dedupe_keys
from tests.fakes.slack_api import TEAM_ID, U_BOB, U_MANAGER, dm_channel_id
from tests.helpers import utc

TEAM_CHANNEL = "C0TEAM"
NEW_YORK = "America/New_York"
U_CAROL = "U0CAROL"  # New York, added by the tests that use her
U_DEV = "U0DEV"  # Kolkata


# -- helpers ------------------------------------------------------------------------------------------


def local(tz: str, *parts: int) -> datetime:
    """A wall time in `tz`, as the UTC instant the scheduler works in."""
    return datetime(*parts, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local_day(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).date().isoformat()


@dataclass(frozen=True)
class Post:
    """One chat.postMessage FakeSlack received, with the pass that made it."""

    at: datetime
    channel: str
    key: str
    text: str


def run_passes(h: Harness, moments: Iterable[datetime]) -> list[Post]:
    """A pass at each moment, in order; returns every chat.postMessage those passes made."""
    posts: list[Post] = []
    for moment in sorted(moments):
        before = len(h.slack.calls_to("chat.postMessage"))
        h.clock.set(moment)
        h.baton.run_pass()
        for call in h.slack.calls_to("chat.postMessage")[before:]:
            # A message about several tasks is one post per task it carries.
            for key in dedupe_keys(call.params):
                posts.append(Post(moment, call.params["channel"], key, str(call.params.get("text") or "")))
    return posts


def every(start: datetime, end: datetime, *, minutes: int = 10, also: Iterable[datetime] = ()) -> list[datetime]:
    """Pass moments on the UTC grid of `minutes` from `start` to `end` (inclusive), plus `also`."""
    moments = set(also)
    step = timedelta(minutes=minutes)
    moment = start + (datetime.min.replace(tzinfo=UTC) - start) % step
    while moment <= end:
        moments.add(moment)
        moment += timedelta(minutes=minutes)
    return sorted(moments)


def just_before(moments: Iterable[datetime]) -> list[datetime]:
    return [m - timedelta(minutes=1) for m in moments]


def of_kind(posts: Sequence[Post], prefix: str) -> list[tuple[datetime, str, str]]:
    return [(p.at, p.channel, p.key) for p in posts if p.key.startswith(prefix)]


def setup_team(h: Harness, *, manager: str = U_MANAGER, channel: str = TEAM_CHANNEL) -> None:
    answer = h.command("setup", user=manager, command="/team", channel=channel)
    assert "team channel" in answer, answer


def set_checkins(h: Harness, schedule: str, *, channel: str = TEAM_CHANNEL) -> None:
    h.command(f"checkins {schedule}", user=U_MANAGER, command="/team", channel=channel)


def delegate(h: Harness, text: str, *, by: str = U_MANAGER, channel: str = TEAM_CHANNEL, accept: bool = True) -> int:
    """Create a task with `/task` and (unless told not to) have its assignee accept it, as check-ins go to
    accepted tasks only; returns its id (the number in its dedupe keys)."""
    answer = h.command(text, user=by, channel=channel)
    assert "Created T-" in answer, answer
    task = h.tasks()[-1]
    if accept:
        h.accept(task.assignee_id)
    return int(task.id)


def due_key(h: Harness, task_id: int) -> str:
    [task] = [t for t in h.tasks() if t.id == task_id]
    assert task.due_at is not None
    return str(task.due_at.isoformat())


# -- check-ins ------------------------------------------------------------------------------------------

CHECKIN_CASES = [
    pytest.param(
        U_CAROL,
        NEW_YORK,
        "weekdays 10:00",
        utc(2026, 3, 4, 16),  # Wednesday 11:00 EST
        utc(2026, 3, 11, 0),
        # 10:00 EST is 15:00 UTC; after Sunday 8 March 10:00 EDT is 14:00 UTC.
        [utc(2026, 3, 5, 15), utc(2026, 3, 6, 15), utc(2026, 3, 9, 14), utc(2026, 3, 10, 14)],
        id="new-york-spring-forward-2026-03-08",
    ),
    pytest.param(
        U_CAROL,
        NEW_YORK,
        "weekdays 10:00",
        utc(2026, 10, 28, 16),
        utc(2026, 11, 4, 0),
        # 10:00 EDT is 14:00 UTC; after Sunday 1 November 10:00 EST is 15:00 UTC.
        [utc(2026, 10, 29, 14), utc(2026, 10, 30, 14), utc(2026, 11, 2, 15), utc(2026, 11, 3, 15)],
        id="new-york-fall-back-2026-11-01",
    ),
    pytest.param(
        "U0ALICE",
        "Europe/Berlin",
        "weekdays 10:00",
        utc(2026, 3, 25, 12),
        utc(2026, 4, 1, 0),
        # 10:00 CET is 09:00 UTC; after Sunday 29 March 10:00 CEST is 08:00 UTC.
        [utc(2026, 3, 26, 9), utc(2026, 3, 27, 9), utc(2026, 3, 30, 8), utc(2026, 3, 31, 8)],
        id="berlin-across-2026-03-29",
    ),
    pytest.param(
        U_BOB,
        "Asia/Tokyo",
        "weekdays 08:30",
        utc(2026, 12, 3, 6),  # Thursday 15:00 JST
        utc(2026, 12, 8, 12),
        # 08:30 JST is 23:30 UTC the day before: Monday's check-in goes out on a UTC Sunday, and
        # Saturday's and Sunday's (Friday and Saturday 23:30 UTC) never do.
        [utc(2026, 12, 3, 23, 30), utc(2026, 12, 6, 23, 30), utc(2026, 12, 7, 23, 30)],
        id="tokyo-monday-is-sunday-in-utc",
    ),
    pytest.param(
        U_DEV,
        "Asia/Kolkata",
        "weekdays 10:00",
        utc(2026, 12, 1, 14),  # Tuesday 19:30 IST
        utc(2026, 12, 8, 0),
        # 10:00 IST (+05:30) is 04:30 UTC.
        [utc(2026, 12, 2, 4, 30), utc(2026, 12, 3, 4, 30), utc(2026, 12, 4, 4, 30), utc(2026, 12, 7, 4, 30)],
        id="kolkata-half-hour-offset",
    ),
]


@pytest.mark.parametrize(("assignee", "tz", "schedule", "created", "until", "expected"), CHECKIN_CASES)
def test_checkins_go_out_on_team_days_at_team_time_in_the_assignees_zone_and_never_at_weekends(
    harness: Harness,
    assignee: str,
    tz: str,
    schedule: str,
    created: datetime,
    until: datetime,
    expected: list[datetime],
) -> None:
    harness.slack.add_user(assignee, name=assignee[2:].lower(), tz=tz)
    harness.clock.set(created)
    setup_team(harness)  # the team is in New York; the check-ins follow the assignee's zone
    if schedule != "weekdays 10:00":
        set_checkins(harness, schedule)
    task_id = delegate(harness, f"<@{assignee}> Write the weekly summary")

    posts = run_passes(
        harness, every(created + timedelta(minutes=10), until, minutes=60, also=[*expected, *just_before(expected)])
    )

    assert of_kind(posts, "checkin:") == [
        (moment, dm_channel_id(assignee), f"checkin:{task_id}:{local_day(moment, tz)}") for moment in expected
    ]


def test_daily_schedule_checks_in_on_the_persons_working_days_only(harness: Harness) -> None:
    """A team checking in daily does not reach someone who works Monday to Friday at the weekend."""
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    harness.clock.set(utc(2026, 12, 4, 16))  # Friday 11:00 EST
    setup_team(harness)
    set_checkins(harness, "daily 10:00")
    task_id = delegate(harness, f"<@{U_CAROL}> Watch the weekend queue")

    posts = run_passes(harness, every(utc(2026, 12, 4, 16, 10), utc(2026, 12, 8, 4), minutes=60))

    assert of_kind(posts, "checkin:") == [
        (local(NEW_YORK, 2026, 12, 7, 10), "D0CAROL", f"checkin:{task_id}:2026-12-07")
    ]


def test_checkins_follow_a_mon_wed_0930_schedule(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    harness.clock.set(utc(2026, 12, 4, 16))  # Friday
    setup_team(harness)
    set_checkins(harness, "mon,wed 09:30")
    task_id = delegate(harness, f"<@{U_CAROL}> Tidy the backlog")
    monday, wednesday = local(NEW_YORK, 2026, 12, 7, 9, 30), local(NEW_YORK, 2026, 12, 9, 9, 30)

    posts = run_passes(
        harness,
        every(
            utc(2026, 12, 4, 16, 10),
            utc(2026, 12, 12, 5),
            minutes=60,
            also=[monday, wednesday, *just_before([monday, wednesday])],
        ),
    )

    assert of_kind(posts, "checkin:") == [
        (monday, "D0CAROL", f"checkin:{task_id}:2026-12-07"),
        (wednesday, "D0CAROL", f"checkin:{task_id}:2026-12-09"),
    ]


def test_checkins_off_sends_no_checkin_all_week(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    setup_team(harness)
    set_checkins(harness, "off")
    delegate(harness, f"<@{U_CAROL}> Quiet task")

    posts = run_passes(harness, every(utc(2026, 12, 1, 14, 10), utc(2026, 12, 8, 14), minutes=60))

    assert of_kind(posts, "checkin:") == []
    assert [p.key for p in posts] == []  # nothing else is due for a task with no deadline


def test_at_most_one_checkin_per_task_per_local_day_with_a_pass_every_ten_minutes(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    setup_team(harness)
    set_checkins(harness, "daily 10:00")
    task_id = delegate(harness, f"<@{U_CAROL}> Keep the lights on")

    posts = run_passes(harness, every(utc(2026, 12, 1, 14, 10), local(NEW_YORK, 2026, 12, 3, 11), minutes=10))
    # Moving the check-in time later after today's went out does not send a second one today.
    set_checkins(harness, "daily 15:00")
    posts += run_passes(harness, every(local(NEW_YORK, 2026, 12, 3, 11, 10), utc(2026, 12, 5, 5), minutes=10))

    checkins = of_kind(posts, "checkin:")
    per_day = Counter(local_day(at, NEW_YORK) for at, _, _ in checkins)
    assert per_day == {"2026-12-01": 1, "2026-12-02": 1, "2026-12-03": 1, "2026-12-04": 1}
    assert [key for _, _, key in checkins] == [f"checkin:{task_id}:2026-12-0{d}" for d in (1, 2, 3, 4)]
    assert (local(NEW_YORK, 2026, 12, 4, 15), "D0CAROL", f"checkin:{task_id}:2026-12-04") in checkins


def _finish(h: Harness, how: str, task_id: int) -> None:
    number = next(t.number for t in h.tasks() if t.id == task_id)
    if how == "done":
        h.command(f"done {number}", user=U_CAROL)
    elif how == "cancelled":
        h.command(f"cancel {number} not needed", user=U_MANAGER)
    else:
        h.baton.services.tasks.decline(TEAM_ID, U_CAROL, task_id, "no time this week")
    [task] = [t for t in h.tasks() if t.id == task_id]
    assert task.status == how


@pytest.mark.parametrize("how", ["done", "cancelled", "declined"])
def test_no_checkins_for_a_finished_task(harness: Harness, how: str) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    setup_team(harness)
    task_id = delegate(harness, f"<@{U_CAROL}> Short-lived task")
    _finish(harness, how, task_id)

    posts = run_passes(harness, every(utc(2026, 12, 1, 14, 10), utc(2026, 12, 4, 5), minutes=60))

    assert of_kind(posts, "checkin:") == []
    assert not [r for r in harness.outbox() if r.kind == "checkin"]


@pytest.mark.parametrize("how", ["done", "cancelled", "declined"])
def test_checkin_queued_before_the_task_finished_is_skipped_not_sent(harness: Harness, how: str) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    setup_team(harness)
    task_id = delegate(harness, f"<@{U_CAROL}> Almost done already")
    harness.clock.set(local(NEW_YORK, 2026, 12, 1, 10))
    assert harness.baton.run_pass(deliver=False).planned == 1  # queued, not yet delivered
    _finish(harness, how, task_id)

    summary = harness.baton.run_pass()

    assert summary.skipped == 1
    assert not [c for c in harness.slack.calls_to("chat.postMessage") if dedupe_key(c.params).startswith("checkin:")]
    [row] = [r for r in harness.outbox() if r.kind == "checkin"]
    assert (row.dedupe_key, row.state) == (f"checkin:{task_id}:2026-12-01", "skipped")


# -- deadline warnings -----------------------------------------------------------------------------------

WARNING_CASES = [
    # (due as typed in New York, expected 24 h warning, expected 1 h warning), both New York wall times
    pytest.param("2026-12-04 17:00", (2026, 12, 3, 17), (2026, 12, 4, 16), id="due-17h-inside-window"),
    pytest.param("2026-12-04 07:00", (2026, 12, 2, 20), (2026, 12, 3, 20), id="due-07h-moves-to-20h-evening-before"),
    pytest.param("2026-12-04 23:30", (2026, 12, 3, 20), (2026, 12, 4, 20), id="due-23h30-moves-back-to-20h"),
    pytest.param("2026-12-04 08:30", (2026, 12, 3, 8, 30), (2026, 12, 3, 20), id="due-08h30-1h-moves-to-evening"),
]


@pytest.mark.parametrize(("due_text", "warn24", "warn1"), WARNING_CASES)
def test_warnings_go_out_24h_and_1h_before_due_moved_earlier_into_working_hours_never_later(
    harness: Harness, due_text: str, warn24: tuple[int, ...], warn1: tuple[int, ...]
) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    task_id = delegate(harness, f"<@{U_CAROL}> Ship the report by {due_text}", channel="C0GENERAL")
    due = due_key(harness, task_id)
    at24, at1 = local(NEW_YORK, *warn24), local(NEW_YORK, *warn1)

    posts = run_passes(
        harness,
        every(
            utc(2026, 12, 1, 14, 10),
            datetime.fromisoformat(due),
            minutes=60,
            also=[at24, at1, *just_before([at24, at1])],
        ),
    )

    assert of_kind(posts, "warn") == [
        (at24, "D0CAROL", f"warn24:{task_id}:{due}"),
        (at1, "D0CAROL", f"warn1:{task_id}:{due}"),
    ]
    for at, _, _ in of_kind(posts, "warn"):
        assert 8 <= at.astimezone(ZoneInfo(NEW_YORK)).hour <= 20


def test_no_warning_once_the_deadline_has_passed(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    task_id = delegate(harness, f"<@{U_CAROL}> Renew the cert by 2026-12-03 17:00", channel="C0GENERAL")
    # The scheduler was down for both warnings; its first pass comes after the deadline.

    posts = run_passes(harness, every(local(NEW_YORK, 2026, 12, 3, 17, 30), local(NEW_YORK, 2026, 12, 3, 23)))

    assert of_kind(posts, "warn") == []
    assert {key for _, _, key in of_kind(posts, "overdue:")} == {
        f"overdue:{task_id}:{due_key(harness, task_id)}:2026-12-03:assignee",
        f"overdue:{task_id}:{due_key(harness, task_id)}:2026-12-03:delegator",
    }


def test_warning_queued_but_undelivered_until_the_deadline_passed_is_skipped(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    task_id = delegate(harness, f"<@{U_CAROL}> Renew the cert by 2026-12-03 17:00", channel="C0GENERAL")
    harness.clock.set(local(NEW_YORK, 2026, 12, 3, 16))
    harness.baton.run_pass(deliver=False)  # the 1 h warning is queued, then delivery stalls
    late = local(NEW_YORK, 2026, 12, 3, 17, 5)

    posts = run_passes(harness, [late + timedelta(seconds=n) for n in range(4)])  # paced: one a second

    assert of_kind(posts, "warn") == []
    [row] = [r for r in harness.outbox() if r.dedupe_key.startswith("warn1:")]
    assert (row.dedupe_key, row.state) == (f"warn1:{task_id}:{due_key(harness, task_id)}", "skipped")


def test_moving_the_deadline_replans_warnings_and_the_old_ones_never_go_out(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    task_id = delegate(harness, f"<@{U_CAROL}> Migrate billing by 2026-12-04 17:00", channel="C0GENERAL")
    old_due = due_key(harness, task_id)
    before = run_passes(harness, every(utc(2026, 12, 1, 14, 10), local(NEW_YORK, 2026, 12, 3, 17, 30), minutes=60))
    assert of_kind(before, "warn") == [(local(NEW_YORK, 2026, 12, 3, 17), "D0CAROL", f"warn24:{task_id}:{old_due}")]

    harness.clock.set(local(NEW_YORK, 2026, 12, 3, 17, 35))
    harness.command(f"due {task_id} 2026-12-08 17:00", user=U_MANAGER)
    new_due = due_key(harness, task_id)
    assert new_due != old_due
    after = run_passes(
        harness, every(local(NEW_YORK, 2026, 12, 3, 17, 40), local(NEW_YORK, 2026, 12, 8, 17), minutes=60)
    )

    assert of_kind(after, "warn") == [
        (local(NEW_YORK, 2026, 12, 7, 17), "D0CAROL", f"warn24:{task_id}:{new_due}"),
        (local(NEW_YORK, 2026, 12, 8, 16), "D0CAROL", f"warn1:{task_id}:{new_due}"),
    ]
    assert [key for _, _, key in of_kind(after, f"overdue:{task_id}:{old_due}")] == []  # the old one is not overdue
    assert not [p for p in before + after if old_due in p.key and p.key.startswith("warn1:")]


def test_old_warning_queued_before_the_deadline_moved_is_skipped(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    task_id = delegate(harness, f"<@{U_CAROL}> Migrate billing by 2026-12-04 17:00", channel="C0GENERAL")
    old_due = due_key(harness, task_id)
    harness.clock.set(local(NEW_YORK, 2026, 12, 4, 16))
    harness.baton.run_pass(deliver=False)  # the old 1 h warning is queued
    harness.command(f"due {task_id} 2026-12-08 17:00", user=U_MANAGER)

    run_passes(harness, [harness.clock.now() + timedelta(seconds=n) for n in range(4)])  # paced: one a second

    assert not [c for c in harness.slack.calls_to("chat.postMessage") if dedupe_key(c.params).startswith("warn")]
    [row] = [r for r in harness.outbox() if r.dedupe_key.startswith("warn1:")]
    assert (row.dedupe_key, row.state) == (f"warn1:{task_id}:{old_due}", "skipped")


# -- overdue notices -------------------------------------------------------------------------------------


def test_overdue_notice_goes_to_assignee_and_delegator_at_due_then_each_working_day_until_done(
    harness: Harness,
) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    task_id = delegate(harness, f"<@{U_CAROL}> File the taxes by 2026-12-03 17:00", channel="C0GENERAL")
    due = due_key(harness, task_id)

    posts = run_passes(harness, every(local(NEW_YORK, 2026, 12, 3, 16), local(NEW_YORK, 2026, 12, 8, 11), minutes=60))
    harness.clock.set(local(NEW_YORK, 2026, 12, 8, 11, 5))
    harness.command(f"done {task_id}", user=U_CAROL)
    posts += run_passes(
        harness, every(local(NEW_YORK, 2026, 12, 8, 11, 10), local(NEW_YORK, 2026, 12, 10, 20), minutes=60)
    )

    expected = []
    for day in (3, 4, 7):  # Thursday, Friday, Monday: the weekend is skipped, done on Tuesday stops it
        at = local(NEW_YORK, 2026, 12, day, 17)
        expected += [
            (at, "D0CAROL", f"overdue:{task_id}:{due}:2026-12-0{day}:assignee"),
            (at, "D0MANAGER", f"overdue:{task_id}:{due}:2026-12-0{day}:delegator"),
        ]
    assert sorted(of_kind(posts, "overdue:")) == sorted(expected)


def test_overdue_working_days_are_counted_in_the_assignees_zone(harness: Harness) -> None:
    # Bob is in Tokyo; the delegator is in New York. Due Friday 09:00 JST (Thursday 19:00 in New York).
    task_id = delegate(harness, f"<@{U_BOB}> Translate the guide by 2026-12-03 19:00", channel="C0GENERAL")
    due = due_key(harness, task_id)
    assert due == "2026-12-04T00:00:00+00:00"

    posts = run_passes(harness, every(utc(2026, 12, 3, 23), utc(2026, 12, 7, 14), minutes=60))

    # Saturday 00:00 UTC is Friday evening for the delegator but Saturday for Bob: no notice then.
    # Monday 09:00 JST is Sunday evening in New York: Bob's copy goes then, the delegator's waits for
    # Monday 08:00 in New York, the start of their working day.
    assert sorted(of_kind(posts, "overdue:")) == sorted(
        [
            (utc(2026, 12, 4), "D0BOB", f"overdue:{task_id}:{due}:2026-12-04:assignee"),
            (utc(2026, 12, 4), "D0MANAGER", f"overdue:{task_id}:{due}:2026-12-04:delegator"),
            (utc(2026, 12, 7), "D0BOB", f"overdue:{task_id}:{due}:2026-12-07:assignee"),
            (local(NEW_YORK, 2026, 12, 7, 8), "D0MANAGER", f"overdue:{task_id}:{due}:2026-12-07:delegator"),
        ]
    )


# -- celebrations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done_at", "said"),
    [
        pytest.param(utc(2026, 12, 2, 22), "2 days early", id="early"),
        pytest.param(utc(2026, 12, 4, 21, 30), "on time", id="on-time"),
        pytest.param(utc(2026, 12, 5, 1), "3 hours late", id="late"),
    ],
)
def test_done_is_celebrated_once_in_the_team_channel_saying_early_on_time_or_late(
    harness: Harness, done_at: datetime, said: str
) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    setup_team(harness)
    task_id = delegate(harness, f"<@{U_CAROL}> Ship the release notes by 2026-12-04 17:00")  # 22:00 UTC
    harness.clock.set(done_at)
    harness.command(f"done {task_id}", user=U_CAROL)
    harness.baton.run_pass()
    harness.baton.run_pass()

    celebrations = [
        c for c in harness.slack.calls_to("chat.postMessage") if dedupe_key(c.params).startswith("celebrate:")
    ]
    assert [(c.params["channel"], dedupe_key(c.params)) for c in celebrations] == [
        (TEAM_CHANNEL, f"celebrate:{task_id}:{TEAM_CHANNEL}")
    ]
    assert said in celebrations[0].params["text"]
    assert said in flatten(celebrations[0].params.get("blocks"))


# -- weekly recognition ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("manager", "friday_16h"),
    [
        pytest.param(U_MANAGER, utc(2026, 12, 4, 21), id="team-in-new-york"),
        pytest.param(U_BOB, utc(2026, 12, 4, 7), id="team-in-tokyo"),
    ],
)
def test_weekly_recognition_friday_16h_team_time_lists_finished_work_and_kudos_once(
    harness: Harness, manager: str, friday_16h: datetime
) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    setup_team(harness, manager=manager)
    [team] = harness.rows(Team)
    team_id = team.id
    task_id = delegate(harness, f"<@{U_CAROL}> Fix the refund macro", by=manager)
    harness.clock.set(utc(2026, 12, 2, 15))
    harness.command(f"done {task_id}", user=U_CAROL)
    harness.command(f"<@{U_CAROL}> rescued the refunds", user=manager, command="/kudos", channel=TEAM_CHANNEL)
    harness.slack.clear()
    burst = [friday_16h + timedelta(seconds=n) for n in range(-1, 10)]  # many passes around 16:00

    posts = run_passes(
        harness,
        every(utc(2026, 12, 3, 0), utc(2026, 12, 5, 12), minutes=60, also=burst),
    )

    recognitions = [p for p in posts if p.key.startswith("recognition:")]
    assert [(p.at, p.channel, p.key) for p in recognitions] == [
        (friday_16h, TEAM_CHANNEL, f"recognition:{team_id}:2026-12-04")
    ]
    [call] = [c for c in harness.slack.calls_to("chat.postMessage") if dedupe_key(c.params).startswith("recognition:")]
    shown = call.params["text"] + "\n" + flatten(call.params.get("blocks"))
    assert f"<@{U_CAROL}>" in shown
    assert "Fix the refund macro" in shown
    assert "kudos" in shown.lower()


def test_no_recognition_is_posted_on_a_quiet_week(harness: Harness) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    setup_team(harness)
    delegate(harness, f"<@{U_CAROL}> Still in progress")  # open, not finished: nothing to recognise

    posts = run_passes(harness, every(utc(2026, 12, 4, 18), utc(2026, 12, 12, 3), minutes=60))

    assert [p for p in posts if p.key.startswith("recognition:") or p.channel == TEAM_CHANNEL] == []


# -- catch-up after downtime -----------------------------------------------------------------------------


def test_catch_up_after_three_days_down_sends_one_checkin_per_task_pending_warnings_and_latest_overdue(
    harness: Harness,
) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    harness.clock.set(local(NEW_YORK, 2026, 12, 7, 8))  # Monday 08:00
    setup_team(harness)
    a = delegate(harness, f"<@{U_CAROL}> Plain task")
    b = delegate(harness, f"<@{U_CAROL}> Due Thursday by 2026-12-10 17:00")
    c = delegate(harness, f"<@{U_CAROL}> Due Tuesday by 2026-12-08 12:00")
    due_b, due_c = due_key(harness, b), due_key(harness, c)
    monday = run_passes(harness, every(local(NEW_YORK, 2026, 12, 7, 8, 10), local(NEW_YORK, 2026, 12, 7, 11)))
    assert sorted(p.key for p in monday) == sorted(f"checkin:{t}:2026-12-07" for t in (a, b, c))

    # Down from Monday 11:00 to Thursday 11:00: one pass inside the window plans it all; Carol's
    # messages then go out one a second (pacing), in the passes of the next few seconds.
    catch_up = local(NEW_YORK, 2026, 12, 10, 11)
    caught = run_passes(harness, [catch_up + timedelta(seconds=n) for n in range(6)])

    assert sorted((p.channel, p.key) for p in caught) == sorted(
        [
            ("D0CAROL", f"checkin:{a}:2026-12-10"),
            ("D0CAROL", f"checkin:{b}:2026-12-10"),
            ("D0CAROL", f"checkin:{c}:2026-12-10"),
            ("D0CAROL", f"warn24:{b}:{due_b}"),  # B's deadline has not passed
            # C's latest notice only (Wednesday's), keyed by the day it goes out on
            ("D0CAROL", f"overdue:{c}:{due_c}:2026-12-10:assignee"),
            ("D0MANAGER", f"overdue:{c}:{due_c}:2026-12-10:delegator"),
        ]
    )
    caught_keys = {p.key for p in caught}
    assert {r.created_at for r in harness.outbox() if r.dedupe_key in caught_keys} == {catch_up}  # one pass

    rest = run_passes(harness, every(catch_up + timedelta(minutes=10), local(NEW_YORK, 2026, 12, 10, 23)))
    # C's own notice at 12:00 would be a second one on Thursday: the caught-up one counted for today.
    assert sorted((p.at, p.key) for p in rest) == sorted(
        [
            (local(NEW_YORK, 2026, 12, 10, 16), f"warn1:{b}:{due_b}"),
            (local(NEW_YORK, 2026, 12, 10, 17), f"overdue:{b}:{due_b}:2026-12-10:assignee"),
            (local(NEW_YORK, 2026, 12, 10, 17), f"overdue:{b}:{due_b}:2026-12-10:delegator"),
        ]
    )
    every_key = [dedupe_key(call.params) for call in harness.slack.calls_to("chat.postMessage")]
    assert [k for k, n in Counter(every_key).items() if n > 1] == []
    missed_days = ("2026-12-08", "2026-12-09")
    assert not [k for k in every_key if k.startswith("checkin:") and k.endswith(missed_days)]
    assert not [k for k in every_key if k.startswith(f"overdue:{c}:{due_c}:2026-12-08")]


def test_catch_up_after_downtime_with_first_pass_before_todays_checkin_sends_one_checkin_that_day(
    harness: Harness,
) -> None:
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    harness.clock.set(local(NEW_YORK, 2026, 12, 7, 8))
    setup_team(harness)
    task_id = delegate(harness, f"<@{U_CAROL}> Plain task")
    run_passes(harness, every(local(NEW_YORK, 2026, 12, 7, 8, 10), local(NEW_YORK, 2026, 12, 7, 11)))

    # Back on Thursday at 08:30, then passes every 10 minutes through the day.
    posts = run_passes(harness, every(local(NEW_YORK, 2026, 12, 10, 8, 30), local(NEW_YORK, 2026, 12, 10, 20)))

    checkins = of_kind(posts, "checkin:")
    assert len(checkins) == 1
    assert checkins[0][2].startswith(f"checkin:{task_id}:")


def test_checkin_missed_with_no_pass_in_the_window_goes_out_at_the_next_pass_inside_it(harness: Harness) -> None:
    """CONTRACT catch-up: a check-in whose moment passed with no pass inside 08:00-20:00 of the
    assignee's day goes out at the next such pass. A `baton tick` run once a day at 09:00 (before
    the 10:00 check-in time) must therefore send the previous day's check-in each morning."""
    harness.slack.add_user(U_CAROL, name="carol", tz=NEW_YORK)
    harness.clock.set(local(NEW_YORK, 2026, 12, 7, 8))  # Monday
    setup_team(harness)
    task_id = delegate(harness, f"<@{U_CAROL}> Daily-cron task")

    mornings = [local(NEW_YORK, 2026, 12, day, 9) for day in (8, 9, 10, 11)]  # Tuesday to Friday, 09:00
    posts = run_passes(harness, mornings)

    assert of_kind(posts, "checkin:") == [
        (morning, "D0CAROL", f"checkin:{task_id}:{day}")
        # keyed by the day each goes out on: Monday's at Tuesday 09:00 is Tuesday's check-in, and so on
        for morning, day in zip(mornings, ("2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"), strict=True)
    ]

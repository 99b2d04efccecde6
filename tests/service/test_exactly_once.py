"""Each message is sent once (CONTRACT): whatever moments the passes run at, and when passes race in
threads on one database file, no dedupe key reaches Slack twice."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from bot.app import Baton, create_app
from bot.executors import InlineExecutor
from storage.migrate import upgrade
from tests.conftest import START, Harness, build_harness, make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.posts import dedupe_keys
from tests.fakes.slack_api import U_MANAGER, FakeSlack

TEAM_CHANNEL = "C0TEAM"
NEW_YORK = ZoneInfo("America/New_York")
U_CAROL = "U0CAROL"
SPAN = timedelta(days=10)  # from START, Tuesday 1 December 2026 09:00 in New York
DUE_TEXT = "2026-12-07 07:00"  # Monday 07:00 New York: both warnings move back into the evening before
CHECKIN_TIME = time(10, 0)
WINDOW = (time(8, 0), time(20, 0))


@dataclass(frozen=True)
class Post:
    at: datetime
    key: str


def run_passes(h: Harness, moments: Iterable[datetime]) -> list[Post]:
    posts: list[Post] = []
    for moment in moments:
        before = len(h.slack.calls_to("chat.postMessage"))
        h.clock.set(moment)
        h.baton.run_pass()
        # A message about several tasks is one post per task it carries.
        posts += [Post(moment, k) for c in h.slack.calls_to("chat.postMessage")[before:] for k in dedupe_keys(c.params)]
    return posts


def scenario(h: Harness) -> int:
    """A New York team and one task for Carol (New York) due Monday 7 December 07:00; its id."""
    h.slack.add_user(U_CAROL, name="carol", tz="America/New_York")
    h.command("setup", user=U_MANAGER, command="/team", channel=TEAM_CHANNEL)
    answer = h.command(f"<@{U_CAROL}> Close the quarter by {DUE_TEXT}", user=U_MANAGER, channel=TEAM_CHANNEL)
    assert "Created T-" in answer, answer
    h.accept(U_CAROL)
    [task] = h.tasks()
    return int(task.id)


def flushed(moments: Sequence[datetime]) -> list[datetime]:
    """The passes plus a few one second apart after the last, so paced messages (one a second per
    conversation) get their turn before the test looks."""
    return [*moments, *(moments[-1] + timedelta(seconds=n) for n in range(1, 6))]


@dataclass(frozen=True)
class Reference:
    task_id: int
    keys: frozenset[str]
    due: datetime


@cache
def reference_run() -> Reference:
    """What passes every 15 minutes over the span send."""
    with FakeSlack() as slack:
        h = build_harness(slack, FakeClock(START))
        try:
            task_id = scenario(h)
            [task] = h.tasks()
            assert task.due_at is not None
            step = timedelta(minutes=15)
            posts = run_passes(h, flushed([START + step * n for n in range(1, SPAN // step + 1)]))
        finally:
            h.baton.close()
    keys = [p.key for p in posts]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    return Reference(task_id=task_id, keys=frozenset(keys), due=task.due_at)


def ny(moment: datetime) -> datetime:
    return moment.astimezone(NEW_YORK)


def in_window(moment: datetime) -> bool:
    return WINDOW[0] <= ny(moment).time() <= WINDOW[1]


def checkin_moment(day: date) -> datetime:
    return datetime.combine(day, CHECKIN_TIME, tzinfo=NEW_YORK).astimezone(UTC)


pass_offsets = st.lists(st.integers(min_value=0, max_value=int(SPAN.total_seconds() // 60)), min_size=1, max_size=40)


@settings(
    max_examples=15,
    deadline=None,
    # Each example builds an app and runs up to 45 passes; shrinking a failure would take minutes,
    # so a failure is reported as found (the deterministic tests beside the faults give short repros).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(offsets=pass_offsets)
# A pass outside working hours plans the day's overdue notice for an earlier moment; that day's own moment
# comes before it may go out and must not make it "old news" (the day's notice has one key).
@example(offsets=[195, 13997, 0, 2740, 14399])
@example(offsets=[13482, 7209, 685, 1213, 288, 2048, 12635, 259, 400, 0])
def test_passes_at_random_moments_never_post_a_key_twice_and_send_what_is_due(offsets: list[int]) -> None:
    reference = reference_run()
    moments = sorted(START + timedelta(minutes=m) for m in offsets)  # repeats: a second pass at one moment
    with FakeSlack() as slack:
        h = build_harness(slack, FakeClock(START))
        try:
            task_id = scenario(h)
            posts = run_passes(h, flushed(moments))
            planned = {r.dedupe_key for r in h.outbox()}
            stored = [k for m in slack.messages() for k in dedupe_keys(m)]
        finally:
            h.baton.close()
    assert task_id == reference.task_id
    keys = [p.key for p in posts]

    # Nothing twice, at Slack's end either.
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    assert [k for k, n in Counter(stored).items() if n > 1] == []
    # Only what passes every 15 minutes would send. Check-ins are keyed by the local day they go out
    # on, and a caught-up one may go out on a day without its own (Saturday for Friday's), so for
    # them the claim is about days: one at most a day, checked below.
    assert {k for k in keys if not k.startswith("checkin:")} <= reference.keys
    # At most one check-in per local day, and one overdue notice per person per local day.
    checkin_days = Counter(ny(p.at).date() for p in posts if p.key.startswith("checkin:"))
    assert [d for d, n in checkin_days.items() if n > 1] == []
    overdue_days = Counter((ny(p.at).date(), p.key.rsplit(":", 1)[1]) for p in posts if p.key.startswith("overdue:"))
    assert [d for d, n in overdue_days.items() if n > 1] == []
    # No warning after the deadline.
    assert [p for p in posts if p.key.startswith("warn") and p.at >= reference.due] == []

    # A check-in day with a pass inside 08:00-20:00 at or after its check-in time gets that day's check-in.
    for day in sorted({ny(m).date() for m in moments}):
        if day.weekday() >= 5:
            continue
        moment = checkin_moment(day)
        if moment > START and any(moment <= m and ny(m).date() == day and in_window(m) for m in moments):
            assert f"checkin:{task_id}:{day.isoformat()}" in keys, (day, moments)
    # A pass on or after the deadline inside working time (the notice at 07:00 waits for 08:00) sends an
    # overdue notice to both; one inside a warning's span plans it.
    due_key = reference.due.isoformat()
    if any(m >= reference.due and in_window(m) and ny(m).weekday() < 5 for m in moments):
        sent_overdue = {k.rsplit(":", 1)[1] for k in keys if k.startswith(f"overdue:{task_id}:{due_key}:")}
        assert sent_overdue == {"assignee", "delegator"}
    warn1 = next(k for k in reference.keys if k.startswith("warn1:"))
    # Both warnings of a Monday 07:00 deadline move back to the end of Carol's last working day, Friday 20:00.
    warn1_at = datetime.combine(date(2026, 12, 4), time(20, 0), tzinfo=NEW_YORK).astimezone(UTC)
    if any(warn1_at <= m < reference.due for m in moments):
        assert warn1 in planned


# -- passes racing in threads ----------------------------------------------------------------------------


def _file_app(slack: FakeSlack, clock: FakeClock, url: str) -> Baton:
    return create_app(
        make_settings(slack, database_url=url),
        clock=clock,
        listener_executor=InlineExecutor(),
        delivery_executor=InlineExecutor(),
    )


@pytest.mark.parametrize("replicas", [1, 2], ids=["one-app-two-threads", "two-replicas"])
def test_two_passes_racing_at_the_same_moment_on_one_sqlite_file_post_each_message_once(
    tmp_path: Path, slack: FakeSlack, replicas: int
) -> None:
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    upgrade(url)
    clock = FakeClock(START)
    apps = [_file_app(slack, clock, url) for _ in range(replicas)]
    try:
        h = Harness(baton=apps[0], slack=slack, clock=clock)
        users = ["U0CAROL", "U0DAVE", "U0ERIN"]
        for user in users:
            slack.add_user(user, name=user[2:].lower(), tz="America/New_York")
        h.command("setup", user=U_MANAGER, command="/team", channel=TEAM_CHANNEL)
        for user in users:
            h.command(f"<@{user}> Plain work", user=U_MANAGER, channel=TEAM_CHANNEL)
            h.command(f"<@{user}> Work due Wednesday by 2026-12-02 17:00", user=U_MANAGER, channel=TEAM_CHANNEL)
            h.accept(user)
        slack.clear()

        def race(moment: datetime) -> None:
            clock.set(moment)
            barrier = threading.Barrier(2)

            def one_pass(n: int) -> None:
                barrier.wait()
                apps[n % replicas].run_pass()

            with ThreadPoolExecutor(max_workers=2) as pool:
                for future in [pool.submit(one_pass, n) for n in range(2)]:
                    future.result()

        moments = [
            datetime(2026, 12, 1, 15, tzinfo=UTC),  # Tuesday 10:00: check-ins
            datetime(2026, 12, 1, 22, tzinfo=UTC),  # Tuesday 17:00: 24 h warnings
            datetime(2026, 12, 2, 15, tzinfo=UTC),  # Wednesday 10:00: check-ins
            datetime(2026, 12, 2, 21, tzinfo=UTC),  # Wednesday 16:00: 1 h warnings
            datetime(2026, 12, 2, 22, tzinfo=UTC),  # Wednesday 17:00: overdue
            datetime(2026, 12, 3, 22, tzinfo=UTC),  # Thursday 17:00: overdue again
        ]
        for moment in moments:
            for second in range(4):  # the moment itself, then paced messages one a second
                race(moment + timedelta(seconds=second))

        posts = slack.calls_to("chat.postMessage")
        keys = [k for c in posts for k in dedupe_keys(c.params)]
        assert [k for k, n in Counter(keys).items() if n > 1] == []
        kinds = Counter(k.split(":", 1)[0] for k in keys)
        # 6 tasks x 3 check-in days (Thursday's caught up at 17:00); 3 due tasks x (2 warnings + 2 days x
        # 2 overdue notices); at Thursday's check-in each task's two before went unanswered, so the manager
        # hears of all six; each person's at one moment in one message
        assert kinds == {"checkin": 18, "warn24": 3, "warn1": 3, "overdue": 12, "escalation": 6}
        assert len(posts) < len(keys), "a person's rows at one moment went in one message"
        stored = Counter(k for m in slack.messages() for k in dedupe_keys(m))
        assert [k for k, n in stored.items() if n > 1] == []
        states = Counter(r.state for r in h.outbox())
        assert set(states) == {"sent"}
    finally:
        for app in apps:
            app.close()

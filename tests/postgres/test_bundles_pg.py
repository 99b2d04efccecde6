"""One message per person per pass on PostgreSQL, however many deliverers race for it: everything the scheduler
has for someone at one moment (check-ins, overdue notices …) goes out as ONE chat.postMessage whose metadata
names every row's dedupe key, even when three `baton tick` processes (or three apps in one process) run the
same pass at once; and `OutboxRepository.claim_conversations` never splits a person's rows between claimers.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text

from bot.app import Baton, create_app
from bot.config import Settings
from bot.domain.model import OutboxKind
from bot.executors import InlineExecutor
from bot.scheduler.delivery import BATCH
from bot.services.planning import PLAN_BATCH
from bot.services.tasks import NewTask
from storage.db import make_engine, make_session_factory
from storage.models import OutboxMessage, Person, Task
from storage.uow import UnitOfWork, UnitOfWorkFactory
from tests.fakes.clock import FakeClock
from tests.fakes.posts import dedupe_keys
from tests.fakes.requests import SIGNING_SECRET
from tests.fakes.slack_api import TEAM_ID, FakeSlack, dm_channel_id
from tests.postgres.conftest import PgSchema
from tests.postgres.processes import TOKEN, cli_env, finish, migrate, pass_line, start_ticks_together

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

PROCESSES = 3
BOSS = "U0BOSS"  # delegated every task; in Berlin too, so the delegator's overdue copies are due at the same moment
TASKS_EACH = 5
OVERDUE_EACH = 2  # of each person's tasks, due an hour before the check-in: an overdue notice beside it
# Ten people, as a team would be, and enough more that no single deliverer can take the whole pass: more due
# tasks than one planner batch and more conversations than one claim, so the work spreads over the processes.
PEOPLE = [f"U0B{n:03d}" for n in range(110)]
assert len(PEOPLE) * TASKS_EACH > PLAN_BATCH and len(PEOPLE) + 1 > BATCH
THROUGH_SLACK = PEOPLE[:1]  # their tasks are delegated and accepted through the services, as a click does
# Everyone is in Berlin: Wednesday 2 December 2026, 10:00 there is 09:00 UTC, the default check-in time.
CREATED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DUE_AT = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)  # 09:30 Berlin, inside working hours
POST_LATENCY_SECONDS = 0.01  # FakeSlack's, so one deliverer is still posting while the others claim


def _settings(url: str, slack: FakeSlack, *, token: str = TOKEN) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' own argument: no .env here
        database_url=url,
        slack_bot_token=SecretStr(token),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.base_url,
    )


def _app(url: str, slack: FakeSlack, clock: FakeClock, *, token: str = TOKEN) -> Baton:
    return create_app(
        _settings(url, slack, token=token),
        clock=clock,
        listener_executor=InlineExecutor(),
        delivery_executor=InlineExecutor(),
    )


def _seed(url: str, slack: FakeSlack) -> None:
    """Every person's TASKS_EACH tasks, delegated by BOSS on Tuesday and accepted, OVERDUE_EACH of them due on
    Wednesday at 09:30 Berlin. THROUGH_SLACK's go through the services (delegate, then the assignee's Accept);
    the others are written as those leave them, since the services take ~0.1 s a task on a small machine."""
    baton = _app(url, slack, FakeClock(CREATED_AT))
    try:
        for user in THROUGH_SLACK:
            for n in range(TASKS_EACH):
                due = {"due_date": date(2026, 12, 2), "due_time": clock_time(9, 30)} if n < OVERDUE_EACH else {}
                task = baton.services.tasks.delegate(TEAM_ID, BOSS, NewTask(assignee_id=user, title=f"Chore {n}", **due))
                baton.services.tasks.accept(TEAM_ID, user, task.id)
        with baton.uow() as uow:
            done = set(THROUGH_SLACK) | {BOSS}
            for user in [u for u in PEOPLE if u not in done]:
                uow.session.add(
                    Person(workspace_id=TEAM_ID, user_id=user, display_name=user, tz="Europe/Berlin", fetched_at=CREATED_AT)
                )
                for n in range(TASKS_EACH):
                    uow.session.add(
                        Task(
                            workspace_id=TEAM_ID,
                            number=uow.workspaces.next_task_number(TEAM_ID),
                            title=f"Chore {n}",
                            details="",
                            assignee_id=user,
                            delegator_id=BOSS,
                            priority="normal",
                            status="accepted",
                            due_at=DUE_AT if n < OVERDUE_EACH else None,
                            created_at=CREATED_AT,
                            updated_at=CREATED_AT,
                            accepted_at=CREATED_AT,
                            assignment_seq=1,
                            assigned_at=CREATED_AT,
                            next_check_at=CREATED_AT,
                        )
                    )
            uow.commit()
    finally:
        baton.close()
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            tasks = uow.session.execute(select(Task.assignee_id, Task.status, Task.due_at)).all()
    finally:
        engine.dispose()
    assert len(tasks) == len(PEOPLE) * TASKS_EACH
    assert {status for _, status, _ in tasks} == {"accepted"}
    assert [due for user, _, due in tasks if user in THROUGH_SLACK].count(DUE_AT) == OVERDUE_EACH


@dataclass(frozen=True)
class Post:
    sender: str  # the token it was made with: which deliverer posted it
    channel: str
    ts: str
    keys: tuple[str, ...]


def _posts(slack: FakeSlack, *, since: int) -> list[Post]:
    """Every chat.postMessage since `slack.clear()` (messages from number `since` on), with the deliverer that made
    it: FakeSlack records a call and stores its message under one lock, so the two lists pair up in order."""
    calls = slack.calls_to("chat.postMessage")
    stored = slack.messages()[since:]
    assert len(calls) == len(stored), "every post was stored"
    posts = []
    for call, message in zip(calls, stored, strict=True):
        assert dedupe_keys(call.params) == dedupe_keys(message)
        posts.append(
            Post(
                sender=call.headers["authorization"].removeprefix("Bearer "),
                channel=message["channel"],
                ts=message["ts"],
                keys=tuple(dedupe_keys(message)),
            )
        )
    return posts


def _rows_planned_at(url: str, at: datetime) -> list[OutboxMessage]:
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            stmt = select(OutboxMessage).where(OutboxMessage.created_at == at).order_by(OutboxMessage.id)
            rows = list(uow.session.scalars(stmt))
            uow.session.expunge_all()
            return rows
    finally:
        engine.dispose()


def _check_one_message_each(posts: Sequence[Post], rows: Sequence[OutboxMessage], *, what: str) -> None:
    """The pass's outcome: one message per person carrying all their rows' keys, each key in one message only,
    every row sent and pointing at its person's message."""
    recipients = set(PEOPLE) | {BOSS}
    assert rows, f"{what}: nothing was planned"
    assert {OutboxKind(r.kind) for r in rows} <= {k for k in OutboxKind if k.is_bundled}, what
    assert {r.recipient_id for r in rows} == recipients, what
    per_channel = Counter(p.channel for p in posts)
    twice = {channel: n for channel, n in per_channel.items() if n != 1}
    assert twice == {}, f"{what}: people sent more than one message at one pass: {twice}"
    assert set(per_channel) == {dm_channel_id(u) for u in recipients}, what
    key_count = Counter(key for p in posts for key in p.keys)
    assert {k: n for k, n in key_count.items() if n != 1} == {}, f"{what}: a dedupe key in several messages"
    assert set(key_count) == {r.dedupe_key for r in rows}, f"{what}: posted keys are not the planned rows'"
    message_of = {p.channel: p for p in posts}
    for row in rows:
        message = message_of[dm_channel_id(row.recipient_id)]
        assert (row.state, row.channel_id, row.ts) == ("sent", message.channel, message.ts), (what, row.dedupe_key)
        assert row.dedupe_key in message.keys, (what, row.dedupe_key)
    by_person: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_person[row.recipient_id].add(row.dedupe_key.split(":")[0])
    assert all(kinds == {"checkin", "overdue"} for u, kinds in by_person.items() if u != BOSS), what


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_user(BOSS, name="boss", tz="Europe/Berlin")
        for n, user in enumerate(PEOPLE):
            fake.add_user(user, name=f"person{n}", tz="Europe/Berlin")
        yield fake


# -- three `baton tick` processes at the same moment --------------------------------------------------------


def test_three_ticks_at_once_send_each_person_one_message_with_every_key(
    pg_schema: PgSchema, slack: FakeSlack, tmp_path: Path
) -> None:
    url = pg_schema.url
    migrate(url)
    _seed(url, slack)
    slack.clear()
    before = len(slack.messages())
    tokens = [f"{TOKEN}-tick{n}" for n in range(PROCESSES)]
    slack.slow("chat.postMessage", POST_LATENCY_SECONDS)

    procs = start_ticks_together([cli_env(url, slack, token=t) for t in tokens], at=CHECKIN_AT, cwd=tmp_path)
    summaries = [pass_line(*output) for output in finish(procs)]

    posts = _posts(slack, since=before)
    rows = _rows_planned_at(url, CHECKIN_AT)
    senders = Counter(p.sender for p in posts)
    what = f"passes {summaries}, posts by {dict(senders)}"
    assert len(rows) == len(PEOPLE) * (TASKS_EACH + 2 * OVERDUE_EACH), what
    _check_one_message_each(posts, rows, what=what)
    assert len(senders) > 1, f"one process sent everything, so nothing raced: {what}"
    assert sum(s.planned for s in summaries) == len(rows), what
    assert sum(s.sent for s in summaries) == len(rows), what
    assert sum(s.failed + s.retried for s in summaries) == 0, what


# -- three apps in one process, passes run by three threads at once -----------------------------------------

# Wednesday, Thursday and Friday at 10:00 Berlin: a check-in for every task each day, an overdue notice each
# working day for the overdue ones (to the assignee and to BOSS), and on Friday BOSS's escalations of the tasks
# whose two check-ins went unanswered.
MOMENTS = [CHECKIN_AT + timedelta(days=n) for n in range(3)]


def _passes_at_once(apps: Sequence[Baton]) -> list[object]:
    """run_pass() on every app in its own thread, released together; any thread's error fails the test."""
    start = threading.Barrier(len(apps))
    results: list[object] = [None] * len(apps)

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            results[index] = apps[index].run_pass()
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread below
            results[index] = error

    threads = [threading.Thread(target=run, args=(n,), name=f"pass-{n}") for n in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a pass did not finish"
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


def test_three_apps_passing_at_once_send_each_person_one_message_every_day(
    pg_schema: PgSchema, slack: FakeSlack
) -> None:
    url = pg_schema.url
    migrate(url)
    _seed(url, slack)
    clock = FakeClock(MOMENTS[0])
    apps = [_app(url, slack, clock, token=f"{TOKEN}-app{n}") for n in range(PROCESSES)]
    slack.slow("chat.postMessage", POST_LATENCY_SECONDS)
    try:
        for moment in MOMENTS:
            clock.set(moment)
            slack.clear()
            before = len(slack.messages())

            summaries = _passes_at_once(apps)

            posts = _posts(slack, since=before)
            rows = _rows_planned_at(url, moment)
            senders = Counter(p.sender for p in posts)
            what = f"{moment:%a %d %b}: passes {summaries}, posts by {dict(senders)}"
            _check_one_message_each(posts, rows, what=what)
            assert len(senders) > 1, f"one app sent everything, so nothing raced: {what}"
            assert sum(s.planned for s in summaries) == len(rows), what  # type: ignore[attr-defined]
            assert sum(s.sent for s in summaries) == len(rows), what  # type: ignore[attr-defined]
    finally:
        for app in apps:
            app.close()

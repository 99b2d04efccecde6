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
TASKS_EACH = 5
OVERDUE_EACH = 2  # of each person's tasks, due half an hour before the check-in: overdue notices beside it
# A team of ten people would fit in one deliverer's claim and one planner batch, and then the first process to
# plan takes the whole pass (the others find nothing due yet and stop). Eleven teams of ten, 550 tasks, are more
# due tasks than a planner batch and more conversations than a claim, so the pass has to spread over processes.
PEOPLE = [f"U0P{n:03d}" for n in range(110)]
# Each team's manager delegated its tasks; people join teams round-robin, as they were taken on. Managers are
# in Berlin too, so the delegator's copy of each overdue notice is due at the same moment as the assignee's.
MANAGERS = [f"U0M{n:02d}" for n in range(11)]
MANAGER_OF = {user: MANAGERS[n % len(MANAGERS)] for n, user in enumerate(PEOPLE)}
assert len(PEOPLE) * TASKS_EACH > PLAN_BATCH and len(PEOPLE) + len(MANAGERS) > BATCH
THROUGH_SLACK = PEOPLE[:1]  # their tasks are delegated and accepted through the services, as a click does
# Everyone is in Berlin: Wednesday 2 December 2026, 10:00 there is 09:00 UTC, the default check-in time.
CREATED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DUE_AT = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)  # 09:30 Berlin, inside working hours
POST_LATENCY_SECONDS = 0.01  # FakeSlack's, so one deliverer is still posting while the others claim
RECIPIENTS = set(PEOPLE) | set(MANAGERS)


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
    """Every person's TASKS_EACH tasks, delegated by their manager on Tuesday and accepted, OVERDUE_EACH of them due
    on Wednesday at 09:30 Berlin. THROUGH_SLACK's go through the services (delegate, then the assignee's Accept);
    the others are written as those leave them, since the services take ~0.1 s a task on a small machine."""
    baton = _app(url, slack, FakeClock(CREATED_AT))
    try:
        for user in THROUGH_SLACK:
            for n in range(TASKS_EACH):
                due = {"due_date": date(2026, 12, 2), "due_time": clock_time(9, 30)} if n < OVERDUE_EACH else {}
                new = NewTask(assignee_id=user, title=f"Chore {n}", **due)
                task = baton.services.tasks.delegate(TEAM_ID, MANAGER_OF[user], new)
                baton.services.tasks.accept(TEAM_ID, user, task.id)
        with baton.uow() as uow:
            for user in [u for u in PEOPLE if u not in THROUGH_SLACK]:
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
                            delegator_id=MANAGER_OF[user],
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
    assert rows, f"{what}: nothing was planned"
    assert {OutboxKind(r.kind) for r in rows} <= {k for k in OutboxKind if k.is_bundled}, what
    assert {r.recipient_id for r in rows} == RECIPIENTS, what
    per_channel = Counter(p.channel for p in posts)
    twice = {channel: n for channel, n in per_channel.items() if n != 1}
    assert twice == {}, f"{what}: people sent more than one message at one pass: {twice}"
    assert set(per_channel) == {dm_channel_id(u) for u in RECIPIENTS}, what
    key_count = Counter(key for p in posts for key in p.keys)
    assert {k: n for k, n in key_count.items() if n != 1} == {}, f"{what}: a dedupe key in several messages"
    assert set(key_count) == {r.dedupe_key for r in rows}, f"{what}: posted keys are not the planned rows'"
    message_of = {p.channel: p for p in posts}
    for row in rows:
        message = message_of[dm_channel_id(row.recipient_id)]
        assert (row.state, row.channel_id, row.ts) == ("sent", message.channel, message.ts), (what, row.dedupe_key)
        assert row.dedupe_key in message.keys, (what, row.dedupe_key)
    kinds: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        kinds[row.recipient_id].add(row.kind)
    assert {kinds[u] == {"checkin", "overdue"} for u in PEOPLE} == {True}, what
    assert {kinds[u] <= {"overdue", "escalation"} for u in MANAGERS} == {True}, what


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        for n, user in enumerate(MANAGERS):
            fake.add_user(user, name=f"manager{n}", tz="Europe/Berlin")
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

# Wednesday and Thursday at 10:00 Berlin: a check-in for every task each day, and an overdue notice each working
# day for the overdue ones, to the assignee and to their manager.
MOMENTS = [CHECKIN_AT, CHECKIN_AT + timedelta(days=1)]


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


# -- claim_conversations itself -----------------------------------------------------------------------------

NOW = CHECKIN_AT
LEASE = timedelta(minutes=2)
ALICE, BOB = "U0ALICE", "U0BOB"


def _queue(uow_factory: UnitOfWorkFactory, user: str, keys: Sequence[str]) -> list[int]:
    """Bundled rows for `user`, due now (as the planner leaves a person's check-ins and overdue notices)."""
    with uow_factory() as uow:
        uow.workspaces.ensure(TEAM_ID, now=NOW)
        ids = []
        for key in keys:
            kind = OutboxKind.OVERDUE if key.startswith("overdue") else OutboxKind.CHECKIN
            row_id = uow.outbox.add(TEAM_ID, dedupe_key=key, kind=kind.value, recipient_id=user, now=NOW)
            assert row_id is not None
            ids.append(row_id)
        uow.commit()
    return ids


def _claim(uow: UnitOfWork) -> tuple[list[int], float]:
    """claim_conversations in `uow`'s open transaction, which must not wait on another's locks: (ids, seconds)."""
    uow.session.execute(text("SET LOCAL lock_timeout = '2s'"))
    started = time.monotonic()
    rows = uow.outbox.claim_conversations(now=NOW, limit=10, lease=LEASE, per_conversation=500)
    return [r.id for r in rows], time.monotonic() - started


def _states(uow_factory: UnitOfWorkFactory) -> dict[int, tuple[str, int]]:
    with uow_factory() as uow:
        found = uow.session.execute(select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.attempts)).all()
    return {row_id: (state, attempts) for row_id, state, attempts in found}


def test_a_conversation_being_claimed_is_skipped_whole_by_another_claimer_without_waiting(
    pg_uow_factory: UnitOfWorkFactory,
) -> None:
    alices = _queue(pg_uow_factory, ALICE, [f"checkin:{n}:2026-12-02" for n in range(1, 6)])

    with pg_uow_factory() as first, pg_uow_factory() as second:
        taken, _ = _claim(first)
        # While the first claim's transaction is open, one more of Alice's rows falls due (another replica's
        # planner commits it) and Bob's conversation gets one: neither claimer holds a row lock on those.
        [late] = _queue(pg_uow_factory, ALICE, ["overdue:1:2026-12-02T08:30:00+00:00:2026-12-02:assignee"])
        bobs = _queue(pg_uow_factory, BOB, ["checkin:9:2026-12-02"])
        rest, seconds = _claim(second)
        first.commit()
        second.commit()

    assert sorted(taken) == alices, "the first claimer takes all of Alice's rows"
    assert sorted(rest) == bobs, "the second takes none of Alice's, not even the row it could lock, only Bob's"
    assert seconds < 1.0, f"the second claim waited {seconds:.2f} s for the first"
    states = _states(pg_uow_factory)
    assert {row_id: states[row_id] for row_id in alices + bobs} == dict.fromkeys(alices + bobs, ("sending", 1))
    assert states[late] == ("pending", 0)


def test_claimers_racing_for_one_person_never_split_their_rows(pg_uow_factory: UnitOfWorkFactory) -> None:
    """Two claim transactions started together and kept open until both claimed, over and over: one takes all of
    the person's due rows, the other none, and neither waits for the other."""
    rounds, claimers = 20, 2
    for n in range(rounds):
        mine = _queue(pg_uow_factory, f"U0RACE{n:02d}", [f"checkin:{n * 10 + k}:2026-12-02" for k in range(6)])
        start, claimed = threading.Barrier(claimers), threading.Barrier(claimers)
        results: list[object] = [None] * claimers

        def claim(index: int) -> None:
            try:
                with pg_uow_factory() as uow:
                    start.wait(timeout=10)
                    results[index] = _claim(uow)
                    claimed.wait(timeout=10)  # both transactions open until both have claimed
                    uow.commit()
            except BaseException as error:  # noqa: BLE001 - handed to the test's thread below
                results[index] = error
                claimed.abort()

        threads = [threading.Thread(target=claim, args=(i,)) for i in range(claimers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        got = sorted((sorted(ids), seconds) for ids, seconds in results)  # type: ignore[misc]
        assert [ids for ids, _ in got] == [[], mine], f"round {n}: {got}"
        assert max(seconds for _, seconds in got) < 1.0, f"round {n}: a claim waited: {got}"

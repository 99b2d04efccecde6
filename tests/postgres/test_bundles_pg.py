"""One message per person per pass on PostgreSQL, however many deliverers race for the pass: everything the
scheduler has for someone at one moment (check-ins, overdue notices, escalations) goes out as ONE chat.postMessage
whose metadata names every row's dedupe key, when three `baton tick` processes, or three apps in one process, run
the same pass at once; and `OutboxRepository.claim_conversations` never splits a person's rows between claimers,
nor makes one claimer wait for another.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import or_, select, text

from bot.app import Baton, create_app
from bot.config import Settings
from bot.domain.model import OutboxKind
from bot.executors import InlineExecutor
from bot.scheduler.delivery.sending import BATCH
from bot.scheduler.tick import PassSummary
from bot.services.planning import PLAN_BATCH
from bot.services.tasks import NewTask
from storage.db import make_engine, make_session_factory
from storage.models import OutboxMessage, Person, Task
from storage.uow import UnitOfWork, UnitOfWorkFactory
from tests.fakes.clock import FakeClock
from tests.fakes.posts import dedupe_keys
from tests.fakes.requests import SIGNING_SECRET
from tests.fakes.slack_api import TEAM_ID, FakeSlack, dm_channel_id
from tests.helpers import cli_env
from tests.postgres.conftest import PgSchema
from tests.postgres.processes import TOKEN, finish, migrate, pass_line, start_ticks_together

pytestmark = pytest.mark.postgres

PROCESSES = 3
TASKS_EACH = 5
OVERDUE_EACH = 2  # of each person's tasks, due half an hour before the check-in: overdue notices beside it
# Ten people would fit in one planner batch and in one deliverer's claim, and then the first process to plan takes
# the whole pass (the others find nothing due yet and stop: nothing would race). 101 people, 505 tasks, are more
# due tasks than a planner batch and more conversations than a claim, so the pass has to spread over processes.
PEOPLE = [f"U0P{n:03d}" for n in range(101)]
# Each team's manager delegated its tasks; people joined the teams round-robin, as they were taken on. Managers
# are in Berlin too, so the delegator's copy of each overdue notice is due at the same moment as the assignee's.
MANAGERS = [f"U0M{n:02d}" for n in range(11)]
MANAGER_OF = {user: MANAGERS[n % len(MANAGERS)] for n, user in enumerate(PEOPLE)}
RECIPIENTS = set(PEOPLE) | set(MANAGERS)
assert len(PEOPLE) * TASKS_EACH > PLAN_BATCH and len(RECIPIENTS) > BATCH
TICK_PLAN_BATCH = 60  # each `baton tick`'s planner batch: 505 due tasks are nine batches
THROUGH_SERVICES = PEOPLE[:1]  # their tasks are delegated, then accepted by the assignee, through the services
# Everyone is in Berlin: Wednesday 2 December 2026, 10:00 there is 09:00 UTC, the default check-in time.
CREATED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
DUE_AT = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)  # 09:30 Berlin, inside working hours


def _app(url: str, slack: FakeSlack, clock: FakeClock, *, token: str = TOKEN) -> Baton:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' own argument: no .env here
        database_url=url,
        slack_bot_token=SecretStr(token),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.base_url,
    )
    return create_app(settings, clock=clock, listener_executor=InlineExecutor(), delivery_executor=InlineExecutor())


def _seed(url: str, slack: FakeSlack) -> None:
    """Every person's TASKS_EACH tasks, delegated by their manager on Tuesday and accepted, OVERDUE_EACH of them
    due on Wednesday at 09:30 Berlin. THROUGH_SERVICES's go through TaskService (delegate, then the assignee's
    accept); the others, and the people rows users.info would give, are written as those leave them: the services
    take ~0.1 s a task on a small machine, and 505 tasks are needed."""
    baton = _app(url, slack, FakeClock(CREATED_AT))
    try:
        for user in THROUGH_SERVICES:
            for n in range(TASKS_EACH):
                overdue = n < OVERDUE_EACH
                new = NewTask(
                    assignee_id=user,
                    title=f"Chore {n}",
                    due_date=date(2026, 12, 2) if overdue else None,
                    due_time=clock_time(9, 30) if overdue else None,
                )
                task = baton.services.tasks.delegate(TEAM_ID, MANAGER_OF[user], new)
                baton.services.tasks.accept(TEAM_ID, user, task.id)
        with baton.uow() as uow:
            known = set(uow.session.scalars(select(Person.user_id)))
            for user in sorted(RECIPIENTS - known):
                person = Person(workspace_id=TEAM_ID, user_id=user, display_name=user, tz="Europe/Berlin")
                person.fetched_at = CREATED_AT
                uow.session.add(person)
            for user in [u for u in PEOPLE if u not in THROUGH_SERVICES]:
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
        with baton.uow(read_only=True) as uow:
            tasks = uow.session.execute(select(Task.assignee_id, Task.status, Task.due_at)).all()
            zones = set(uow.session.scalars(select(Person.tz)))
    finally:
        baton.close()
    assert len(tasks) == len(PEOPLE) * TASKS_EACH
    assert {status for _, status, _ in tasks} == {"accepted"}
    assert [due for user, _, due in tasks if user in THROUGH_SERVICES].count(DUE_AT) == OVERDUE_EACH
    assert zones == {"Europe/Berlin"}


@dataclass(frozen=True)
class Post:
    sender: str  # the token it was made with: which deliverer posted it
    channel: str
    ts: str
    keys: tuple[str, ...]


def _posts(slack: FakeSlack, *, since: int) -> list[Post]:
    """Every chat.postMessage since `slack.clear()` (stored messages from number `since` on), with the deliverer
    that made it: FakeSlack records a call and stores its message under one lock, so both lists pair up in order."""
    calls = slack.calls_to("chat.postMessage")
    stored = slack.messages()[since:]
    assert len(calls) == len(stored), "every post was stored"
    posts = []
    for call, message in zip(calls, stored, strict=True):
        assert dedupe_keys(call.params) == dedupe_keys(message)
        payload = message["metadata"]["event_payload"]
        listed = payload.get("dedupe_keys", [payload["dedupe_key"]])
        assert listed[0] == payload["dedupe_key"] and len(set(listed)) == len(listed), payload
        sender = call.headers["authorization"].removeprefix("Bearer ")
        posts.append(
            Post(sender=sender, channel=message["channel"], ts=message["ts"], keys=tuple(dedupe_keys(message)))
        )
    return posts


def _rows_planned_at(url: str, at: datetime) -> list[OutboxMessage]:
    """The outbox rows a pass at `at` planned (the planner stamps them `created_at=now`), detached."""
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            stmt = select(OutboxMessage).where(OutboxMessage.created_at == at).order_by(OutboxMessage.id)
            rows = list(uow.session.scalars(stmt))
            uow.session.expunge_all()
            return rows
    finally:
        engine.dispose()


def _unsent_report(url: str, rows: Sequence[OutboxMessage], at: datetime) -> str:
    """When rows were left unsent: each one's state, and the tasks that still counted their person as being planned
    for (what a claim passes over), so a rare failure says where the rows stopped."""
    unsent = [r for r in rows if r.state != "sent"]
    if not unsent:
        return ""
    people = sorted({r.recipient_id for r in unsent})
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            due = select(Task.id, Task.assignee_id, Task.delegator_id, Task.next_check_at).where(
                Task.next_check_at <= at, or_(Task.assignee_id.in_(people), Task.delegator_id.in_(people))
            )
            tasks = [tuple(t) for t in uow.session.execute(due)]
    finally:
        engine.dispose()
    states = [(r.recipient_id, r.kind, r.state, r.attempts, r.not_before, r.lease_until) for r in unsent]
    return f"; unsent rows {states}; tasks still due for them {tasks}"


def _check_one_message_each(posts: Sequence[Post], rows: Sequence[OutboxMessage], *, what: str) -> None:
    """A pass's outcome: one message per person carrying every key of their rows, each key in one message only,
    every row sent once and pointing at its person's message."""
    assert rows, f"{what}: nothing was planned"
    assert {OutboxKind(r.kind) for r in rows} <= {k for k in OutboxKind if k.is_bundled}, what
    assert {r.recipient_id for r in rows} == RECIPIENTS, what
    by_channel: dict[str, list[Post]] = defaultdict(list)
    for post in posts:
        by_channel[post.channel].append(post)
    split = {
        channel: [(p.sender, len(p.keys)) for p in found] for channel, found in by_channel.items() if len(found) > 1
    }
    assert split == {}, f"{what}: people got more than one message at one pass, (sender, keys) each: {split}"
    assert set(by_channel) == {dm_channel_id(u) for u in RECIPIENTS}, what
    key_count = Counter(key for post in posts for key in post.keys)
    assert {k: n for k, n in key_count.items() if n != 1} == {}, f"{what}: a dedupe key in several messages"
    assert set(key_count) == {r.dedupe_key for r in rows}, f"{what}: the posted keys are not the planned rows'"
    for row in rows:
        [message] = by_channel[dm_channel_id(row.recipient_id)]
        assert (row.state, row.channel_id, row.ts) == ("sent", message.channel, message.ts), (what, row.dedupe_key)
        assert row.attempts == 1, f"{what}: {row.dedupe_key} claimed {row.attempts} times"
    kinds: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        kinds[row.recipient_id].add(row.kind)
    assert {u: kinds[u] for u in PEOPLE if kinds[u] != {"checkin", "overdue"}} == {}, what
    assert {u: kinds[u] for u in MANAGERS if not kinds[u] <= {"overdue", "escalation"}} == {}, what


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        for n, user in enumerate(MANAGERS):
            fake.add_user(user, name=f"manager{n}", tz="Europe/Berlin")
        for n, user in enumerate(PEOPLE):
            fake.add_user(user, name=f"person{n}", tz="Europe/Berlin")
        yield fake


# -- three `baton tick` processes at the same moment --------------------------------------------------------


@pytest.mark.e2e
def test_three_ticks_at_once_send_each_person_one_message_with_every_key(
    pg_schema: PgSchema, slack: FakeSlack, tmp_path: Path
) -> None:
    url = pg_schema.url
    migrate(url)
    _seed(url, slack)
    slack.clear()
    before = len(slack.messages())
    # Each process its own token, so a post at FakeSlack says which process made it.
    tokens = [f"{TOKEN}-tick{n}" for n in range(PROCESSES)]

    # Small planner batches, as in the three apps' test below: with Baton's own (500), the first process to start
    # can plan the whole moment (505 tasks in two batches) before another has scanned, and nothing races.
    procs = start_ticks_together(
        [cli_env(url, slack, token=t) for t in tokens], at=CHECKIN_AT, cwd=tmp_path, plan_batch=TICK_PLAN_BATCH
    )
    summaries = [pass_line(*output) for output in finish(procs)]

    posts = _posts(slack, since=before)
    rows = _rows_planned_at(url, CHECKIN_AT)
    senders = Counter(p.sender for p in posts)
    what = f"passes {summaries}, posts by {dict(senders)}"
    assert len(rows) == len(PEOPLE) * (TASKS_EACH + 2 * OVERDUE_EACH), what
    _check_one_message_each(posts, rows, what=what)
    # The race that splits a person's rows: more than one process planned a slice of the same moment.
    assert sum(1 for s in summaries if s.planned) > 1, f"one process planned everything, so nothing raced: {what}"
    assert sum(s.planned for s in summaries) == len(rows), what
    assert sum(s.sent for s in summaries) == len(rows), what
    assert sum(s.failed + s.retried for s in summaries) == 0, what


# -- three apps in one process, their passes run by three threads at once -----------------------------------

# Wednesday, Thursday and Friday at 10:00 Berlin: a check-in for every task each day, an overdue notice each
# working day for the overdue ones (to the assignee and to their manager), and on Friday the managers' escalations
# of the tasks whose last two check-ins went unanswered.
MOMENTS = [CHECKIN_AT + timedelta(days=n) for n in range(3)]


def _passes_at_once(apps: Sequence[Baton]) -> list[PassSummary]:
    """run_pass() on every app in its own thread, released together; any thread's error fails the test."""
    start = threading.Barrier(len(apps))
    results: list[PassSummary | BaseException | None] = [None] * len(apps)

    def run(index: int) -> None:
        try:
            start.wait(timeout=30)
            results[index] = apps[index].run_pass()
        except BaseException as error:  # handed to the test's thread below
            results[index] = error

    threads = [threading.Thread(target=run, args=(n,), name=f"pass-{n}") for n in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a pass did not finish"
    summaries = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        assert result is not None
        summaries.append(result)
    return summaries


def test_three_apps_passing_at_once_send_each_person_one_message_every_day(
    pg_schema: PgSchema, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small planner batches: the three apps plan the same moment in interleaved slices (SKIP LOCKED), the race
    # that would split a person's rows between two messages.
    monkeypatch.setattr("bot.services.planning.PLAN_BATCH", 60)
    url = pg_schema.url
    migrate(url)
    _seed(url, slack)
    clock = FakeClock(MOMENTS[0])
    apps = [_app(url, slack, clock, token=f"{TOKEN}-app{n}") for n in range(PROCESSES)]
    try:
        for moment in MOMENTS:
            clock.set(moment)
            slack.clear()
            before = len(slack.messages())

            summaries = _passes_at_once(apps)

            posts = _posts(slack, since=before)
            rows = _rows_planned_at(url, moment)
            senders = Counter(p.sender for p in posts)
            lines = [(s.planned, s.sent, s.retried, s.failed, s.skipped, s.held, s.waiting) for s in summaries]
            what = f"{moment:%a %d %b}: passes (planned, sent, retried, failed, skipped, held, waiting) {lines}, " + (
                f"posts by {dict(senders)}"
            )
            what += _unsent_report(url, rows, moment)
            _check_one_message_each(posts, rows, what=what)
            # The race that splits a person's rows: more than one app planned a slice of the same moment.
            assert sum(1 for s in summaries if s.planned) > 1, f"one app planned everything, so nothing raced: {what}"
            assert sum(s.planned for s in summaries) == len(rows), what
            assert sum(s.sent for s in summaries) == len(rows), what
            assert sum(s.retried + s.failed + s.skipped + s.held + s.waiting for s in summaries) == 0, what
        assert "escalation" in {r.kind for r in rows}, "Friday's pass escalated the unanswered tasks"
    finally:
        for app in apps:
            app.close()


# -- claim_conversations itself -----------------------------------------------------------------------------

NOW = CHECKIN_AT
LEASE = timedelta(minutes=2)
ALICE, BOB = "U0ALICE", "U0BOB"


def _queue(uow_factory: UnitOfWorkFactory, user: str, keys: Sequence[str]) -> list[int]:
    """Bundled rows for `user`, due now, as the planner leaves a person's check-ins and overdue notices."""
    with uow_factory() as uow:
        uow.workspaces.ensure(TEAM_ID, now=NOW)
        ids = []
        for key in keys:
            kind = OutboxKind.OVERDUE if key.startswith("overdue:") else OutboxKind.CHECKIN
            row_id = uow.outbox.add(TEAM_ID, dedupe_key=key, kind=kind.value, recipient_id=user, now=NOW)
            assert row_id is not None
            ids.append(row_id)
        uow.commit()
    return ids


def _claim(uow: UnitOfWork) -> list[int]:
    """claim_conversations in `uow`'s open transaction, where waiting on any lock another holds is an error
    (PostgreSQL gives up on a lock after lock_timeout, here the least it takes): the ids claimed."""
    uow.session.execute(text("SET LOCAL lock_timeout = '1ms'"))
    rows = uow.outbox.claim_conversations(now=NOW, limit=10, lease=LEASE, per_conversation=500)
    return sorted(r.id for r in rows)


def _states(uow_factory: UnitOfWorkFactory) -> dict[int, tuple[str, int]]:
    with uow_factory() as uow:
        found = uow.session.execute(select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.attempts)).all()
    return {row_id: (state, attempts) for row_id, state, attempts in found}


def test_a_conversation_being_claimed_is_skipped_whole_by_another_claimer_without_waiting(
    pg_uow_factory: UnitOfWorkFactory,
) -> None:
    alices = _queue(pg_uow_factory, ALICE, [f"checkin:{n}:2026-12-02" for n in range(1, 6)])

    with pg_uow_factory() as first, pg_uow_factory() as second:
        taken = _claim(first)
        # While the first claim's transaction is open, one more of Alice's rows falls due (another replica's
        # planner commits it), and one of Bob's: no claimer holds a row lock on either.
        [late] = _queue(pg_uow_factory, ALICE, ["overdue:1:2026-12-02T08:30:00+00:00:2026-12-02:assignee"])
        bobs = _queue(pg_uow_factory, BOB, ["checkin:9:2026-12-02"])
        rest = _claim(second)  # LockNotAvailable if it waited for the first
        first.commit()
        second.commit()

    assert taken == alices, "the first claimer takes all of Alice's due rows"
    assert rest == bobs, "the second takes none of Alice's rows (not even the one it could lock), only Bob's"
    states = _states(pg_uow_factory)
    assert {row_id: states[row_id] for row_id in alices + bobs} == dict.fromkeys(alices + bobs, ("sending", 0))
    assert states[late] == ("pending", 0)


def _claim_together(uow_factory: UnitOfWorkFactory, claimers: int) -> list[list[int]]:
    """`claimers` claim transactions started together and kept open until every one has claimed."""
    start, claimed = threading.Barrier(claimers), threading.Barrier(claimers)
    results: list[list[int] | BaseException | None] = [None] * claimers

    def claim(index: int) -> None:
        try:
            with uow_factory() as uow:
                start.wait(timeout=10)
                results[index] = _claim(uow)
                claimed.wait(timeout=10)
                uow.commit()
        except BaseException as error:  # handed to the test's thread below
            results[index] = error
            claimed.abort()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    got = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        assert result is not None
        got.append(result)
    return got


def test_claimers_racing_for_one_person_never_split_their_rows(pg_uow_factory: UnitOfWorkFactory) -> None:
    """Two claim transactions started together, round after round: one takes all of the person's due rows, the
    other none, and neither waits for the other."""
    for n in range(20):
        mine = _queue(pg_uow_factory, f"U0RACE{n:02d}", [f"checkin:{n * 10 + k}:2026-12-02" for k in range(6)])

        got = _claim_together(pg_uow_factory, 2)

        assert sorted(got) == [[], mine], f"round {n}: {got}"  # and neither waited: no LockNotAvailable
    assert set(_states(pg_uow_factory).values()) == {("sending", 0)}  # claimed, not yet tried


def test_a_conversation_taken_while_the_claim_looked_does_not_cut_the_claim_short(
    pg_uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim picks its candidates, and before it locks them another claimer commits its claim of the first one
    (its lock is free again, its rows no longer due). Locking that one must not count toward the claim's limit: a
    claim that comes back short tells the pass nothing more is due, and the people after it were left unsent."""
    carol = "U0CAROL"
    alices = _queue(pg_uow_factory, ALICE, ["checkin:1:2026-12-02"])
    bobs = _queue(pg_uow_factory, BOB, ["checkin:2:2026-12-02"])
    carols = _queue(pg_uow_factory, carol, ["checkin:3:2026-12-02"])

    with pg_uow_factory() as first, pg_uow_factory() as second:
        taken = sorted(
            r.id for r in first.outbox.claim_conversations(now=NOW, limit=1, lease=LEASE, per_conversation=9)
        )
        looked = second.outbox._still_planned_for

        def first_commits_meanwhile(people: Sequence[tuple[str, str]], *, now: datetime) -> set[tuple[str, str]]:
            assert [to for _, to in people] == [ALICE, BOB, carol], "the candidates were read before the commit"
            first.commit()
            return looked(people, now=now)

        monkeypatch.setattr(second.outbox, "_still_planned_for", first_commits_meanwhile)
        rest = second.outbox.claim_conversations(now=NOW, limit=2, lease=LEASE, per_conversation=9)
        second.commit()

    assert taken == alices
    assert sorted(r.id for r in rest) == sorted(bobs + carols), "Bob's and Carol's conversations: two, the limit"

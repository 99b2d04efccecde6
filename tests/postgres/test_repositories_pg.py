"""Repositories on PostgreSQL under real concurrency: T-<n> allocation, outbox claims, dedupe, aware UTC."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from bot.domain.transitions import assignment_notice
from storage.models import Task, Workspace
from storage.uow import UnitOfWork, UnitOfWorkFactory
from tests.conftest import START
from tests.helpers import ensure_workspaces, outbox_in, task_row

pytestmark = pytest.mark.postgres

NOW = START  # when tests.helpers creates its rows
LEASE = timedelta(minutes=2)
WS = "T0PGWS"
OTHER_WS = "T0PGOTHER"
ALICE = "U0ALICE"
MANAGER = "U0MANAGER"
CHANNEL = "C0TEAM"


def _in_threads(count: int, work: Callable[[], list[int]]) -> list[list[int]]:
    """Run `work()` in `count` threads released together; any thread's error fails the test."""
    start = threading.Barrier(count)

    def run() -> list[int]:
        start.wait(timeout=10)
        return work()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run) for _ in range(count)]
        return [future.result(timeout=60) for future in futures]


def test_concurrent_task_numbers_are_distinct_and_consecutive(pg_uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(pg_uow_factory, WS, OTHER_WS)
    threads, per_thread = 3, 30

    def allocate() -> list[int]:
        got = []
        for _ in range(per_thread):
            with pg_uow_factory() as uow:
                number = uow.workspaces.next_task_number(WS)
                uow.tasks.add(task_row(WS, number))
                uow.commit()
            got.append(number)
        return got

    results = _in_threads(threads, allocate)

    allocated = sorted(n for result in results for n in result)
    assert allocated == list(range(1, threads * per_thread + 1))
    for result in results:
        assert result == sorted(result), "one creator's numbers only ever go up"
    with pg_uow_factory() as uow:
        stored = list(uow.session.scalars(select(Task.number).where(Task.workspace_id == WS).order_by(Task.number)))
        assert stored == allocated
        # The other workspace's counter was not touched.
        assert uow.workspaces.next_task_number(OTHER_WS) == 1


def test_concurrent_creators_taking_numbers_make_the_workspace_once_and_never_collide(
    pg_uow_factory: UnitOfWorkFactory,
) -> None:
    threads, per_thread = 3, 20

    def allocate() -> list[int]:
        got = []
        for _ in range(per_thread):
            with pg_uow_factory() as uow:
                number = uow.workspaces.take_task_number(WS, now=NOW)  # the first ones race to create it
                uow.tasks.insert({**_values(task_row(WS, number)), "number": number})
                uow.commit()
            got.append(number)
        return got

    results = _in_threads(threads, allocate)

    allocated = sorted(n for result in results for n in result)
    assert allocated == list(range(1, threads * per_thread + 1))
    with pg_uow_factory() as uow:
        stored = list(uow.session.scalars(select(Task.number).where(Task.workspace_id == WS).order_by(Task.number)))
        assert stored == allocated
        workspace = uow.session.get(Workspace, WS)
        assert workspace is not None and workspace.last_task_number == threads * per_thread


def test_concurrent_new_tasks_in_one_statement_take_consecutive_numbers_with_their_history_and_dm(
    pg_uow_factory: UnitOfWorkFactory,
) -> None:
    """`insert_numbered` on PostgreSQL: the number, the task, its history line and its DM in one statement, from
    threads racing on a workspace that does not exist yet; a DM whose key was queued already is not written."""
    threads, per_thread = 3, 15

    def dm(task_id: int, uow: UnitOfWork) -> list[dict[str, Any]]:
        notice = assignment_notice(task_id=task_id, assignee_id=ALICE, assignment_seq=1)
        return [uow.outbox.row(WS, notice, task_id=task_id, now=NOW)]

    def create() -> list[int]:
        got = []
        for _ in range(per_thread):
            with pg_uow_factory() as uow:
                values = {k: v for k, v in _values(task_row(WS, 0)).items() if k != "number"}
                task_id, number, ids = uow.tasks.insert_numbered(
                    values, at=NOW, actor_id=MANAGER, action="created", queued=lambda i, uow=uow: dm(i, uow)
                )
                uow.commit()
            assert len(ids) == 1
            got.append(number)
        return got

    allocated = sorted(n for result in _in_threads(threads, create) for n in result)

    assert allocated == list(range(1, threads * per_thread + 1))
    with pg_uow_factory() as uow:
        tasks = {t.id: t.number for t in uow.session.scalars(select(Task).where(Task.workspace_id == WS))}
        assert sorted(tasks.values()) == allocated
        events = uow.session.execute(text("SELECT task_id, actor_id, action FROM task_events")).all()
        assert sorted(events) == sorted((task_id, MANAGER, "created") for task_id in tasks)
        rows = outbox_in(pg_uow_factory)
        assert sorted((r.task_id, r.dedupe_key) for r in rows) == sorted((i, f"assign:{i}:1") for i in tasks)
        # The same key again: the task is written, the DM is not.
        first = min(tasks)
        _, _, ids = uow.tasks.insert_numbered(
            {k: v for k, v in _values(task_row(WS, 0)).items() if k != "number"},
            at=NOW, actor_id=MANAGER, action="created", queued=lambda _i: dm(first, uow),
        )  # fmt: skip
        assert ids == []


def _values(task: Task) -> dict[str, object]:
    """A task not yet stored as the values a Core INSERT takes (those left unset take their defaults)."""
    values = {c.key: getattr(task, c.key) for c in Task.__table__.columns if c.key != "id"}
    return {key: value for key, value in values.items() if value is not None}


def test_concurrent_claims_take_each_row_exactly_once(pg_uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(pg_uow_factory, WS)
    with pg_uow_factory() as uow:
        for i in range(300):
            uow.outbox.add(
                WS,
                dedupe_key=f"k{i}",
                kind="kudos",
                recipient_id=CHANNEL,
                now=NOW - timedelta(minutes=1),
                not_before=NOW - timedelta(seconds=i % 7),
            )
        uow.commit()

    def claim_until_empty() -> list[int]:
        got: list[int] = []
        for _ in range(300):  # bounded: a claimer that keeps re-taking rows must fail, not spin
            with pg_uow_factory() as uow:
                batch = [r.id for r in uow.outbox.claim(now=NOW, limit=7, lease=LEASE)]
                uow.commit()
            if not batch:
                return got
            got.extend(batch)
        raise AssertionError("claims never ran dry: rows are being claimed again")

    results = _in_threads(3, claim_until_empty)

    claimed = [row_id for result in results for row_id in result]
    rows = outbox_in(pg_uow_factory)
    assert len(rows) == 300
    assert sorted(claimed) == sorted(r.id for r in rows), "every row claimed, none twice"
    assert {(r.state, r.attempts, r.lease_until) for r in rows} == {("sending", 0, NOW + LEASE)}


def test_a_claimer_skips_rows_another_transaction_holds(pg_uow_factory: UnitOfWorkFactory) -> None:
    """FOR UPDATE SKIP LOCKED: the second claimer neither waits for the first nor takes its rows."""
    ensure_workspaces(pg_uow_factory, WS)
    with pg_uow_factory() as uow:
        for i in range(10):
            uow.outbox.add(
                WS,
                dedupe_key=f"k{i}",
                kind="kudos",
                recipient_id=CHANNEL,
                now=NOW,
                not_before=NOW - timedelta(minutes=10 - i),
            )
        uow.commit()

    with pg_uow_factory() as first, pg_uow_factory() as second:
        held = [r.id for r in first.outbox.claim(now=NOW, limit=4, lease=LEASE)]
        # Waiting on the first transaction's locks would be a bug: make it an error, not a hang.
        second.session.execute(text("SET LOCAL lock_timeout = '3s'"))
        rest = [r.id for r in second.outbox.claim(now=NOW, limit=100, lease=LEASE)]
        first.commit()
        second.commit()

    assert len(held) == 4
    assert len(rest) == 6
    assert not set(held) & set(rest)
    assert {(r.state, r.attempts) for r in outbox_in(pg_uow_factory)} == {("sending", 0)}  # claimed, not yet tried


def _one_due_row(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS)
    with uow_factory() as uow:
        uow.outbox.add(WS, dedupe_key="k", kind="kudos", recipient_id=CHANNEL, now=NOW, not_before=NOW)
        uow.commit()


def test_a_claim_commits_without_waiting_for_the_disk_and_only_the_claim(pg_uow_factory: UnitOfWorkFactory) -> None:
    """synchronous_commit is off inside a claim's transaction (the lease renewal before a send is the durable
    fence) and back on for whatever the connection does next."""
    _one_due_row(pg_uow_factory)
    with pg_uow_factory() as uow:
        setting = text("SELECT current_setting('synchronous_commit'), pg_backend_pid()")
        before = uow.session.execute(setting).one()
        claimed = uow.outbox.claim(now=NOW, limit=10, lease=LEASE)
        during = uow.session.execute(setting).one()
        uow.commit()
        renewed = uow.outbox.renew_leases(
            [r.id for r in claimed], held_until=NOW + LEASE, now=NOW, until=NOW + 2 * LEASE
        )
        during_renewal = uow.session.execute(setting).one()
        uow.commit()

    assert len(claimed) == 1
    assert before[1] == during[1] == during_renewal[1]  # one connection throughout
    assert (before[0], during[0], during_renewal[0]) == ("on", "off", "on")
    assert renewed == {claimed[0].id}


def test_a_renewal_in_a_claims_transaction_makes_its_commit_wait_for_the_disk(
    pg_uow_factory: UnitOfWorkFactory,
) -> None:
    """A claim that counts its first message's try in its own transaction commits durably: the try is the fence
    that keeps a message Slack may already hold from being posted again without a look after a crash."""
    _one_due_row(pg_uow_factory)
    with pg_uow_factory() as uow:
        setting = text("SELECT current_setting('synchronous_commit')")
        claimed = uow.outbox.claim(now=NOW, limit=10, lease=LEASE)
        during_claim = uow.session.execute(setting).scalar_one()
        renewed = uow.outbox.renew_leases([r.id for r in claimed], held_until=NOW + LEASE, now=NOW, until=NOW + LEASE)
        at_commit = uow.session.execute(setting).scalar_one()
        uow.commit()

    assert (during_claim, at_commit, renewed) == ("off", "on", {claimed[0].id})


def test_sessions_read_timestamps_in_utc_without_converting(pg_uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(pg_uow_factory, WS)
    with pg_uow_factory() as uow:
        zone = uow.session.execute(text("SHOW TIME ZONE")).scalar_one()
        raw = uow.session.execute(text("SELECT created_at FROM workspaces")).scalar_one()

    assert zone == "UTC"
    assert raw.tzinfo is UTC  # the driver's own value, before Baton's type: nothing left to convert


def test_outbox_dedupe_on_conflict_writes_one_row(pg_uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(pg_uow_factory, WS, OTHER_WS)
    with pg_uow_factory() as uow:
        first = uow.outbox.add(WS, dedupe_key="assign:1:1", kind="assignment", recipient_id=ALICE, now=NOW)
        again = uow.outbox.add(WS, dedupe_key="assign:1:1", kind="assignment", recipient_id=ALICE, now=NOW)
        uow.commit()
    with pg_uow_factory() as uow:
        later = uow.outbox.add(WS, dedupe_key="assign:1:1", kind="assignment", recipient_id="U0BOB", now=NOW)
        elsewhere = uow.outbox.add(OTHER_WS, dedupe_key="assign:1:1", kind="assignment", recipient_id=ALICE, now=NOW)
        uow.commit()

    assert isinstance(first, int)
    assert again is None
    assert later is None
    assert isinstance(elsewhere, int) and elsewhere != first
    rows = outbox_in(pg_uow_factory)
    assert [(r.workspace_id, r.recipient_id) for r in rows] == [(WS, ALICE), (OTHER_WS, ALICE)]


def test_concurrent_adds_of_one_dedupe_key_write_one_row(pg_uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(pg_uow_factory, WS)

    def add() -> list[int]:
        with pg_uow_factory() as uow:
            row_id = uow.outbox.add(WS, dedupe_key="celebrate:1", kind="celebration", recipient_id=CHANNEL, now=NOW)
            uow.commit()
        return [row_id] if row_id is not None else []

    results = _in_threads(3, add)

    written = [row_id for result in results for row_id in result]
    rows = outbox_in(pg_uow_factory)
    assert len(rows) == 1
    assert written == [rows[0].id]


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York", "Pacific/Kiritimati"])
def test_datetimes_round_trip_as_aware_utc(pg_uow_factory: UnitOfWorkFactory, zone: str) -> None:
    with pg_uow_factory() as uow:
        uow.session.add(Workspace(id=WS, last_task_number=0, created_at=NOW.astimezone(ZoneInfo(zone))))
        uow.commit()

    with pg_uow_factory() as uow:
        # Whatever the session's zone, Baton reads UTC back.
        uow.session.execute(text("SET LOCAL TIME ZONE 'Australia/Lord_Howe'"))
        read = uow.session.scalars(select(Workspace.created_at)).one()
        stored_utc = uow.session.execute(text("SELECT created_at AT TIME ZONE 'UTC' FROM workspaces")).scalar_one()
        column_type = uow.session.execute(
            text(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = 'workspaces' AND column_name = 'created_at'"
            )
        ).scalar_one()

    assert read == NOW
    assert read.tzinfo == UTC
    assert stored_utc == datetime(2026, 12, 1, 14, 0)
    assert column_type == "timestamp with time zone"


def test_a_naive_datetime_is_refused_pg(pg_uow_factory: UnitOfWorkFactory) -> None:
    with pg_uow_factory() as uow:
        uow.session.add(Workspace(id=WS, last_task_number=0, created_at=datetime(2026, 12, 1, 14, 0)))
        with pytest.raises(StatementError) as raised:
            uow.session.flush()
    assert isinstance(raised.value.orig, ValueError)
    with pg_uow_factory() as uow:
        assert uow.session.get(Workspace, WS) is None


def test_an_events_api_delivery_is_new_only_the_first_time_pg(pg_uow_factory: UnitOfWorkFactory) -> None:
    """Slack retries an event it got no answer for; the second delivery must be recognised."""
    with pg_uow_factory() as uow:
        assert uow.events.first_time(WS, "Ev1", now=NOW) is True
        uow.commit()
    with pg_uow_factory() as uow:
        assert uow.events.first_time(WS, "Ev1", now=NOW) is False

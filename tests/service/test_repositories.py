"""Repositories and the unit of work on SQLite: aware UTC, rollback, T-<n> numbering, outbox, scoping."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError, StatementError

from bot.domain.errors import StorageUnavailable, failure_reason, is_storage_unavailable
from bot.domain.payloads import AssignmentPayload
from storage.db import make_engine, make_session_factory
from storage.models import Base, Kudos, Person, Task, Team, Workspace
from storage.uow import UnitOfWorkFactory
from tests.conftest import START
from tests.helpers import ensure_workspaces, outbox_in, task_row

NOW = START  # when tests.helpers creates its rows
LEASE = timedelta(minutes=2)
WS_A = "T0AAAA"
WS_B = "T0BBBB"
ALICE = "U0ALICE"
MANAGER = "U0MANAGER"
CHANNEL = "C0TEAM"


# -- UTCDateTime ----------------------------------------------------------------------------------------


def test_a_naive_datetime_is_refused_and_nothing_is_stored(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        uow.session.add(Workspace(id=WS_A, last_task_number=0, created_at=datetime(2026, 12, 1, 14, 0)))
        with pytest.raises(StatementError) as raised:
            uow.session.flush()
    assert isinstance(raised.value.orig, ValueError)
    assert "naive" in str(raised.value.orig)
    with uow_factory() as uow:
        assert uow.session.get(Workspace, WS_A) is None


@pytest.mark.parametrize(
    "zone", ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe", "Pacific/Kiritimati"]
)
def test_datetimes_come_back_aware_utc_whatever_zone_went_in(uow_factory: UnitOfWorkFactory, zone: str) -> None:
    written = NOW.astimezone(ZoneInfo(zone))
    with uow_factory() as uow:
        uow.session.add(Workspace(id=WS_A, last_task_number=0, created_at=written))
        uow.commit()

    with uow_factory() as uow:
        read = uow.session.get(Workspace, WS_A)
        assert read is not None
        assert read.created_at == NOW
        assert read.created_at.tzinfo == UTC
        # Stored as UTC text, so SQLite's string comparisons (`not_before <= now`) order instants right.
        raw = uow.session.execute(text("SELECT created_at FROM workspaces")).scalar_one()
    assert str(raw).startswith("2026-12-01 14:00:00")


def test_a_null_datetime_stays_null(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    with uow_factory() as uow:
        uow.tasks.add(task_row(WS_A, 1, due_at=None))
        uow.commit()
    with uow_factory() as uow:
        task = uow.tasks.by_number(WS_A, 1)
        assert task is not None
        assert task.due_at is None


# -- unit of work -----------------------------------------------------------------------------------------


def test_leaving_a_unit_of_work_without_commit_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        uow.workspaces.ensure(WS_A, now=NOW)
        assert uow.workspaces.next_task_number(WS_A) == 1
        uow.tasks.add(task_row(WS_A, 1))  # flushed, not committed

    with uow_factory() as uow:
        assert uow.session.get(Workspace, WS_A) is None
        assert uow.session.scalar(select(func.count()).select_from(Task)) == 0


def test_an_error_inside_a_unit_of_work_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    with pytest.raises(RuntimeError, match="boom"), uow_factory() as uow:
        assert uow.workspaces.next_task_number(WS_A) == 1
        uow.tasks.add(task_row(WS_A, 1))
        raise RuntimeError("boom")

    with uow_factory() as uow:
        assert uow.tasks.by_number(WS_A, 1) is None
        # The number of the rolled-back task is handed out again: no gap in T-<n>.
        assert uow.workspaces.next_task_number(WS_A) == 1


def test_taking_a_task_number_makes_the_workspace_on_first_contact_and_installs_it_again(
    uow_factory: UnitOfWorkFactory,
) -> None:
    with uow_factory() as uow:
        assert uow.workspaces.take_task_number(WS_A, now=NOW) == 1
        assert uow.workspaces.take_task_number(WS_A, now=NOW) == 2
        uow.workspaces.mark_uninstalled(WS_B, now=NOW)
        uow.commit()
    with uow_factory() as uow:
        assert uow.workspaces.take_task_number(WS_B, now=NOW + timedelta(hours=1)) == 1
        assert uow.workspaces.next_task_number(WS_A) == 3  # the same counter as `next_task_number`
        uow.commit()
    with uow_factory() as uow:
        a, b = uow.session.get(Workspace, WS_A), uow.session.get(Workspace, WS_B)
        assert a is not None and b is not None
        assert (a.created_at, a.uninstalled_at, a.last_task_number) == (NOW, None, 3)
        assert (b.created_at, b.uninstalled_at, b.last_task_number) == (NOW, None, 1)


def test_a_task_written_with_core_statements_reads_back_as_one_written_with_the_orm(
    uow_factory: UnitOfWorkFactory,
) -> None:
    ensure_workspaces(uow_factory, WS_A)
    with uow_factory() as uow:
        orm = task_row(WS_A, 1)
        uow.tasks.add(orm)
        values = {c.key: getattr(orm, c.key) for c in Task.__table__.columns if c.key not in ("id", "number")}
        task_id = uow.tasks.insert({**values, "number": 2})
        uow.tasks.insert_event(task_id, at=NOW, actor_id=MANAGER, action="created")
        first = uow.outbox.add(
            WS_A, dedupe_key="k", kind="assignment", recipient_id=ALICE, task_id=task_id, payload=None, now=NOW
        )
        again = uow.outbox.add(WS_A, dedupe_key="k", kind="assignment", recipient_id=ALICE, now=NOW)
        uow.commit()
    assert first is not None and again is None  # a second insert with the same dedupe key writes nothing
    with uow_factory() as uow:
        one, two = uow.tasks.with_history(WS_A, orm.id), uow.tasks.with_history(WS_A, task_id)
        assert one is not None and two is not None
        columns = [c.key for c in Task.__table__.columns if c.key not in ("id", "number")]
        assert [getattr(two, c) for c in columns] == [getattr(one, c) for c in columns]
        assert [(e.at, e.actor_id, e.action, e.detail) for e in two.history] == [(NOW, MANAGER, "created", "")]
        row = uow.outbox.get(first)
        assert row is not None
        assert (row.task_id, row.state, row.attempts, row.not_before, row.payload) == (task_id, "pending", 0, NOW, {})


def test_a_database_out_of_reach_leaves_the_unit_of_work_as_storage_unavailable(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'baton.db'}")
    try:
        with pytest.raises(StorageUnavailable) as raised, UnitOfWorkFactory(make_session_factory(engine))() as uow:
            uow.people.get(WS_A, ALICE)
    finally:
        engine.dispose()

    assert raised.value.reason == "OperationalError"
    assert isinstance(raised.value.__cause__, OperationalError)
    assert is_storage_unavailable(raised.value) and failure_reason(raised.value) == "OperationalError"


def test_a_bug_inside_a_unit_of_work_is_not_taken_for_an_outage(uow_factory: UnitOfWorkFactory) -> None:
    with pytest.raises(KeyError), uow_factory():
        raise KeyError("oops")


def test_commit_makes_the_work_visible_to_the_next_unit(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        uow.workspaces.ensure(WS_A, now=NOW)
        uow.tasks.add(task_row(WS_A, uow.workspaces.next_task_number(WS_A)))
        uow.commit()

    with uow_factory() as uow:
        task = uow.tasks.by_number(WS_A, 1)
        assert task is not None
        assert task.title == f"task 1 of {WS_A}"


# -- task numbers -----------------------------------------------------------------------------------------


def test_task_numbers_count_from_one_in_each_workspace(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A, WS_B)
    numbers: dict[str, list[int]] = {WS_A: [], WS_B: []}
    for workspace_id in (WS_A, WS_B, WS_A, WS_A, WS_B, WS_B):
        with uow_factory() as uow:
            numbers[workspace_id].append(uow.workspaces.next_task_number(workspace_id))
            uow.commit()

    assert numbers == {WS_A: [1, 2, 3], WS_B: [1, 2, 3]}


def test_ensure_twice_keeps_the_counter(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    with uow_factory() as uow:
        assert uow.workspaces.next_task_number(WS_A) == 1
        uow.commit()

    ensure_workspaces(uow_factory, WS_A)

    with uow_factory() as uow:
        assert uow.workspaces.next_task_number(WS_A) == 2


@pytest.fixture
def file_uow_factory(tmp_path: Path) -> Iterator[UnitOfWorkFactory]:
    """A temporary SQLite FILE (WAL), where threads really hold separate connections."""
    engine = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    Base.metadata.create_all(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    yield UnitOfWorkFactory(make_session_factory(engine))
    engine.dispose()


def test_concurrent_task_number_allocation_on_a_sqlite_file_never_collides(
    file_uow_factory: UnitOfWorkFactory,
) -> None:
    ensure_workspaces(file_uow_factory, WS_A)
    threads, per_thread = 2, 50
    start = threading.Barrier(threads)

    def allocate() -> list[int]:
        start.wait(timeout=10)
        got = []
        for _ in range(per_thread):
            with file_uow_factory() as uow:
                number = uow.workspaces.next_task_number(WS_A)
                uow.tasks.add(task_row(WS_A, number))
                uow.commit()
            got.append(number)
        return got

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = [f.result(timeout=60) for f in [pool.submit(allocate) for _ in range(threads)]]

    allocated = [n for result in results for n in result]
    assert sorted(allocated) == list(range(1, threads * per_thread + 1))
    with file_uow_factory() as uow:
        stored = list(uow.session.scalars(select(Task.number).order_by(Task.number)))
        workspace = uow.session.get(Workspace, WS_A)
        assert workspace is not None
        assert workspace.last_task_number == threads * per_thread
    assert stored == list(range(1, threads * per_thread + 1))


# -- outbox: dedupe ---------------------------------------------------------------------------------------


def test_outbox_add_with_the_same_dedupe_key_writes_one_row(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    with uow_factory() as uow:
        first = uow.outbox.add(
            WS_A,
            dedupe_key="assign:1:1",
            kind="assignment",
            recipient_id=ALICE,
            now=NOW,
            payload=AssignmentPayload(seq=1),
        )
        uow.commit()
    with uow_factory() as uow:
        second = uow.outbox.add(
            WS_A,
            dedupe_key="assign:1:1",
            kind="assignment",
            recipient_id="U0BOB",
            now=NOW,
            payload=AssignmentPayload(seq=9),
        )
        uow.commit()

    assert isinstance(first, int)
    assert second is None
    [row] = outbox_in(uow_factory)
    assert row.id == first
    assert (row.recipient_id, row.payload) == (ALICE, {"seq": 1})


def test_outbox_add_twice_in_one_unit_of_work_writes_one_row(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    with uow_factory() as uow:
        first = uow.outbox.add(WS_A, dedupe_key="k", kind="kudos", recipient_id=CHANNEL, now=NOW)
        second = uow.outbox.add(WS_A, dedupe_key="k", kind="kudos", recipient_id=CHANNEL, now=NOW)
        uow.commit()

    assert first is not None
    assert second is None
    assert len(outbox_in(uow_factory)) == 1


def test_the_same_dedupe_key_in_another_workspace_is_another_message(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A, WS_B)
    with uow_factory() as uow:
        in_a = uow.outbox.add(WS_A, dedupe_key="k", kind="kudos", recipient_id=CHANNEL, now=NOW)
        in_b = uow.outbox.add(WS_B, dedupe_key="k", kind="kudos", recipient_id=CHANNEL, now=NOW)
        uow.commit()

    assert in_a is not None and in_b is not None and in_a != in_b
    assert sorted(r.workspace_id for r in outbox_in(uow_factory)) == [WS_A, WS_B]


# -- outbox: claim and lease -----------------------------------------------------------------------------


def _queue(uow_factory: UnitOfWorkFactory, key: str, *, not_before: datetime, state: str = "pending") -> int:
    with uow_factory() as uow:
        row_id = uow.outbox.add(
            WS_A,
            dedupe_key=key,
            kind="kudos",
            recipient_id=CHANNEL,
            now=NOW - timedelta(hours=1),
            not_before=not_before,
        )
        assert row_id is not None
        if state != "pending":
            row = uow.outbox.get(row_id)
            assert row is not None
            row.state = state
        uow.commit()
    return row_id


def _claim(
    uow_factory: UnitOfWorkFactory, *, now: datetime, limit: int = 100, ids: list[int] | None = None
) -> list[int]:
    with uow_factory() as uow:
        rows = uow.outbox.claim(now=now, limit=limit, lease=LEASE, ids=ids)
        claimed = [r.id for r in rows]
        uow.commit()
    return claimed


def test_claim_takes_only_pending_rows_that_are_due(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    due_earlier = _queue(uow_factory, "earlier", not_before=NOW - timedelta(minutes=5))
    due_now = _queue(uow_factory, "now", not_before=NOW)
    _queue(uow_factory, "later", not_before=NOW + timedelta(seconds=1))
    for state in ("sent", "failed", "skipped"):
        _queue(uow_factory, state, not_before=NOW - timedelta(minutes=10), state=state)

    claimed = _claim(uow_factory, now=NOW)

    assert claimed == [due_earlier, due_now]
    rows = {r.dedupe_key: r for r in outbox_in(uow_factory)}
    for key in ("earlier", "now"):
        assert rows[key].state == "sending"
        assert rows[key].lease_until == NOW + LEASE
        assert (rows[key].attempts, rows[key].first_tried_at) == (0, None)  # a claim is not a try
    assert (rows["later"].state, rows["later"].attempts, rows["later"].lease_until) == ("pending", 0, None)
    for state in ("sent", "failed", "skipped"):
        assert (rows[state].state, rows[state].attempts) == (state, 0)


def test_renewing_a_lease_counts_the_try_and_only_for_rows_still_held_under_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    ensure_workspaces(uow_factory, WS_A)
    first, second = _queue(uow_factory, "first", not_before=NOW), _queue(uow_factory, "second", not_before=NOW)
    _claim(uow_factory, now=NOW)
    later = NOW + timedelta(seconds=40)
    with uow_factory() as uow:  # another deliverer took `second` over meanwhile (a new lease)
        stored = uow.outbox.get(second)
        assert stored is not None
        stored.lease_until = later + LEASE
        uow.commit()

    with uow_factory() as uow:
        ours = uow.outbox.renew_leases([first, second], held_until=NOW + LEASE, now=later, until=later + LEASE)
        uow.commit()

    assert ours == {first}
    rows = {r.dedupe_key: r for r in outbox_in(uow_factory)}
    assert (rows["first"].attempts, rows["first"].first_tried_at, rows["first"].lease_until) == (
        1,
        later,
        later + LEASE,
    )
    assert (rows["second"].attempts, rows["second"].first_tried_at) == (0, None)


def test_claim_honours_limit_and_ids(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    oldest = _queue(uow_factory, "a", not_before=NOW - timedelta(minutes=3))
    middle = _queue(uow_factory, "b", not_before=NOW - timedelta(minutes=2))
    newest = _queue(uow_factory, "c", not_before=NOW - timedelta(minutes=1))

    assert _claim(uow_factory, now=NOW, ids=[newest]) == [newest]
    assert _claim(uow_factory, now=NOW, limit=1) == [oldest]
    assert _claim(uow_factory, now=NOW) == [middle]
    assert _claim(uow_factory, now=NOW) == []


def test_a_live_lease_keeps_a_row_from_other_claimers(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    row_id = _queue(uow_factory, "k", not_before=NOW)
    assert _claim(uow_factory, now=NOW) == [row_id]

    assert _claim(uow_factory, now=NOW) == []
    assert _claim(uow_factory, now=NOW + LEASE - timedelta(seconds=1)) == []
    [row] = outbox_in(uow_factory)
    assert (row.state, row.attempts, row.lease_until) == ("sending", 0, NOW + LEASE)


def test_a_row_whose_lease_expired_is_claimable_again(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    row_id = _queue(uow_factory, "k", not_before=NOW)
    assert _claim(uow_factory, now=NOW) == [row_id]
    later = NOW + LEASE + timedelta(seconds=1)

    assert _claim(uow_factory, now=later) == [row_id]

    [row] = outbox_in(uow_factory)
    assert (row.state, row.attempts, row.lease_until) == ("sending", 0, later + LEASE)


def test_a_claim_that_is_not_committed_leaves_the_row_pending(uow_factory: UnitOfWorkFactory) -> None:
    ensure_workspaces(uow_factory, WS_A)
    row_id = _queue(uow_factory, "k", not_before=NOW)
    with uow_factory() as uow:
        assert [r.id for r in uow.outbox.claim(now=NOW, limit=10, lease=LEASE)] == [row_id]

    [row] = outbox_in(uow_factory)
    assert (row.state, row.attempts, row.lease_until) == ("pending", 0, None)


# -- every query is scoped by workspace -------------------------------------------------------------------


@pytest.fixture
def two_workspaces(uow_factory: UnitOfWorkFactory) -> dict[str, dict[str, int]]:
    """WS_A and WS_B with the same people, channel and task number; returns the ids per workspace."""
    ensure_workspaces(uow_factory, WS_A, WS_B)
    ids: dict[str, dict[str, int]] = {}
    with uow_factory() as uow:
        for workspace_id in (WS_A, WS_B):
            team = Team(workspace_id=workspace_id, channel_id=CHANNEL, tz="UTC", created_by=MANAGER, created_at=NOW)
            uow.teams.add(team)
            uow.teams.add_manager(team, MANAGER)
            task = task_row(
                workspace_id,
                uow.workspaces.next_task_number(workspace_id),
                team_id=team.id,
                due_at=NOW - timedelta(hours=1),
            )
            uow.tasks.add(task)
            kudos = Kudos(
                workspace_id=workspace_id,
                giver_id=MANAGER,
                team_id=team.id,
                channel_id=CHANNEL,
                message="thanks",
                created_at=NOW,
            )
            uow.kudos.add(kudos, [ALICE])
            ids[workspace_id] = {"team": team.id, "task": task.id, "kudos": kudos.id}
        uow.people.save(Person(workspace_id=WS_A, user_id=ALICE, display_name="alice", tz="UTC", fetched_at=NOW))
        uow.commit()
    return ids


def test_task_queries_never_cross_workspaces(
    uow_factory: UnitOfWorkFactory, two_workspaces: dict[str, dict[str, int]]
) -> None:
    a, b = two_workspaces[WS_A], two_workspaces[WS_B]
    with uow_factory() as uow:
        tasks = uow.tasks
        assert [t.id for t in tasks.assigned_to(WS_B, ALICE, limit=10)] == [b["task"]]
        assert [t.id for t in tasks.delegated_by(WS_B, MANAGER, limit=10)] == [b["task"]]
        assert [t.id for t in tasks.of_teams(WS_B, [a["team"], b["team"]], limit=10)] == [b["task"]]
        assert tasks.of_teams(WS_B, [a["team"]], limit=10) == []
        overdue = tasks.overdue(WS_B, now=NOW, user_id=MANAGER, team_ids=[a["team"], b["team"]], limit=10)
        assert [t.id for t in overdue] == [b["task"]]
        by_number = tasks.by_number(WS_B, 1)
        assert by_number is not None and by_number.id == b["task"]
        assert tasks.get(WS_B, a["task"]) is None
        assert tasks.get(WS_B, a["task"], for_update=True) is None
        assert tasks.with_history(WS_B, a["task"]) is None
        assert tasks.count_open(WS_B) == 1
        assert tasks.assigned_to("T0NONE", ALICE, limit=10) == []
        assert tasks.count_open("T0NONE") == 0


def test_team_person_kudos_and_outbox_queries_never_cross_workspaces(
    uow_factory: UnitOfWorkFactory, two_workspaces: dict[str, dict[str, int]]
) -> None:
    a, b = two_workspaces[WS_A], two_workspaces[WS_B]
    with uow_factory() as uow:
        sent_in_a = uow.outbox.add(WS_A, dedupe_key="k", kind="kudos", recipient_id=CHANNEL, now=NOW)
        row = uow.outbox.get(sent_in_a) if sent_in_a is not None else None
        assert row is not None
        row.state, row.channel_id, row.ts = "sent", CHANNEL, "1700000000.000100"
        uow.session.flush()

        team = uow.teams.by_channel(WS_B, CHANNEL)
        assert team is not None and team.id == b["team"]
        assert uow.teams.get(WS_B, a["team"]) is None
        assert [t.id for t in uow.teams.managed_by(WS_B, MANAGER)] == [b["team"]]
        assert [t.id for t in uow.teams.of_workspace(WS_B)] == [b["team"]]
        assert uow.people.get(WS_A, ALICE) is not None
        assert uow.people.get(WS_B, ALICE) is None
        assert (
            uow.kudos.since(WS_B, team_id=a["team"], since=NOW - timedelta(days=7), until=NOW + timedelta(days=1)) == []
        )
        assert [
            k.id
            for k in uow.kudos.since(
                WS_B, team_id=b["team"], since=NOW - timedelta(days=7), until=NOW + timedelta(days=1)
            )
        ] == [b["kudos"]]
        assert uow.outbox.find_sent(WS_B, channel_id=CHANNEL, ts="1700000000.000100") is None
        found = uow.outbox.find_sent(WS_A, channel_id=CHANNEL, ts="1700000000.000100")
        assert found is not None and found.id == sent_in_a


def test_an_events_api_delivery_is_new_only_the_first_time(uow_factory: UnitOfWorkFactory) -> None:
    with uow_factory() as uow:
        assert uow.events.first_time(WS_A, "Ev1", now=NOW) is True
        uow.commit()
    with uow_factory() as uow:
        assert uow.events.first_time(WS_A, "Ev1", now=NOW) is False


def test_read_only_units_of_work_begin_deferred_and_writers_immediate(tmp_path: Path) -> None:
    """On SQLite a writer takes the write lock at BEGIN; a reader must not queue behind writers."""
    engine = make_engine(f"sqlite:///{tmp_path / 'begin.db'}")
    Base.metadata.create_all(engine)
    begins: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN"):
            begins.append(statement)

    uow = UnitOfWorkFactory(make_session_factory(engine), make_session_factory(engine, read_only=True))
    with uow(read_only=True) as reader:
        reader.teams.of_workspace("T1")
    with uow() as writer:
        writer.teams.of_workspace("T1")
    engine.dispose()

    assert begins == ["BEGIN", "BEGIN IMMEDIATE"]

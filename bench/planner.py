"""Benchmarks the planner on 10 k and 1 M open tasks, on SQLite and PostgreSQL, against same-run baselines.

Run from the repository root:

    .venv/bin/python bench/planner.py            # N = 10 000 and 1 000 000 (several minutes)
    .venv/bin/python bench/planner.py --quick    # N = 10 000 only (CI smoke, well under a minute)

PostgreSQL comes from BATON_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
the benchmark works in its own schema and drops it afterwards, and skips PostgreSQL with a message when
nothing answers. Progress goes to stderr; the Markdown table goes to stdout.

What is measured, for each database and N:
(a) the planner's scan, `TaskRepository.ids_due_for_planning(now=NOW, limit=500)` (the index's columns only),
    p50/p95 over ~50 runs, against the same query on `tasks_noidx`, a copy of `tasks` without
    ix_tasks_next_check_at; and the same scan after a one-day outage (`now` = NOW + 24 h, so ~1/30 of all tasks
    are due); alongside, in the same series, the scan followed by the load of the due tasks
    (`TaskRepository.for_planning`, what a pass does) and the same statement returning whole `Task` objects;
(b) one `Planner.plan_due(NOW)` pass with 1 000 tasks due (p50 of 5 passes, the due slice reset between passes),
    against the same passes with ix_tasks_next_check_at dropped from `tasks`;
(c) the peak RSS (getrusage) of a fresh process after one pass, against the same process before the pass.

The data: 20 workspaces, 250 people and 10 teams each, N active tasks (70 % open, 30 % accepted) whose
`next_check_at` is spread over the next 30 days, except a due slice of 1 000 tasks (10 % at N = 10 k, 0.1 % at
1 M) spread through the table with `next_check_at` in the hour before NOW; half of all tasks have a `due_at`.
NOW is fixed (Tuesday 1 December 2026, 14:00 UTC) so every run plans the same check-ins, warnings and overdue
notices whatever day it runs on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import (  # noqa: E402
    Column,
    Engine,
    MetaData,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, registry  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from sqlalchemy.schema import CreateIndex, DropIndex  # noqa: E402
from tables import Row, print_table, ratio  # noqa: E402

from bot.services.planning import Planner  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage, Person, Task, Team, Workspace  # noqa: E402
from storage.repositories.shared import ACTIVE  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

# Tuesday 1 December 2026, 14:00 UTC: 09:00 New York, 15:00 Berlin, 19:30 Kolkata, 23:00 Tokyo.
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
OUTAGE_NOW = NOW + timedelta(days=1)
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCAN_LIMIT = 500
SCAN_RUNS = 50
SCAN_BUDGET_SECONDS = 25.0  # per series; a slow baseline stops early (at least MIN_SCAN_RUNS)
MIN_SCAN_RUNS = 5
PASS_RUNS = 5
BASELINE_PASS_RUNS = 3
PASS_BUDGET_SECONDS = 90.0
DUE_SLICE = 1_000
WORKSPACES = 20
PEOPLE_PER_WORKSPACE = 250
TEAMS_PER_WORKSPACE = 10
CHUNK = 20_000
BUILD_BUDGET_SECONDS = 120.0
ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Europe/London",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
)
SCAN_INDEX = "ix_tasks_next_check_at"


def log(message: str) -> None:
    print(f"[planner] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


# -- data ---------------------------------------------------------------------------------------


def ws_id(w: int) -> str:
    return f"TBENCH{w:03d}"


def user_id(w: int, p: int) -> str:
    return f"U{w:03d}P{p:04d}"


def due_ids(n: int) -> list[int]:
    """The due slice: DUE_SLICE ids spread evenly through the table (not bunched at its end)."""
    step = max(n // DUE_SLICE, 1)
    return list(range(step, n + 1, step))[:DUE_SLICE]


# A due task's times come from its place k in the slice (0 … DUE_SLICE-1), not from its id: ids in the slice
# are multiples of one step, so anything derived from `id % m` would repeat the same few values.
def due_next_check(k: int) -> datetime:
    return NOW - timedelta(seconds=1 + (k * 7919) % 3600)


def due_created(k: int) -> datetime:
    return NOW - timedelta(days=3, seconds=(k * 104729) % 86400)


def due_deadline(k: int) -> datetime | None:
    """Half the due slice has a deadline, from two days overdue to ten days ahead: overdue notices,
    24 h and 1 h warnings, and plain check-ins all occur."""
    return NOW + timedelta(hours=-48 + (k * 31) % 288, minutes=k % 60) if k % 2 == 0 else None


def task_rows(n: int, rng: random.Random) -> Iterator[list[dict[str, Any]]]:
    """Yield the tasks in chunks of CHUNK dicts (every dict has every key, as executemany wants)."""
    due = {task_id: k for k, task_id in enumerate(due_ids(n))}
    numbers = [0] * WORKSPACES
    chunk: list[dict[str, Any]] = []
    month = 30 * 86400
    for task_id in range(1, n + 1):
        w = rng.randrange(WORKSPACES)
        numbers[w] += 1
        status = "accepted" if rng.random() < 0.3 else "open"
        k = due.get(task_id)
        if k is not None:
            created = due_created(k)
            next_check = due_next_check(k)
            due_at = due_deadline(k)
        else:
            created = NOW - timedelta(seconds=rng.randrange(3600, month))
            next_check = NOW + timedelta(seconds=rng.randrange(1, month))
            due_at = next_check + timedelta(seconds=rng.randrange(0, 10 * 86400)) if rng.random() < 0.5 else None
        assignee = rng.randrange(PEOPLE_PER_WORKSPACE)
        team = rng.randrange(TEAMS_PER_WORKSPACE)
        chunk.append(
            {
                "id": task_id,
                "workspace_id": ws_id(w),
                "number": numbers[w],
                "title": f"Benchmark task {task_id}: follow up with the customer",
                "details": "",
                "assignee_id": user_id(w, assignee),
                "delegator_id": user_id(w, (assignee + 1) % PEOPLE_PER_WORKSPACE),
                "team_id": 1 + w * TEAMS_PER_WORKSPACE + team if rng.random() < 0.8 else None,
                "priority": "normal",
                "status": status,
                "due_at": due_at,
                "created_at": created,
                "updated_at": created,
                "accepted_at": created + timedelta(hours=1) if status == "accepted" else None,
                "done_at": None,
                "cancelled_at": None,
                "decline_reason": None,
                "created_channel_id": None,
                "source_link": None,
                "assignment_seq": 1,
                "assignment_channel_id": None,
                "assignment_ts": None,
                "next_check_at": next_check,
                "checkin_after": created,
                "overdue_after": None,
            }
        )
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build(engine: Engine, n: int) -> float:
    """Fill a migrated, empty database; returns the seconds it took."""
    started = time.perf_counter()
    rng = random.Random(20261201 + n)
    tasks = Task.__table__
    with engine.begin() as conn:
        conn.execute(
            insert(Workspace.__table__),
            [
                {"id": ws_id(w), "last_task_number": n, "created_at": NOW - timedelta(days=90)}
                for w in range(WORKSPACES)
            ],
        )
        conn.execute(
            insert(Person.__table__),
            [
                {
                    "workspace_id": ws_id(w),
                    "user_id": user_id(w, p),
                    "display_name": f"person {p}",
                    "tz": ZONES[(w + p) % len(ZONES)],
                    "is_admin": False,
                    "is_bot": False,
                    "is_deleted": False,
                    "fetched_at": NOW - timedelta(hours=2),
                }
                for w in range(WORKSPACES)
                for p in range(PEOPLE_PER_WORKSPACE)
            ],
        )
        conn.execute(
            insert(Team.__table__),
            [
                {
                    "id": 1 + w * TEAMS_PER_WORKSPACE + t,
                    "workspace_id": ws_id(w),
                    "channel_id": f"C{w:03d}T{t:03d}",
                    "tz": ZONES[t % len(ZONES)],
                    "checkin_days": "0,1,2,3,4",
                    "checkin_time": "10:00",
                    "created_by": user_id(w, 0),
                    "created_at": NOW - timedelta(days=90),
                    "last_recognition_at": NOW - timedelta(days=4),
                    "next_recognition_at": NOW + timedelta(days=3),  # Friday: no recognition in the passes
                }
                for w in range(WORKSPACES)
                for t in range(TEAMS_PER_WORKSPACE)
            ],
        )
        # Load first, index after: the usual bulk-load order; the indexes end up exactly as migrated.
        for index in tasks.indexes:
            conn.execute(DropIndex(index))
    inserted = 0
    for chunk in task_rows(n, rng):
        with engine.begin() as conn:
            conn.execute(insert(tasks), chunk)
        inserted += len(chunk)
        if inserted % 200_000 == 0:
            log(f"  {inserted:,} tasks in {time.perf_counter() - started:.1f} s")
    with engine.begin() as conn:
        for index in tasks.indexes:
            conn.execute(CreateIndex(index))
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('tasks', 'id'), :n)"), {"n": n})
    if engine.dialect.name == "postgresql":
        # Autovacuum would get there on its own; do it now so each run starts from the same state.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def make_copy_without_index(engine: Engine) -> Any:
    """`tasks_noidx`: the same rows and column types, no secondary index; returns its ORM class."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS tasks_noidx"))
        conn.execute(text("CREATE TABLE tasks_noidx AS SELECT * FROM tasks"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE tasks_noidx"))
    columns = [Column(c.name, c.type, primary_key=c.primary_key) for c in Task.__table__.columns]
    table = Table("tasks_noidx", MetaData(), *columns)

    class TaskCopy:
        pass

    registry().map_imperatively(TaskCopy, table)
    return TaskCopy


def reset_due_slice(engine: Engine, n: int) -> None:
    """Put the due slice back as it was before a pass and empty the outbox: fresh data, same rows."""
    tasks = Task.__table__
    stmt = (
        update(tasks)
        .where(tasks.c.id == bindparam("b_id"))
        .values(
            next_check_at=bindparam("b_next"),
            checkin_after=bindparam("b_after"),
            overdue_after=None,
        )
    )
    params = [
        {"b_id": task_id, "b_next": due_next_check(k), "b_after": due_created(k)}
        for k, task_id in enumerate(due_ids(n))
    ]
    with engine.begin() as conn:
        conn.execute(delete(OutboxMessage.__table__))
        conn.execute(stmt, params)


def count_due(engine: Engine, now: datetime) -> int:
    tasks = Task.__table__
    stmt = (
        select(func.count())
        .select_from(tasks)
        .where(tasks.c.status.in_(ACTIVE), tasks.c.next_check_at.is_not(None), tasks.c.next_check_at <= now)
    )
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


# -- measurements --------------------------------------------------------------------------------


@dataclass
class StatementCounter:
    """Counts the SQL statements an engine sends (an executemany counts once) and keeps the last one."""

    engine: Engine
    count: int = 0
    last: tuple[str, Any] | None = None
    _on: bool = False

    def __post_init__(self) -> None:
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if self._on:
            self.count += 1
            self.last = (statement, parameters)

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        self.count, self._on = 0, True
        try:
            yield
        finally:
            self._on = False


def scan_with_index(uow: UnitOfWorkFactory, now: datetime) -> Callable[[], int]:
    def run() -> int:
        with uow() as unit:
            return len(unit.tasks.ids_due_for_planning(now=now, limit=SCAN_LIMIT))

    return run


def scan_and_load(uow: UnitOfWorkFactory, now: datetime) -> Callable[[], int]:
    """The scan, then the due tasks as `Task` objects: what a planning pass reads before it plans."""

    def run() -> int:
        with uow() as unit:
            return len(unit.tasks.for_planning(unit.tasks.ids_due_for_planning(now=now, limit=SCAN_LIMIT)))

    return run


def scan_as_objects(engine: Engine, now: datetime) -> Callable[[], int]:
    """The scan's statement returning whole `Task` objects (on `tasks`, with the index)."""
    return _objects_scan(engine, Task, now)


def scan_without_index(engine: Engine, copy_class: Any, now: datetime) -> Callable[[], int]:
    """The repository's scan, column for column, on the copy without the index."""
    table = copy_class.__table__
    stmt = (
        select(table.c.id, table.c.next_check_at)
        .where(table.c.status.in_(ACTIVE), table.c.next_check_at.is_not(None), table.c.next_check_at <= now)
        .order_by(table.c.next_check_at)
        .limit(SCAN_LIMIT)
    )
    if engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    factory = make_session_factory(engine)

    def run() -> int:
        session: Session = factory()
        try:
            return len(session.execute(stmt).all())
        finally:
            session.rollback()
            session.close()

    return run


def _objects_scan(engine: Engine, mapped: Any, now: datetime) -> Callable[[], int]:
    table = mapped.__table__
    stmt = (
        select(mapped)
        .where(table.c.status.in_(ACTIVE), table.c.next_check_at.is_not(None), table.c.next_check_at <= now)
        .order_by(table.c.next_check_at)
        .limit(SCAN_LIMIT)
    )
    if engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    factory = make_session_factory(engine)

    def run() -> int:
        session: Session = factory()
        try:
            return len(list(session.scalars(stmt)))
        finally:
            session.rollback()
            session.close()

    return run


def timed_series(pairs: list[tuple[str, Callable[[], int]]], runs: int) -> dict[str, list[float]]:
    """Run the callables interleaved (A B A B …), so the machine's noise falls on each alike."""
    times: dict[str, list[float]] = {name: [] for name, _ in pairs}
    spent: dict[str, float] = {name: 0.0 for name, _ in pairs}
    for _, fn in pairs:  # warm the caches once, untimed
        fn()
    for _ in range(runs):
        for name, fn in pairs:
            if spent[name] > SCAN_BUDGET_SECONDS and len(times[name]) >= MIN_SCAN_RUNS:
                continue
            started = time.perf_counter()
            got = fn()
            elapsed = time.perf_counter() - started
            if got != SCAN_LIMIT:
                raise RuntimeError(f"{name}: the scan returned {got} rows, expected {SCAN_LIMIT}")
            times[name].append(elapsed)
            spent[name] += elapsed
    return times


def explain(engine: Engine, counter: StatementCounter, scan: Callable[[], int]) -> str:
    """The database's plan for the statement `scan` sends, with its real parameters."""
    with counter.counting():
        scan()
    assert counter.last is not None
    statement, parameters = counter.last
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).fetchall()
        conn.rollback()
    if engine.dialect.name == "sqlite":
        return "\n".join(f"  {row[-1]}" for row in rows)
    return "\n".join(f"  {row[0]}" for row in rows)


def set_scan_index(engine: Engine, *, present: bool) -> None:
    index = next(ix for ix in Task.__table__.indexes if ix.name == SCAN_INDEX)
    with engine.begin() as conn:
        conn.execute(CreateIndex(index) if present else DropIndex(index))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE tasks"))


@dataclass
class PassResult:
    seconds: list[float] = field(default_factory=list)
    planned: list[int] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


def timed_passes(engine: Engine, n: int, counter: StatementCounter, runs: int) -> PassResult:
    planner = Planner(uow=UnitOfWorkFactory(make_session_factory(engine)))
    result = PassResult()
    budget_end = time.monotonic() + PASS_BUDGET_SECONDS
    for _ in range(runs):
        reset_due_slice(engine, n)
        due_before = count_due(engine, NOW)
        if due_before != DUE_SLICE and n >= DUE_SLICE:
            raise RuntimeError(f"{due_before} tasks due before the pass, expected {DUE_SLICE}")
        with counter.counting():
            started = time.perf_counter()
            planned = planner.plan_due(NOW)
            elapsed = time.perf_counter() - started
        left = count_due(engine, NOW)
        if left:
            raise RuntimeError(f"{left} tasks still due after a pass")
        result.seconds.append(elapsed)
        result.planned.append(planned)
        result.statements.append(counter.count)
        if time.monotonic() > budget_end:
            break
    return result


RSS_CHILD = "--rss-child"

# On Linux a child made by fork + exec starts with ru_maxrss at least its parent's RSS at the fork (the forked
# copy's high-water mark is kept across exec), so a child forked from this process after a 1 M-row build
# would report the build's memory. The children are therefore forked by this small launcher, started
# before any build: it holds little more than the interpreter, so their ru_maxrss is their own.
LAUNCHER = """
import subprocess, sys
for line in sys.stdin:
    done = subprocess.run(line.rstrip("\\n").split("\\t"), capture_output=True, text=True, timeout=300)
    out = done.stdout.strip().splitlines()[-1:] if done.returncode == 0 else []
    print(out[0] if out else "ERROR " + done.stderr.strip().replace("\\n", " | ")[-2000:], flush=True)
"""


def _vm_hwm_kib() -> int | None:
    """Peak RSS of this process image from /proc (Linux), to cross-check getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_child(url: str) -> None:
    """In a fresh process: peak RSS once Baton is imported and connected, then after one pass."""
    engine = make_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    planner = Planner(uow=UnitOfWorkFactory(make_session_factory(engine)))
    planned = planner.plan_due(NOW)
    after_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    print(json.dumps({"before_kib": before_kib, "after_kib": after_kib, "hwm_kib": _vm_hwm_kib(), "planned": planned}))


class RssLauncher:
    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=str(ROOT)
        )

    def measure(self, url: str) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        command = [sys.executable, str(Path(__file__).resolve()), RSS_CHILD, url]
        self._process.stdin.write("\t".join(command) + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline().strip()
        if not answer.startswith("{"):
            raise RuntimeError(f"the RSS child failed: {answer}")
        return dict(json.loads(answer))

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()


# -- one database, one N ---------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def run_case(
    *, label: str, url: str, n: int, rows: list[Row], summary: dict[str, float], launcher: RssLauncher
) -> None:
    name = f"{label}, N = {n:,}"
    log(f"{name}: migrating")
    upgrade(url)
    build_engine = make_engine(url)
    if build_engine.dialect.name == "sqlite":

        @event.listens_for(build_engine, "connect")
        def _fast_build(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")  # build only; the measurements use Baton's engine as is
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.close()

    log(f"{name}: building")
    build_seconds = build(build_engine, n)
    build_engine.dispose()
    log(f"{name}: built in {build_seconds:.1f} s")
    rows.append(
        Row(
            f"{name}: build (bulk insert + indexes)",
            ms(build_seconds),
            f"{BUILD_BUDGET_SECONDS:.0f} s budget",
            ratio(build_seconds, BUILD_BUDGET_SECONDS),
        )
    )

    engine = make_engine(url)  # Baton's own engine and settings from here on
    counter = StatementCounter(engine)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    try:
        # (a) the scan
        copy_class = make_copy_without_index(engine)
        for when, now in (("now", NOW), ("after a 1-day outage", OUTAGE_NOW)):
            due = count_due(engine, now)
            with_index = scan_with_index(uow, now)
            without = scan_without_index(engine, copy_class, now)
            log(f"{name}: scan {when} ({due:,} due); plan with the index:\n{explain(engine, counter, with_index)}")
            log(f"{name}: scan {when}; plan on the copy without it:\n{explain(engine, counter, without)}")
            series = [
                ("index", with_index),
                ("noindex", without),
                ("load", scan_and_load(uow, now)),
                ("objects", scan_as_objects(engine, now)),
            ]
            times = timed_series(series, SCAN_RUNS)
            idx, base = times["index"], times["noindex"]
            p50, p95 = percentile(idx, 50), percentile(idx, 95)
            b50, b95 = percentile(base, 50), percentile(base, 95)
            l95, o95 = percentile(times["load"], 95), percentile(times["objects"], 95)
            suffix = "" if now == NOW else f" {when} ({due:,} due)"
            rows.append(
                Row(
                    f"{name}: scan{suffix} p50 ({len(idx)} runs)",
                    ms(p50),
                    f"{ms(b50)} no index ({len(base)} runs)",
                    ratio(p50, b50),
                )
            )
            rows.append(Row(f"{name}: scan{suffix} p95", ms(p95), f"{ms(b95)} no index", ratio(p95, b95)))
            vs_objects = f"{ms(o95)} the same scan returning Task objects"
            rows.append(Row(f"{name}: scan{suffix} p95", ms(p95), vs_objects, ratio(p95, o95)))
            rows.append(Row(f"{name}: scan + load of the due tasks{suffix} p95", ms(l95), vs_objects, ratio(l95, o95)))
            summary[f"{'now' if now == NOW else 'outage'}_load_p95"] = l95
            summary[f"{'now' if now == NOW else 'outage'}_objects_p95"] = o95
            summary[f"scan{suffix}"] = p50
            key = "now" if now == NOW else "outage"  # for --json
            summary.update({f"{key}_scan_p50": p50, f"{key}_scan_p95": p95, f"{key}_noindex_p50": b50,
                            f"{key}_noindex_p95": b95, f"{key}_due": due})  # fmt: skip
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE tasks_noidx"))

        # (b) a pass with DUE_SLICE tasks due
        log(f"{name}: passes with the index")
        with_index_passes = timed_passes(engine, n, counter, PASS_RUNS)
        log(f"{name}: passes without {SCAN_INDEX}")
        set_scan_index(engine, present=False)
        try:
            without_passes = timed_passes(engine, n, counter, BASELINE_PASS_RUNS)
        finally:
            set_scan_index(engine, present=True)
        p50 = statistics.median(with_index_passes.seconds)
        b50 = statistics.median(without_passes.seconds)
        planned = statistics.median(with_index_passes.planned)
        statements = statistics.median(with_index_passes.statements)
        log(
            f"{name}: pass times {[round(s, 3) for s in with_index_passes.seconds]}, without index "
            f"{[round(s, 3) for s in without_passes.seconds]}; planned {with_index_passes.planned}"
        )
        rows.append(
            Row(
                f"{name}: plan_due pass, {DUE_SLICE:,} due, p50 of {len(with_index_passes.seconds)}",
                ms(p50),
                f"{ms(b50)} index dropped (p50 of {len(without_passes.seconds)})",
                ratio(p50, b50),
            )
        )
        rows.append(
            Row(
                f"{name}: pass cost per due task",
                f"{p50 / DUE_SLICE * 1000:.2f} ms",
                f"{summary['scan'] * 1000 / SCAN_LIMIT:.3f} ms (scan alone, per row)",
                ratio(p50 / DUE_SLICE, summary["scan"] / SCAN_LIMIT),
            )
        )
        rows.append(
            Row(
                f"{name}: SQL statements in a pass ({planned:.0f} outbox rows planned)",
                f"{statements:.0f}",
                f"{DUE_SLICE:,} due tasks",
                ratio(statements, DUE_SLICE),
            )
        )
        summary["pass"] = p50

        # (c) peak RSS of a fresh process after a pass
        log(f"{name}: peak RSS in a fresh process")
        reset_due_slice(engine, n)
        rss = launcher.measure(url)
        hwm = f", VmHWM {rss['hwm_kib'] / 1024:.0f}" if rss.get("hwm_kib") else ""
        rows.append(
            Row(
                f"{name}: peak RSS after one pass (fresh process, {rss['planned']} planned)",
                f"{rss['after_kib'] / 1024:.0f} MiB (getrusage{hwm})",
                f"{rss['before_kib'] / 1024:.0f} MiB imported + connected",
                ratio(rss["after_kib"], rss["before_kib"]),
            )
        )
        summary["rss_mib"] = rss["after_kib"] / 1024
    finally:
        engine.dispose()


# -- databases -----------------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as folder:
        yield f"sqlite:///{folder}/bench.db"


def pg_base_url() -> str:
    url = make_url(os.environ.get("BATON_BENCH_POSTGRES_URL", DEFAULT_PG_URL))
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def pg_answers(url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as error:  # any failure to connect means: skip PostgreSQL
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
    finally:
        engine.dispose()


@contextlib.contextmanager
def pg_database(base: str) -> Iterator[str]:
    schema = f"baton_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    parsed = make_url(base)
    url = parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text("SET lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
        log(f"dropped schema {schema}")


def versions(pg_url: str | None) -> str:
    import sqlite3

    parts = [f"Python {sys.version.split()[0]}", f"SQLite {sqlite3.sqlite_version}", f"{os.cpu_count()} CPUs"]
    if pg_url is not None:
        engine = create_engine(pg_url, poolclass=NullPool)
        with engine.connect() as conn:
            server = str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
        parts.append(f"PostgreSQL {server}")
        engine.dispose()
    return ", ".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 10 000 only (CI smoke)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--json", metavar="PATH", help="also write the headline numbers here as JSON")
    args = parser.parse_args()
    pg_skipped: str | None = "--no-postgres" if args.no_postgres else None
    sizes = (10_000,) if args.quick else (10_000, 1_000_000)

    pg_url: str | None = None
    if not args.no_postgres:
        base = pg_base_url()
        problem = pg_answers(base)
        if problem is None:
            pg_url = base
        else:
            log(f"PostgreSQL skipped: nothing usable at {make_url(base).render_as_string()} ({problem})")
            pg_skipped = f"nothing usable at {make_url(base).render_as_string()} ({problem})"

    started = time.perf_counter()
    launcher = RssLauncher()  # before any build: see LAUNCHER
    rows: list[Row] = []
    summaries: dict[tuple[str, int], dict[str, float]] = {}
    databases: list[tuple[str, Callable[[], contextlib.AbstractContextManager[str]]]] = [("SQLite", sqlite_database)]
    if pg_url is not None:
        databases.append(("PostgreSQL", lambda: pg_database(pg_url)))
    try:
        for label, database in databases:
            for n in sizes:
                with database() as url:
                    summary: dict[str, float] = {}
                    run_case(label=label, url=url, n=n, rows=rows, summary=summary, launcher=launcher)
                    summaries[(label, n)] = summary
    finally:
        launcher.close()
    for label in ("SQLite", "PostgreSQL"):
        small, large = summaries.get((label, 10_000)), summaries.get((label, 1_000_000))
        if small and large:
            for key, what in (("pass", "plan_due pass"), ("scan", "scan p50")):
                rows.append(
                    Row(
                        f"{label}: {what} at 1 M vs at 10 k",
                        ms(large[key]),
                        f"{ms(small[key])} at 10 k",
                        ratio(large[key], small[key]),
                    )
                )

    print_table(
        f"Planner benchmark ({versions(pg_url)}; NOW = {NOW.isoformat()}; {time.perf_counter() - started:.0f} s)", rows
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nThis process (builds included) peaked at {peak:.0f} MiB RSS.")
    if pg_url is None and not args.no_postgres:
        print("PostgreSQL was skipped: it did not answer (see stderr).")
    if args.json:
        cases = [{"db": label, "n": n, **summary} for (label, n), summary in summaries.items()]
        data = {"bench": "planner", "quick": args.quick, "units": "seconds, except rss_mib and *_due (tasks)",
                "scan_limit": SCAN_LIMIT, "postgres_skipped": pg_skipped, "cases": cases}  # fmt: skip
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == RSS_CHILD:
        rss_child(sys.argv[2])
    else:
        sys.exit(main())

"""What the planner's scan costs as ORM objects, as Core rows and as an index-only read, on the same data.

Run from the repository root:

    .venv/bin/python bench/scan_rows.py               # SQLite, 100,000 open tasks (bench/planner.py's data)
    .venv/bin/python bench/scan_rows.py --n 1000000   # the issue's size (the build takes minutes)
    .venv/bin/python bench/scan_rows.py --postgres    # also PostgreSQL (BATON_BENCH_POSTGRES_URL), own schema

Each variant runs the statement of the planner's scan, `TaskRepository.ids_due_for_planning(now, limit=500)`
(same WHERE, ORDER BY, LIMIT; FOR UPDATE SKIP LOCKED on PostgreSQL) in a fresh session, interleaved with the
others, p50/p95 of 50: (a) returning 500 `Task` objects (what the scan returned before it read only the index's
columns); (b) the same columns as Core rows (tuples, no identity map); (c) only `id, next_check_at`, which the
partial index ix_tasks_next_check_at can answer (index-only where the database manages it): the repository's
scan itself; (d) that scan and then the due tasks as `Task` objects (`for_planning`, one query), what a
planning pass reads. The baseline column is (a): the ratio says what returning rows instead of objects saves.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import planner  # noqa: E402
from planner import (  # noqa: E402
    NOW,
    SCAN_LIMIT,
    build,
    percentile,
    pg_answers,
    pg_base_url,
    pg_database,
    sqlite_database,
    timed_series,
)
from sqlalchemy import Select, event, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from tables import Row, print_table, ratio  # noqa: E402

from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Task  # noqa: E402
from storage.repositories.shared import ACTIVE  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

RUNS = 50


def due_statement(columns: Any, *, postgres: bool) -> Select[Any]:
    table = Task.__table__
    stmt = (
        select(*columns)
        .where(table.c.status.in_(ACTIVE), table.c.next_check_at.is_not(None), table.c.next_check_at <= NOW)
        .order_by(table.c.next_check_at)
        .limit(SCAN_LIMIT)
    )
    return stmt.with_for_update(skip_locked=True) if postgres else stmt


def variants(url: str) -> list[tuple[str, Callable[[], int]]]:
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"
    uow = UnitOfWorkFactory(make_session_factory(engine))
    factory = make_session_factory(engine)
    table = Task.__table__

    def scan() -> int:
        with uow() as unit:
            return len(unit.tasks.ids_due_for_planning(now=NOW, limit=SCAN_LIMIT))

    def scan_and_load() -> int:
        with uow() as unit:
            return len(unit.tasks.for_planning(unit.tasks.ids_due_for_planning(now=NOW, limit=SCAN_LIMIT)))

    orm_statement = due_statement((Task,), postgres=postgres)

    def orm() -> int:
        session: Session = factory()
        try:
            return len(list(session.scalars(orm_statement)))
        finally:
            session.rollback()
            session.close()

    def rows_of(stmt: Select[Any]) -> Callable[[], int]:
        def run() -> int:
            session: Session = factory()
            try:
                return len(session.execute(stmt).all())
            finally:
                session.rollback()
                session.close()

        return run

    return [
        ("orm", orm),
        ("core", rows_of(due_statement(table.c, postgres=postgres))),
        ("index", scan),
        ("load", scan_and_load),
    ]


def measure(label: str, url: str, n: int, rows: list[Row]) -> None:
    upgrade(url)
    build_engine = make_engine(url)
    if build_engine.dialect.name == "sqlite":

        @event.listens_for(build_engine, "connect")
        def _fast_build(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.close()

    planner.log(f"{label}: building {n:,} tasks")
    build(build_engine, n)
    build_engine.dispose()
    pairs = variants(url)
    counts = {name: run() for name, run in pairs}
    if len(set(counts.values())) != 1:
        raise RuntimeError(f"the variants returned different row counts: {counts}")
    times = timed_series(pairs, RUNS)
    orm50, orm95 = percentile(times["orm"], 50), percentile(times["orm"], 95)
    for name, said in (
        ("orm", "the scan's statement returning 500 Task objects"),
        ("core", "same statement, every column, Core rows"),
        ("index", "TaskRepository.ids_due_for_planning: id and next_check_at only (the partial index's columns)"),
        ("load", "that scan, then the due tasks as Task objects (for_planning, one query)"),
    ):
        p50, p95 = percentile(times[name], 50), percentile(times[name], 95)
        rows.append(
            Row(
                f"{label}, {n:,} tasks: {said}",
                f"p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms ({counts[name]} rows)",
                f"p50 {orm50 * 1000:.2f} ms, p95 {orm95 * 1000:.2f} ms ORM objects",
                ratio(p95, orm95),
            )
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="open tasks (default 100,000)")
    parser.add_argument("--postgres", action="store_true", help="also PostgreSQL")
    args = parser.parse_args()
    rows: list[Row] = []
    with sqlite_database() as url:
        measure("SQLite", url, args.n, rows)
    if args.postgres:
        base = pg_base_url()
        why = pg_answers(base)
        if why is None:
            with contextlib.ExitStack() as stack:
                url = stack.enter_context(pg_database(base))
                measure("PostgreSQL", url, args.n, rows)
        else:
            planner.log(f"PostgreSQL skipped: {why}")
    print_table(f"The planner's scan as objects, rows and index columns (limit {SCAN_LIMIT}, {RUNS} runs each)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

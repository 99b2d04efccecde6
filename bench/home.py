"""What building one person's Home tab costs: `HomeService.snapshot`'s statements and time, on the planner's data.

Run from the repository root:

    .venv/bin/python bench/home.py                 # SQLite, 10,000 open tasks
    .venv/bin/python bench/home.py --n 100000 --postgres

The data is bench/planner.py's (20 workspaces, 250 people, 10 teams each), after one planning pass at its NOW,
so people have DMs queued for their working time. The person measured is the one with the most queued DMs,
made a manager of two of their workspace's teams, so every section of the tab is read. Reports the SQL
statements per snapshot and p50/p95 of the snapshot's CPU time (this process's, so a loaded machine's waits are
left out) over interleaved runs, with and without those queued DMs.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import planner  # noqa: E402
from planner import (  # noqa: E402
    NOW,
    StatementCounter,
    build,
    percentile,
    pg_answers,
    pg_base_url,
    pg_database,
    sqlite_database,
)
from sqlalchemy import func, insert, select  # noqa: E402
from tables import Row, print_table  # noqa: E402

from bot.services.home import HomeService  # noqa: E402
from bot.services.planning import Planner  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage, Team, TeamManager  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

RUNS = 300


class FixedClock:
    def now(self) -> Any:
        return NOW


def timed_series(cases: list[tuple[str, Callable[[], int]]], runs: int) -> dict[str, list[float]]:
    """Run the cases interleaved (A B A B …), so the machine's noise falls on each alike."""
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(runs):
        for name, run in cases:
            started = time.process_time()
            run()
            times[name].append(time.process_time() - started)
    return times


def measure(label: str, url: str, n: int, rows: list[Row]) -> None:
    upgrade(url)
    engine = make_engine(url)
    planner.log(f"{label}: building {n:,} tasks")
    build(engine, n)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    planned = Planner(uow=uow).plan_due(NOW)
    with engine.begin() as conn:
        queued = func.count().label("queued")
        busiest = conn.execute(
            select(OutboxMessage.workspace_id, OutboxMessage.recipient_id, queued)
            .group_by(OutboxMessage.workspace_id, OutboxMessage.recipient_id)
            .order_by(queued.desc(), OutboxMessage.recipient_id)
            .limit(1)
        ).one()
        teams = conn.execute(
            select(Team.id).where(Team.workspace_id == busiest.workspace_id).order_by(Team.id).limit(2)
        ).scalars()
        conn.execute(insert(TeamManager.__table__), [{"team_id": t, "user_id": busiest.recipient_id} for t in teams])
        with_dms, someone_quiet = busiest.recipient_id, "UNOBODY0000"
    home = HomeService(uow=uow, clock=FixedClock())
    counter = StatementCounter(engine)

    def snapshot_of(user: str) -> Callable[[], int]:
        def run() -> int:
            data = home.snapshot(busiest.workspace_id, user)
            return len(data.mine) + len(data.coming)

        return run

    cases = [("queued", snapshot_of(with_dms)), ("quiet", snapshot_of(someone_quiet))]
    statements = {}
    for name, run in cases:
        with counter.counting():
            run()
        statements[name] = counter.count
    times = timed_series(cases, RUNS)
    for name, said in (
        ("queued", f"a manager of 2 teams with {busiest.queued} DMs queued"),
        ("quiet", "someone Baton has no record of"),
    ):
        p50, p95 = percentile(times[name], 50), percentile(times[name], 95)
        rows.append(
            Row(
                f"{label}, {n:,} tasks ({planned} DMs planned): snapshot, {said}",
                f"{statements[name]} statements, CPU p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms",
                "",
                "",
            )
        )
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="open tasks (default 10,000)")
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
                measure("PostgreSQL", stack.enter_context(pg_database(base)), args.n, rows)
        else:
            planner.log(f"PostgreSQL skipped: {why}")
    print_table(f"HomeService.snapshot ({RUNS} runs each, interleaved)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

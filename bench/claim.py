"""Benchmarks claiming outbox rows on PostgreSQL: three concurrent claimers against one, through Baton's own code.

Run from the repository root:

    .venv/bin/python bench/claim.py                  # 30 000 due rows beside 200 000 sent ones (~20-30 s)
    .venv/bin/python bench/claim.py --quick          # 10 000 beside 20 000 (CI smoke, ~5-10 s)
    .venv/bin/python bench/claim.py --json out.json  # also write the headline numbers as JSON

PostgreSQL comes from BATON_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test). The
benchmark works in a schema of its own, `baton_bench_<random>`, dropped afterwards; when PostgreSQL does not
answer within 3 s it prints why and exits 0 (the JSON then says `skipped`). Progress goes to stderr, the
Markdown table to stdout.

The database is migrated with storage.migrate.upgrade, then bulk-loaded: 20 workspaces, P pending outbox rows
whose `not_before` lies in the hour before NOW (all due), and H sent rows of history (the last 90 days), so the
claim query runs beside the rows a real outbox keeps. Every claim is `OutboxRepository.claim(now=NOW,
limit=500, lease=2 min)` in a `UnitOfWork` on `storage.db.make_engine`'s engine, then `commit()`, timed from
opening the unit of work to the end of the commit: what one delivery batch pays before its first send.

(a) one claimer: CLAIMS claims back to back (the claimed rows are put back and VACUUMed, untimed, when fewer
    than 500 are left), per-claim p50/p95.
(b) three concurrent claimers in three processes (what three replicas are), each with its own engine and
    connection, started together on a barrier, claiming until a claim comes back empty. Per-claim p50/p95,
    rows/s, and the proof: every claimed id is collected, the total equals the rows inserted, no id is claimed
    twice, and in the database no row is left pending and none has `attempts` > 1. Beside them, the CPU each claim
    cost: the claimer's thread (`time.thread_time`) and its PostgreSQL backend (/proc, a local server), and
    what that CPU alone takes when the claimers share the machine's cores: the floor for a claim's latency here.
(c) the same with three threads in one process sharing one engine (the pool gives each its own connection):
    shown because the GIL serializes the ORM work of the three, which (b) avoids.
(d) a reference that is not Baton's code: the same claim as one `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
    LOCKED) RETURNING outbox.*` statement, one claimer: what the database alone costs for the same work.
Before each phase the rows are set back to pending and the table is VACUUM ANALYZEd, so each starts alike.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from planner import percentile, pg_answers, pg_base_url, pg_database  # noqa: E402
from sqlalchemy import Engine, Table, create_engine, event, func, insert, make_url, select, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from tables import print_table, ratio  # noqa: E402

from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage, Workspace  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
LIMIT = 500
LEASE = timedelta(minutes=2)  # bot/scheduler/delivery/sending.py LEASE
CLAIMERS = 3
WORKSPACES = 20
CHUNK = 20_000
PHASE_BUDGET_SECONDS = 120.0  # a concurrent phase that has not finished by then is stopped and reported
TARGET_MS = 10.0
KINDS = ("checkin", "assignment", "warning", "overdue", "kudos")


def log(message: str) -> None:
    print(f"[claim] {message}", file=sys.stderr, flush=True)


# -- data -------------------------------------------------------------------------------------------------


def outbox_rows(start: int, count: int, *, pending: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(start, start + count):
        w = i % WORKSPACES
        if pending:
            not_before = NOW - timedelta(seconds=1 + (i * 7919) % 3600)
            sent_at, channel, ts, attempts = None, None, None, 0
        else:
            not_before = NOW - timedelta(seconds=3600 + (i * 104729) % (90 * 86400))
            sent_at, channel, ts, attempts = not_before + timedelta(seconds=2), f"D{i:09d}", f"{i}.000100", 1
        rows.append(
            {
                "workspace_id": f"TBENCH{w:03d}",
                "dedupe_key": f"{'due' if pending else 'old'}:{i}",
                "kind": KINDS[i % len(KINDS)],
                "task_id": None,
                "recipient_id": f"U{w:03d}P{i % 250:04d}",
                "payload": {},
                "state": "pending" if pending else "sent",
                "attempts": attempts,
                "not_before": not_before,
                "lease_until": None,
                "created_at": not_before,
                "sent_at": sent_at,
                "channel_id": channel,
                "ts": ts,
                "last_error": None,
            }
        )
    return rows


def build(url: str, *, pending: int, history: int) -> float:
    """Migrate and load; returns the seconds it took."""
    started = time.perf_counter()
    upgrade(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(cast(Table, Workspace.__table__)),
                [{"id": f"TBENCH{w:03d}", "last_task_number": 0, "created_at": NOW} for w in range(WORKSPACES)],
            )
        outbox = cast(Table, OutboxMessage.__table__)
        for start in range(0, history, CHUNK):
            with engine.begin() as conn:
                conn.execute(insert(outbox), outbox_rows(start, min(CHUNK, history - start), pending=False))
        for start in range(0, pending, CHUNK):
            with engine.begin() as conn:
                conn.execute(insert(outbox), outbox_rows(history + start, min(CHUNK, pending - start), pending=True))
    finally:
        engine.dispose()
    vacuum(url)
    return time.perf_counter() - started


def vacuum(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE outbox"))
    finally:
        engine.dispose()


def reset(url: str) -> None:
    """Every claimed row back to pending, as inserted; then VACUUM ANALYZE (untimed)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE outbox SET state = 'pending', lease_until = NULL, attempts = 0, not_before = created_at"
                    " WHERE state = 'sending'"
                )
            )
    finally:
        engine.dispose()
    vacuum(url)


def db_check(url: str) -> dict[str, int]:
    """What the database says after a concurrent phase: rows left pending, rows sending, most attempts."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            counted = conn.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
            counts = {str(state): int(n) for state, n in counted}
            most = conn.execute(
                select(func.coalesce(func.max(OutboxMessage.attempts), 0)).where(OutboxMessage.state == "sending")
            ).scalar_one()
    finally:
        engine.dispose()
    return {"pending": int(counts.get("pending", 0)), "sending": int(counts.get("sending", 0)), "max_attempts": most}


# -- claiming ---------------------------------------------------------------------------------------------


def claim_once(uow: UnitOfWorkFactory) -> tuple[float, list[int]]:
    """One delivery batch's claim: open a unit of work, claim, commit. (seconds, ids claimed)."""
    started = time.perf_counter()
    with uow() as unit:
        rows = unit.outbox.claim(now=NOW, limit=LIMIT, lease=LEASE)
        ids = [row.id for row in rows]
        unit.commit()
    return time.perf_counter() - started, ids


def warm_up(uow: UnitOfWorkFactory) -> None:
    """One untimed claim that is rolled back: a connection in the pool and SQLAlchemy's caches filled."""
    with uow() as unit:
        unit.outbox.claim(now=NOW, limit=LIMIT, lease=LEASE)
        unit.rollback()


@dataclass
class ClaimerResult:
    seconds: list[float] = field(default_factory=list)  # one per claim that returned rows
    ids: list[int] = field(default_factory=list)
    error: str | None = None
    stopped: bool = False  # the phase budget ran out before the claimer saw an empty claim
    cpu_s: float = 0.0  # CPU the claimer's thread spent from the start signal to its last claim
    server_cpu_s: float | None = None  # ... and the PostgreSQL backend its claims ran on (a local server only)


def claim_until_empty(
    uow: UnitOfWorkFactory, start: Callable[[], object], max_claims: int, deadline: float
) -> ClaimerResult:
    result = ClaimerResult()
    try:
        warm_up(uow)
        with uow() as unit:  # one thread claiming: the pool hands every claim this same connection
            backend = int(unit.session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        start()
        cpu_began, server_began = time.thread_time(), process_cpu_seconds(backend)
        for _ in range(max_claims):
            if time.monotonic() > deadline:
                result.stopped = True
                break
            seconds, ids = claim_once(uow)
            if not ids:
                break
            result.seconds.append(seconds)
            result.ids.extend(ids)
        else:
            result.stopped = True
        result.cpu_s = time.thread_time() - cpu_began
        server_ended = process_cpu_seconds(backend)
        if server_began is not None and server_ended is not None:
            result.server_cpu_s = server_ended - server_began
    except Exception as error:  # reported in the table, never lost with the thread or process
        result.error = f"{type(error).__name__}: {error}"
    return result


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process on this machine (/proc), None when it cannot be seen."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def process_claimer(url: str, barrier: Any, max_claims: int, budget: float, out: Any) -> None:
    """The body of one claimer process: its own engine (Baton's), then claim until nothing is left."""
    engine = make_engine(url)
    try:
        uow = UnitOfWorkFactory(make_session_factory(engine))
        deadline = time.monotonic() + budget
        out.put(asdict(claim_until_empty(uow, lambda: barrier.wait(timeout=60), max_claims, deadline)))
    finally:
        engine.dispose()


@dataclass
class Phase:
    claimers: list[ClaimerResult]
    wall_seconds: float
    check: dict[str, int]

    @property
    def seconds(self) -> list[float]:
        return [s for c in self.claimers for s in c.seconds]

    @property
    def ids(self) -> list[int]:
        return [i for c in self.claimers for i in c.ids]


def run_processes(url: str, pending: int) -> Phase:
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter each, as a replica is
    barrier = ctx.Barrier(CLAIMERS + 1)
    out = ctx.Queue()
    max_claims = pending // LIMIT + 20
    procs = [
        ctx.Process(target=process_claimer, args=(url, barrier, max_claims, PHASE_BUDGET_SECONDS, out), daemon=True)
        for _ in range(CLAIMERS)
    ]
    results: list[ClaimerResult] = []
    try:
        for p in procs:
            p.start()
        barrier.wait(timeout=120)  # every claimer is connected and warm
        began = time.monotonic()
        for _ in procs:
            try:
                results.append(ClaimerResult(**out.get(timeout=PHASE_BUDGET_SECONDS + 30)))
            except queue.Empty:
                results.append(ClaimerResult(error="no answer from a claimer process"))
        wall = time.monotonic() - began
    finally:  # whatever happened, no claimer outlives the phase (it would hold locks on the schema)
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
                p.join(timeout=5)
    return Phase(results, wall, db_check(url))


def run_threads(url: str, pending: int) -> Phase:
    engine = make_engine(url)
    try:
        uow = UnitOfWorkFactory(make_session_factory(engine))
        barrier = threading.Barrier(CLAIMERS + 1)
        results: list[ClaimerResult] = [ClaimerResult() for _ in range(CLAIMERS)]
        deadline = time.monotonic() + PHASE_BUDGET_SECONDS
        max_claims = pending // LIMIT + 20

        def body(k: int) -> None:
            results[k] = claim_until_empty(uow, lambda: barrier.wait(timeout=60), max_claims, deadline)

        threads = [threading.Thread(target=body, args=(k,), daemon=True) for k in range(CLAIMERS)]
        for t in threads:
            t.start()
        barrier.wait(timeout=120)
        began = time.monotonic()
        for t in threads:
            t.join(timeout=PHASE_BUDGET_SECONDS + 30)
        wall = time.monotonic() - began
    finally:
        engine.dispose()
    return Phase(results, wall, db_check(url))


def run_one(url: str, claims: int, pending: int) -> tuple[list[float], int]:
    """(a): `claims` claims of LIMIT rows by one claimer; returns the seconds and how many resets it took."""
    engine = make_engine(url)
    resets = 0
    try:
        uow = UnitOfWorkFactory(make_session_factory(engine))
        explain_claim(engine, uow)
        warm_up(uow)
        seconds: list[float] = []
        left = pending
        for _ in range(claims):
            if left < LIMIT:
                reset(url)
                resets, left = resets + 1, pending
            took, ids = claim_once(uow)
            if len(ids) != LIMIT:
                raise RuntimeError(f"a claim returned {len(ids)} rows, expected {LIMIT}")
            seconds.append(took)
            left -= len(ids)
    finally:
        engine.dispose()
    return seconds, resets


REFERENCE_CLAIM = text(
    """
    UPDATE outbox SET state = 'sending', lease_until = :until, not_before = :until, attempts = attempts + 1
    WHERE id IN (
        SELECT id FROM outbox
        WHERE state IN ('pending', 'sending') AND not_before <= :now
        ORDER BY not_before, id LIMIT :limit FOR UPDATE SKIP LOCKED
    )
    RETURNING outbox.*
    """
)


def run_reference(url: str, claims: int, pending: int) -> list[float]:
    """(d): the same claim as one UPDATE … RETURNING statement on Baton's engine: not Baton's code, a reference
    for what the database alone costs (same rows, same lock, the whole rows returned, no ORM objects)."""
    engine = make_engine(url)
    try:
        seconds: list[float] = []
        left = pending
        params = {"now": NOW, "until": NOW + LEASE, "limit": LIMIT}
        with engine.connect() as conn:  # warm: one rolled-back claim
            conn.execute(REFERENCE_CLAIM, params).fetchall()
            conn.rollback()
        for _ in range(claims):
            if left < LIMIT:
                reset(url)
                left = pending
            started = time.perf_counter()
            with engine.begin() as conn:
                got = len(conn.execute(REFERENCE_CLAIM, params).fetchall())
            seconds.append(time.perf_counter() - started)
            if got != LIMIT:
                raise RuntimeError(f"a reference claim returned {got} rows, expected {LIMIT}")
            left -= got
    finally:
        engine.dispose()
    return seconds


def explain_claim(engine: Engine, uow: UnitOfWorkFactory) -> None:
    """Log PostgreSQL's plan for the claim's SELECT, with its real parameters (rolled back)."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FOR UPDATE" in statement.upper():
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        warm_up(uow)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    if not seen:
        log("no claim SELECT seen to explain")
        return
    statement, parameters = seen[-1]
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters).fetchall()
        conn.rollback()
    log("plan of the claim query:\n" + "\n".join(f"  {row[0]}" for row in plan))


# -- report -----------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def phase_summary(phase: Phase, pending: int) -> dict[str, Any]:
    ids = phase.ids
    seconds = phase.seconds
    return {
        "claims": len(seconds),
        "p50_ms": percentile(seconds, 50) * 1000 if seconds else None,
        "p95_ms": percentile(seconds, 95) * 1000 if seconds else None,
        "max_ms": max(seconds) * 1000 if seconds else None,
        "rows": len(ids),
        "distinct": len(set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "inserted": pending,
        "rows_per_s": len(ids) / phase.wall_seconds if phase.wall_seconds else 0.0,
        "wall_s": phase.wall_seconds,
        "claims_each": [len(c.seconds) for c in phase.claimers],
        "errors": [c.error for c in phase.claimers if c.error],
        "stopped": any(c.stopped for c in phase.claimers),
        "db": phase.check,
        "claimer_cpu_ms_per_claim": sum(c.cpu_s for c in phase.claimers) / len(seconds) * 1000 if seconds else None,
        "postgres_cpu_ms_per_claim": (
            sum(c.server_cpu_s or 0.0 for c in phase.claimers) / len(seconds) * 1000
            if seconds and all(c.server_cpu_s is not None for c in phase.claimers)
            else None
        ),
    }


def phase_rows(label: str, s: dict[str, Any], one: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    if s["claims"]:
        rows.append(
            (
                f"{label}: per claim p50 ({s['claims']} claims, {'/'.join(map(str, s['claims_each']))} each)",
                f"{s['p50_ms']:.1f} ms",
                f"{one['p50_ms']:.1f} ms one claimer",
                ratio(s["p50_ms"], one["p50_ms"]),
            )
        )
        rows.append(
            (f"{label}: per claim p95", f"{s['p95_ms']:.1f} ms", f"{one['p95_ms']:.1f} ms one claimer",
             ratio(s["p95_ms"], one["p95_ms"]))
        )  # fmt: skip
    rows.append(
        (
            f"{label}: rows claimed / distinct ids / inserted",
            f"{s['rows']:,} / {s['distinct']:,} / {s['inserted']:,} ({s['duplicates']} claimed twice)",
            "equal, 0 twice",
            "n/a",
        )
    )
    db = s["db"]
    rows.append(
        (
            f"{label}: in the database afterwards: pending / sending / most attempts",
            f"{db['pending']} / {db['sending']:,} / {db['max_attempts']}",
            f"0 / {s['inserted']:,} / 1",
            "n/a",
        )
    )
    rows.append(
        (
            f"{label}: rows claimed per second, all claimers",
            f"{s['rows_per_s']:,.0f}/s ({s['wall_s']:.2f} s)",
            f"{one['rows_per_s']:,.0f}/s one claimer",
            ratio(s["rows_per_s"], one["rows_per_s"]),
        )
    )
    client, server = s["claimer_cpu_ms_per_claim"], s["postgres_cpu_ms_per_claim"]
    if client is not None and server is not None and label.endswith("processes"):
        cores = os.cpu_count() or 1
        floor = (client + server) * max(1, CLAIMERS / cores)
        rows.append(
            (
                f"{label}: CPU per claim: the claimer's / its PostgreSQL backend's",
                f"{client:.1f} ms / {server:.1f} ms",
                f"{floor:.1f} ms: what that CPU takes with {CLAIMERS} claimers sharing {cores} cores",
                "n/a",
            )
        )
    if s["errors"] or s["stopped"]:
        rows.append((f"{label}: problems", f"errors {s['errors']}, budget hit {s['stopped']}", "none", "n/a"))
    return rows


def pg_version(url: str) -> str:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


def write_json(path: str | None, data: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str) + "\n")
        log(f"wrote {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 000 due rows beside 20 000 sent (CI smoke)")
    parser.add_argument("--json", metavar="PATH", help="also write the headline numbers here as JSON")
    args = parser.parse_args()
    pending, history, claims = (10_000, 20_000, 20) if args.quick else (30_000, 200_000, 30)
    base = pg_base_url()
    problem = pg_answers(base)
    if problem is not None:
        reason = f"PostgreSQL did not answer at {make_url(base).render_as_string()} ({problem})"
        print(f"Claim benchmark skipped: {reason}")
        write_json(args.json, {"bench": "claim", "quick": args.quick, "skipped": reason})
        return 0

    began = time.monotonic()
    with pg_database(base) as url:
        log(f"building: {pending:,} due rows beside {history:,} sent ones")
        build_seconds = build(url, pending=pending, history=history)
        log(f"built in {build_seconds:.1f} s")

        log(f"(a) one claimer, {claims} claims of {LIMIT}")
        one_seconds, resets = run_one(url, claims, pending)
        one = {
            "claims": len(one_seconds),
            "p50_ms": percentile(one_seconds, 50) * 1000,
            "p95_ms": percentile(one_seconds, 95) * 1000,
            "max_ms": max(one_seconds) * 1000,
            "rows_per_s": LIMIT * len(one_seconds) / sum(one_seconds),
            "resets": resets,
        }
        log(f"(a) claims in ms: {[round(s * 1000, 1) for s in one_seconds]}")

        reset(url)
        log(f"(b) {CLAIMERS} claimer processes until {pending:,} rows are claimed")
        procs = phase_summary(run_processes(url, pending), pending)
        reset(url)
        log(f"(c) {CLAIMERS} claimer threads in one process until {pending:,} rows are claimed")
        threads = phase_summary(run_threads(url, pending), pending)
        reset(url)
        log(f"(d) reference: {claims} claims as one UPDATE … RETURNING statement")
        reference = run_reference(url, claims, pending)
        version = pg_version(url)

    rows: list[tuple[str, str, str, str]] = [
        ("data: due rows / sent history (build + VACUUM ANALYZE)", f"{pending:,} / {history:,}",
         f"{build_seconds:.1f} s to build", "n/a"),
        (f"(a) one claimer: per claim of {LIMIT} p50 ({one['claims']} claims, {resets} resets)",
         f"{one['p50_ms']:.1f} ms", "n/a", "n/a"),
        ("(a) one claimer: per claim p95", f"{one['p95_ms']:.1f} ms", "n/a", "n/a"),
        ("(a) one claimer: rows claimed per second", f"{one['rows_per_s']:,.0f}/s", "n/a", "n/a"),
    ]  # fmt: skip
    rows += phase_rows(f"(b) {CLAIMERS} processes", procs, one)
    rows += phase_rows(f"(c) {CLAIMERS} threads, one process", threads, one)
    ref50, ref95 = percentile(reference, 50) * 1000, percentile(reference, 95) * 1000
    rows += [
        ("(d) reference, not Baton's code: the claim as one UPDATE … RETURNING, one claimer, p50",
         f"{ref50:.1f} ms", f"{one['p50_ms']:.1f} ms Baton's claim, one claimer", ratio(ref50, one["p50_ms"])),
        ("(d) reference: p95", f"{ref95:.1f} ms", f"{one['p95_ms']:.1f} ms Baton's claim", ratio(ref95, one["p95_ms"])),
    ]  # fmt: skip
    p95 = procs["p95_ms"]
    met = (
        p95 is not None
        and p95 <= TARGET_MS
        and procs["duplicates"] == 0
        and procs["rows"] == pending
        and procs["db"]["max_attempts"] <= 1  # a claim does not count a try
    )
    rows.append(
        (
            f"target: ≤ {TARGET_MS:.0f} ms per claim (p95, {CLAIMERS} processes), no row claimed twice",
            f"{'n/a' if p95 is None else f'{p95:.1f} ms'}: {'met' if met else 'NOT met'}",
            f"{TARGET_MS:.0f} ms",
            ratio(p95 or 0.0, TARGET_MS),
        )
    )
    print_table(
        f"Claim benchmark (PostgreSQL {version}, Python {sys.version.split()[0]}, {multiprocessing.cpu_count()} CPUs; "
        f"claim(limit={LIMIT}) + commit through Baton's engine and UnitOfWork; {time.monotonic() - began:.0f} s)",
        rows,
    )
    write_json(
        args.json,
        {
            "bench": "claim",
            "quick": args.quick,
            "skipped": None,
            "postgres": version,
            "pending": pending,
            "history": history,
            "limit": LIMIT,
            "claimers": CLAIMERS,
            "one": one,
            "processes": procs,
            "threads": threads,
            "reference": {"p50_ms": ref50, "p95_ms": ref95, "claims": len(reference)},
            "seconds": time.monotonic() - began,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks the memory of one Baton replica: idle under `baton serve`, and a fresh process after a pass over N tasks.

Run from the repository root:

    .venv/bin/python bench/memory.py                  # idle replica, then a pass over 1 000 000 tasks (~2 minutes)
    .venv/bin/python bench/memory.py --quick          # idle replica, then a pass over 10 000 tasks (~20 s)
    .venv/bin/python bench/memory.py --json out.json  # also write the headline numbers as JSON

Memory is read from /proc/<pid>/status (VmRSS: resident now; VmHWM: the peak resident since the process image
began, reset at exec) and /proc/<pid>/smaps_rollup (Pss: resident pages, each shared page divided among the
processes that share it). MB here is 10^6 bytes, as in the issue's targets.

(a) idle replica: the real `python -m bot.cli serve --host 127.0.0.1 --port P --workers 2` (gunicorn, scheduler
    on, as a replica runs), on a temporary SQLite file migrated by `python -m bot.cli db upgrade`, with
    SLACK_API_URL at the tests' FakeSlack in this process. Measured once /healthz answers, both workers exist,
    and the tree's total RSS has changed by less than 1 % for IDLE_SECONDS. "One replica" is the whole gunicorn
    process tree (master + workers); the target is held against the sum of their VmRSS, which counts pages the
    workers still share with the master after the fork once per process; the sum of Pss, which counts them
    once, is shown beside it. For reference (no target), the same for bench/bare_app.py, a bare Bolt app under
    the same gunicorn settings.
(b) after a pass: bench/planner.py's loader builds a SQLite file with N tasks (1 000 due at its fixed NOW, see
    that script), then a fresh process builds Baton with `create_app` (FixedClock at NOW, the fake Slack knowing
    every person) and runs one `Baton.run_pass()`: plan the due slice and deliver what it planned. Its VmHWM after
    the pass is the figure; its VmRSS once built and connected is the baseline.
Everything listens on 127.0.0.1, and every process started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tables import print_table, ratio  # noqa: E402

PASS_CHILD = "--pass-child"
WORKERS = 2
IDLE_SECONDS = 3.0
SETTLE_DEADLINE = 45.0  # seconds for the tree to settle after /healthz
SAMPLE_SECONDS = 0.5
IDLE_TARGET_MB = 120.0
PASS_TARGET_MB = 200.0


def log(message: str) -> None:
    print(f"[memory] {message}", file=sys.stderr, flush=True)


def status_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (KiB) from /proc/<pid>/status, and Pss (KiB) from /proc/<pid>/smaps_rollup."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(rest.split()[0])
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                found["Pss"] = int(line.split()[1])
                break
    except OSError:
        found["Pss"] = 0
    return found


def mb(kib: float) -> float:
    return kib * 1024 / 1e6


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (scans /proc/*/stat for the parent id)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class ProcMem:
    role: str
    pid: int
    rss_kib: int
    hwm_kib: int
    pss_kib: int


@dataclass
class TreeMem:
    processes: list[ProcMem]
    settled: bool  # False: the deadline came before the RSS was steady for IDLE_SECONDS

    @property
    def rss_kib(self) -> int:
        return sum(p.rss_kib for p in self.processes)

    @property
    def pss_kib(self) -> int:
        return sum(p.pss_kib for p in self.processes)

    def as_json(self) -> dict[str, Any]:
        return {
            "rss_sum_kib": self.rss_kib,
            "pss_sum_kib": self.pss_kib,
            "settled": self.settled,
            "processes": [asdict(p) for p in self.processes],
        }


def tree(master: int) -> list[ProcMem]:
    procs = [ProcMem("master", master, **_fields(status_kib(master)))]
    for k, pid in enumerate(children(master), start=1):
        try:
            procs.append(ProcMem(f"worker {k}", pid, **_fields(status_kib(pid))))
        except OSError:  # it exited between the scan and the read
            continue
    return procs


def _fields(found: dict[str, int]) -> dict[str, int]:
    return {"rss_kib": found.get("VmRSS", 0), "hwm_kib": found.get("VmHWM", 0), "pss_kib": found.get("Pss", 0)}


def settle(master: int, workers: int) -> TreeMem:
    """Sample the tree until it has `workers` workers and its total RSS moved < 1 % for IDLE_SECONDS."""
    deadline = time.monotonic() + SETTLE_DEADLINE
    steady_since: float | None = None
    last = 0
    while True:
        procs = tree(master)
        total = sum(p.rss_kib for p in procs)
        now = time.monotonic()
        steady = len(procs) == workers + 1 and last and abs(total - last) <= 0.01 * last
        steady_since = (steady_since or now) if steady else None
        if steady_since is not None and now - steady_since >= IDLE_SECONDS:
            return TreeMem(procs, settled=True)
        if now > deadline:
            return TreeMem(procs, settled=False)
        last = total
        time.sleep(SAMPLE_SECONDS)


def idle_replicas() -> tuple[TreeMem, TreeMem]:
    """(a): Baton's `serve` tree and the bare Bolt app's tree, each idle; the servers are stopped after."""
    import ack  # bench/ack.py: how the servers are started, health-checked and stopped

    from tests.fakes.slack_api import FakeSlack

    secret = secrets.token_hex(16)
    with FakeSlack() as slack, tempfile.TemporaryDirectory(prefix="baton-memory-") as tmp:
        folder = Path(tmp)
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "DATABASE_URL"))}
        baton_env = {
            **base_env,
            "DATABASE_URL": f"sqlite:///{folder / 'b.db'}",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack.base_url,
            "BATON_LOG_LEVEL": "WARNING",
        }
        bare_env = {**base_env, "BENCH_SIGNING_SECRET": secret, "BENCH_SLACK_API_URL": slack.base_url}
        subprocess.run(
            [ack.PYTHON, "-m", "bot.cli", "db", "upgrade"],
            cwd=ROOT, env=baton_env, check=True, timeout=120, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        port = ack.free_port()
        argv = [ack.PYTHON, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(WORKERS)]  # fmt: skip
        log(f"(a) `baton serve --workers {WORKERS}` on :{port}, scheduler on; waiting for it to settle")
        with ack.started("baton", argv, baton_env, port, folder) as server:
            baton = settle(server.process.pid, WORKERS)
        bare_port = ack.free_port()
        bare_argv = [
            ack.PYTHON, "-m", "gunicorn", "--chdir", str(ROOT / "bench"), "--bind", f"127.0.0.1:{bare_port}",
            "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(ack.THREADS),
            "--graceful-timeout", "10", "--timeout", "30", "--log-level", "warning", "bare_app:app",
        ]  # fmt: skip
        log(f"(a) the bare Bolt app under gunicorn on :{bare_port}; waiting for it to settle")
        with ack.started("baseline", bare_argv, bare_env, bare_port, folder) as server:
            bare = settle(server.process.pid, WORKERS)
    return baton, bare


# -- (b) ------------------------------------------------------------------------------------------------


def pass_child(url: str, slack_url: str, now_iso: str) -> None:
    """In a fresh process: build Baton on `url`, run one pass as of `now_iso`, print the memory as JSON."""
    from bot.app import create_app
    from bot.clock import FixedClock
    from bot.config import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-bench",  # type: ignore[arg-type]
        slack_signing_secret="bench-signing-secret",  # type: ignore[arg-type]
        slack_api_url=slack_url,
        database_url=url,
        baton_log_level="WARNING",
    )
    baton = create_app(settings, clock=FixedClock(datetime.fromisoformat(now_iso)))
    with baton.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    ready = status_kib(os.getpid())
    started = time.perf_counter()
    summary = baton.run_pass()
    seconds = time.perf_counter() - started
    after = status_kib(os.getpid())
    baton.close()
    print(
        json.dumps(
            {
                "ready_rss_kib": ready["VmRSS"],
                "ready_hwm_kib": ready["VmHWM"],
                "after_rss_kib": after["VmRSS"],
                "hwm_kib": after["VmHWM"],
                "pass_seconds": seconds,
                "planned": summary.planned,
                "sent": summary.sent,
                "retried": summary.retried,
                "failed": summary.failed,
                "skipped": summary.skipped,
            }
        )
    )


def after_a_pass(n: int) -> dict[str, Any]:
    """(b): build N tasks with bench/planner.py's loader, then one pass in a fresh process."""
    import planner
    from sqlalchemy import event

    from storage.db import make_engine
    from storage.migrate import upgrade
    from tests.fakes.slack_api import FakeSlack

    with tempfile.TemporaryDirectory(prefix="baton-memory-") as folder:
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        engine = make_engine(url)

        @event.listens_for(engine, "connect")
        def _fast_build(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=OFF")  # the build only; the pass uses Baton's engine as is
            cursor.close()

        log(f"(b) building {n:,} tasks with bench/planner.py's loader")
        built = planner.build(engine, n)
        engine.dispose()
        log(f"(b) built in {built:.1f} s; one pass in a fresh process")
        with FakeSlack(default_users=False) as slack:
            for w in range(planner.WORKSPACES):
                for p in range(planner.PEOPLE_PER_WORKSPACE):
                    zone = planner.ZONES[(w + p) % len(planner.ZONES)]
                    slack.add_user(planner.user_id(w, p), name=f"person{p}", tz=zone)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "DATABASE_URL"))}
            # VmHWM belongs to the process image and starts afresh at exec, so this process's size (the
            # build) does not leak into the child's figure, unlike getrusage's ru_maxrss.
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), PASS_CHILD, url, slack.base_url,
                 planner.NOW.isoformat()],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            posts = len(slack.calls_to("chat.postMessage"))
        if done.returncode != 0:
            raise RuntimeError(f"the pass process failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        result.update(n=n, build_seconds=built, posts_at_fake=posts)
        return result


# -- report ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a pass over 10 000 tasks instead of 1 000 000")
    parser.add_argument("--json", metavar="PATH", help="also write the headline numbers here as JSON")
    args = parser.parse_args()
    n = 10_000 if args.quick else 1_000_000
    began = time.monotonic()

    baton, bare = idle_replicas()
    passed = after_a_pass(n)

    rows: list[tuple[str, str, str, str]] = []
    settled = "" if baton.settled else " (not steady by the deadline)"
    rows.append(
        (
            f"(a) idle replica, `baton serve --workers {WORKERS}` (master + {len(baton.processes) - 1} workers): "
            f"sum of VmRSS{settled}",
            f"{mb(baton.rss_kib):.1f} MB",
            f"{mb(bare.rss_kib):.1f} MB bare Bolt app, same gunicorn",
            ratio(baton.rss_kib, bare.rss_kib),
        )
    )
    rows.append(
        (
            "(a) idle replica: sum of Pss (shared pages counted once)",
            f"{mb(baton.pss_kib):.1f} MB",
            f"{mb(bare.pss_kib):.1f} MB bare Bolt app",
            ratio(baton.pss_kib, bare.pss_kib),
        )
    )
    for mine, theirs in zip(baton.processes, bare.processes + [None] * len(baton.processes), strict=False):
        base = f"{mb(theirs.rss_kib):.1f} MB bare {theirs.role}" if theirs else "n/a"
        rows.append(
            (
                f"(a) idle replica, {mine.role}: VmRSS (VmHWM, Pss)",
                f"{mb(mine.rss_kib):.1f} MB ({mb(mine.hwm_kib):.1f}, {mb(mine.pss_kib):.1f})",
                base,
                ratio(mine.rss_kib, theirs.rss_kib) if theirs else "n/a",
            )
        )
    idle_met = mb(baton.rss_kib) <= IDLE_TARGET_MB
    rows.append(
        (
            f"(a) target: one idle replica ≤ {IDLE_TARGET_MB:.0f} MB (sum of VmRSS)",
            f"{mb(baton.rss_kib):.1f} MB: {'met' if idle_met else 'NOT met'}",
            f"{IDLE_TARGET_MB:.0f} MB",
            ratio(mb(baton.rss_kib), IDLE_TARGET_MB),
        )
    )
    quick = " (--quick: the target is for 1 M)" if args.quick else ""
    rows.append(
        (
            f"(b) one process, a pass over {n:,} tasks{quick}: VmHWM after the pass "
            f"({passed['planned']} planned, {passed['sent']} sent, {passed['pass_seconds']:.1f} s)",
            f"{mb(passed['hwm_kib']):.1f} MB (VmRSS {mb(passed['after_rss_kib']):.1f})",
            f"{mb(passed['ready_rss_kib']):.1f} MB VmRSS once built and connected",
            ratio(passed["hwm_kib"], passed["ready_rss_kib"]),
        )
    )
    pass_met = mb(passed["hwm_kib"]) <= PASS_TARGET_MB
    rows.append(
        (
            f"(b) target: ≤ {PASS_TARGET_MB:.0f} MB after a pass over 1 M tasks{quick}",
            f"{mb(passed['hwm_kib']):.1f} MB: {'met' if pass_met else 'NOT met'}",
            f"{PASS_TARGET_MB:.0f} MB",
            ratio(mb(passed["hwm_kib"]), PASS_TARGET_MB),
        )
    )

    print_table(
        f"Memory benchmark (Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; MB = 10^6 bytes; "
        f"{time.monotonic() - began:.0f} s)",
        rows,
    )
    if args.json:
        data = {
            "bench": "memory",
            "quick": args.quick,
            "idle": baton.as_json(),
            "bare_idle": bare.as_json(),
            "after_pass": passed,
            "seconds": time.monotonic() - began,
        }
        Path(args.json).write_text(json.dumps(data, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == PASS_CHILD:
        pass_child(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(main())

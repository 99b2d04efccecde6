"""Profiles `baton serve` under bench/ack.py's closed-loop `/task` load with py-spy, and prints where the time goes.

Run from the repository root (py-spy is not a dependency: `.venv/bin/pip install py-spy` first):

    .venv/bin/python bench/profile_task.py                 # CPU samples, 20 s of load, 8 clients, Slack 30 ms late
    .venv/bin/python bench/profile_task.py --idle          # wall time: waits (locks, Slack, the write gate) too
    .venv/bin/python bench/profile_task.py --gil           # Python's CPU alone: the thread holding the GIL
    .venv/bin/python bench/profile_task.py --open          # under an open loop of 100 a second (the p99 target)
    .venv/bin/python bench/profile_task.py --postgres      # Baton on PostgreSQL (BATON_BENCH_POSTGRES_URL)
    .venv/bin/python bench/profile_task.py --raw s.txt     # keep the stacks; --from-raw s.txt reports on them again

Which to read: on two cores shared by eight request threads, the delivery threads, the clients and the fake Slack,
most runnable threads are waiting for a core, and the CPU mode samples a runnable thread as busy. It put Home tab
refreshes at 48 % of the samples where `--gil` put them at 1.5 % (a Home tab alone costs 8-11 ms of CPU, and Slack's
tier allows 100 a minute). `--gil` says where Python's time goes; C work done without the GIL (SQLite stepping
through rows) shows only in the CPU mode.

Baton is started as bench/ack.py starts it (2 gthread workers of 4 threads, a migrated SQLite file, the fake
Slack answering late). After the warm-up, `py-spy record --format raw --threads` samples each worker for the
whole closed loop, in two groups: the request threads (gunicorn's, while handling a request: wall time, waits
on Slack, SQLite locks and the GIL included) and the other threads that run Baton's code (background delivery,
Home refreshes, timers; threads idle outside Baton's code are left out). A sample counts toward every category
one of its frames falls in (cumulative), so the categories overlap and do not add up to 100 %.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ack import (  # noqa: E402
    CLOSED_CLIENTS,
    CREATED,
    OPEN_RATE,
    PYTHON,
    ROOT,
    SLACK_DELAY_MS,
    WORKERS,
    Requests,
    add_assignees,
    closed_loop,
    free_port,
    open_loop,
    slow_slack,
    started,
    warm_up,
)
from tables import Row, print_table  # noqa: E402

from tests.fakes.slack_api import FakeSlack  # noqa: E402

# (label, substrings; a frame matches when it contains any). Frames look like "function (path/file.py:line)".
CATEGORIES: list[tuple[str, tuple[str, ...]]] = [
    ("Bolt: request parsing, middleware, listener dispatch", ("slack_bolt/",)),
    ("  signature check (slack_sdk.signature)", ("slack_sdk/signature",)),
    ("handlers/ (Bolt listeners, Block Kit)", ("(handlers/",)),
    ("  handlers/blocks/ (Block Kit building)", ("handlers/blocks/",)),
    ("the /task use case (bot/services/tasks.py)", ("bot/services/tasks.py",)),
    ("command grammar (bot/domain/grammar/)", ("bot/domain/grammar/",)),
    ("due-time reading (bot/domain/when.py)", ("bot/domain/when.py",)),
    ("  dateparser", ("dateparser/",)),
    ("SQLAlchemy, all of it", ("sqlalchemy/",)),
    ("  ORM flush (Session.flush)", ("flush (sqlalchemy/orm/session.py",)),
    ("  ORM loading (rows to objects)", ("sqlalchemy/orm/loading.py",)),
    ("  statement compiling (sql/compiler.py)", ("sqlalchemy/sql/compiler.py",)),
    ("  DBAPI execute (SQLite itself, in C)", ("do_execute (sqlalchemy/engine/default.py",)),
    ("  commit (Session.commit)", ("commit (sqlalchemy/orm/session.py",)),
    ("storage/ (repositories, unit of work, write gate)", ("(storage/",)),
    ("people and teams (bot/services/people.py)", ("bot/services/people.py",)),
    ("Home refresh (bot/services/home.py, render_home)", ("bot/services/home.py", "render_home")),
    ("delivery bookkeeping (bot/scheduler/delivery/)", ("bot/scheduler/delivery/",)),
    ("Slack Web API client (slack_sdk/web, http.client)", ("slack_sdk/web/", "http/client.py")),
    ("logging (logging/, bot/logs.py)", ("logging/__init__.py", "bot/logs.py")),
    ("metrics (prometheus_client, bot/metrics.py)", ("prometheus_client/", "bot/metrics.py")),
    ("gunicorn and the WSGI adapter (outside Bolt)", ("gunicorn/",)),
    ("waiting for the SQLite write gate (WriteGate.acquire)", ("WriteGate.acquire",)),
]


PROJECT = ("(bot/", "(handlers/", "(storage/")  # how a frame of Baton's own code shows its file


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(t) for t in text]
    return found


def is_request_thread(stack: str) -> bool:
    """gunicorn's gthread workers handle a request in `handle` of gunicorn/workers/gthread.py."""
    return "gunicorn/workers/gthread.py" in stack and "handle (" in stack


def runs_baton(stack: str) -> bool:
    """Inside Baton's code below the serving loop (gunicorn's main thread waiting in `serve` is not)."""
    frames = stack.split(";")
    return any(part in frame for frame in frames for part in PROJECT if "(bot/cli.py" not in frame) and not (
        frames[-1].startswith("EpollSelector.select") or "wait_for_and_dispatch_events" in frames[-1]
    )


def read_raw(path: Path) -> list[tuple[str, int]]:
    """py-spy's raw format: `frame;frame;...;frame COUNT` per line, outermost frame first."""
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack, int(count)))
    return stacks


def tally(stacks: list[tuple[str, int]]) -> tuple[int, Counter[str]]:
    total, by_category = 0, Counter[str]()
    for stack, count in stacks:
        total += count
        for label, needles in CATEGORIES:
            if any(needle in stack for needle in needles):
                by_category[label] += count
    return total, by_category


def top_functions(stacks: list[tuple[str, int]], n: int) -> list[tuple[str, int]]:
    """Cumulative samples per project function (each counted once per stack), the `n` biggest."""
    cumulative = Counter[str]()
    for stack, count in stacks:
        seen = set()
        for frame in stack.split(";"):
            name = frame.split(":")[0] + ")" if "(" in frame else frame
            if any(part in name for part in PROJECT) and name not in seen:
                seen.add(name)
                cumulative[name] += count
    return cumulative.most_common(n)


def record(args: argparse.Namespace) -> tuple[list[tuple[str, int]], int, float]:
    """Runs Baton under the closed loop with py-spy on each worker: the stacks, answers and seconds (on PostgreSQL
    with --postgres: a schema of its own, dropped afterwards)."""
    if not args.postgres:
        return record_on(args, None)
    from planner import pg_answers, pg_base_url, pg_database  # here only: it imports Baton's planner and models

    base = pg_base_url()
    problem = pg_answers(base)
    if problem is not None:
        raise SystemExit(f"PostgreSQL did not answer at {base}: {problem}")
    with pg_database(base) as url:
        return record_on(args, url)


def record_on(args: argparse.Namespace, pg_url: str | None) -> tuple[list[tuple[str, int]], int, float]:
    secret = secrets.token_hex(16)
    with FakeSlack() as slack, tempfile.TemporaryDirectory(prefix="baton-profile-") as tmp:
        slow_slack(slack, args.slack_delay_ms / 1000)
        add_assignees(slack)
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "DATABASE_URL"))}
        env |= {
            "DATABASE_URL": pg_url or f"sqlite:///{folder / 'b.db'}",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack.base_url,
            "BATON_LOG_LEVEL": "WARNING",
        }
        subprocess.run(
            [PYTHON, "-m", "bot.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True, timeout=120,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        port = free_port()
        argv = [
            PYTHON, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(WORKERS), "--no-scheduler",
        ]  # fmt: skip
        requests = Requests(secret, slack.response_url("bench"))
        with started("baton", argv, env, port, folder) as baton:
            warm_up(baton, requests, CREATED)
            spies = []
            for pid in children(baton.process.pid):
                out = folder / f"spy-{pid}.txt"
                spy = [
                    str(Path(PYTHON).parent / "py-spy"), "record", "--pid", str(pid), "--format", "raw",
                    "--threads", "--nonblocking", "--rate", str(args.rate),
                    "--duration", str(int(args.seconds)), "--output", str(out),
                ] + (["--idle"] if args.idle else []) + (["--gil"] if args.gil else [])  # fmt: skip
                spies.append((subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), out))
            time.sleep(0.5)
            if args.open:
                load, _ = open_loop(baton.port, requests, args.seconds, CREATED)
                secs = args.seconds
            else:
                load, secs = closed_loop(baton.port, requests, args.seconds, CREATED, clients=CLOSED_CLIENTS)
            for process, _ in spies:
                _, err = process.communicate(timeout=60)
                if process.returncode:
                    print(f"[profile] py-spy failed: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
            stacks = [s for _, out in spies if out.exists() for s in read_raw(out)]
    return stacks, load.answered, secs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="closed loop under the profiler (default 20)")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second (default 250)")
    parser.add_argument("--slack-delay-ms", type=float, default=SLACK_DELAY_MS)
    parser.add_argument("--open", action="store_true", help=f"an open loop of {OPEN_RATE} a second instead")
    parser.add_argument("--idle", action="store_true", help="wall time: also sample threads that wait (py-spy --idle)")
    parser.add_argument("--gil", action="store_true",
                        help="Python's CPU: only the thread holding the GIL (py-spy --gil); waits on sockets, locks "
                             "and the GIL itself, which py-spy may count as running, are left out")  # fmt: skip
    parser.add_argument(
        "--postgres", action="store_true", help="Baton on PostgreSQL (BATON_BENCH_POSTGRES_URL) instead of SQLite"
    )
    parser.add_argument("--raw", type=Path, help="also keep the merged raw stacks here")
    parser.add_argument("--from-raw", type=Path, help="only report on stacks kept earlier with --raw")
    args = parser.parse_args()
    if args.from_raw:
        stacks, answered, secs = read_raw(args.from_raw), 0, 0.0
    else:
        stacks, answered, secs = record(args)
        if args.raw:
            args.raw.write_text("".join(f"{stack} {count}\n" for stack, count in stacks))
    rate = answered / secs if secs else 0.0
    requests_side = [(s, c) for s, c in stacks if is_request_thread(s)]
    background = [(s, c) for s, c in stacks if not is_request_thread(s) and runs_baton(s)]
    req_total, req_cat = tally(requests_side)
    bg_total, bg_cat = tally(background)
    all_total = req_total + bg_total
    rows = [
        Row(
            "samples (request threads, and other threads inside Baton's code)",
            f"{all_total:,}",
            f"{answered:,} /task answered ({rate:.0f}/s)",
            f"{all_total / max(answered, 1) / args.rate * 1000:.1f} ms of Baton's threads per /task",
        ),
        Row(
            "  in request threads / in other threads",
            f"{req_total:,} ({req_total / max(all_total, 1):.0%})",
            f"{bg_total:,} ({bg_total / max(all_total, 1):.0%})",
            "",
        ),
    ]
    for label, _ in CATEGORIES:
        r, b = req_cat[label], bg_cat[label]
        if r or b:
            rows.append(
                Row(
                    label,
                    f"{r / max(req_total, 1):.1%} of request-thread samples",
                    f"{b / max(bg_total, 1):.1%} of other samples",
                    f"{(r + b) / max(all_total, 1):.1%} of all",
                )
            )
    load = f"an open loop of {OPEN_RATE:.0f} a second" if args.open else f"closed loop ({CLOSED_CLIENTS} clients)"
    mode = "wall time (--idle)" if args.idle else "the GIL holder's CPU (--gil)" if args.gil else "CPU"
    database = "PostgreSQL" if args.postgres else "SQLite"
    print_table(
        f"Where `/task` time goes ({mode}, {database}): py-spy at {args.rate}/s over {args.seconds:.0f} s of {load}, "
        f"Slack {args.slack_delay_ms:.0f} ms late; cumulative shares",
        rows,
    )
    print("\nTop project functions by cumulative samples (request threads and Baton's other threads)\n")
    print("| function | samples | share |\n| --- | --- | --- |")
    for name, count in top_functions(requests_side + background, 30):
        print(f"| `{name}` | {count:,} | {count / max(all_total, 1):.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks how fast the real `baton serve` answers `/task`, against a Bolt app that saves the command.

Run from the repository root:

    .venv/bin/python bench/ack.py           # 5 + 10 + 10 s per server (~3 minutes)
    .venv/bin/python bench/ack.py --quick   # 1.5 + 3 + 3 s per server (CI smoke, ~1.5 minutes)
    .venv/bin/python bench/ack.py --slack-delay-ms 0   # the fake Slack answers at once (30 ms late by default)
    .venv/bin/python bench/ack.py --postgres  # Baton and the saving app on PostgreSQL (bench/ack_pg.py does this)

Three servers run side by side on 127.0.0.1, each gunicorn with 2 gthread workers of 4 threads:

- Baton: `python -m bot.cli serve --host 127.0.0.1 --port P --workers 2 --no-scheduler`, with a temporary
  SQLite file migrated first by `python -m bot.cli db upgrade`, SLACK_BOT_TOKEN=xoxb-bench, a random signing
  secret and SLACK_API_URL at the tests' FakeSlack (tests/fakes/slack_api.py), started in this process with
  its default users (U0MANAGER, U0ALICE, ...).
- The floor: bench/saving_app.py, the same Bolt App whose /task listener writes the command as one row to a
  SQLite file in WAL (`BEGIN IMMEDIATE; INSERT; COMMIT`, synchronous=NORMAL as Baton's engine) and acks
  "Saved C-n". A command must be saved, so this is what Baton is held to (its rate, p50/p99, the ratio).
- The bare ack: bench/bare_app.py, a Bolt App(process_before_response=True, token_verification_enabled=False)
  whose /task listener only calls ack(), under gunicorn with the same worker class, workers and threads.

Every request is `/task <@U0BENCHnnnn> Fix item N by fri 5pm` from U0MANAGER (50 assignees in turn, added to
the fake, since Slack takes one message a second per conversation), form-encoded and signed as Slack signs it
(tests/fakes/requests.py), so Baton parses it, writes a task and queues the assignment DM (delivered in the
background to the fake). Clients are threads with one http.client keep-alive connection each; the same
requests go to every server. At the end Baton's outbox is given up to 3 minutes to drain, and the `Created`
answers, tasks, outbox rows and DMs sent are counted (nothing may be lost).

(a) open loop: requests are due at a fixed 100/s whatever the answers do; latency is measured from the
    moment a request was due (so a slow server's queueing counts) to the last byte of the answer. p50/p99.
(b) closed loop: 8 threads send back to back for the duration: answers/s and answers that were not 2xx, and
    the CPU each server's processes spent per answer meanwhile (user + system, from /proc), beside this
    process's (the clients and the fake Slack) and the share of the machine left idle: what bounds the rate.
(c) one client sending back to back for half the duration: the latency of one request with no queue in front
    of it, and the rate one connection gets (run first, while the database is smallest).

With --postgres, Baton and the saving app write to PostgreSQL instead of SQLite files: what one replica does on
the production database, measured the same way (same gunicorn, load and phases, the bare ack() beside them).
PostgreSQL comes from BATON_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test). Both
work in one schema of their own, `baton_bench_<random>` (Baton's tables beside the saving app's `commands`,
which is created here before the servers start), chosen by the URL's `options=-csearch_path=<schema>` and
dropped afterwards whatever happens. Baton's DATABASE_URL is that URL (migrated by `db upgrade` as above); the
saving app gets it as a libpq URL in BENCH_DB_URL and writes each command with one `INSERT … RETURNING id;
COMMIT` on a psycopg connection per thread. The title names the database, and the JSON says `"bench":
"ack_pg"` and `"database": "postgresql"` (else `"ack"` and `"sqlite"`) with the same keys otherwise. When
PostgreSQL does not answer within 3 s, the script says why and exits 0 (the JSON then says `skipped`).

Everything is bounded in count and time, and every process started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, create_engine, make_url, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from tables import Row, print_table, ratio  # noqa: E402

from tests.fakes.requests import command_body, signed_headers  # noqa: E402
from tests.fakes.slack_api import U_MANAGER, FakeSlack  # noqa: E402

PYTHON = sys.executable
WORKERS = 2
THREADS = 4  # bot/server.py: cfg.set("threads", 4)
OPEN_RATE = 100.0  # requests/s in (a)
OPEN_CLIENTS = 16  # threads (and connections) that send (a)'s requests; more than ever needed at once
CLOSED_CLIENTS = 8
REQUEST_TIMEOUT = 10.0  # seconds, per request
HEALTH_DEADLINE = 30.0  # seconds for a server to answer /healthz
OPEN_GRACE = 20.0  # (a): once this long past the last due moment, requests not yet sent are dropped
SLACK_TIMEOUT = 3.0  # Slack shows the user an error when a slash command is not acknowledged within 3 s
P99_TARGET_MS = 15.0
P99_TARGET_RATIO = 1.5
THROUGHPUT_TARGET = 1000.0
FLOOR_SHARE = 0.5  # Baton's closed-loop rate against the Bolt app that saves the command, same run
SLACK_DELAY_MS = 30.0  # how late the fake Slack answers each Web API call, as a real one tens of ms away does
SLOW_METHODS = ("auth.test", "users.info", "conversations.open", "chat.postMessage", "chat.postEphemeral",
                "chat.update", "views.publish", "views.open", "views.update")  # fmt: skip
DRAIN_DEADLINE = 180.0  # seconds to wait at most, after the last phase, for Baton's outbox to empty
DRAIN_STALL = 20.0  # ... or until no row has left `pending`/`sending` for this long
ASSIGNEES = 50  # people the tasks go to in turn: Slack takes one message a second per conversation, and
# Baton reads each new person from users.info, which Slack allows about 100 times a minute
CREATED, SAVED = b"Created T-", b"Saved C-"  # what each app's ack carries once the command is written
COMMANDS_PG = (  # bench/saving_app.py's table on PostgreSQL, created before the server starts
    "CREATE TABLE commands (id bigserial PRIMARY KEY, team_id text, user_id text NOT NULL, text text NOT NULL, "
    "received_at double precision NOT NULL)"
)


def log(message: str) -> None:
    print(f"[ack] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def stop(server: Server) -> None:
    """terminate (gunicorn's graceful stop), wait, then kill the process group if it lingers."""
    process = server.process
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        log(f"{server.name} did not stop in 15 s; killing its process group")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 9)
        process.wait(timeout=5)


@contextmanager
def started(name: str, argv: list[str], env: dict[str, str], port: int, folder: Path) -> Iterator[Server]:
    log_path = folder / f"{name}.log"
    with open(log_path, "wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, port, process, log_path)
    try:
        wait_healthy(server)
        yield server
    finally:
        stop(server)


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + HEALTH_DEADLINE
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.tail()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer /healthz within {HEALTH_DEADLINE:.0f} s:\n{server.tail()}")


def assignee(n: int) -> str:
    """The n-th request's assignee: ASSIGNEES people in turn, so DMs are not all paced on one conversation."""
    return f"U0BENCH{n % ASSIGNEES:04d}"


def add_assignees(slack: FakeSlack) -> None:
    for n in range(ASSIGNEES):
        slack.add_user(assignee(n), name=f"bench{n}", tz="Europe/Berlin")


class Requests:
    """Signed `/task <@U0ALICE> Fix item N by fri 5pm` bodies, numbered across the whole run."""

    def __init__(self, secret: str, response_url: str) -> None:
        self.secret, self.response_url = secret, response_url
        self._n = 0
        self._lock = threading.Lock()

    def next(self) -> tuple[bytes, dict[str, str]]:
        with self._lock:
            self._n += 1
            n = self._n
        body = command_body(
            "/task", f"<@{assignee(n)}> Fix item {n} by fri 5pm", user_id=U_MANAGER, response_url=self.response_url
        )
        headers = signed_headers(body, secret=self.secret)  # signed now, as Slack does when it sends
        headers["Content-Length"] = str(len(body))
        return body.encode(), headers


class Client:
    """One keep-alive connection; reconnects once after a dropped connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            try:
                self.conn.request("POST", "/slack/events", body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.will_close:
                    self.close()
                return response.status, data
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # no HTTP answer at all (timeout, refused)
    not_created: int = 0  # 2xx whose body is not a "Created T-n" ack (Baton only)
    skipped: int = 0  # (a) only: due requests never sent, because the server was OPEN_GRACE s behind
    odd_answer: str = ""  # the first 2xx body without the expected ack text, to say what went wrong
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_skipped(self) -> None:
        with self.lock:
            self.skipped += 1

    def over(self, seconds: float) -> int:
        with self.lock:
            return sum(1 for latency in self.latencies if latency > seconds)

    def add(self, status: int | None, latency: float | None, created: bool) -> None:
        with self.lock:
            if status is None:
                self.errors += 1
                return
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if latency is not None:
                self.latencies.append(latency)
            if 200 <= status < 300 and not created:
                self.not_created += 1

    @property
    def answered(self) -> int:
        return sum(self.statuses.values())

    @property
    def not_2xx(self) -> int:
        return self.errors + sum(c for s, c in self.statuses.items() if not 200 <= s < 300)


def send(client: Client, requests: Requests, tally: Tally, due: float, expect: bytes | None) -> None:
    body, headers = requests.next()
    try:
        status, data = client.post(body, headers)
    except OSError:
        tally.add(None, None, False)
        return
    created = (expect in data) if expect else True
    tally.add(status, time.monotonic() - due, created)
    if not created and not tally.odd_answer:
        tally.odd_answer = data[:300].decode(errors="replace")


def open_loop(port: int, requests: Requests, seconds: float, expect: bytes | None) -> tuple[Tally, float]:
    """Requests due every 1/OPEN_RATE s; a pool of connected threads takes them as they fall due."""
    count = int(seconds * OPEN_RATE)
    tally = Tally()
    due_times: queue.Queue[float | None] = queue.Queue()
    start = time.monotonic() + 0.2
    for i in range(count):
        due_times.put(start + i / OPEN_RATE)
    for _ in range(OPEN_CLIENTS):
        due_times.put(None)

    give_up = threading.Event()

    def worker() -> None:
        client = Client(port)
        try:
            while True:
                due = due_times.get()
                if due is None:
                    return
                if give_up.is_set():
                    tally.add_skipped()
                    continue
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                send(client, requests, tally, due, expect)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, name=f"open-{i}", daemon=True) for i in range(OPEN_CLIENTS)]
    for t in threads:
        t.start()
    give_up_at = start + seconds + OPEN_GRACE
    for t in threads:
        t.join(timeout=max(0.0, give_up_at - time.monotonic()))
    give_up.set()  # a server that fell this far behind: the requests still queued here are not sent
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT + 5)
    late = max(0.0, time.monotonic() - (start + count / OPEN_RATE))
    return tally, late


def closed_loop(
    port: int, requests: Requests, seconds: float, expect: bytes | None, clients: int = CLOSED_CLIENTS
) -> tuple[Tally, float]:
    tally = Tally()
    start = time.monotonic()
    end = start + seconds
    max_each = int(seconds * 5000)  # a bound on the loop whatever the clock does

    def worker() -> None:
        client = Client(port)
        try:
            for _ in range(max_each):
                began = time.monotonic()
                if began >= end:
                    return
                send(client, requests, tally, began, expect)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, name=f"closed-{i}", daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + REQUEST_TIMEOUT * 2 + 5)
    return tally, time.monotonic() - start


def warm_up(server: Server, requests: Requests, expect: bytes | None) -> Tally:
    """Enough requests over several connections that both workers and their threads have answered a few."""
    tally, _ = closed_loop(server.port, requests, 1.5, expect)
    for _ in range(10):  # until every assignee has had a task: Baton reads a person from Slack once
        if tally.answered >= ASSIGNEES or tally.not_2xx or tally.not_created:
            break
        more, _ = closed_loop(server.port, requests, 1.5, expect)
        tally = merged(tally, more)
    if tally.not_2xx or tally.not_created or tally.answered == 0:
        raise RuntimeError(
            f"{server.name} warm-up failed: statuses {tally.statuses}, no answer {tally.errors}, "
            f"not created {tally.not_created} (first: {tally.odd_answer!r})\n{server.tail()}"
        )
    log(f"{server.name} warmed up: {tally.answered} requests")
    return tally


def merged(a: Tally, b: Tally) -> Tally:
    statuses = {s: a.statuses.get(s, 0) + b.statuses.get(s, 0) for s in {*a.statuses, *b.statuses}}
    return Tally(
        latencies=a.latencies + b.latencies,
        statuses=statuses,
        errors=a.errors + b.errors,
        not_created=a.not_created + b.not_created,
        skipped=a.skipped + b.skipped,
        odd_answer=a.odd_answer or b.odd_answer,
    )


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, q in (0, 100]."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (gunicorn's master and workers), from /proc."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # The fields after the command's closing parenthesis: ppid is the 2nd, utime and stime the 12th, 13th.
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
    tree, grew = {pid}, True
    while grew:
        found = {p for p, fields in stats.items() if int(fields[1]) in tree} - tree
        tree |= found
        grew = bool(found)
    ticks = sum(int(stats[p][11]) + int(stats[p][12]) for p in tree if p in stats)
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_idle() -> tuple[float, float]:
    """(idle, total) jiffies of every CPU since boot, from /proc/stat (idle counts iowait too)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return float(values[3] + values[4]), float(sum(values[:8]))


@dataclass
class CpuUse:
    """CPU spent while one server was measured: its processes', this process's (the clients and the fake Slack),
    and the share of the machine left idle."""

    server_s: float = 0.0
    bench_s: float = 0.0
    idle_share: float = 0.0

    def per_answer_ms(self, answers: int) -> tuple[float, float]:
        return (self.server_s / answers * 1000, self.bench_s / answers * 1000) if answers else (0.0, 0.0)


def with_cpu(server: Server, measure: Callable[[], tuple[Tally, float]]) -> tuple[tuple[Tally, float], CpuUse]:
    """`measure()`, and the CPU the server and this process spent meanwhile (Linux /proc; zeros elsewhere)."""
    try:
        before = tree_cpu_seconds(server.process.pid), time.process_time(), machine_idle()
    except OSError:
        return measure(), CpuUse()
    got = measure()
    server_s, bench_s = tree_cpu_seconds(server.process.pid) - before[0], time.process_time() - before[1]
    idle, total = machine_idle()
    share = (idle - before[2][0]) / (total - before[2][1]) if total > before[2][1] else 0.0
    return got, CpuUse(server_s=server_s, bench_s=bench_s, idle_share=share)


@cache
def engine(url: str) -> Engine:
    """One engine per database (a SQLite file or a PostgreSQL schema), without a pool: nothing stays connected."""
    return create_engine(url, poolclass=NullPool)


def db_counts(url: str) -> tuple[int, dict[str, int]]:
    """Baton's tasks, and its outbox rows by state (exact counts), at the SQLAlchemy URL `url`."""
    with engine(url).connect() as conn:
        tasks = int(conn.execute(text("SELECT count(*) FROM tasks")).scalar_one())
        outbox = {str(s): int(c) for s, c in conn.execute(text("SELECT state, count(*) FROM outbox GROUP BY state"))}
    return tasks, outbox


def saved_rows(url: str) -> int:
    with engine(url).connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM commands")).scalar_one())


def waiting_rows(url: str) -> dict[str, Any]:
    """The rows still pending: how many, when the next and the last fall due (seconds from now, by the
    database's UTC times), their most attempts and their errors."""
    pending = "FROM outbox WHERE state = 'pending'"
    with engine(url).connect() as conn:
        first, last, attempts, count = conn.execute(
            text(f"SELECT min(not_before), max(not_before), max(attempts), count(*) {pending}")
        ).one()
        by_error = conn.execute(text(f"SELECT coalesce(last_error, ''), count(*) {pending} GROUP BY last_error"))
        errors = {str(error): int(n) for error, n in by_error}
    now = datetime.now(UTC).replace(tzinfo=None)

    def due_in(value: str | datetime | None) -> float | None:
        """SQLite hands back the naive UTC text Baton wrote; PostgreSQL an aware timestamp (timestamptz)."""
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return (moment.replace(tzinfo=None) - now).total_seconds()

    return {"pending": count, "next_due_in_s": due_in(first), "last_due_in_s": due_in(last),
            "max_attempts": attempts, "errors": errors}  # fmt: skip


def wait_drained(url: str, deadline: float) -> tuple[int, dict[str, int], float]:
    """Polls until no outbox row is pending or being sent, or `deadline` s pass, or none has left them for
    DRAIN_STALL s while none is waiting for a later moment: tasks, outbox by state, seconds waited."""
    began = time.monotonic()
    progress_at, last_busy = began, -1
    while True:
        tasks, outbox = db_counts(url)
        busy = outbox.get("pending", 0) + outbox.get("sending", 0)
        now = time.monotonic()
        if busy != last_busy:
            progress_at, last_busy = now, busy
        if busy == 0 or now - began > deadline:
            return tasks, outbox, now - began
        if now - progress_at > DRAIN_STALL:
            later = waiting_rows(url)["last_due_in_s"]
            if later is None or later < 0:  # nothing left waits for a later moment: it is stuck
                return tasks, outbox, now - began
        time.sleep(0.5)


def slow_slack(slack: FakeSlack, seconds: float) -> None:
    """Every Web API method the servers call answers `seconds` late (a real Slack is tens of ms away)."""
    for method in SLOW_METHODS:
        slack.slow(method, seconds)


def server_argv(module: str, port: int) -> list[str]:
    """gunicorn serving bench/<module>.py with the worker class, workers, threads and timeouts of `baton serve`."""
    return [
        PYTHON, "-m", "gunicorn", "--chdir", str(ROOT / "bench"), "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(THREADS),
        "--graceful-timeout", "10", "--timeout", "30", "--log-level", "warning", f"{module}:app",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement instead of 10 (CI smoke)")
    parser.add_argument("--json", metavar="PATH", help="also write the headline numbers here as JSON")
    parser.add_argument(
        "--slack-delay-ms",
        type=float,
        default=SLACK_DELAY_MS,
        help=f"how late the fake Slack answers every Web API call (default {SLACK_DELAY_MS:.0f})",
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="Baton and the saving app on PostgreSQL (BATON_BENCH_POSTGRES_URL) instead of SQLite files",
    )
    args = parser.parse_args(argv)
    if not args.postgres:
        return run(args, None)
    from planner import pg_answers, pg_base_url, pg_database  # here only: it imports Baton's planner and models

    base = pg_base_url()
    problem = pg_answers(base)  # waits 3 s at most
    if problem is not None:
        reason = f"PostgreSQL did not answer at {make_url(base).render_as_string()} ({problem})"
        print(f"Ack benchmark on PostgreSQL skipped: {reason}")
        if args.json:
            skipped = {"bench": "ack_pg", "quick": args.quick, "database": "postgresql", "skipped": reason}
            Path(args.json).write_text(json.dumps(skipped, indent=2) + "\n")
            log(f"wrote {args.json}")
        return 0
    with pg_database(base) as url:  # a schema of its own, dropped at the end whatever happens
        with engine(url).begin() as conn:
            conn.execute(text(COMMANDS_PG))
        return run(args, url)


def pg_version(url: str) -> str:
    with engine(url).connect() as conn:
        return str(conn.execute(text("SHOW server_version")).scalar_one()).split()[0]


def run(args: argparse.Namespace, pg_url: str | None) -> int:
    """The three servers, the phases and the counts; on SQLite files, or in the PostgreSQL schema at `pg_url`."""
    seconds = 3.0 if args.quick else 10.0
    began = time.monotonic()
    secret = secrets.token_hex(16)
    rows: list[Row] = []

    with FakeSlack() as slack, tempfile.TemporaryDirectory(prefix="baton-ack-") as tmp:
        slow_slack(slack, args.slack_delay_ms / 1000)
        add_assignees(slack)
        folder = Path(tmp)
        if pg_url is None:
            db_path, saving_db = folder / "b.db", folder / "saving.db"
            db_url, saving_url = f"sqlite:///{db_path}", f"sqlite:///{saving_db}"
            saving_db_env = {"BENCH_DB_PATH": str(saving_db)}
            database = f"SQLite {sqlite3.sqlite_version}"
        else:  # one schema: Baton's tables beside the saving app's `commands`
            db_url = saving_url = pg_url
            libpq = make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
            saving_db_env = {"BENCH_DB_URL": libpq}
            database = f"PostgreSQL {pg_version(pg_url)}"
        base_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "BENCH_", "DATABASE_URL"))
        }
        baton_env = {
            **base_env,
            "DATABASE_URL": db_url,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack.base_url,
            "BATON_LOG_LEVEL": "WARNING",
        }
        bare_env = {**base_env, "BENCH_SIGNING_SECRET": secret, "BENCH_SLACK_API_URL": slack.base_url}
        saving_env = {**bare_env, **saving_db_env}
        log(f"migrating a temporary {database.split()[0]} database with `python -m bot.cli db upgrade`")
        subprocess.run(
            [PYTHON, "-m", "bot.cli", "db", "upgrade"],
            cwd=ROOT,
            env=baton_env,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )
        baton_port, bare_port, saving_port = free_port(), free_port(), free_port()
        baton_argv = [
            PYTHON, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(baton_port),
            "--workers", str(WORKERS), "--no-scheduler",
        ]  # fmt: skip
        requests = Requests(secret, slack.response_url("bench"))
        log(
            f"starting Baton on :{baton_port}, the bare Bolt app on :{bare_port} and the saving Bolt app on "
            f":{saving_port} (gthread, {WORKERS}x{THREADS}); Slack answers {args.slack_delay_ms:.0f} ms late"
        )
        with (
            started("baseline", server_argv("bare_app", bare_port), bare_env, bare_port, folder) as bare,
            started("saving", server_argv("saving_app", saving_port), saving_env, saving_port, folder) as saving,
            started("baton", baton_argv, baton_env, baton_port, folder) as baton,
        ):
            servers = ((bare, None), (saving, SAVED), (baton, CREATED))
            warmed = {server.name: warm_up(server, requests, expect) for server, expect in servers}
            tasks_before, _ = db_counts(db_url)
            saved_before = saved_rows(saving_url)
            dms_before = len(slack.calls_to("chat.postMessage"))

            results: dict[str, dict[str, tuple[Tally, float]]] = {"open": {}, "closed": {}, "one": {}}
            for server, expect in servers:
                log(f"(c) {server.name}: one client, back to back, for {seconds / 2:.1f} s")
                results["one"][server.name] = closed_loop(server.port, requests, seconds / 2, expect, clients=1)
                time.sleep(1.0)
            for server, expect in servers:
                log(f"(a) {server.name}: open loop, {OPEN_RATE:.0f} req/s for {seconds:.0f} s")
                results["open"][server.name] = open_loop(server.port, requests, seconds, expect)
                time.sleep(1.0)  # let Baton's background DMs drain before the next phase
            cpu: dict[str, CpuUse] = {}
            for server, expect in servers:
                log(f"(b) {server.name}: closed loop, {CLOSED_CLIENTS} threads for {seconds:.0f} s")
                results["closed"][server.name], cpu[server.name] = with_cpu(
                    server, partial(closed_loop, server.port, requests, seconds, expect)
                )
                time.sleep(1.0)
            tasks_after, outbox, drain_s = wait_drained(db_url, DRAIN_DEADLINE)
            log(f"Baton's outbox drained {drain_s:.1f} s after the last phase: {outbox}")
            waiting = waiting_rows(db_url)
            if waiting["pending"]:
                log(f"rows still pending: {waiting}")
            saved_after = saved_rows(saving_url)
            for server in (bare, saving, baton):
                if server.process.poll() is not None:
                    raise RuntimeError(f"{server.name} died during the run:\n{server.tail()}")

        def created(name: str) -> int:
            """Answers that carried the expected ack text ("Created T-n", "Saved C-n"), warm-up included."""
            tallies = [warmed[name], *(results[phase][name][0] for phase in results)]
            return sum(t.answered - t.not_2xx + t.errors - t.not_created for t in tallies)

        delivery = {
            "commands": created("baton"),
            "tasks": tasks_after,
            "outbox": dict(sorted(outbox.items())),
            "drain_s": drain_s,
            "still_pending": waiting,
            "dms_measured": len(slack.calls_to("chat.postMessage")) - dms_before,
            "tasks_measured": tasks_after - tasks_before,
            "saved_commands": created("saving"),
            "saved_rows": saved_after,
            "saved_rows_measured": saved_after - saved_before,
        }
        rows += result_rows(results, delivery, seconds, cpu)

    print_table(
        f"Ack benchmark (Python {sys.version.split()[0]}, {database}, gunicorn gthread "
        f"{WORKERS} workers x {THREADS} threads, {os.cpu_count()} CPUs, Slack answers {args.slack_delay_ms:.0f} ms "
        f"late; {time.monotonic() - began:.0f} s)",
        rows,
    )
    if args.json:
        write_json(
            Path(args.json),
            results,
            bench="ack" if pg_url is None else "ack_pg",
            quick=args.quick,
            seconds=seconds,
            extra={
                "database": "sqlite" if pg_url is None else "postgresql",
                "database_version": database,
                "slack_delay_ms": args.slack_delay_ms,
                "delivery": delivery,
                "closed_cpu": {
                    name: {
                        "server_ms_per_answer": use.per_answer_ms(results["closed"][name][0].answered)[0],
                        "bench_ms_per_answer": use.per_answer_ms(results["closed"][name][0].answered)[1],
                        "idle_share": use.idle_share,
                    }
                    for name, use in cpu.items()
                },
            },
        )
    return 0


def result_rows(
    results: dict[str, dict[str, tuple[Tally, float]]], delivery: dict[str, Any], seconds: float, cpu: dict[str, CpuUse]
) -> list[Row]:
    """Baton against the saving floor (a bare Bolt app that writes one row), with the bare ack() beside it."""
    rows: list[Row] = []

    def ms(tally: Tally, q: float) -> float:
        return pct(tally.latencies, q) * 1000 if tally.latencies else float("nan")

    # -- (a) --
    tallies = {name: got[0] for name, got in results["open"].items()}
    t_tally, s_tally, b_tally = tallies["baton"], tallies["saving"], tallies["baseline"]
    for label, q in (("p50", 50), ("p99", 99)):
        t, s, b = ms(t_tally, q), ms(s_tally, q), ms(b_tally, q)
        rows.append(
            Row(
                f"(a) /task ack latency {label}, open loop {OPEN_RATE:.0f} req/s for {seconds:.0f} s",
                f"{t:.1f} ms",
                f"{s:.1f} ms Bolt app saving one row ({b:.1f} ms bare ack())",
                ratio(t, s),
            )
        )
    t99 = ms(t_tally, 99)
    rows.append(
        Row(
            f"(a) p99 target: ≤ {P99_TARGET_MS:.0f} ms",
            f"{t99:.1f} ms: {'met' if t99 <= P99_TARGET_MS else 'NOT met'}",
            f"{P99_TARGET_MS:.0f} ms",
            ratio(t99, P99_TARGET_MS),
        )
    )
    rows.append(
        Row(
            "(a) max latency / answers not 2xx / not `Created T-n` (saving app: not `Saved C-n`)",
            f"{max(t_tally.latencies, default=0) * 1000:.0f} ms / {t_tally.not_2xx} of "
            f"{t_tally.answered + t_tally.errors} / {t_tally.not_created}",
            f"{max(s_tally.latencies, default=0) * 1000:.0f} ms / {s_tally.not_2xx} of "
            f"{s_tally.answered + s_tally.errors} / {s_tally.not_created}",
            "n/a",
        )
    )
    rows.append(
        Row(
            f"(a) answers slower than Slack's {SLACK_TIMEOUT:.0f} s (the user sees an error) / due but not sent",
            f"{t_tally.over(SLACK_TIMEOUT)} of {t_tally.answered} / {t_tally.skipped}",
            f"{s_tally.over(SLACK_TIMEOUT)} of {s_tally.answered} / {s_tally.skipped}",
            "n/a",
        )
    )
    lates = {name: got[1] for name, got in results["open"].items()}
    rows.append(
        Row(
            "(a) the load kept its rate: last answer after the last due moment",
            f"{lates['baton'] * 1000:.0f} ms",
            f"{lates['saving'] * 1000:.0f} ms",
            "n/a",
        )
    )
    # -- (b) --
    rates = {name: got[0].answered / got[1] if got[1] else 0.0 for name, got in results["closed"].items()}
    tallies = {name: got[0] for name, got in results["closed"].items()}
    t_tally, s_tally = tallies["baton"], tallies["saving"]
    rows.append(
        Row(
            f"(b) closed loop, {CLOSED_CLIENTS} threads for {seconds:.0f} s: answers/s",
            f"{rates['baton']:.0f}/s ({t_tally.answered}; p50 {ms(t_tally, 50):.1f} ms, p99 {ms(t_tally, 99):.1f} ms)",
            f"{rates['saving']:.0f}/s Bolt app saving one row ({s_tally.answered}; p50 {ms(s_tally, 50):.1f} ms, "
            f"p99 {ms(s_tally, 99):.1f} ms); {rates['baseline']:.0f}/s bare ack()",
            ratio(rates["baton"], rates["saving"]),
        )
    )
    floor = FLOOR_SHARE * rates["saving"]
    met = rates["baton"] >= THROUGHPUT_TARGET and rates["baton"] >= floor
    rows.append(
        Row(
            f"(b) throughput target: ≥ {FLOOR_SHARE}× the saving app and ≥ {THROUGHPUT_TARGET:,.0f} req/s",
            f"{rates['baton']:.0f}/s: {'met' if met else 'NOT met'}",
            f"{max(floor, THROUGHPUT_TARGET):,.0f}/s (the higher of the two)",
            ratio(rates["baton"], max(floor, THROUGHPUT_TARGET)),
        )
    )
    rows.append(
        Row(
            "(b) answers not 2xx (incl. no answer) / 2xx not `Created T-n` (saving app: not `Saved C-n`)",
            f"{t_tally.not_2xx} / {t_tally.not_created} {dict(sorted(t_tally.statuses.items()))}",
            f"{s_tally.not_2xx} / {s_tally.not_created} {dict(sorted(s_tally.statuses.items()))}",
            "n/a",
        )
    )
    answered = {name: got[0].answered for name, got in results["closed"].items()}
    use = {name: (*cpu[name].per_answer_ms(answered[name]), cpu[name].idle_share) for name in cpu}
    if "baton" in use:
        (t_srv, t_bench, t_idle), (s_srv, s_bench, s_idle) = use["baton"], use["saving"]
        rows.append(
            Row(
                "(b) CPU per answer: the server's processes / this process (clients, fake Slack); machine idle",
                f"{t_srv:.2f} ms / {t_bench:.2f} ms; {t_idle:.0%} idle",
                f"{s_srv:.2f} ms / {s_bench:.2f} ms; {s_idle:.0%} idle (saving app); {use['baseline'][0]:.2f} ms "
                "bare ack()",
                ratio(t_srv, s_srv),
            )
        )
    # -- (c) --
    tallies = {name: got[0] for name, got in results["one"].items()}
    t_tally, s_tally = tallies["baton"], tallies["saving"]
    for label, q in (("p50", 50), ("p99", 99)):
        t, s = ms(t_tally, q), ms(s_tally, q)
        rows.append(
            Row(
                f"(c) one client, back to back, {seconds / 2:.1f} s: latency {label} (no queueing)",
                f"{t:.1f} ms",
                f"{s:.1f} ms Bolt app saving one row ({ms(tallies['baseline'], q):.1f} ms bare ack())",
                ratio(t, s),
            )
        )
    rates = {name: got[0].answered / got[1] if got[1] else 0.0 for name, got in results["one"].items()}
    rows.append(
        Row(
            "(c) one client: answers/s / not 2xx",
            f"{rates['baton']:.0f}/s / {t_tally.not_2xx + t_tally.not_created}",
            f"{rates['saving']:.0f}/s / {s_tally.not_2xx + s_tally.not_created}",
            ratio(rates["baton"], rates["saving"]),
        )
    )
    # -- nothing lost --
    sent = delivery["outbox"].get("sent", 0)
    rows.append(
        Row(
            "Nothing lost (whole run, warm-up included): `Created` answers / tasks / outbox rows / DMs sent",
            f"{delivery['commands']} / {delivery['tasks']} / {sum(delivery['outbox'].values())} / {sent} sent "
            f"(outbox {delivery['outbox']}, drained "
            f"{delivery['drain_s']:.1f} s after the last phase; {delivery['dms_measured']} chat.postMessage "
            "while measured)",
            f"`Saved` answers {delivery['saved_commands']} / rows {delivery['saved_rows']}",
            "n/a",
        )
    )
    return rows


def write_json(
    path: Path,
    results: dict[str, dict[str, tuple[Tally, float]]],
    *,
    bench: str,
    quick: bool,
    seconds: float,
    extra: dict[str, Any],
) -> None:
    """The headline numbers of every phase, per server (latencies in ms, rates in answers/s), for bench/targets.py."""

    def phase(tally: Tally, secs: float) -> dict[str, Any]:
        lat = tally.latencies
        return {
            "answered": tally.answered,
            "not_2xx": tally.not_2xx,
            "not_created": tally.not_created,
            "no_answer": tally.errors,
            "skipped": tally.skipped,
            "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
            "p50_ms": pct(lat, 50) * 1000 if lat else None,
            "p99_ms": pct(lat, 99) * 1000 if lat else None,
            "max_ms": max(lat) * 1000 if lat else None,
            "over_3s": tally.over(SLACK_TIMEOUT),
            "seconds": secs,
            "rate": tally.answered / secs if secs else 0.0,
        }

    data = {
        "bench": bench,
        "quick": quick,
        "seconds_per_phase": seconds,
        "open_rate": OPEN_RATE,
        "closed_clients": CLOSED_CLIENTS,
        "workers": WORKERS,
        "threads": THREADS,
        **{name: {server: phase(*got) for server, got in per.items()} for name, per in results.items()},
        **extra,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    log(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())

"""Benchmarks how fast the real `baton serve` acknowledges a slash command, against a bare Bolt app.

Run from the repository root:

    .venv/bin/python bench/ack.py           # 5 + 10 + 10 s per server (~1.5 minutes)
    .venv/bin/python bench/ack.py --quick   # 1.5 + 3 + 3 s per server (CI smoke, ~40 s)

Two servers run side by side on 127.0.0.1, each gunicorn with 2 gthread workers of 4 threads:

- Baton: `python -m bot.cli serve --host 127.0.0.1 --port P --workers 2 --no-scheduler`, with a temporary
  SQLite file migrated first by `python -m bot.cli db upgrade`, SLACK_BOT_TOKEN=xoxb-bench, a random signing
  secret and SLACK_API_URL at the tests' FakeSlack (tests/fakes/slack_api.py), started in this process with
  its default users (U0MANAGER, U0ALICE, ...).
- The baseline: bench/bare_app.py, a Bolt App(process_before_response=True, token_verification_enabled=False)
  whose /task listener only calls ack(), under gunicorn with the same worker class, workers and threads.

Every request is `/task <@U0ALICE> Fix item N by fri 5pm` from U0MANAGER, form-encoded and signed as Slack
signs it (tests/fakes/requests.py), so Baton parses it, writes a task and queues a DM to U0ALICE (delivered
in the background to the fake). Clients are threads with one http.client keep-alive connection each.

(a) open loop: requests are due at a fixed 100/s whatever the answers do; latency is measured from the
    moment a request was due (so a slow server's queueing counts) to the last byte of the answer. p50/p99.
(b) closed loop: 8 threads send back to back for the duration: answers/s and answers that were not 2xx.
(c) one client sending back to back for half the duration: the latency of one request with no queue in front
    of it, and the rate one connection gets (run first, while the database is smallest).

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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tables import Row, print_table, ratio  # noqa: E402

from tests.fakes.requests import command_body, signed_headers  # noqa: E402
from tests.fakes.slack_api import U_ALICE, U_MANAGER, FakeSlack  # noqa: E402

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
            "/task", f"<@{U_ALICE}> Fix item {n} by fri 5pm", user_id=U_MANAGER, response_url=self.response_url
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


def send(client: Client, requests: Requests, tally: Tally, due: float, expect_created: bool) -> None:
    body, headers = requests.next()
    try:
        status, data = client.post(body, headers)
    except OSError:
        tally.add(None, None, False)
        return
    created = (b"Created T-" in data) if expect_created else True
    tally.add(status, time.monotonic() - due, created)


def open_loop(port: int, requests: Requests, seconds: float, expect_created: bool) -> tuple[Tally, float]:
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
                send(client, requests, tally, due, expect_created)
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
    port: int, requests: Requests, seconds: float, expect_created: bool, clients: int = CLOSED_CLIENTS
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
                send(client, requests, tally, began, expect_created)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, name=f"closed-{i}", daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + REQUEST_TIMEOUT * 2 + 5)
    return tally, time.monotonic() - start


def warm_up(server: Server, requests: Requests, expect_created: bool) -> None:
    """Enough requests over several connections that both workers and their threads have answered a few."""
    tally, _ = closed_loop(server.port, requests, 1.5, expect_created)
    if tally.not_2xx or tally.not_created or tally.answered == 0:
        raise RuntimeError(
            f"{server.name} warm-up failed: statuses {tally.statuses}, no answer {tally.errors}, "
            f"not created {tally.not_created}\n{server.tail()}"
        )
    log(f"{server.name} warmed up: {tally.answered} requests")


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, q in (0, 100]."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def db_counts(path: Path) -> tuple[int, dict[str, int]]:
    with sqlite3.connect(path) as conn:
        tasks = int(conn.execute("SELECT count(*) FROM tasks").fetchone()[0])
        outbox = {str(s): int(c) for s, c in conn.execute("SELECT state, count(*) FROM outbox GROUP BY state")}
    return tasks, outbox


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement instead of 10 (CI smoke)")
    parser.add_argument("--json", metavar="PATH", help="also write the headline numbers here as JSON")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else 10.0
    began = time.monotonic()
    secret = secrets.token_hex(16)
    rows: list[Row] = []

    with FakeSlack() as slack, tempfile.TemporaryDirectory(prefix="baton-ack-") as tmp:
        folder = Path(tmp)
        db_path = folder / "b.db"
        base_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "DATABASE_URL"))}
        baton_env = {
            **base_env,
            "DATABASE_URL": f"sqlite:///{db_path}",
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack.base_url,
            "BATON_LOG_LEVEL": "WARNING",
        }
        bare_env = {**base_env, "BENCH_SIGNING_SECRET": secret, "BENCH_SLACK_API_URL": slack.base_url}
        log("migrating a temporary SQLite database with `python -m bot.cli db upgrade`")
        subprocess.run(
            [PYTHON, "-m", "bot.cli", "db", "upgrade"],
            cwd=ROOT,
            env=baton_env,
            check=True,
            timeout=120,
            stdout=subprocess.DEVNULL,
        )
        baton_port, bare_port = free_port(), free_port()
        baton_argv = [
            PYTHON,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(baton_port),
            "--workers",
            str(WORKERS),
            "--no-scheduler",
        ]
        bare_argv = [
            PYTHON, "-m", "gunicorn", "--chdir", str(ROOT / "bench"), "--bind", f"127.0.0.1:{bare_port}",
            "--workers", str(WORKERS), "--worker-class", "gthread", "--threads", str(THREADS),
            "--graceful-timeout", "10", "--timeout", "30", "--log-level", "warning", "bare_app:app",
        ]  # fmt: skip
        requests = Requests(secret, slack.response_url("bench"))
        log(f"starting Baton on :{baton_port} and the bare Bolt app on :{bare_port} (gthread, {WORKERS}x{THREADS})")
        with (
            started("baseline", bare_argv, bare_env, bare_port, folder) as bare,
            started("baton", baton_argv, baton_env, baton_port, folder) as baton,
        ):
            warm_up(bare, requests, expect_created=False)
            warm_up(baton, requests, expect_created=True)
            tasks_before, _ = db_counts(db_path)
            dms_before = len(slack.calls_to("chat.postMessage"))

            results: dict[str, dict[str, tuple[Tally, float]]] = {"open": {}, "closed": {}, "one": {}}
            for server, created in ((bare, False), (baton, True)):
                log(f"(c) {server.name}: one client, back to back, for {seconds / 2:.1f} s")
                results["one"][server.name] = closed_loop(server.port, requests, seconds / 2, created, clients=1)
                time.sleep(1.0)
            for server, created in ((bare, False), (baton, True)):
                log(f"(a) {server.name}: open loop, {OPEN_RATE:.0f} req/s for {seconds:.0f} s")
                results["open"][server.name] = open_loop(server.port, requests, seconds, created)
                time.sleep(1.0)  # let Baton's background DMs drain before the next phase
            for server, created in ((bare, False), (baton, True)):
                log(f"(b) {server.name}: closed loop, {CLOSED_CLIENTS} threads for {seconds:.0f} s")
                results["closed"][server.name] = closed_loop(server.port, requests, seconds, created)
                time.sleep(1.0)
            time.sleep(2.0)  # the last DMs
            tasks_after, outbox = db_counts(db_path)
            for server in (bare, baton):
                if server.process.poll() is not None:
                    raise RuntimeError(f"{server.name} died during the run:\n{server.tail()}")

        # -- (a) --
        b_tally, b_late = results["open"]["baseline"]
        t_tally, t_late = results["open"]["baton"]
        for label, q in (("p50", 50), ("p99", 99)):
            t, b = pct(t_tally.latencies, q) * 1000, pct(b_tally.latencies, q) * 1000
            rows.append(
                Row(
                    f"(a) /task ack latency {label}, open loop {OPEN_RATE:.0f} req/s for {seconds:.0f} s",
                    f"{t:.1f} ms",
                    f"{b:.1f} ms bare Bolt ack()",
                    ratio(t, b),
                )
            )
        t99, b99 = pct(t_tally.latencies, 99) * 1000, pct(b_tally.latencies, 99) * 1000
        rows.append(
            Row(
                "(a) p99 target: ≤ 1.5× baseline and ≤ 15 ms",
                f"{t99:.1f} ms: {'met' if t99 <= P99_TARGET_MS and t99 <= P99_TARGET_RATIO * b99 else 'NOT met'}",
                f"{min(P99_TARGET_MS, P99_TARGET_RATIO * b99):.1f} ms (the lower of the two)",
                ratio(t99, min(P99_TARGET_MS, P99_TARGET_RATIO * b99)),
            )
        )
        rows.append(
            Row(
                "(a) max latency / answers not 2xx / not `Created T-n`",
                f"{max(t_tally.latencies) * 1000:.0f} ms / {t_tally.not_2xx} of {t_tally.answered + t_tally.errors}"
                f" / {t_tally.not_created}",
                f"{max(b_tally.latencies) * 1000:.0f} ms / {b_tally.not_2xx} of {b_tally.answered + b_tally.errors}",
                "n/a",
            )
        )
        rows.append(
            Row(
                f"(a) answers slower than Slack's {SLACK_TIMEOUT:.0f} s (the user sees an error) / due but not sent",
                f"{t_tally.over(SLACK_TIMEOUT)} of {t_tally.answered} / {t_tally.skipped}",
                f"{b_tally.over(SLACK_TIMEOUT)} of {b_tally.answered} / {b_tally.skipped}",
                "n/a",
            )
        )
        rows.append(
            Row(
                "(a) the load kept its rate: last answer after the last due moment",
                f"{t_late * 1000:.0f} ms",
                f"{b_late * 1000:.0f} ms",
                "n/a",
            )
        )
        # -- (b) --
        b_tally, b_secs = results["closed"]["baseline"]
        t_tally, t_secs = results["closed"]["baton"]
        t_rate, b_rate = t_tally.answered / t_secs, b_tally.answered / b_secs
        rows.append(
            Row(
                f"(b) closed loop, {CLOSED_CLIENTS} threads for {seconds:.0f} s: answers/s",
                f"{t_rate:.0f}/s ({t_tally.answered} in {t_secs:.1f} s)",
                f"{b_rate:.0f}/s bare Bolt ack() ({b_tally.answered})",
                ratio(t_rate, b_rate),
            )
        )
        rows.append(
            Row(
                f"(b) throughput target: ≥ {THROUGHPUT_TARGET:,.0f} req/s",
                f"{t_rate:.0f}/s: {'met' if t_rate >= THROUGHPUT_TARGET else 'NOT met'}",
                f"{THROUGHPUT_TARGET:,.0f}/s",
                ratio(t_rate, THROUGHPUT_TARGET),
            )
        )
        rows.append(
            Row(
                "(b) answers not 2xx (incl. no answer) / 2xx not `Created T-n`",
                f"{t_tally.not_2xx} / {t_tally.not_created} {dict(sorted(t_tally.statuses.items()))}",
                f"{b_tally.not_2xx} {dict(sorted(b_tally.statuses.items()))}",
                "n/a",
            )
        )
        for name, (tally, _) in results["closed"].items():
            if tally.latencies:
                log(
                    f"(b) {name}: latency p50 {pct(tally.latencies, 50) * 1000:.1f} ms, "
                    f"p99 {pct(tally.latencies, 99) * 1000:.1f} ms"
                )
        # -- (c) --
        b_tally, b_secs = results["one"]["baseline"]
        t_tally, t_secs = results["one"]["baton"]
        for label, q in (("p50", 50), ("p99", 99)):
            t, b = pct(t_tally.latencies, q) * 1000, pct(b_tally.latencies, q) * 1000
            rows.append(
                Row(
                    f"(c) one client, back to back, {seconds / 2:.1f} s: latency {label} (no queueing)",
                    f"{t:.1f} ms",
                    f"{b:.1f} ms bare Bolt ack()",
                    ratio(t, b),
                )
            )
        t_rate, b_rate = t_tally.answered / t_secs, b_tally.answered / b_secs
        rows.append(
            Row(
                "(c) one client: answers/s / not 2xx",
                f"{t_rate:.0f}/s / {t_tally.not_2xx + t_tally.not_created}",
                f"{b_rate:.0f}/s / {b_tally.not_2xx}",
                ratio(t_rate, b_rate),
            )
        )
        dms = len(slack.calls_to("chat.postMessage")) - dms_before
        measured = sum(results[phase]["baton"][0].answered for phase in ("open", "closed", "one"))
        rows.append(
            Row(
                "Baton's side effects of the measured requests: tasks written / DMs sent to the fake",
                f"{tasks_after - tasks_before} tasks / {dms} chat.postMessage "
                f"(outbox at the end, warm-up included: {dict(sorted(outbox.items()))})",
                f"{measured} (one task and one DM per answered request)",
                "n/a",
            )
        )

    print_table(
        f"Ack benchmark (Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, gunicorn gthread "
        f"{WORKERS} workers x {THREADS} threads, {os.cpu_count()} CPUs; {time.monotonic() - began:.0f} s)",
        rows,
    )
    if args.json:
        write_json(Path(args.json), results, quick=args.quick, seconds=seconds)
    return 0


def write_json(path: Path, results: dict[str, dict[str, tuple[Tally, float]]], *, quick: bool, seconds: float) -> None:
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
        "bench": "ack",
        "quick": quick,
        "seconds_per_phase": seconds,
        "open_rate": OPEN_RATE,
        "closed_clients": CLOSED_CLIENTS,
        "workers": WORKERS,
        "threads": THREADS,
        **{name: {server: phase(*got) for server, got in per.items()} for name, per in results.items()},
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    log(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())

"""Operating the real `baton serve`: GET /metrics adds up every gunicorn worker, logs are JSON lines with the
request's id and never a token, and SIGTERM finishes the message being sent and exits 0 within 10 s."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.test_serve import READY_SECONDS, HttpAnswer, baton_env, http, run_baton, wait_for
from tests.fakes.requests import SIGNING_SECRET, command_body, signed_headers
from tests.fakes.slack_api import TEAM_ID, U_ALICE, U_BOB, U_MANAGER, FakeSlack, dm_channel_id
from tests.helpers import free_port, wait_until_serving

pytestmark = pytest.mark.e2e

TOKEN = "xoxb-e2e-SECRETtoken"
SIGTERM_CONTRACT_SECONDS = 10.0  # the promise: SIGTERM → exited within 10 s
COMMANDS = 6
TRACEBACK = "Traceback (most recent call last)"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@dataclass
class Serve:
    base_url: str
    home: Path
    slack: FakeSlack
    process: subprocess.Popen[bytes]
    log_path: Path

    def post_task(self, text: str, headers: dict[str, str] | None = None) -> HttpAnswer:
        body = command_body("/task", text, user_id=U_MANAGER, response_url=self.slack.response_url("ops"))
        return http(
            f"{self.base_url}/slack/events", data=body.encode(), headers={**signed_headers(body), **(headers or {})}
        )

    def scrape(self) -> Samples:
        answer = http(f"{self.base_url}/metrics")
        assert answer.status == 200, answer.body
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.body.decode())
            for s in family.samples
        }

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def metrics_dirs(self) -> list[Path]:
        return sorted(self.home.glob("baton-metrics-*"))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)


def start_serve(home: Path, slack: FakeSlack, *, workers: int, scheduler: bool = False) -> Serve:
    """`baton serve` on a free port with JSON logs; TMPDIR is `home`, so its metrics directory shows there."""
    env = baton_env(
        DATABASE_URL=f"sqlite:///{home / 'baton.db'}",
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        BATON_LOG_FORMAT="json",
        TMPDIR=str(home),
    )
    upgraded = run_baton(["db", "upgrade"], env=env, cwd=home)
    assert upgraded.returncode == 0, upgraded.stderr
    port = free_port()
    log_path = home / "serve.log"
    args = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *args, *([] if scheduler else ["--no-scheduler"])],
            env=env,
            cwd=home,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    serve = Serve(f"http://127.0.0.1:{port}", home, slack, process, log_path)
    wait_until_serving(process, serve.base_url, log_path, seconds=READY_SECONDS)
    return serve


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    with FakeSlack() as slack:
        serve = start_serve(tmp_path_factory.mktemp("ops"), slack, workers=2)
        try:
            # Both workers have built their app (and their metrics files) before the test counts.
            wait_for(
                "two workers counting",
                lambda: len(list(serve.home.glob("baton-metrics-*/histogram_*.db"))) == 2 or None,
                seconds=READY_SECONDS,
            )
            yield serve
        finally:
            serve.stop()


def test_metrics_add_up_commands_across_two_workers_with_acks_and_outbox_rows(two_workers: Serve) -> None:
    with ThreadPoolExecutor(max_workers=COMMANDS) as pool:  # at once, so both workers take some
        answers = list(pool.map(lambda n: two_workers.post_task(f"<@{U_ALICE}> Metric task {n}"), range(COMMANDS)))
    assert [a.status for a in answers] == [200] * COMMANDS

    # Every scrape, whichever worker answers it, shows every worker's counts.
    for _ in range(4):
        got = two_workers.scrape()
        assert got[("baton_requests_total", (("kind", "command"), ("outcome", "ok")))] == COMMANDS
        assert got[("baton_ack_seconds_count", ())] >= COMMANDS
        assert got[("baton_database_up", ())] == 1
        rows = {labels[0][1]: value for (name, labels), value in got.items() if name == "baton_outbox_rows"}
        assert set(rows) == {"pending", "sending", "sent", "failed", "skipped"}
        assert sum(rows.values()) == COMMANDS  # one assignment DM per task, in whatever state it is now
    assert len(list(two_workers.home.glob("baton-metrics-*/histogram_*.db"))) == 2


def _posts_counted(home: Path) -> int:
    """chat.postMessage calls in the workers' one budget for the workspace (after the hold: 8 bytes each)."""
    files = list(home.glob(f"baton-limits-*/{TEAM_ID}%7Cchat.postMessage.calls"))
    return sum(f.stat().st_size // 8 - 1 for f in files) if len(files) == 1 else -len(files)


def test_the_two_workers_count_their_posts_in_one_budget(two_workers: Serve) -> None:
    with ThreadPoolExecutor(max_workers=COMMANDS) as pool:  # at once, so both workers take some
        answers = list(pool.map(lambda n: two_workers.post_task(f"<@{U_ALICE}> Budget task {n}"), range(COMMANDS)))
    assert [a.status for a in answers] == [200] * COMMANDS

    def counted_alike() -> int | None:
        posted = len(two_workers.slack.calls_to("chat.postMessage"))
        return posted if posted >= COMMANDS and _posts_counted(two_workers.home) == posted else None

    # Alice's DMs go a turn (1.05 s) apart, whichever worker sends them: this test's and the one's before.
    wait_for("every worker's posts counted in one budget", counted_alike, seconds=30)


def test_the_two_workers_give_a_person_one_turn_a_second_between_them(two_workers: Serve) -> None:
    """Slack's one message a second per conversation, as the fake enforces it: tasks for Bob at once through both
    workers reach him a turn apart, without a 429 (each worker's own pacer knew only its own posts: two of four
    DMs met a 429 then). Like the budget test above, it counts on both workers taking some of the requests."""
    tasks = 6
    two_workers.slack.enforce_tiers()
    refused = two_workers.slack.ratelimited("chat.postMessage")
    try:
        with ThreadPoolExecutor(max_workers=tasks) as pool:  # at once, so both workers take some
            answers = list(pool.map(lambda n: two_workers.post_task(f"<@{U_BOB}> Turn task {n}"), range(tasks)))
        assert [a.status for a in answers] == [200] * tasks

        def bobs_dms() -> int | None:
            posted = len(two_workers.slack.messages(dm_channel_id(U_BOB)))  # stored: posts Slack took
            return posted if posted >= tasks else None

        wait_for("Bob's DMs", bobs_dms, seconds=30)
        assert two_workers.slack.ratelimited("chat.postMessage") == refused
    finally:
        two_workers.slack.tiers_enforced = False  # the later tests of the module meet Slack as they did


def test_a_forged_request_counts_as_rejected_and_logs_carry_request_ids_but_no_token(two_workers: Serve) -> None:
    body = command_body("/task", f"<@{U_ALICE}> forged", user_id=U_MANAGER, response_url="https://x")
    forged = http(
        f"{two_workers.base_url}/slack/events",
        data=body.encode(),
        headers={**signed_headers(body, secret="not-the-secret"), "X-Request-Id": "e2e-forged-1"},
    )
    traced = two_workers.post_task(f"<@{U_ALICE}> Traced task", {"X-Request-Id": "e2e-traced-1"})

    assert forged.status == 401 and traced.status == 200
    got = two_workers.scrape()
    assert got[("baton_requests_total", (("kind", "command"), ("outcome", "rejected")))] >= 1

    def traced_lines() -> list[dict[str, Any]] | None:
        entries = [json.loads(line) for line in two_workers.log().splitlines() if line.startswith("{")]
        found = [e for e in entries if e.get("request_id") == "e2e-traced-1"]
        return found or None

    lines = wait_for("a log line of the traced request", traced_lines, seconds=10)
    assert {(e.get("workspace"), e.get("user")) for e in lines} == {(TEAM_ID, U_MANAGER)}
    log = two_workers.log()
    assert "SECRETtoken" not in log and TOKEN not in log
    assert all(line.startswith("{") for line in log.splitlines() if line.strip()), "every line is a JSON object"


def test_sigterm_finishes_the_message_being_sent_and_exits_0_within_10_seconds(tmp_path: Path) -> None:
    with FakeSlack() as slack:
        serve = start_serve(tmp_path, slack, workers=2, scheduler=True)
        try:
            gate = slack.hold("chat.postMessage")
            assert serve.post_task(f"<@{U_ALICE}> In flight at shutdown").status == 200
            gate.wait_held(1)  # the assignment DM is at Slack, its answer not back yet
            assert serve.metrics_dirs(), "serve keeps its metrics in a temporary directory"
            assert list(tmp_path.glob("baton-limits-*")), "and its workers' rate limits in another"

            serve.process.send_signal(signal.SIGTERM)
            started = time.monotonic()
            gate.release()  # Slack answers while the worker is stopping
            try:
                code = serve.process.wait(timeout=SIGTERM_CONTRACT_SECONDS)
            except subprocess.TimeoutExpired:
                pytest.fail(f"still running {time.monotonic() - started:.1f} s after SIGTERM:\n{serve.log()}")
        finally:
            serve.stop()

        assert code == 0, serve.log()
        log = serve.log()
        assert TRACEBACK not in log and "Exception during worker exit" not in log, log
        assert serve.metrics_dirs() == [], "the metrics directory is removed on exit"
        assert list(tmp_path.glob("baton-limits-*")) == [], "so is the rate limits' one"
        with sqlite3.connect(tmp_path / "baton.db") as db:
            states = db.execute("SELECT state, channel_id FROM outbox").fetchall()
        assert states == [("sent", dm_channel_id(U_ALICE))]

"""Journeys through the real `baton` processes: `serve` over HTTP, `tick --at`, `manifest`, start-up errors.

The processes run from the working tree (PYTHONPATH) in a temporary directory (no stray `.env` or
`baton.db`), with a temporary SQLite file and SLACK_API_URL pointing at FakeSlack in this process.
`serve` runs as `python -m bot.cli serve`; commands whose stdout matters run as the console script
`baton`, as people type it. PYTHONUNBUFFERED is removed from their environment (as in a container), so
what they print is only seen if they flush it themselves.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml

from bot.domain.payloads import AssignmentPayload
from storage.db import make_engine, make_session_factory
from storage.models import Task
from storage.uow import UnitOfWorkFactory
from tests.fakes.http import HttpAnswer, http, wait_for  # noqa: F401 - shared by the tests that import them from here
from tests.fakes.requests import SIGNING_SECRET, STALE_SECONDS, command_body, signed_headers
from tests.fakes.slack_api import TEAM_ID, U_ALICE, U_BOB, U_MANAGER, FakeSlack, dm_channel_id
from tests.helpers import baton_command, free_port, wait_until_serving

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
READY_SECONDS = 20.0
DELIVERY_SECONDS = 10.0
COMMAND_TIMEOUT = 60.0
TRACEBACK = "Traceback (most recent call last)"
SUMMARY = re.compile(r"planned=(\d+) sent=(\d+) retried=(\d+) failed=(\d+)")

T = TypeVar("T")


def baton_env(**settings: str) -> dict[str, str]:
    """The test runner's environment without any Baton or Slack setting, plus `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "BATON_"))
        and name not in ("DATABASE_URL", "PORT", "PYTHONUNBUFFERED", "PYTHONPATH")
    }
    env["PYTHONPATH"] = str(REPO)
    env.update(settings)
    return env


def run_baton(args: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*baton_command(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


# -- baton serve -----------------------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    db_path: Path
    slack: FakeSlack
    process: subprocess.Popen[bytes]
    log_path: Path

    def post_signed(self, body: str, **sign: Any) -> HttpAnswer:
        return http(f"{self.base_url}/slack/events", data=body.encode(), headers=signed_headers(body, **sign))

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10) as conn:
            return [tuple(row) for row in conn.execute(sql, params)]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("serve")
    db_path = home / "baton.db"
    with FakeSlack() as slack:
        env = baton_env(
            DATABASE_URL=f"sqlite:///{db_path}",
            SLACK_BOT_TOKEN="xoxb-e2e",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
        )
        upgraded = run_baton(["db", "upgrade"], env=env, cwd=home)
        assert upgraded.returncode == 0, upgraded.stderr

        port = free_port()
        log_path = home / "serve.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
                + ["--workers", "1", "--no-scheduler"],
                env=env,
                cwd=home,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        running = Server(f"http://127.0.0.1:{port}", db_path, slack, process, log_path)
        try:
            wait_until_serving(process, running.base_url, log_path, seconds=READY_SECONDS)
            yield running
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _task_command(text: str, *, slack: FakeSlack, team_id: str = TEAM_ID) -> str:
    return command_body("/task", text, user_id=U_MANAGER, team_id=team_id, response_url=slack.response_url("e2e"))


def test_task_command_over_http_creates_t1_and_dms_the_assignee(server: Server) -> None:
    answer = server.post_signed(_task_command(f"<@{U_ALICE}> Fix login by fri 5pm", slack=server.slack))

    assert answer.status == 200, answer.body
    body = answer.json()
    assert body.get("response_type") == "ephemeral"
    assert "T-1" in json.dumps(body)
    assert server.query("SELECT number, title, assignee_id FROM tasks WHERE workspace_id = ?", TEAM_ID) == [
        (1, "Fix login", U_ALICE)
    ]

    def the_dm() -> Any:
        for call in server.slack.calls_to("chat.postMessage"):
            if call.params.get("channel") in (dm_channel_id(U_ALICE), U_ALICE) and "Fix login" in json.dumps(
                call.params
            ):
                return call
        return None

    dm = server.slack.wait_until("the assignment DM at FakeSlack", the_dm, timeout=DELIVERY_SECONDS)
    buttons = [
        element["text"]["text"]
        for block in dm.params.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("type") == "button"
    ]
    assert "Accept" in buttons and "Decline" in buttons
    assert dm.params["metadata"]["event_type"] == "baton_message"
    assert dm.params["metadata"]["event_payload"]["dedupe_key"]


def test_a_forged_signature_gets_401_and_changes_nothing(server: Server) -> None:
    body = _task_command(f"<@{U_ALICE}> Forged task", slack=server.slack, team_id="T0FORGED")

    answer = server.post_signed(body, secret="not-the-signing-secret")

    assert answer.status == 401
    assert server.query("SELECT count(*) FROM tasks WHERE workspace_id = 'T0FORGED'") == [(0,)]
    assert server.query("SELECT count(*) FROM workspaces WHERE id = 'T0FORGED'") == [(0,)]


def test_a_stale_timestamp_gets_401_and_changes_nothing(server: Server) -> None:
    body = _task_command(f"<@{U_ALICE}> Replayed task", slack=server.slack, team_id="T0STALE")

    # The server is another process reading the real clock, which no test can hold still: stale by that clock.
    answer = server.post_signed(body, timestamp=int(time.time()) - STALE_SECONDS)

    assert answer.status == 401
    assert server.query("SELECT count(*) FROM tasks WHERE workspace_id = 'T0STALE'") == [(0,)]
    assert server.query("SELECT count(*) FROM workspaces WHERE id = 'T0STALE'") == [(0,)]


def test_healthz_answers_200_with_json(server: Server) -> None:
    answer = http(f"{server.base_url}/healthz")

    assert answer.status == 200
    assert answer.json()["status"] == "ok"


def test_an_unknown_path_is_404(server: Server) -> None:
    assert http(f"{server.base_url}/nope").status == 404


# -- baton tick, baton manifest ----------------------------------------------------------------------------


def test_tick_at_a_moment_delivers_what_is_due_then_and_prints_one_summary_line(
    tmp_path: Path, slack: FakeSlack
) -> None:
    at = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    env = baton_env(DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-e2e", SLACK_API_URL=slack.base_url)
    assert run_baton(["db", "upgrade"], env=env, cwd=tmp_path).returncode == 0
    engine = make_engine(url)
    try:
        uow_factory = UnitOfWorkFactory(make_session_factory(engine))
        with uow_factory() as uow:
            uow.workspaces.ensure(TEAM_ID, now=at - timedelta(hours=1))
            task = Task(
                workspace_id=TEAM_ID,
                number=uow.workspaces.next_task_number(TEAM_ID),
                title="Ship the tick",
                assignee_id=U_BOB,
                delegator_id=U_MANAGER,
                priority="normal",
                status="open",
                created_at=at - timedelta(hours=1),
                updated_at=at - timedelta(hours=1),
                assignment_seq=1,
            )
            uow.tasks.add(task)
            # Due at --at (in the future of the real clock), so only a pass "as of --at" sends it.
            due = uow.outbox.add(
                TEAM_ID,
                dedupe_key=f"assign:{task.id}:1",
                kind="assignment",
                recipient_id=U_BOB,
                task_id=task.id,
                payload=AssignmentPayload(seq=1),
                now=at - timedelta(hours=1),
                not_before=at - timedelta(minutes=1),
            )
            uow.commit()

        result = run_baton(["tick", "--at", "2026-12-01T14:00:00Z"], env=env, cwd=tmp_path)

        assert result.returncode == 0, result.stderr
        assert TRACEBACK not in result.stderr
        with uow_factory() as uow:
            row = uow.outbox.get(due or -1)
            assert row is not None
            assert (row.state, row.sent_at) == ("sent", at)
    finally:
        engine.dispose()
    # Posted to Bob's user id (Slack answers with the DM's id): no conversations.open first.
    [dm] = [c for c in slack.calls_to("chat.postMessage") if c.params.get("channel") in (U_BOB, dm_channel_id(U_BOB))]
    assert dm.params["metadata"]["event_payload"]["dedupe_key"] == f"assign:{task.id}:1"
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"one summary line expected on stdout, got {result.stdout!r}"
    summary = SUMMARY.search(lines[0])
    assert summary is not None, lines[0]
    assert int(summary.group(2)) == 1, lines[0]  # sent=1


def test_manifest_prints_yaml_with_the_task_command(tmp_path: Path) -> None:
    result = run_baton(["manifest"], env=baton_env(), cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert "/task" in commands


# -- start-up errors ----------------------------------------------------------------------------------------


def test_serve_without_a_bot_token_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    env = baton_env(DATABASE_URL=f"sqlite:///{tmp_path / 'baton.db'}", SLACK_SIGNING_SECRET=SIGNING_SECRET)

    result = run_baton(["serve", "--port", str(free_port()), "--workers", "1", "--no-scheduler"], env=env, cwd=tmp_path)

    assert result.returncode != 0
    assert TRACEBACK not in result.stderr
    lines = error_lines(result)
    assert lines, "no message at all"
    assert "SLACK_BOT_TOKEN" in lines[0], f"the first line should name the missing setting:\n{result.stderr}"


def test_serve_with_a_malformed_port_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    env = baton_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'baton.db'}",
        SLACK_BOT_TOKEN="xoxb-e2e",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        PORT="abc",
    )

    result = run_baton(["serve", "--workers", "1", "--no-scheduler"], env=env, cwd=tmp_path)

    assert result.returncode != 0
    assert TRACEBACK not in result.stderr
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "PORT" in lines[0]

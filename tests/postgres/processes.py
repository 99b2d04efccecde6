"""Real `baton` processes on one PostgreSQL schema, as several replicas run them: their environment,
a common start, their one-line summaries, and what they left at FakeSlack and in the outbox."""

from __future__ import annotations

import os
import re
import select as fd_select
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from alembic import command
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import create_app
from bot.config import Settings
from bot.executors import InlineExecutor
from storage.db import make_engine, make_session_factory
from storage.migrate import alembic_config
from storage.models import OutboxMessage
from storage.uow import UnitOfWork
from tests.fakes.clock import FakeClock
from tests.fakes.http import HttpAnswer, http, wait_for  # noqa: F401 - shared by the tests that import them from here
from tests.fakes.posts import dedupe_key
from tests.fakes.requests import SIGNING_SECRET, action_body, block_action_payload, bolt_request, command_body
from tests.fakes.slack_api import C_GENERAL, TEAM_ID, U_MANAGER, FakeSlack
from tests.helpers import CLI_TOKEN

REPO = Path(__file__).resolve().parents[2]
TOKEN = CLI_TOKEN
TIMEOUT = 60  # seconds, for each CLI process
SUMMARY = re.compile(r"planned=(\d+) sent=(\d+) retried=(\d+) failed=(\d+)")

T = TypeVar("T")


def migrate(url: str) -> None:
    """The real migrations, run on a connection of Baton's own engine (env.py's `connection` path).

    Not `storage.migrate.upgrade(url)`: that is what `baton db upgrade` runs, and it has a test of its
    own, so a fault there does not hide what the replica tests are about.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def delegate_to_each(url: str, slack: FakeSlack, people: Sequence[str], *, at: datetime, accept: bool = True) -> None:
    """`/task @person Chore number <n>` for each person, through Bolt in this process as of `at`, and each
    person clicks Accept (check-ins go to accepted tasks): the tasks every replica then plans check-ins for
    (their assignment DMs go out before this returns)."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' own argument: no .env here
        database_url=url,
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_api_url=slack.base_url,
    )
    baton = create_app(
        settings, clock=FakeClock(at), listener_executor=InlineExecutor(), delivery_executor=InlineExecutor()
    )
    try:
        for n, user in enumerate(people):
            body = command_body(
                "/task",
                f"<@{user}> Chore number {n}",
                user_id=U_MANAGER,
                channel_id=C_GENERAL,
                response_url=slack.response_url(),
            )
            response = baton.bolt.dispatch(bolt_request(body))
            assert response.status == 200, response.body
        if accept:
            with baton.uow(read_only=True) as uow:
                waiting = [(t.id, t.assignee_id) for t in uow.tasks.delegated_by(TEAM_ID, U_MANAGER, limit=10_000)]
            for task_id, user in waiting:
                payload = block_action_payload(
                    "baton_accept", str(task_id), user_id=user, response_url=slack.response_url("accept")
                )
                response = baton.bolt.dispatch(bolt_request(action_body(payload)))
                assert response.status == 200, response.body
    finally:
        baton.close()


# Each process imports Baton, says it is ready on a pipe of its own, then blocks reading a pipe shared by
# all until the test closes its end, and runs the CLI's `main` (what the `baton` script runs): a pass takes
# milliseconds, so without a common start the slowest import would decide which process runs alone.
SYNCHRONISED_TICK = """
import os, sys
import bot.app, bot.cli, bot.services.planning
ready, go, plan_batch = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
if plan_batch:  # smaller planner batches, so that processes started together plan slices of one moment
    bot.services.planning.PLAN_BATCH = plan_batch
os.write(ready, b"r")
os.close(ready)
os.read(go, 1)  # end of file: the test said go (or is gone)
os.close(go)
sys.exit(bot.cli.main(sys.argv[4:]))
"""


@dataclass
class WaitingTicks:
    """`baton tick` processes that have imported Baton (or are importing it) and wait for `go()`."""

    procs: list[subprocess.Popen[str]]
    ready: list[int]  # the read end of each process's ready pipe
    go_write: int | None  # closing it releases every process at once

    def wait_ready(self, *, seconds: float = TIMEOUT) -> None:
        """Until every process has imported Baton (or one has died, for the caller to see)."""
        deadline = time.monotonic() + seconds
        while self.ready:
            readable, _, _ = fd_select.select(self.ready, [], [], max(deadline - time.monotonic(), 0))
            if not readable:
                return  # the time is up: the caller sees who is not ready
            for fd in readable:
                said = os.read(fd, 1)
                os.close(fd)
                self.ready.remove(fd)
                if not said:  # end of file before a word: the process died while importing
                    return

    def go(self) -> None:
        """Start every pass at once."""
        if self.go_write is not None:
            os.close(self.go_write)
            self.go_write = None

    def kill_unfinished(self) -> None:
        """SIGKILL whichever is still running (a test that failed before collecting them)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.go()
        for fd in self.ready:
            os.close(fd)
        self.ready.clear()


def spawn_ticks(envs: Sequence[dict[str, str]], *, at: datetime | None, cwd: Path, plan_batch: int = 0) -> WaitingTicks:
    """One `baton tick` (`--at` when given) per environment, each waiting to be told to go; `plan_batch`, when
    given, is the planner's batch size in each process instead of Baton's own."""
    args = ["tick", "--at", at.isoformat()] if at is not None else ["tick"]
    go_read, go_write = os.pipe()
    procs: list[subprocess.Popen[str]] = []
    ready: list[int] = []
    try:
        for env in envs:
            ready_read, ready_write = os.pipe()
            ready.append(ready_read)
            try:
                procs.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-c",
                            SYNCHRONISED_TICK,
                            str(ready_write),
                            str(go_read),
                            str(plan_batch),
                            *args,
                        ],
                        cwd=cwd,
                        env=env,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                        pass_fds=(ready_write, go_read),
                    )
                )
            finally:
                os.close(ready_write)  # the child's copy is the only writer: its exit is an end of file here
    finally:
        os.close(go_read)
    return WaitingTicks(procs=procs, ready=ready, go_write=go_write)


def start_ticks_together(
    envs: Sequence[dict[str, str]], *, at: datetime, cwd: Path, plan_batch: int = 0
) -> list[subprocess.Popen[str]]:
    """One `baton tick --at` per environment, all released at once when every one has imported Baton."""
    waiting = spawn_ticks(envs, at=at, cwd=cwd, plan_batch=plan_batch)
    waiting.wait_ready()
    waiting.go()
    return waiting.procs


def finish(procs: Sequence[subprocess.Popen[str]], *, seconds: float = TIMEOUT) -> list[tuple[int, str, str]]:
    """Wait for every process (bounded; stragglers are killed): (return code, stdout, stderr) each."""
    deadline = time.monotonic() + seconds
    outputs: list[tuple[int, str, str]] = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=max(deadline - time.monotonic(), 1))
            outputs.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return outputs


@dataclass(frozen=True)
class PassLine:
    """What `baton tick` printed on its one stdout line."""

    planned: int
    sent: int
    retried: int
    failed: int


def pass_line(code: int, out: str, err: str) -> PassLine:
    """The summary of a tick that must have exited cleanly and printed exactly one line."""
    assert code == 0, err[-3000:]
    assert "Traceback" not in err, err[-3000:]
    lines = out.splitlines()
    assert len(lines) == 1, f"tick prints exactly one line on stdout, got {out!r}"
    found = SUMMARY.search(lines[0])
    assert found, lines[0]
    planned, sent, retried, failed = (int(n) for n in found.groups())
    return PassLine(planned=planned, sent=sent, retried=retried, failed=failed)


def keys_posted(slack: FakeSlack, *, prefix: str) -> Counter[str]:
    """How often each dedupe key starting with `prefix` reached FakeSlack's chat.postMessage."""
    keys: Counter[str] = Counter()
    for call in slack.calls_to("chat.postMessage"):
        key = dedupe_key(call.params)
        if key.startswith(prefix):
            keys[key] += 1
    return keys


def outbox_rows(url: str, *, kind: str) -> list[OutboxMessage]:
    """Every outbox row of `kind`, detached from its session, oldest first."""
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            stmt = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
            rows = list(uow.session.scalars(stmt))
            uow.session.expunge_all()
            return rows
    finally:
        engine.dispose()

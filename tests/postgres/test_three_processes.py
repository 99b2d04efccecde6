"""Three real `baton tick` processes at once on one PostgreSQL schema send every check-in exactly once
(CONTRACT "Each message is sent once": "… or several replicas on one PostgreSQL database send nothing twice")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select

from bot.app import Baton, create_app
from bot.config import Settings
from bot.executors import InlineExecutor
from storage.db import make_engine, make_session_factory
from storage.migrate import alembic_config
from storage.models import Base, OutboxMessage
from storage.uow import UnitOfWork
from tests.fakes.clock import FakeClock
from tests.fakes.requests import SIGNING_SECRET, bolt_request, command_body
from tests.fakes.slack_api import C_GENERAL, U_MANAGER, FakeSlack
from tests.postgres.conftest import PgSchema

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-e2e"
TASKS = 30
PROCESSES = 3
TIMEOUT = 60  # seconds, for each CLI process
# Everyone is in Berlin: Wednesday 2 December 2026, 10:00 there is 09:00 UTC, the default check-in time.
CREATED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SUMMARY = re.compile(r"planned=(\d+) sent=(\d+) retried=(\d+) failed=(\d+)")
PEOPLE = [f"U0P{n:02d}" for n in range(TASKS)]


def baton_command() -> list[str]:
    """The console script `baton` next to this interpreter, else its exact equivalent."""
    script = shutil.which("baton", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def cli_env(database_url: str, slack: FakeSlack) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BATON_")) and k not in ("DATABASE_URL", "PORT", "PYTHONUNBUFFERED")
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
    )
    return env


# Each process imports Baton, says it is ready, then waits for the go file and runs the CLI's `main`
# (what the `baton` script runs): a pass takes milliseconds, so without a common start the slowest
# import would decide which process runs alone.
SYNCHRONISED_TICK = """
import os, sys, time
import bot.app, bot.cli
ready, go = sys.argv[1], sys.argv[2]
open(os.path.join(ready, str(os.getpid())), "w").close()
deadline = time.monotonic() + 30
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.002)
sys.exit(bot.cli.main(sys.argv[3:]))
"""


def ticks_at_once(url: str, slack: FakeSlack, at: datetime, cwd: Path) -> list[dict[str, int]]:
    """Start PROCESSES `baton tick --at` together, wait for all (bounded), return their summaries."""
    env = cli_env(url, slack)
    ready = Path(tempfile.mkdtemp(prefix="ready-", dir=cwd))
    go = ready.with_name(ready.name + ".go")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SYNCHRONISED_TICK, str(ready), str(go), "tick", "--at", at.isoformat()],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    deadline = time.monotonic() + TIMEOUT
    while len(list(ready.iterdir())) < PROCESSES and time.monotonic() < deadline:
        if any(proc.poll() is not None for proc in procs):
            break  # one died while starting: collect its output below
        time.sleep(0.01)
    go.touch()
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
    summaries = []
    for code, out, err in outputs:
        assert code == 0, err
        assert "Traceback" not in err, err
        lines = out.splitlines()
        assert len(lines) == 1, f"tick prints exactly one line on stdout, got {out!r}"
        found = SUMMARY.search(lines[0])
        assert found, lines[0]
        planned, sent, retried, failed = (int(n) for n in found.groups())
        summaries.append({"planned": planned, "sent": sent, "retried": retried, "failed": failed})
    return summaries


def checkin_keys_posted(slack: FakeSlack) -> Counter[str]:
    keys: Counter[str] = Counter()
    for call in slack.calls_to("chat.postMessage"):
        key = str(((call.params.get("metadata") or {}).get("event_payload") or {}).get("dedupe_key", ""))
        if key.startswith("checkin:"):
            keys[key] += 1
    return keys


def checkin_rows(url: str) -> list[OutboxMessage]:
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            stmt = select(OutboxMessage).where(OutboxMessage.kind == "checkin").order_by(OutboxMessage.id)
            rows = list(uow.session.scalars(stmt))
            uow.session.expunge_all()
            return rows
    finally:
        engine.dispose()


def migrate(url: str) -> None:
    """The real migrations, run on a connection of Baton's own engine (env.py's `connection` path).

    Not `storage.migrate.upgrade(url)`: that is what `baton db upgrade` runs, and it has a test of its
    own below, so a fault there does not hide what this file is about.
    """
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    finally:
        engine.dispose()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        for n, user in enumerate(PEOPLE):
            fake.add_user(user, name=f"person{n}", tz="Europe/Berlin")
        yield fake


def build(url: str, slack: FakeSlack) -> Baton:
    settings = Settings(
        _env_file=None,
        database_url=url,
        slack_bot_token=TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
    )
    return create_app(
        settings,
        clock=FakeClock(CREATED_AT),
        listener_executor=InlineExecutor(),
        delivery_executor=InlineExecutor(),
    )


def delegate_all(baton: Baton, slack: FakeSlack) -> None:
    for n, user in enumerate(PEOPLE):
        body = command_body(
            "/task",
            f"<@{user}> Chore number {n}",
            user_id=U_MANAGER,
            channel_id=C_GENERAL,
            response_url=slack.response_url(),
        )
        response = baton.bolt.dispatch(bolt_request(body))
        assert response.status == 200, response.body


def test_three_tick_processes_at_the_same_moment_send_each_checkin_once(
    pg_schema: PgSchema, slack: FakeSlack, tmp_path: Path
) -> None:
    migrate(pg_schema.url)
    baton = build(pg_schema.url, slack)
    try:
        delegate_all(baton, slack)
    finally:
        baton.close()
    slack.clear()

    summaries = ticks_at_once(pg_schema.url, slack, CHECKIN_AT, tmp_path)

    posted = checkin_keys_posted(slack)
    assert len(posted) == TASKS, posted
    assert {key: n for key, n in posted.items() if n != 1} == {}, "a check-in was posted more than once"
    rows = checkin_rows(pg_schema.url)
    assert len(rows) == TASKS
    assert {r.dedupe_key for r in rows} == set(posted)
    assert [r.dedupe_key for r in rows if r.state != "sent"] == []
    assert [r.dedupe_key for r in rows if r.attempts != 1] == [], "each row was claimed once"
    assert len({(r.channel_id, r.ts) for r in rows}) == TASKS
    total: dict[str, Any] = {k: sum(s[k] for s in summaries) for k in ("planned", "sent", "retried", "failed")}
    assert total == {"planned": TASKS, "sent": TASKS, "retried": 0, "failed": 0}, summaries

    again = ticks_at_once(pg_schema.url, slack, CHECKIN_AT, tmp_path)

    assert [(s["planned"], s["sent"]) for s in again] == [(0, 0)] * PROCESSES
    assert checkin_keys_posted(slack) == posted


def test_baton_db_upgrade_migrates_a_fresh_schema(pg_schema: PgSchema, slack: FakeSlack, tmp_path: Path) -> None:
    """What every replica runs on start (CONTRACT `baton db upgrade`), from the real CLI."""
    done = subprocess.run(
        [*baton_command(), "db", "upgrade"],
        cwd=tmp_path,
        env=cli_env(pg_schema.url, slack),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )

    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr[-2000:]
    engine = make_engine(pg_schema.url)
    try:
        tables = set(inspect(engine).get_table_names(schema=pg_schema.name))
    finally:
        engine.dispose()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}

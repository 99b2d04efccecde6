"""Three real `baton tick` processes at once on one PostgreSQL schema send every check-in exactly once
(CONTRACT "Each message is sent once": "… or several replicas on one PostgreSQL database send nothing twice")."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect

from storage.db import make_engine
from storage.models import Base
from tests.fakes.slack_api import FakeSlack
from tests.helpers import baton_command, cli_env
from tests.postgres.conftest import PgSchema
from tests.postgres.processes import (
    TIMEOUT,
    PassLine,
    delegate_to_each,
    finish,
    keys_posted,
    migrate,
    outbox_rows,
    pass_line,
    start_ticks_together,
)

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

TASKS = 30
PROCESSES = 3
# Everyone is in Berlin: Wednesday 2 December 2026, 10:00 there is 09:00 UTC, the default check-in time.
CREATED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
PEOPLE = [f"U0P{n:02d}" for n in range(TASKS)]


def ticks_at_once(url: str, slack: FakeSlack, at: datetime, cwd: Path) -> list[PassLine]:
    """Start PROCESSES `baton tick --at` together, wait for all (bounded), return their summaries."""
    procs = start_ticks_together([cli_env(url, slack)] * PROCESSES, at=at, cwd=cwd)
    return [pass_line(*output) for output in finish(procs)]


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        for n, user in enumerate(PEOPLE):
            fake.add_user(user, name=f"person{n}", tz="Europe/Berlin")
        yield fake


def test_three_tick_processes_at_the_same_moment_send_each_checkin_once(
    pg_schema: PgSchema, slack: FakeSlack, tmp_path: Path
) -> None:
    migrate(pg_schema.url)
    delegate_to_each(pg_schema.url, slack, PEOPLE, at=CREATED_AT)
    slack.clear()

    summaries = ticks_at_once(pg_schema.url, slack, CHECKIN_AT, tmp_path)

    posted = keys_posted(slack, prefix="checkin:")
    assert len(posted) == TASKS, posted
    assert {key: n for key, n in posted.items() if n != 1} == {}, "a check-in was posted more than once"
    rows = outbox_rows(pg_schema.url, kind="checkin")
    assert len(rows) == TASKS
    assert {r.dedupe_key for r in rows} == set(posted)
    assert [r.dedupe_key for r in rows if r.state != "sent"] == []
    assert [r.dedupe_key for r in rows if r.attempts != 1] == [], "each row was claimed once"
    assert len({(r.channel_id, r.ts) for r in rows}) == TASKS
    total = {k: sum(asdict(s)[k] for s in summaries) for k in ("planned", "sent", "retried", "failed")}
    assert total == {"planned": TASKS, "sent": TASKS, "retried": 0, "failed": 0}, summaries

    again = ticks_at_once(pg_schema.url, slack, CHECKIN_AT, tmp_path)

    assert [(s.planned, s.sent) for s in again] == [(0, 0)] * PROCESSES
    assert keys_posted(slack, prefix="checkin:") == posted


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

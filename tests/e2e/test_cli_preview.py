"""`baton preview --days N` in a subprocess against a SQLite file: the table of what the scheduler will
send, when (UTC and the recipient's time), to whom and about which task, and that it changes nothing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.db import make_engine
from storage.models import Base
from tests.e2e.test_cli_scheduler import Cli
from tests.fakes.slack_api import U_ALICE, U_MANAGER, FakeSlack

pytestmark = pytest.mark.e2e

C_TEAM = "C0TEAM"
WEDNESDAY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    """A database file with the current schema (from the models) and the fake Slack."""
    url = f"sqlite:///{tmp_path / 'b.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    with FakeSlack() as slack:
        yield Cli(url, slack, tmp_path)


def slash(cli: Cli, command: str, text: str, *, channel: str = C_TEAM) -> None:
    cli.slash(command, text, user=U_MANAGER, at=WEDNESDAY, channel=channel)


def snapshot(cli: Cli) -> list[tuple[object, ...]]:
    with sqlite3.connect(cli.database_url.removeprefix("sqlite:///")) as db:
        tasks = db.execute("SELECT id, next_check_at, checkin_after, overdue_after FROM tasks").fetchall()
        outbox = db.execute("SELECT id, dedupe_key, state FROM outbox").fetchall()
        managers = db.execute("SELECT team_id, user_id, next_digest_at FROM team_managers").fetchall()
    return [*tasks, *outbox, *managers]


def test_preview_prints_the_coming_messages_in_utc_and_their_time_and_changes_nothing(cli: Cli) -> None:
    slash(cli, "/team", "setup")
    slash(cli, "/task", f"<@{U_ALICE}> Fix the refund macro by 2026-12-04 17:00")
    before = snapshot(cli)

    done = cli.run("preview", "--days", "14", "--at", "2026-12-02T15:05:00+00:00")

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["when", "(UTC)", "their", "time"]
    rows = lines[1:-1]
    # Alice (Berlin) has not accepted yet: at Thursday's check-in time, 10:00 her time (09:00 UTC), she gets
    # the one reminder to accept or decline instead.
    assert any(r.startswith("2026-12-03 09:00  Thu 10:00") and "reminder to accept" in r and U_ALICE in r for r in rows)
    assert any("overdue notice" in r and "T-1 Fix the refund macro" in r for r in rows)
    # The manager (New York) gets the weekly digest on Monday 09:00 his time, 14:00 UTC.
    assert any(r.startswith("2026-12-07 14:00  Mon 09:00") and "weekly digest" in r and U_MANAGER in r for r in rows)
    assert [r[:16] for r in rows] == sorted(r[:16] for r in rows)
    assert lines[-1].startswith(f"{len(rows)} messages in the next 14 days")
    assert snapshot(cli) == before


def test_preview_refuses_days_out_of_range_and_says_the_form(cli: Cli) -> None:
    done = cli.run("preview", "--days", "31")

    assert done.returncode == 2
    assert "--days must be from 1 to 30" in done.stderr and "Traceback" not in done.stderr

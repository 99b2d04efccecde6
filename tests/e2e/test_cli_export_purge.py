"""`baton export` and `baton purge` in subprocesses against a SQLite file holding two workspaces: the JSON on
stdout and in an owner-only file, the one-line refusals, the dry run that changes nothing, and the purge that
removes one workspace and leaves the other."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from storage.db import make_engine
from storage.models import Base
from tests.e2e.test_cli_scheduler import Cli
from tests.fakes.slack_api import FakeSlack
from tests.service.test_workspace_data import C_TEAM, OTHER_WS, RAW_TITLE, WS, seed_workspace

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    """A database file with the current schema and two workspaces that both have a team in channel C0TEAM."""
    url = f"sqlite:///{tmp_path / 'b.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        seed_workspace(session, WS)
        seed_workspace(session, OTHER_WS)
        session.commit()
    engine.dispose()
    with FakeSlack() as slack:
        yield Cli(url, slack, tmp_path)


def rows_per_workspace(cli: Cli) -> dict[str, dict[str, int]]:
    """Rows of a few tables by workspace, read with the sqlite3 module, not Baton."""
    counts: dict[str, dict[str, int]] = {}
    with sqlite3.connect(cli.database_url.removeprefix("sqlite:///")) as db:
        for table in ("workspaces", "teams", "tasks", "kudos", "people", "processed_events"):
            column = "id" if table == "workspaces" else "workspace_id"
            for workspace_id, count in db.execute(f"SELECT {column}, count(*) FROM {table} GROUP BY {column}"):
                counts.setdefault(workspace_id, {})[table] = count
        (events,) = db.execute("SELECT count(*) FROM task_events").fetchone()
        counts["*"] = {"task_events": events}
    return counts


def test_export_writes_one_teams_json_to_stdout_or_an_owner_only_file_and_refuses_in_one_line(cli: Cli) -> None:
    ambiguous = cli.run("export", "--team", C_TEAM)
    printed = cli.run("export", "--team", C_TEAM, "--workspace", WS)
    written = cli.run("export", "--team", C_TEAM, "--workspace", OTHER_WS, "--output", "team.json")

    assert ambiguous.returncode == 2 and ambiguous.stdout == ""
    assert ambiguous.stderr.count("\n") == 1 and "pass --workspace" in ambiguous.stderr

    assert printed.returncode == 0, printed.stderr
    doc = json.loads(printed.stdout)
    assert (doc["schema_version"], doc["workspace_id"], doc["team"]["channel_id"]) == (1, WS, C_TEAM)
    assert datetime.fromisoformat(doc["exported_at"]).utcoffset() is not None
    assert [(t["number"], t["title"]) for t in doc["tasks"]] == [("T-1", RAW_TITLE), ("T-2", "Weekly report")]
    assert [e["action"] for e in doc["tasks"][0]["history"]] == ["created", "accepted", "checkin_blocked", "done"]

    assert written.returncode == 0, written.stderr
    assert written.stdout == f"exported team {C_TEAM} of workspace {OTHER_WS}: 2 tasks to team.json\n"
    path = cli.cwd / "team.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text(encoding="utf-8"))["workspace_id"] == OTHER_WS
    assert [p.name for p in cli.cwd.iterdir() if p.name.endswith(".part")] == []


def test_purge_counts_without_yes_then_deletes_one_workspace_and_keeps_the_other(cli: Cli) -> None:
    before = rows_per_workspace(cli)

    dry = cli.run("purge", "--workspace", WS)
    after_dry = rows_per_workspace(cli)
    done = cli.run("purge", "--workspace", WS, "--yes")
    after = rows_per_workspace(cli)
    again = cli.run("purge", "--workspace", WS, "--yes")

    assert dry.returncode == 1, dry.stderr
    dry_lines = dry.stdout.splitlines()
    assert dry_lines[0] == f"would delete from workspace {WS}:"
    assert dry_lines[-1] == "nothing was deleted; add --yes to delete"
    assert any(line.split() == ["tasks", "4"] for line in dry_lines), dry_lines
    assert any(line.split() == ["task_events", "7"] for line in dry_lines), dry_lines
    assert after_dry == before

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"deleted from workspace {WS}:"
    assert any(line.split() == ["workspaces", "1"] for line in done.stdout.splitlines())
    assert WS not in after
    assert after[OTHER_WS] == before[OTHER_WS]
    assert after["*"] == {"task_events": 7}  # the other workspace's history, whole

    assert again.returncode == 0, again.stderr
    assert again.stdout == (
        f"workspace {WS} has no rows in this database; nothing to delete (workspaces here: {OTHER_WS})\n"
    )

"""The real `baton` CLI in subprocesses against a SQLite file and the fake Slack: `db upgrade`, `tick --at`
and `outbox` (CONTRACT "Setting up and running", "What the scheduler sends", "Each message is sent once")."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.config import Settings
from bot.executors import InlineExecutor
from tests.fakes.clock import FakeClock
from tests.fakes.requests import SIGNING_SECRET, action_body, block_action_payload, bolt_request, command_body
from tests.fakes.slack_api import C_GENERAL, TEAM_ID, U_ALICE, U_MANAGER, FakeSlack, dm_channel_id

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-e2e"
TIMEOUT = 60  # seconds, for any one CLI process
# Tuesday 1 December 2026, 14:00 UTC; Alice is in Berlin, so her first check-in is Wednesday 10:00 there.
CREATED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
D_ALICE = dm_channel_id(U_ALICE)
U_KIWI = "U0KIWI"
SUMMARY = re.compile(r"planned=(\d+) sent=(\d+) retried=(\d+) failed=(\d+)")


def baton_command() -> list[str]:
    """The console script `baton` next to this interpreter (what people run), else its exact equivalent."""
    script = shutil.which("baton", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def cli_env(database_url: str, slack: FakeSlack) -> dict[str, str]:
    """The parent's environment without any SLACK_*, BATON_*, DATABASE_URL or PORT, plus the test's own.

    PYTHONUNBUFFERED goes too: cron, systemd and most CI runners do not set it, and output must not
    depend on it.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BATON_")) and k not in ("DATABASE_URL", "PORT", "PYTHONUNBUFFERED")
    }
    # The repository first on the path, so the processes import this checkout whatever the cwd.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
    )
    return env


@dataclass
class Cli:
    database_url: str
    slack: FakeSlack
    cwd: Path

    def run(self, *args: str, command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*(command or baton_command()), *args],
            cwd=self.cwd,
            env=cli_env(self.database_url, self.slack),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )

    def tick(self, at: datetime) -> dict[str, int]:
        """`baton tick --at`: exit 0 and exactly one summary line on stdout, returned as numbers."""
        done = self.run("tick", "--at", at.isoformat())
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        return summary_of(done.stdout)

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            database_url=self.database_url,
            slack_bot_token=TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.slack.base_url,
        )

    def accept(self, user: str, *, at: datetime = CREATED_AT) -> int:
        """`user` clicks Accept on each task waiting for their answer (check-ins go to accepted tasks)."""
        baton = create_app(
            self.settings(), clock=FakeClock(at), listener_executor=InlineExecutor(), delivery_executor=InlineExecutor()
        )
        try:
            with baton.uow(read_only=True) as uow:
                waiting = [t.id for t in uow.tasks.assigned_to(TEAM_ID, user, limit=100) if t.status == "open"]
            for task_id in waiting:
                payload = block_action_payload(
                    "baton_accept", str(task_id), user_id=user, response_url=self.slack.response_url("accept")
                )
                response = baton.bolt.dispatch(bolt_request(action_body(payload)))
                assert response.status == 200, response.body
            return len(waiting)
        finally:
            baton.close()

    def delegate(
        self, text: str, *, to: str = U_ALICE, by: str = U_MANAGER, at: datetime = CREATED_AT, accept: bool = True
    ) -> None:
        """Create a task the way Slack does, through a signed /task on an in-process app on the same file; the
        assignee accepts it unless told not to (check-ins go to accepted tasks)."""
        baton = create_app(
            self.settings(),
            clock=FakeClock(at),
            listener_executor=InlineExecutor(),
            delivery_executor=InlineExecutor(),
        )
        try:
            body = command_body(
                "/task",
                f"<@{to}> {text}",
                user_id=by,
                channel_id=C_GENERAL,
                response_url=self.slack.response_url(),
            )
            response = baton.bolt.dispatch(bolt_request(body))
            assert response.status == 200, response.body
            assert "T-" in str(response.body), response.body
        finally:
            baton.close()
        if accept:
            self.accept(to, at=at)


def summary_of(stdout: str) -> dict[str, int]:
    lines = stdout.splitlines()
    assert len(lines) == 1, f"tick prints exactly one line on stdout, got {stdout!r}"
    found = SUMMARY.search(lines[0])
    assert found, lines[0]
    planned, sent, retried, failed = (int(n) for n in found.groups())
    return {"planned": planned, "sent": sent, "retried": retried, "failed": failed}


def checkin_posts(slack: FakeSlack) -> list[dict[str, Any]]:
    return [
        call.params
        for call in slack.calls_to("chat.postMessage")
        if str(((call.params.get("metadata") or {}).get("event_payload") or {}).get("dedupe_key", "")).startswith(
            "checkin:"
        )
    ]


def outbox_rows(stdout: str) -> list[str]:
    """The listing's rows (its first line is the header)."""
    return [line for line in stdout.splitlines()[1:] if line.strip()]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One database file brought up by `baton db upgrade`; each test works on its own copy."""
    folder = tmp_path_factory.mktemp("migrated")
    path = folder / "b.db"
    with FakeSlack() as slack:
        done = Cli(f"sqlite:///{path}", slack, folder).run("db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    yield path


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def cli(migrated: Path, slack: FakeSlack, tmp_path: Path) -> Cli:
    shutil.copyfile(migrated, tmp_path / "b.db")
    return Cli(f"sqlite:///{tmp_path / 'b.db'}", slack, tmp_path)


# -- the tests -----------------------------------------------------------------------------------------


def test_db_upgrade_is_safe_to_run_again(cli: Cli) -> None:
    done = cli.run("db", "upgrade")

    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_tick_at_the_checkin_moment_sends_the_checkin_once(cli: Cli) -> None:
    cli.delegate("Fix the refund macro")
    cli.slack.clear()

    first = cli.tick(CHECKIN_AT)

    assert first == {"planned": 1, "sent": 1, "retried": 0, "failed": 0}
    [post] = checkin_posts(cli.slack)
    assert post["channel"] in (D_ALICE, U_ALICE)
    assert post["metadata"]["event_type"] == "baton_message"
    assert [m for m in cli.slack.messages(D_ALICE) if m.get("metadata") == post["metadata"]]

    again = cli.tick(CHECKIN_AT)

    assert again == {"planned": 0, "sent": 0, "retried": 0, "failed": 0}
    assert len(checkin_posts(cli.slack)) == 1


def test_a_tick_before_the_checkin_moment_sends_nothing(cli: Cli) -> None:
    cli.delegate("Fix the refund macro")
    cli.slack.clear()

    assert cli.tick(CHECKIN_AT - timedelta(minutes=1)) == {"planned": 0, "sent": 0, "retried": 0, "failed": 0}
    assert cli.slack.calls_to("chat.postMessage") == []


def test_outbox_lists_what_was_sent(cli: Cli) -> None:
    cli.delegate("Fix the refund macro")
    cli.tick(CHECKIN_AT)

    done = cli.run("outbox")

    assert done.returncode == 0, done.stderr
    rows = outbox_rows(done.stdout)
    assert len(rows) == 3, done.stdout  # the assignment DM, the delegator told of the accept, the check-in
    assert all(" sent " in f" {row} " for row in rows), done.stdout
    assert any("checkin:" in row for row in rows), done.stdout

    only_sent = cli.run("outbox", "--state", "sent")
    assert outbox_rows(only_sent.stdout) == rows
    assert outbox_rows(cli.run("outbox", "--state", "failed").stdout) == []


def test_a_permanent_refusal_is_marked_failed_with_its_reason_and_not_retried(cli: Cli) -> None:
    cli.delegate("Fix the refund macro")
    cli.slack.clear()
    cli.slack.fail("chat.postMessage", error="channel_not_found")

    first = cli.tick(CHECKIN_AT)

    assert first == {"planned": 1, "sent": 0, "retried": 0, "failed": 1}
    done = cli.run("outbox", "--state", "failed")
    assert done.returncode == 0, done.stderr
    [row] = outbox_rows(done.stdout)
    assert "channel_not_found" in row
    assert "checkin:" in row
    assert "failed" in row

    later = cli.tick(CHECKIN_AT + timedelta(hours=1))

    assert later == {"planned": 0, "sent": 0, "retried": 0, "failed": 0}
    assert len(cli.slack.calls_to("chat.postMessage")) == 1, "a refused message is not tried again"


def test_a_lost_answer_is_found_in_history_by_the_next_tick_not_posted_twice(cli: Cli) -> None:
    # The fake stamps messages from 1_700_000_000 (14 Nov 2023 22:13 UTC) on, and Baton searches the
    # history from the row's creation on, so this test runs the clock then: Wednesday 15 November
    # 2023, 10:00 in Auckland is 21:00 UTC on the 14th.
    cli.slack.add_user(U_KIWI, name="kiwi", tz="Pacific/Auckland")
    cli.delegate("Fix the refund macro", to=U_KIWI, at=datetime(2023, 11, 14, 19, 0, tzinfo=UTC))
    cli.slack.clear()
    cli.slack.post_then_fail("chat.postMessage", status=500)
    moment = datetime(2023, 11, 14, 21, 0, tzinfo=UTC)

    first = cli.tick(moment)
    later = cli.tick(moment + timedelta(minutes=5))

    assert (first["planned"], first["sent"], first["retried"]) == (1, 0, 1)
    assert (later["sent"], later["failed"]) == (1, 0)
    assert len(checkin_posts(cli.slack)) == 1, "the message Slack took is recorded, not posted again"
    [history] = cli.slack.calls_to("conversations.history")
    assert str(history.params.get("include_all_metadata")).lower() in ("1", "true")
    assert len([m for m in cli.slack.messages(dm_channel_id(U_KIWI)) if m.get("metadata")]) == 2
    [row] = [r for r in outbox_rows(cli.run("outbox").stdout) if "checkin:" in r]
    assert " sent " in row


def test_tick_with_an_unreadable_at_fails_with_one_line_and_no_traceback(cli: Cli) -> None:
    done = cli.run("tick", "--at", "notadate")

    assert done.returncode != 0
    output = (done.stdout + done.stderr).strip().splitlines()
    assert len(output) == 1, output
    assert "--at" in output[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert cli.slack.calls == []


def test_outbox_on_a_database_never_migrated_says_so_in_one_line(slack: FakeSlack, tmp_path: Path) -> None:
    empty = Cli(f"sqlite:///{tmp_path / 'empty.db'}", slack, tmp_path)

    done = empty.run("outbox")

    assert done.returncode == 2
    output = (done.stdout + done.stderr).strip().splitlines()
    assert len(output) == 1, output
    assert output[0].startswith("baton: the database is not migrated (run `baton db upgrade`): no such table")
    assert "Traceback" not in done.stdout + done.stderr


def test_python_dash_m_bot_cli_prints_the_tick_summary_when_stdout_is_a_pipe(cli: Cli) -> None:
    """`python -m bot.cli` is the same CLI; its output must survive being piped (as under cron or CI)."""
    cli.delegate("Fix the refund macro")

    done = cli.run("tick", "--at", CHECKIN_AT.isoformat(), command=[sys.executable, "-m", "bot.cli"])

    assert done.returncode == 0, done.stderr
    assert summary_of(done.stdout) == {"planned": 1, "sent": 1, "retried": 0, "failed": 0}

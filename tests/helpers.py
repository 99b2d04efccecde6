"""Small helpers the tests share: instants, what a reader sees of a message, and running `baton` as a process."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.models import OutboxMessage, Task
from storage.uow import UnitOfWorkFactory
from tests.conftest import START, Harness, flatten
from tests.fakes.http import http, wait_for
from tests.fakes.requests import SIGNING_SECRET
from tests.fakes.slack_api import U_ALICE, U_MANAGER, FakeSlack

REPO = Path(__file__).resolve().parents[1]
CLI_TOKEN = "xoxb-e2e"

# -- instants ------------------------------------------------------------------------------------------------


def utc(*parts: int) -> datetime:
    """`datetime(*parts)` in UTC: utc(2026, 12, 1, 14) is 14:00 UTC on 1 December 2026."""
    return datetime(*parts, tzinfo=UTC)


def every(start: datetime, end: datetime, *, minutes: int = 15) -> list[datetime]:
    """The moments from `start` to `end` (both included) `minutes` apart."""
    moments, at = [], start
    while at <= end:
        moments.append(at)
        at += timedelta(minutes=minutes)
    return moments


# -- messages ------------------------------------------------------------------------------------------------


def shown(message: Mapping[str, Any]) -> str:
    """What a reader sees of a posted message: its fallback text and its blocks' texts."""
    return str(message.get("text") or "") + "\n" + flatten(message.get("blocks") or [])


def action_ids(message: Mapping[str, Any]) -> list[str]:
    """The action ids of a message's buttons and menus, in order."""
    return [
        element.get("action_id")
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
    ]


def opened_views(h: Harness) -> list[dict[str, Any]]:
    """Every modal Baton opened (views.open), oldest first."""
    return [call.params["view"] for call in h.slack.calls_to("views.open")]


# -- rows -----------------------------------------------------------------------------------------------------


def ensure_workspaces(uow_factory: UnitOfWorkFactory, *ids: str, now: datetime = START) -> None:
    """The workspace rows, committed."""
    with uow_factory() as uow:
        for workspace_id in ids:
            uow.workspaces.ensure(workspace_id, now=now)
        uow.commit()


def task_row(workspace_id: str, number: int, *, now: datetime = START, **overrides: object) -> Task:
    """An open task numbered `number` that U_MANAGER gave U_ALICE, created at `now`, not yet stored."""
    values: dict[str, object] = {
        "workspace_id": workspace_id,
        "number": number,
        "title": f"task {number} of {workspace_id}",
        "assignee_id": U_ALICE,
        "delegator_id": U_MANAGER,
        "priority": "normal",
        "status": "open",
        "created_at": now,
        "updated_at": now,
    }
    values.update(overrides)
    return Task(**values)


def outbox_in(uow_factory: UnitOfWorkFactory) -> list[OutboxMessage]:
    """Every outbox row, oldest first, detached from its session."""
    with uow_factory() as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        uow.session.expunge_all()
        return rows


# -- baton as a process --------------------------------------------------------------------------------------


def baton_command() -> list[str]:
    """The console script `baton` next to this interpreter (what people run), else its exact equivalent."""
    script = shutil.which("baton", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(database_url: str, slack: FakeSlack, *, token: str = CLI_TOKEN) -> dict[str, str]:
    """The runner's environment less any Baton or Slack setting, DATABASE_URL or PORT, plus this process's own.

    PYTHONUNBUFFERED goes too: cron, systemd and most CI runners do not set it, and output must not
    depend on it. The repository comes first on the path, so the process imports this checkout whatever the cwd.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BATON_")) and k not in ("DATABASE_URL", "PORT", "PYTHONUNBUFFERED")
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
    )
    return env


def wait_until_serving(
    process: subprocess.Popen[Any], base_url: str, log_path: Path, *, seconds: float, what: str = "baton serve"
) -> None:
    """Until the server at `base_url` answers /healthz with 200; its log fails the test if it exits first."""

    def ready() -> bool | None:
        if process.poll() is not None:
            log = log_path.read_text(errors="replace")
            raise AssertionError(f"{what} exited with {process.returncode}:\n{log}")
        try:
            return http(f"{base_url}/healthz").status == 200 or None
        except OSError:  # not listening yet
            return None

    wait_for(f"{what} to answer /healthz", ready, seconds=seconds)


def _begin_at(start: float) -> None:
    while time.time() < start:  # busy: none of the processes begins late
        pass


def _run_forked(work: Callable[[str, Callable[[], None]], Any], folder: str, start: float, results: Any) -> None:
    results.put(work(folder, lambda: _begin_at(start)))


def in_processes_at_once(
    work: Callable[[str, Callable[[], None]], Any], folder: str, *, count: int = 3
) -> tuple[list[Any], list[int | None]]:
    """`work(folder, begin)` in `count` forked processes, each calling `begin()` to wait for the moment they all go
    on together (half a second on): what each returned, and each process's exit code."""
    context = multiprocessing.get_context("fork")
    results: Any = context.Queue()
    start = time.time() + 0.5
    processes = [context.Process(target=_run_forked, args=(work, folder, start, results)) for _ in range(count)]
    for process in processes:
        process.start()
    returned = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    return returned, [process.exitcode for process in processes]

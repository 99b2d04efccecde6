"""The container's commands for real, outside a container (this machine has no Docker daemon).

compose's `migrate` command, then the image's ENTRYPOINT + CMD, run as the console script with the
environment compose.yaml gives the `baton` service and the Dockerfile's ENV, with three changes
only: DATABASE_URL is a temporary SQLite file (no PostgreSQL service here), PORT is a free port, and
SLACK_API_URL points at FakeSlack. The working directory and HOME are read-only, as with
`read_only: true` in compose: only the temporary directory may be written. The Dockerfile's
HEALTHCHECK command is then run against the server, and SIGTERM (the STOPSIGNAL) must stop it
cleanly within the grace period compose gives it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.container_files import compose, interpolate, runtime_stage, service_environment
from tests.e2e.test_serve import READY_SECONDS, baton_env
from tests.fakes.slack_api import FakeSlack
from tests.helpers import baton_command, free_port, wait_until_serving

pytestmark = pytest.mark.e2e

STOP_SECONDS = 15.0
BOT_TOKEN = "xoxb-container-entry-secret"
SIGNING_SECRET = "container-entry-signing-secret"
# What an operator's .env would hold; compose fills the `${VAR}` of compose.yaml from it.
DOTENV = {"POSTGRES_PASSWORD": "pw0123", "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_BOT_TOKEN": BOT_TOKEN}


def _container_env(service: str, *, tmp: Path, db_url: str, port: int, slack: FakeSlack) -> dict[str, str]:
    """The Dockerfile's ENV plus the service's compose environment, as the container would see them."""
    image_env = {k: v for k, v in runtime_stage().env().items() if k != "PATH"}
    compose_env = {k: interpolate(v, DOTENV) for k, v in service_environment(compose()["services"][service]).items()}
    assert compose_env["DATABASE_URL"].startswith("postgresql+psycopg://")
    changed = {"DATABASE_URL": db_url, "PORT": str(port), "SLACK_API_URL": slack.base_url}
    return baton_env(**{**image_env, **compose_env, **changed, "HOME": str(tmp / "home"), "TMPDIR": str(tmp / "tmp")})


def _health_command() -> list[str]:
    check = runtime_stage().healthcheck()
    assert check is not None
    command = check.command
    return [sys.executable if command[0] == "python" else command[0], *command[1:]]


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A read-only working directory and HOME, with a writable temporary directory beside them."""
    for name in ("app", "home", "tmp", "data"):
        (tmp_path / name).mkdir()
    for name in ("app", "home"):
        (tmp_path / name).chmod(0o555)
    yield tmp_path
    for name in ("app", "home"):
        (tmp_path / name).chmod(0o755)


def test_migrate_then_the_entry_command_serves_answers_the_healthcheck_and_stops_on_sigterm(
    workdir: Path, slack: FakeSlack
) -> None:
    db_url = f"sqlite:///{workdir / 'data' / 'baton.db'}"
    port = free_port()
    app_dir = workdir / "app"

    migrate = compose()["services"]["migrate"]["command"]
    migrated = subprocess.run(
        [*baton_command(), *migrate],
        env=_container_env("migrate", tmp=workdir, db_url=db_url, port=port, slack=slack),
        cwd=app_dir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "database is up to date" in migrated.stdout

    command = runtime_stage().entry_command()
    assert command[0] == "baton"
    env = _container_env("baton", tmp=workdir, db_url=db_url, port=port, slack=slack)
    log_path = workdir / "data" / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*baton_command(), *command[1:]], env=env, cwd=app_dir, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(process, base_url, log_path, seconds=READY_SECONDS, what=f"the entry command {command}")
        check = subprocess.run(_health_command(), env=env, capture_output=True, text=True, timeout=30, check=False)
        assert check.returncode == 0, f"HEALTHCHECK failed on a healthy server:\n{check.stderr}"

        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=STOP_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_SECONDS)

    output = log_path.read_text(errors="replace")
    assert code == 0, f"exit status {code} after SIGTERM:\n{output}"
    after = subprocess.run(_health_command(), env=env, capture_output=True, text=True, timeout=30, check=False)
    assert after.returncode != 0, "HEALTHCHECK passes with nothing listening"
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "the server logged nothing"
    for line in lines:
        assert isinstance(json.loads(line), dict), f"BATON_LOG_FORMAT=json, but a line is not JSON: {line!r}"
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output
    assert os.listdir(app_dir) == [] and os.listdir(workdir / "home") == []

"""`baton playground` and `baton run` without Slack settings, as real processes."""

from __future__ import annotations

import json
import select
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.e2e.test_serve import READY_SECONDS, TRACEBACK, baton_env, run_baton
from tests.fakes.http import http, wait_for
from tests.helpers import baton_command, free_port

pytestmark = pytest.mark.e2e


def test_baton_run_without_slack_settings_starts_the_playground_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = baton_env(PORT=str(port))
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    process = subprocess.Popen(
        [*baton_command(), "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = ""
    try:
        url = f"http://127.0.0.1:{port}/state?as=U0MAYA"
        wait_for("the demo team in #support", lambda: _seeded(_answer(url)), seconds=30)
        assert b"Baton playground" in http(f"http://127.0.0.1:{port}/").body
        # The banner is printed once the demo is seeded and SIGTERM is handled: stop it only then.
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], READY_SECONDS)
        assert ready, "no banner on stdout"
        first = process.stdout.readline()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=READY_SECONDS)

    assert process.returncode == 0, stderr
    assert TRACEBACK not in stderr
    assert first.startswith(f"No Slack settings: starting the playground at http://127.0.0.1:{port}/")
    assert "SLACK_BOT_TOKEN" in first


def test_baton_run_with_some_slack_settings_still_names_what_is_missing(tmp_path: Path) -> None:
    result = run_baton(["run"], env=baton_env(SLACK_BOT_TOKEN="xoxb-1"), cwd=tmp_path)

    assert result.returncode == 2
    assert TRACEBACK not in result.stderr
    assert "SLACK_SIGNING_SECRET" in result.stderr.splitlines()[0]


def test_playground_on_a_taken_port_fails_with_one_line(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_baton(["playground", "--no-open", "--port", str(port)], env=baton_env(), cwd=tmp_path)

    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0], result.stderr


def _answer(url: str) -> bytes | None:
    try:
        answer = http(url)
    except OSError:
        return None
    return answer.body if answer.status == 200 else None


def _seeded(state: bytes | None) -> bool | None:
    """True once #support holds the last seeded message, the welcome (after `/team setup` and the skills)."""
    if state is None:
        return None
    return True if any("Morning team" in m["html"] for m in json.loads(state)["messages"]["C0SUPPORT"]) else None

"""The database goes away and comes back (issue 6, "Faults"): Baton answers politely, loses nothing, resumes.

PostgreSQL sits behind `tests/fakes/tcp_proxy.py`, which the test cuts (every connection hung up, new
ones refused) and restores. While it is cut, `/healthz` answers 503 with a JSON reason, `/task` answers
"try again in a minute" and writes nothing, and `baton tick` stops with one line. Once it is back the pool
reconnects by itself (a connection back from a pause is pinged; one that failed has the pool's older ones
discarded), the same `/task` creates T-1 and DMs the assignee, and a check-in that fell due during the outage
goes out with the next pass, once.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.response import BoltResponse
from sqlalchemy import make_url, select

from bot.app import Baton, create_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.executors import InlineExecutor
from bot.server import make_wsgi_app
from handlers import ids
from handlers.listener_kit import DATABASE_DOWN
from storage.db import make_engine, make_session_factory
from storage.models import OutboxMessage, Task
from storage.uow import UnitOfWork
from tests.fakes.clock import FakeClock
from tests.fakes.requests import (
    SIGNING_SECRET,
    action_body,
    block_action_payload,
    bolt_request,
    command_body,
    signed_headers,
)
from tests.fakes.slack_api import C_GENERAL, TEAM_ID, U_ALICE, U_MANAGER, FakeSlack, dm_channel_id
from tests.fakes.tcp_proxy import TcpProxy
from tests.helpers import baton_command, cli_env, free_port, wait_until_serving
from tests.postgres.conftest import PgSchema
from tests.postgres.processes import HttpAnswer, http, keys_posted, migrate, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

TOKEN = "xoxb-e2e"
TRACEBACK = "Traceback"
READY_SECONDS = 20.0
RECOVER_SECONDS = 10.0
DELIVERY_SECONDS = 10.0
COMMAND_SECONDS = 60.0
# A second workspace holds the task whose check-in falls due during the outage, so the /task of the
# test is T-1 in TEAM_ID. Its assignee is in Berlin: created Tuesday 1 December 2026 at 15:00 there, it
# is due a check-in on Wednesday at 10:00 Berlin, 09:00 UTC.
OTHER_TEAM = "T0OTHER"
U_SEEDED = "U0SEEDED"
CREATED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
NEW_TASK = f"<@{U_ALICE}> Fix it by tomorrow"


def through(url: str, proxy: TcpProxy) -> str:
    """The same database URL (schema pinned and all), reached through the proxy."""
    return make_url(url).set(host=proxy.host, port=proxy.port).render_as_string(hide_password=False)


def proxy_to(url: str) -> TcpProxy:
    parsed = make_url(url)
    return TcpProxy(parsed.host or "127.0.0.1", parsed.port or 5432)


def settings_for(url: str, slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,
        database_url=url,
        slack_bot_token=TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
    )


def in_process(url: str, slack: FakeSlack, clock: FakeClock | FixedClock) -> Baton:
    """An app whose listeners and deliveries run inline, so dispatch returns with everything done."""
    return create_app(
        settings_for(url, slack),
        engine=make_engine(url),
        clock=clock,
        listener_executor=InlineExecutor(),
        delivery_executor=InlineExecutor(),
    )


def tasks_in(url: str, workspace_id: str) -> list[tuple[int, str, str]]:
    """(number, title, assignee) of a workspace's tasks, read straight from PostgreSQL (not the proxy)."""
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            rows = uow.session.execute(
                select(Task.number, Task.title, Task.assignee_id)
                .where(Task.workspace_id == workspace_id)
                .order_by(Task.number)
            )
            return [(number, title, assignee) for number, title, assignee in rows]
    finally:
        engine.dispose()


def outbox_for(url: str, task_id: int, kind: str) -> list[tuple[str, int]]:
    """(state, attempts) of a task's outbox rows of one kind."""
    engine = make_engine(url)
    try:
        with UnitOfWork(make_session_factory(engine)) as uow:
            rows = uow.session.execute(
                select(OutboxMessage.state, OutboxMessage.attempts)
                .where(OutboxMessage.task_id == task_id, OutboxMessage.kind == kind)
                .order_by(OutboxMessage.id)
            )
            return [(state, attempts) for state, attempts in rows]
    finally:
        engine.dispose()


def seed_task_due_for_a_checkin(url: str, slack: FakeSlack) -> int:
    """T-1 in OTHER_TEAM, delegated on Tuesday afternoon and accepted; returns its id."""
    slack.add_user(U_SEEDED, name="seeded", tz="Europe/Berlin")
    baton = in_process(url, slack, FakeClock(CREATED_AT))
    try:
        body = command_body(
            "/task", f"<@{U_SEEDED}> Water the plants", user_id=U_MANAGER, team_id=OTHER_TEAM,
            response_url=slack.response_url("seed"),
        )  # fmt: skip
        response = baton.bolt.dispatch(bolt_request(body))
        assert response.status == 200 and "T-1" in str(response.body), response.body
        with baton.uow(read_only=True) as uow:
            found = uow.session.scalar(select(Task.id).where(Task.workspace_id == OTHER_TEAM, Task.number == 1))
        assert found is not None
        baton.services.tasks.accept(OTHER_TEAM, U_SEEDED, int(found))  # check-ins go to accepted tasks
    finally:
        baton.close()
    return int(found)


def reply_of(response: BoltResponse | HttpAnswer) -> dict[str, Any]:
    body = response.body
    assert body, "an empty answer"
    found = json.loads(body)
    assert isinstance(found, dict)
    return found


def assert_polite_refusal(reply: dict[str, Any]) -> None:
    assert reply.get("response_type") == "ephemeral", reply
    assert reply.get("text") == DATABASE_DOWN
    shown = json.dumps(reply)
    assert "Created" not in shown and "T-1" not in shown and TRACEBACK not in shown


def task_dms(slack: FakeSlack, user_id: str, title: str) -> list[Any]:
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if call.params.get("channel") in (dm_channel_id(user_id), user_id) and title in json.dumps(call.params)
    ]


def checkins_for(slack: FakeSlack, task_id: int) -> int:
    return sum(keys_posted(slack, prefix=f"checkin:{task_id}:").values())


# -- baton serve and baton tick, as real processes ------------------------------------------------------


@contextmanager
def baton_serve(url: str, slack: FakeSlack, cwd: Path) -> Iterator[tuple[str, Path]]:
    """`baton serve` (one worker, no scheduler) on a free port; yields its base URL and its log file."""
    port = free_port()
    log_path = cwd / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
            + ["--workers", "1", "--no-scheduler"],
            env=cli_env(url, slack),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base_url, log_path, seconds=READY_SECONDS)
        yield base_url, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def baton_tick(url: str, slack: FakeSlack, at: datetime, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*baton_command(), "tick", "--at", at.isoformat()],
        env=cli_env(url, slack),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_SECONDS,
        check=False,
    )


def post_task(base_url: str, slack: FakeSlack) -> HttpAnswer:
    body = command_body("/task", NEW_TASK, user_id=U_MANAGER, response_url=slack.response_url("task"))
    return http(f"{base_url}/slack/events", data=body.encode(), headers=signed_headers(body))


def test_baton_serve_and_tick_ride_out_a_database_outage(pg_schema: PgSchema, tmp_path: Path) -> None:
    migrate(pg_schema.url)
    with FakeSlack() as slack:
        seeded = seed_task_due_for_a_checkin(pg_schema.url, slack)
        slack.clear()
        with proxy_to(pg_schema.url) as proxy, baton_serve(through(pg_schema.url, proxy), slack, tmp_path) as served:
            base_url, log_path = served
            proxied = through(pg_schema.url, proxy)
            assert http(f"{base_url}/healthz").status == 200

            proxy.cut()

            health = http(f"{base_url}/healthz")
            assert health.status == 503
            assert health.json()["status"] == "unhealthy"
            assert health.json()["reason"]

            refused = post_task(base_url, slack)
            assert refused.status == 200, refused.body
            assert_polite_refusal(reply_of(refused))
            assert tasks_in(pg_schema.url, TEAM_ID) == []

            missed = baton_tick(proxied, slack, CHECKIN_AT, tmp_path)
            assert missed.returncode != 0
            assert TRACEBACK not in missed.stderr, missed.stderr
            assert missed.stdout == ""
            assert len(missed.stderr.strip().splitlines()) == 1, missed.stderr
            assert "database" in missed.stderr
            assert checkins_for(slack, seeded) == 0
            assert outbox_for(pg_schema.url, seeded, "checkin") == []

            proxy.restore()

            wait_for(
                "/healthz to recover",
                lambda: True if http(f"{base_url}/healthz").status == 200 else None,
                seconds=RECOVER_SECONDS,
            )
            created = post_task(base_url, slack)
            assert created.status == 200, created.body
            assert "T-1" in json.dumps(reply_of(created))
            assert tasks_in(pg_schema.url, TEAM_ID) == [(1, "Fix it", U_ALICE)]
            slack.wait_until(
                "the assignment DM at FakeSlack",
                lambda: task_dms(slack, U_ALICE, "Fix it") or None,
                timeout=DELIVERY_SECONDS,
            )

            caught_up = baton_tick(proxied, slack, CHECKIN_AT + timedelta(hours=2), tmp_path)
            assert caught_up.returncode == 0, caught_up.stderr
            assert TRACEBACK not in caught_up.stderr
            assert checkins_for(slack, seeded) == 1
            assert outbox_for(pg_schema.url, seeded, "checkin") == [("sent", 1)]
            log = log_path.read_text(errors="replace")

        later = in_process(pg_schema.url, slack, FixedClock(CHECKIN_AT + timedelta(hours=3)))
        try:
            later.run_pass()
        finally:
            later.close()
        assert checkins_for(slack, seeded) == 1, "the missed check-in went out twice"
        assert list(keys_posted(slack, prefix="assign:").values()) == [1], "T-1's assignment DM, once"

    assert TRACEBACK not in log, log[-3000:]
    assert "database.unavailable" in log
    assert "Fix it" not in log, "the typed text reached the log"


# -- the same, in process: faster, and the paths that end in on_error -------------------------------------

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def healthz(app: WsgiApp) -> tuple[int, dict[str, Any]]:
    seen: list[str] = []
    body = b"".join(app({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, lambda status, _h: seen.append(status)))
    return int(seen[0].split()[0]), json.loads(body)


def test_in_process_commands_and_clicks_answer_politely_while_the_database_is_cut(
    pg_schema: PgSchema, caplog: pytest.LogCaptureFixture
) -> None:
    migrate(pg_schema.url)
    with FakeSlack() as slack, proxy_to(pg_schema.url) as proxy:
        seeded = seed_task_due_for_a_checkin(pg_schema.url, slack)
        baton = in_process(through(pg_schema.url, proxy), slack, FakeClock(CREATED_AT + timedelta(hours=1)))
        try:
            app = make_wsgi_app(baton)
            assert healthz(app)[0] == 200
            task = command_body("/task", NEW_TASK, user_id=U_MANAGER, response_url=slack.response_url("task"))
            click = action_body(
                block_action_payload(
                    ids.ACTION_CHECKIN_ON_TRACK, str(seeded), user_id=U_SEEDED, team_id=OTHER_TEAM,
                    response_url=slack.response_url("click"),
                )
            )  # fmt: skip
            slack.clear()
            caplog.clear()

            with caplog.at_level(logging.INFO):
                proxy.cut()
                status, health = healthz(app)
                refused = baton.bolt.dispatch(bolt_request(task))
                clicked = baton.bolt.dispatch(bolt_request(click))

            assert (status, health["status"], health["reason"]) == (503, "unhealthy", "OperationalError")
            assert refused.status == 200, refused.body
            assert_polite_refusal(reply_of(refused))
            assert clicked.status == 200, clicked.body  # on_error's answer, not Bolt's 500
            assert [r.get("text") for r in slack.responses_to("click")] == [DATABASE_DOWN]
            assert slack.calls_to("chat.postMessage") == []
            assert tasks_in(pg_schema.url, TEAM_ID) == []
            warned = [r for r in caplog.records if r.getMessage() == "database.unavailable"]
            assert [(r.levelno, r.__dict__["reason"]) for r in warned] == [(logging.WARNING, "OperationalError")] * 2
            assert [r.__dict__["handler"] for r in warned] == ["command.task", ids.ACTION_CHECKIN_ON_TRACK]
            assert all(r.exc_info is None for r in warned), "an outage is not a bug: no traceback"
            assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
            assert "Fix it" not in caplog.text and "SELECT" not in caplog.text

            proxy.restore()

            assert healthz(app)[0] == 200
            created = baton.bolt.dispatch(bolt_request(task))
            assert created.status == 200
            assert "T-1" in json.dumps(reply_of(created))
            assert tasks_in(pg_schema.url, TEAM_ID) == [(1, "Fix it", U_ALICE)]
            assert len(task_dms(slack, U_ALICE, "Fix it")) == 1
            answered = baton.bolt.dispatch(bolt_request(click))
            assert answered.status == 200
            assert slack.responses_to("click")[-1].get("replace_original") is True
        finally:
            baton.close()


def test_in_process_a_command_during_the_outage_is_not_a_lost_write_reported_as_done(pg_schema: PgSchema) -> None:
    """Cut between two commands on one pooled connection: the second fails cleanly, the first is kept."""
    migrate(pg_schema.url)
    with FakeSlack() as slack, proxy_to(pg_schema.url) as proxy:
        baton = in_process(through(pg_schema.url, proxy), slack, FakeClock(CREATED_AT))
        try:

            def task(text: str) -> BoltResponse:
                body = command_body("/task", text, user_id=U_MANAGER, channel_id=C_GENERAL,
                                    response_url=slack.response_url())  # fmt: skip
                return baton.bolt.dispatch(bolt_request(body))

            first = task(f"<@{U_ALICE}> First thing")
            proxy.cut()
            second = task(f"<@{U_ALICE}> Second thing")
            proxy.restore()
            third = task(f"<@{U_ALICE}> Third thing")
        finally:
            baton.close()

    assert "T-1" in json.dumps(reply_of(first))
    assert_polite_refusal(reply_of(second))
    assert "T-2" in json.dumps(reply_of(third)), "the refused command used up no number"
    assert tasks_in(pg_schema.url, TEAM_ID) == [(1, "First thing", U_ALICE), (2, "Third thing", U_ALICE)]

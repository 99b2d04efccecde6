"""The scheduler is one interval job; /healthz tells the truth about the database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from bot.scheduler.runner import JOB_ID, run_guarded, start_scheduler
from bot.server import make_wsgi_app
from tests.conftest import Harness


def test_runner_registers_exactly_one_interval_job_that_never_overlaps() -> None:
    scheduler = start_scheduler(lambda: None, every_seconds=30)
    try:
        jobs = scheduler.get_jobs()
        assert [job.id for job in jobs] == [JOB_ID]
        [job] = jobs
        assert job.trigger.interval.total_seconds() == 30
        assert job.coalesce is True
        assert job.max_instances == 1
        assert type(scheduler._jobstores["default"]).__name__ == "MemoryJobStore"
    finally:
        scheduler.shutdown(wait=False)


def _get(app: Any, path: str, method: str = "GET") -> tuple[str, dict[str, Any]]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"] = status

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": method}, start_response))
    return seen["status"], json.loads(body)


def test_healthz_is_200_while_the_database_answers(harness: Harness) -> None:
    status, body = _get(make_wsgi_app(harness.baton), "/healthz")

    assert status.startswith("200")
    assert body["status"] == "ok"


def test_healthz_is_503_with_a_json_reason_when_the_database_is_down(harness: Harness) -> None:
    harness.baton.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_pre_ping=False)

    status, body = _get(make_wsgi_app(harness.baton), "/healthz")

    assert status.startswith("503")
    assert body["status"] == "unhealthy" and body["database"] == "unreachable"


def test_other_paths_and_methods_are_refused(harness: Harness) -> None:
    app = make_wsgi_app(harness.baton)

    assert _get(app, "/nope")[0].startswith("404")
    assert _get(app, "/slack/events", "GET")[0].startswith("405")


def test_a_pass_during_a_database_outage_logs_one_line_without_a_traceback(caplog: pytest.LogCaptureFixture) -> None:
    def down() -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    def bug() -> None:
        raise KeyError("oops")

    with caplog.at_level("WARNING"):
        run_guarded(down)
        run_guarded(bug)
    events = [(r.getMessage(), r.levelname, r.exc_info is not None) for r in caplog.records]
    assert events == [("scheduler.database_unavailable", "WARNING", False), ("scheduler.pass_failed", "ERROR", True)]

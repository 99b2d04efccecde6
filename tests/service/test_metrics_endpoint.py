"""GET /metrics through the WSGI app: requests by kind and outcome, acks, outbox rows, a request id per request."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import create_engine

from bot.logs import RequestFieldsFilter
from bot.metrics import Metrics
from bot.server import make_wsgi_app
from bot.slack.observer import ObservedWebClient
from storage.db import make_session_factory
from storage.uow import UnitOfWorkFactory
from tests.conftest import Harness
from tests.fakes.requests import command_body, signed_headers
from tests.fakes.slack_api import TEAM_ID, U_ALICE, U_MANAGER, FakeSlack
from tests.fakes.wsgi import WsgiAnswer as Answer
from tests.fakes.wsgi import call


def samples(app: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = call(app, "/metrics")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(answer.body.decode())
        for s in family.samples
    }


def post(app: Any, body: str, headers: dict[str, str] | None = None) -> Answer:
    """A /slack/events POST signed now; `headers` add to or replace the signed ones."""
    return call(app, "/slack/events", method="POST", body=body, headers={**signed_headers(body), **(headers or {})})


def _task(h: Harness, text: str) -> str:
    return command_body("/task", text, user_id=U_MANAGER, response_url=h.slack.response_url())


def test_commands_are_counted_and_timed_and_the_outbox_is_shown_by_state(
    harness: Harness, stale_timestamp: int
) -> None:
    app = make_wsgi_app(harness.baton)
    for title in ("One", "Two"):
        body = _task(harness, f"<@{U_ALICE}> {title}")
        assert post(app, body).status == 200
    forged = _task(harness, f"<@{U_ALICE}> Forged")
    assert post(app, forged, signed_headers(forged, secret="not-the-secret")).status == 401
    stale = _task(harness, f"<@{U_ALICE}> Stale")
    headers = signed_headers(stale, timestamp=stale_timestamp)
    assert post(app, stale, headers).status == 401

    got = samples(app)

    assert got[("baton_requests_total", (("kind", "command"), ("outcome", "ok")))] == 2
    assert got[("baton_requests_total", (("kind", "command"), ("outcome", "rejected")))] == 2
    assert got[("baton_ack_seconds_count", ())] == 4
    assert got[("baton_database_up", ())] == 1
    # The assignment DMs went out inline (the harness delivers at once).
    assert got[("baton_outbox_rows", (("state", "sent"),))] == 2
    assert got[("baton_outbox_rows", (("state", "pending"),))] == 0
    assert got[("baton_outbox_oldest_pending_seconds", ())] == 0
    assert got[("baton_slack_calls_total", (("method", "chat.postMessage"), ("outcome", "ok")))] == 2


def test_a_scheduler_pass_is_timed_and_its_messages_counted(harness: Harness) -> None:
    app = make_wsgi_app(harness.baton)
    harness.slack.fail("chat.postMessage", retry_after=1)  # the assignment DM is rate limited once
    assert post(app, _task(harness, f"<@{U_ALICE}> Later")).status == 200
    harness.clock.advance(minutes=1)

    summary = harness.baton.run_pass()

    got = samples(app)
    assert summary.sent == 1
    assert got[("baton_pass_seconds_count", ())] == 1
    assert got[("baton_pass_messages_total", (("result", "sent"),))] == 1
    assert got[("baton_slack_ratelimited_total", (("method", "chat.postMessage"),))] == 1


def test_the_oldest_pending_message_age_follows_the_clock(harness: Harness) -> None:
    app = make_wsgi_app(harness.baton)
    harness.slack.fail("chat.postMessage", error="internal_error")  # the DM waits for a retry
    body = _task(harness, f"<@{U_ALICE}> Retry me")
    assert post(app, body).status == 200
    [row] = harness.outbox()
    assert row.state == "pending"

    harness.clock.set(row.not_before)
    harness.clock.advance(seconds=120)

    got = samples(app)
    assert got[("baton_outbox_rows", (("state", "pending"),))] == 1
    assert got[("baton_outbox_oldest_pending_seconds", ())] == 120


def test_the_scrape_answers_with_database_up_0_while_the_database_is_down(harness: Harness) -> None:
    app = make_wsgi_app(harness.baton)
    assert post(app, _task(harness, f"<@{U_ALICE}> Before the outage")).status == 200
    dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", pool_pre_ping=False)
    harness.baton.uow = UnitOfWorkFactory(make_session_factory(dead))
    app = make_wsgi_app(harness.baton)  # the app's metrics live on; the outbox is read through the dead engine

    got = samples(app)

    assert got[("baton_database_up", ())] == 0
    assert not any(name == "baton_outbox_rows" for name, _ in got)
    assert got[("baton_requests_total", (("kind", "command"), ("outcome", "ok")))] == 1


def test_each_request_gets_an_id_that_its_log_records_and_answer_carry(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_wsgi_app(harness.baton)
    body = _task(harness, f"<@{U_ALICE}> Traced")
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestFieldsFilter())

    given = post(app, body, {"X-Request-Id": "abc-123"})
    fresh = post(app, body)
    forged = post(app, body, {"X-Request-Id": "a\nb"})

    assert given.headers["x-request-id"] == "abc-123"
    assert len(fresh.headers["x-request-id"]) == 32 and fresh.headers["x-request-id"] != "abc-123"
    assert forged.headers["x-request-id"] not in ("a\nb", fresh.headers["x-request-id"])
    traced = [r for r in caplog.records if getattr(r, "request_id", None) == "abc-123"]
    assert traced, "the request's records carry its id"
    assert {(getattr(r, "workspace", None), getattr(r, "user", None)) for r in traced} == {(TEAM_ID, U_MANAGER)}
    assert fresh.headers["x-request-id"] in {getattr(r, "request_id", None) for r in caplog.records}


def test_metrics_takes_get_only(harness: Harness) -> None:
    app = make_wsgi_app(harness.baton)

    assert call(app, "/metrics", method="POST").status == 405


def test_every_web_api_call_is_counted_by_method_and_outcome_and_429s_apart(slack: FakeSlack) -> None:
    metrics = Metrics(CollectorRegistry(), process=False)
    client = ObservedWebClient(token="xoxb-test", base_url=slack.base_url, observer=metrics, retry_handlers=[])
    slack.fail("chat.postMessage", retry_after=30)
    slack.fail("chat.postMessage", error="channel_not_found")
    slack.fail("chat.postMessage", drop=True)

    outcomes = []
    for _ in range(4):
        try:
            client.chat_postMessage(channel="C1", text="hi")
            outcomes.append("sent")
        except (SlackApiError, SlackClientError, OSError) as error:
            outcomes.append(type(error).__name__)
    client.users_info(user=U_ALICE)

    assert outcomes[-1] == "sent"
    count = metrics.registry.get_sample_value
    assert count("baton_slack_calls_total", {"method": "chat.postMessage", "outcome": "ratelimited"}) == 1
    assert count("baton_slack_calls_total", {"method": "chat.postMessage", "outcome": "error"}) == 1
    assert count("baton_slack_calls_total", {"method": "chat.postMessage", "outcome": "unreachable"}) == 1
    assert count("baton_slack_calls_total", {"method": "chat.postMessage", "outcome": "ok"}) == 1
    assert count("baton_slack_calls_total", {"method": "users.info", "outcome": "ok"}) == 1
    assert count("baton_slack_ratelimited_total", {"method": "chat.postMessage"}) == 1

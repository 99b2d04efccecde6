"""Metrics count into their own registry, name a request's kind from its body, and survive a database outage."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from prometheus_client import CollectorRegistry, generate_latest, values

from bot.metrics import (
    Metrics,
    OutboxCollector,
    OutboxStats,
    request_kind,
    request_outcome,
    scrape_registry,
)
from bot.scheduler.tick import PassSummary
from tests.fakes.clock import FakeClock
from tests.fakes.requests import action_body, block_action_payload, command_body, event_body, view_submission_payload

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded"
STATES = ("pending", "sending", "sent", "failed", "skipped")


def _metrics() -> Metrics:
    return Metrics(CollectorRegistry(), process=False)


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


# -- request kinds and outcomes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (command_body("/task", "<@U1> Fix it", user_id="U2", response_url="https://x"), FORM, "command"),
        (action_body(block_action_payload("task_done", "7", user_id="U1", response_url=None)), FORM, "action"),
        (action_body(view_submission_payload("task_modal", {}, user_id="U1")), FORM, "view"),
        (action_body({"type": "view_closed", "view": {}}), FORM, "view"),
        (action_body({"type": "message_action", "callback_id": "x"}), FORM, "action"),
        (event_body({"type": "app_home_opened", "user": "U1"}), "application/json", "event"),
        (json.dumps({"type": "url_verification", "challenge": "abc"}), "application/json", "other"),
        (urlencode({"ssl_check": "1"}), FORM, "other"),
        ("{not json", "application/json", "other"),
        (urlencode({"payload": "{broken"}), FORM, "other"),
        (urlencode({"payload": "[1, 2]"}), FORM, "other"),
        ("", FORM, "other"),
    ],
)
def test_a_request_kind_is_read_from_its_body(body: str, content_type: str, kind: str) -> None:
    assert request_kind(body.encode(), content_type) == kind


@pytest.mark.parametrize(
    ("status", "outcome"), [(200, "ok"), (302, "ok"), (401, "rejected"), (404, "rejected"), (500, "error")]
)
def test_a_status_maps_to_an_outcome(status: int, outcome: str) -> None:
    assert request_outcome(status) == outcome


# -- counting -------------------------------------------------------------------------------------------


def test_requests_are_counted_by_kind_and_outcome_and_timed() -> None:
    metrics = _metrics()

    metrics.request(kind="command", status=200, seconds=0.004)
    metrics.request(kind="command", status=200, seconds=0.2)
    metrics.request(kind="command", status=401, seconds=0.001)
    metrics.request(kind="event", status=500, seconds=2.5)

    reg = metrics.registry
    assert _value(reg, "baton_requests_total", kind="command", outcome="ok") == 2
    assert _value(reg, "baton_requests_total", kind="command", outcome="rejected") == 1
    assert _value(reg, "baton_requests_total", kind="event", outcome="error") == 1
    assert _value(reg, "baton_ack_seconds_count") == 4
    assert _value(reg, "baton_ack_seconds_bucket", le="0.005") == 2  # 1 ms and 4 ms
    assert _value(reg, "baton_ack_seconds_bucket", le="3.0") == 4


def test_slack_calls_are_counted_by_method_and_a_429_also_as_rate_limited() -> None:
    metrics = _metrics()

    metrics.slack_call("chat.postMessage", "ok")
    metrics.slack_call("chat.postMessage", "ratelimited")
    metrics.slack_call("views.publish", "failed")

    reg = metrics.registry
    assert _value(reg, "baton_slack_calls_total", method="chat.postMessage", outcome="ok") == 1
    assert _value(reg, "baton_slack_calls_total", method="chat.postMessage", outcome="ratelimited") == 1
    assert _value(reg, "baton_slack_ratelimited_total", method="chat.postMessage") == 1
    assert _value(reg, "baton_slack_ratelimited_total", method="views.publish") == 0


def test_a_pass_records_its_duration_and_each_result() -> None:
    metrics = _metrics()

    metrics.pass_finished(PassSummary(planned=3, sent=2, retried=1, failed=0, skipped=4, seconds=0.7))
    metrics.pass_finished(PassSummary(planned=1, sent=1, retried=0, failed=1, skipped=0, seconds=0.02))

    reg = metrics.registry
    assert _value(reg, "baton_pass_seconds_count") == 2
    assert _value(reg, "baton_pass_seconds_bucket", le="0.05") == 1
    got = {
        r: _value(reg, "baton_pass_messages_total", result=r)
        for r in ("planned", "sent", "retried", "failed", "skipped")
    }
    assert got == {"planned": 4, "sent": 3, "retried": 1, "failed": 1, "skipped": 4}


def test_two_apps_in_one_process_count_apart() -> None:
    first, second = _metrics(), _metrics()

    first.request(kind="command", status=200, seconds=0.01)

    assert _value(first.registry, "baton_requests_total", kind="command", outcome="ok") == 1
    assert _value(second.registry, "baton_requests_total", kind="command", outcome="ok") == 0


# -- the outbox, read at scrape time ---------------------------------------------------------------------


def test_outbox_gauges_cover_every_state_and_the_oldest_due_message() -> None:
    stats = OutboxStats(rows_by_state={"pending": 3, "sent": 10}, oldest_due_pending=NOW - timedelta(seconds=90))
    registry = CollectorRegistry()
    registry.register(OutboxCollector(lambda: stats, FakeClock(NOW)))

    assert _value(registry, "baton_database_up") == 1
    rows = {
        s: _value(registry, "baton_outbox_rows", state=s) for s in ("pending", "sending", "sent", "failed", "skipped")
    }
    assert rows == {"pending": 3, "sending": 0, "sent": 10, "failed": 0, "skipped": 0}
    assert _value(registry, "baton_outbox_oldest_pending_seconds") == 90


def test_a_pending_message_not_due_yet_has_waited_nothing() -> None:
    stats = OutboxStats(rows_by_state={"pending": 1}, oldest_due_pending=NOW + timedelta(minutes=5))
    registry = CollectorRegistry()
    registry.register(OutboxCollector(lambda: stats, FakeClock(NOW)))

    assert _value(registry, "baton_outbox_oldest_pending_seconds") == 0


def test_registering_the_outbox_collector_reads_nothing_and_a_database_outage_gives_database_up_0() -> None:
    reads: list[int] = []

    def down() -> OutboxStats:
        reads.append(1)
        raise ConnectionError("database unreachable")

    metrics = _metrics()
    metrics.request(kind="command", status=200, seconds=0.01)
    registry = scrape_registry(metrics, OutboxCollector(down, FakeClock(NOW)), multiprocess_dir=None)
    assert reads == []

    text = generate_latest(registry).decode()

    assert "baton_database_up 0.0" in text
    assert "baton_outbox_rows" not in text.replace("# HELP baton_outbox_rows", "")
    assert 'baton_requests_total{kind="command",outcome="ok"} 1.0' in text


def test_the_multiprocess_scrape_adds_up_every_workers_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two gunicorn workers, as two process ids writing to one directory.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for pid in (101, 102):
        monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda pid=pid: pid))  # type: ignore[no-untyped-call]
        Metrics(CollectorRegistry(), process=False).request(kind="command", status=200, seconds=0.01)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counter_101.db",
        "counter_102.db",
        "histogram_101.db",
        "histogram_102.db",
    ]

    registry = scrape_registry(
        _metrics(), OutboxCollector(lambda: OutboxStats({}, None), FakeClock(NOW)), multiprocess_dir=str(tmp_path)
    )

    assert _value(registry, "baton_requests_total", kind="command", outcome="ok") == 2
    assert _value(registry, "baton_ack_seconds_count") == 2
    assert _value(registry, "baton_database_up") == 1

"""Baton's Prometheus signals: requests, acks, Slack calls and passes counted as they happen, the outbox read
from the database when scraped.

`Metrics` holds its metrics on the registry it is given (one per app, so tests stay isolated). Under
`baton serve` several gunicorn workers count into prometheus_client's multiprocess files and the scrape
adds them up (`scrape_registry(multiprocess_dir=...)`); the outbox gauges are read once per scrape by
whichever worker answers, so they need no multiprocess mode.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from bot.call_outcomes import RATELIMITED
from bot.clock import Clock
from bot.domain.errors import failure_reason
from bot.domain.model import OutboxState

log = logging.getLogger(__name__)

# Slack wants an answer within 3 s (https://api.slack.com/interactivity/handling#acknowledgment_response).
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0)
PASS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
PASS_RESULTS = ("planned", "sent", "retried", "failed", "skipped")

COMMAND, ACTION, VIEW, EVENT, OTHER = "command", "action", "view", "event", "other"
_VIEW_PAYLOADS = frozenset({"view_submission", "view_closed"})


class FinishedPass(Protocol):
    """What a scheduler pass reports when it ends (bot/scheduler/tick.py PassSummary)."""

    @property
    def seconds(self) -> float: ...
    @property
    def planned(self) -> int: ...
    @property
    def sent(self) -> int: ...
    @property
    def retried(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def skipped(self) -> int: ...


class Metrics:
    """The counters and histograms one Baton process updates; handed to the server, gateway and scheduler."""

    def __init__(self, registry: CollectorRegistry, *, process: bool = True) -> None:
        self.registry = registry
        if process:  # CPU, memory and open files of this process (Linux); one worker's under multiprocess
            ProcessCollector(registry=registry)
        self._requests = Counter(
            "baton_requests",
            "Requests to /slack/events by kind (command, action, view, event, other) and outcome "
            "(ok, rejected: a 4xx such as a bad signature, error: a 5xx)",
            ["kind", "outcome"],
            registry=registry,
        )
        self._ack = Histogram(
            "baton_ack_seconds",
            "Time from a /slack/events request's arrival to Baton's answer",
            buckets=ACK_BUCKETS,
            registry=registry,
        )
        self._slack_calls = Counter(
            "baton_slack_calls",
            "Slack Web API calls by method and outcome (ok, ratelimited, error: another error answer, unreachable, "
            "held_back: not made, over Baton's own budget for the method)",
            ["method", "outcome"],
            registry=registry,
        )
        self._ratelimited = Counter(
            "baton_slack_ratelimited", "Web API calls Slack answered with HTTP 429", ["method"], registry=registry
        )
        self._pass_seconds = Histogram(
            "baton_pass_seconds", "Duration of one scheduler pass", buckets=PASS_BUCKETS, registry=registry
        )
        self._pass_messages = Counter(
            "baton_pass_messages",
            "Outbox messages a scheduler pass planned, sent, retried, failed or skipped",
            ["result"],
            registry=registry,
        )

    def request(self, *, kind: str, status: int, seconds: float) -> None:
        """Count one answered /slack/events request and how long its answer took."""
        self._requests.labels(kind=kind, outcome=request_outcome(status)).inc()
        self._ack.observe(seconds)

    def slack_call(self, method: str, outcome: str) -> None:
        """Count one Web API call (bot/slack/observer.py CallObserver); a 429 also counts as rate limited."""
        self._slack_calls.labels(method=method, outcome=outcome).inc()
        if outcome == RATELIMITED:
            self._ratelimited.labels(method=method).inc()

    def pass_finished(self, summary: FinishedPass) -> None:
        """Record one scheduler pass (the tick's PassObserver)."""
        self._pass_seconds.observe(summary.seconds)
        for result in PASS_RESULTS:
            count = int(getattr(summary, result))
            if count:
                self._pass_messages.labels(result=result).inc(count)


def request_outcome(status: int) -> str:
    """ok below 400; rejected for 4xx (401: bad signature or stale timestamp); error for 5xx."""
    if status < 400:
        return "ok"
    return "rejected" if status < 500 else "error"


def request_kind(body: bytes, content_type: str) -> str:
    """The kind of a Slack request, read from its body without logging or keeping it."""
    text = body.decode("utf-8", "replace")
    if "json" in content_type.lower() or text.lstrip().startswith("{"):
        try:
            envelope = json.loads(text)
        except ValueError:
            return OTHER
        return EVENT if isinstance(envelope, dict) and envelope.get("type") == "event_callback" else OTHER
    form = parse_qs(text, max_num_fields=100)
    if "command" in form:
        return COMMAND
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return OTHER
        if not isinstance(payload, dict):
            return OTHER
        return VIEW if payload.get("type") in _VIEW_PAYLOADS else ACTION
    return OTHER


# -- read at scrape time ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxStats:
    rows_by_state: dict[str, int]
    oldest_due_pending: datetime | None


class OutboxReader(Protocol):
    """Reads the outbox's numbers (bot/server.py reads them through a unit of work)."""

    def __call__(self) -> OutboxStats: ...


class OutboxCollector:
    """baton_database_up, baton_outbox_rows{state} and baton_outbox_oldest_pending_seconds, read per scrape.

    A database that does not answer gives `baton_database_up 0` and no outbox gauges, and the rest of
    the scrape goes on.
    """

    def __init__(self, read: OutboxReader, clock: Clock) -> None:
        self._read = read
        self._clock = clock

    def describe(self) -> Iterable[Metric]:
        """The names, without touching the database (the registry calls this on register)."""
        return list(self._families())

    def collect(self) -> Iterator[Metric]:
        """Read the outbox now."""
        up, rows, oldest = self._families()
        try:
            stats = self._read()
        except Exception as error:  # any failure to read is "database down" for the scrape
            log.warning("metrics.database_down", extra={"reason": failure_reason(error)})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for state in OutboxState:
            rows.add_metric([state.value], stats.rows_by_state.get(state.value, 0))
        waited = 0.0
        if stats.oldest_due_pending is not None:
            waited = max((self._clock.now() - stats.oldest_due_pending).total_seconds(), 0.0)
        oldest.add_metric([], waited)
        yield from (up, rows, oldest)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily("baton_database_up", "1 when the database answered this scrape, else 0"),
            GaugeMetricFamily("baton_outbox_rows", "Outbox rows by state", labels=["state"]),
            GaugeMetricFamily(
                "baton_outbox_oldest_pending_seconds",
                "How long the oldest pending message has been due (0 when none is)",
            ),
        )


def scrape_registry(metrics: Metrics, outbox: Collector, *, multiprocess_dir: str | None) -> CollectorRegistry:
    """What GET /metrics shows: this process's metrics, or every worker's from `multiprocess_dir`, plus the outbox."""
    registry = CollectorRegistry()
    if multiprocess_dir is not None:
        MultiProcessCollector(registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
    else:
        registry.register(metrics.registry)
    registry.register(outbox)
    return registry

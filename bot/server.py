"""The WSGI app `baton serve` runs: POST /slack/events to Bolt, GET /healthz to the database, GET /metrics."""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from apscheduler.schedulers.background import BackgroundScheduler
from gunicorn.glogging import Logger as GunicornLogger
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from slack_bolt import BoltContext, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from sqlalchemy import text
from sqlalchemy.orm import configure_mappers

from bot.app import HOME_REFRESH_SECONDS, Baton
from bot.config import Settings
from bot.domain.model import OutboxState
from bot.logs import request_scope
from bot.metrics import Metrics, OutboxCollector, OutboxStats, request_kind, scrape_registry
from bot.scheduler.pacing import Pacer, SharedTurns
from bot.scheduler.runner import stop_scheduler
from bot.slack.limits import SharedCalls
from storage.db import answering
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# gunicorn's graceful_timeout: after SIGTERM the master kills a worker that has not exited by then.
GRACEFUL_SECONDS = 10
# Of those, what a worker gives in-flight sends to finish once its requests are answered; the rest is
# the margin for the request loop to notice the signal (up to 1 s) and for the process to exit.
STOP_SECONDS = 6.0
# A request id we accept from X-Request-Id: short, and nothing that could forge a log line.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class FormBodyRequest(BoltRequest):
    """A BoltRequest whose form body is read as the form unless it carries a `payload=` parameter.

    slack_bolt 1.30 takes any form body in which the text "payload" appears for an interactive payload
    and, finding no `payload=` parameter, reads it as `{}` (parse_body in slack_bolt/request/internals.py,
    https://github.com/slackapi/bolt-python/blob/v1.30.0/slack_bolt/request/internals.py#L27-L41): then
    `/task @alice Review the webhook payload format by fri` routes nowhere and Bolt answers 404. The
    signature is still checked on `raw_body`, the bytes as Slack sent them, which this leaves alone.
    """

    def __init__(
        self,
        *,
        body: str | dict[str, Any],
        query: str | dict[str, str] | dict[str, Sequence[str]] | None = None,
        headers: dict[str, str | Sequence[str]] | None = None,
        context: dict[str, Any] | None = None,
        mode: str = "http",
    ) -> None:
        super().__init__(body=body, query=query, headers=headers, context=context, mode=mode)
        if isinstance(body, str) and _is_form_misread_as_payload(body, self.content_type):
            self.body = dict(parse_qsl(body, keep_blank_values=True))
            self.context = build_context(BoltContext(context if context else {}), self.body)

    def to_copyable(self) -> BoltRequest:
        """Bolt copies a request for lazy listeners; the copy must read the body the same way."""
        return FormBodyRequest(
            body=self.raw_body if self.mode == "http" else self.body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
            mode=self.mode,
        )


def _is_form_misread_as_payload(body: str, content_type: str | None) -> bool:
    """The case parse_body gets wrong: a form (not JSON) with the text "payload" but no such parameter."""
    if content_type == "application/json" or body.startswith("{") or "payload" not in body:
        return False
    return "payload" not in parse_qs(body, keep_blank_values=True)


class _SlackRequestHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, handing Bolt a FormBodyRequest."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        return self.app.dispatch(
            FormBodyRequest(body=request.get_body(), query=request.query_string, headers=request.get_headers())
        )


def request_id_of(environ: dict[str, Any]) -> str:
    """The caller's X-Request-Id when it is a plain short token, else a fresh uuid4 hex."""
    given = str(environ.get("HTTP_X_REQUEST_ID") or "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def outbox_reader(uow: UnitOfWorkFactory) -> Callable[[], OutboxStats]:
    """The outbox's numbers for a scrape, read in one grouped query."""

    def read() -> OutboxStats:
        with uow(read_only=True) as work:
            rows = work.outbox.by_state()
        counts = {state: count for state, count, _ in rows}
        oldest = next((first for state, _, first in rows if state == OutboxState.PENDING.value), None)
        return OutboxStats(rows_by_state=counts, oldest_due_pending=oldest)

    return read


def make_wsgi_app(baton: Baton, *, metrics: Metrics | None = None, multiprocess_dir: str | None = None) -> WsgiApp:
    """Route the paths; requests count into `metrics` (default: the app's), and with `multiprocess_dir`
    (see `serve`) GET /metrics adds up every gunicorn worker's counts."""
    slack = _SlackRequestHandler(baton.bolt, path="/slack/events")
    counted = metrics if metrics is not None else baton.metrics
    scraped = scrape_registry(
        counted, OutboxCollector(outbox_reader(baton.uow), baton.clock), multiprocess_dir=multiprocess_dir
    )

    def health(start_response: StartResponse) -> Iterable[bytes]:
        try:
            with baton.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as error:  # any failure to reach the database is "unhealthy"
            log.warning("health.database_down", extra={"reason": type(error).__name__})
            return _json(
                start_response,
                "503 Service Unavailable",
                {"status": "unhealthy", "database": "unreachable", "reason": type(error).__name__},
            )
        return _json(start_response, "200 OK", {"status": "ok", "database": "ok"})

    def scrape(start_response: StartResponse) -> Iterable[bytes]:
        data = generate_latest(scraped)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST), ("Content-Length", str(len(data)))])
        return [data]

    def slack_events(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        arrived = time.perf_counter()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        # Bolt reads the body again; it is looked at here only for its kind, never logged.
        environ["wsgi.input"] = io.BytesIO(body)
        kind = request_kind(body, str(environ.get("CONTENT_TYPE") or ""))
        request_id = request_id_of(environ)
        answered: list[int] = []

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered.append(int(status.split(" ", 1)[0]))
            return start_response(status, [*headers, ("X-Request-Id", request_id)], exc_info)

        with request_scope(request_id), answering():
            try:
                return slack(environ, start_with_id)
            except Exception:
                answered.append(500)
                raise
            finally:
                counted.request(
                    kind=kind, status=answered[0] if answered else 500, seconds=time.perf_counter() - arrived
                )

    # OAuth mode: Bolt answers its install page and redirect (GET) through the same adapter.
    oauth = baton.bolt.oauth_flow
    oauth_paths = {oauth.install_path, oauth.redirect_uri_path} if oauth is not None else set()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return health(start_response)
        if path in oauth_paths and method == "GET":
            with request_scope(request_id_of(environ)):
                return slack(environ, start_response)
        if path == "/metrics":
            if method not in ("GET", "HEAD"):
                return _json(start_response, "405 Method Not Allowed", {"error": "GET only"})
            return scrape(start_response)
        if path == "/slack/events":
            if method != "POST":
                return _json(start_response, "405 Method Not Allowed", {"error": "POST only"})
            return slack_events(environ, start_response)
        return _json(start_response, "404 Not Found", {"error": "not found"})

    return app


def stop_worker(baton: Baton, scheduler: BackgroundScheduler | None, *, seconds: float = STOP_SECONDS) -> bool:
    """SIGTERM: start no pass, claim nothing more, put claimed-but-unsent rows back to pending, and give
    sends in flight up to `seconds`; True when everything finished in time."""
    if scheduler is not None:
        stop_scheduler(scheduler)
    # Deliveries queued after a commit and not started stay pending in the outbox: the next pass sends them.
    baton.executor.shutdown(wait=False, cancel_futures=True)
    finished = baton.delivery.stop(timeout=seconds)
    if not finished:
        log.warning("shutdown.sends_in_flight", extra={"seconds": seconds})
    baton.engine.dispose()
    return finished


@dataclass
class _Worker:
    """What one gunicorn worker runs; filled in by `load()` after the fork, so each worker has its own."""

    baton: Baton | None = None
    scheduler: BackgroundScheduler | None = None


def serve(settings: Settings, *, host: str, port: int, workers: int, scheduler: bool) -> None:
    """Run on gunicorn: each worker builds its own app (engine, pool, scheduler) after the fork."""
    from gunicorn.app.base import BaseApplication

    from bot.app import create_app

    metrics_dir = _start_multiprocess_metrics()
    # The workers spend one budget of Slack's rate limits per workspace between them, not one each.
    limits_dir = tempfile.mkdtemp(prefix="baton-limits-")
    master_pid = os.getpid()
    worker = _Worker()

    def on_worker_exit(_server: Any, _gunicorn_worker: Any) -> None:
        if worker.baton is not None and not stop_worker(worker.baton, worker.scheduler, seconds=STOP_SECONDS):
            # The interpreter would join the thread stuck on Slack and hold the worker past gunicorn's
            # graceful timeout; the row keeps its lease and is sent again (after a history check) later.
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(0)

    def on_child_exit(_server: Any, gunicorn_worker: Any) -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(gunicorn_worker.pid, metrics_dir)  # type: ignore[no-untyped-call]

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("graceful_timeout", GRACEFUL_SECONDS)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("logger_class", _RootLogger)
            if "control_socket_disable" in self.cfg.settings:
                # One socket per user in $HOME: a second `baton serve` on the machine would fight over it.
                self.cfg.set("control_socket_disable", True)
            self.cfg.set("worker_exit", on_worker_exit)
            self.cfg.set("child_exit", on_child_exit)

        def load(self) -> WsgiApp:
            baton = create_app(
                settings,
                pacer=Pacer(shared=SharedTurns(limits_dir)),  # and one turn per conversation
                home_refresh_seconds=HOME_REFRESH_SECONDS,
                shared_limits=SharedCalls(limits_dir),
            )
            worker.baton = baton
            baton.resume_installed_workspace()
            if scheduler:
                worker.scheduler = baton.start_scheduler()
            return make_wsgi_app(baton, multiprocess_dir=metrics_dir)  # baton.metrics count into metrics_dir

    # What the master built is shared with the workers until written. The ORM's mappers are configured here, once,
    # rather than on each worker's first query; and a garbage collection in a worker walks (and so writes to) every
    # object it can see, copying the master's pages, so what the master holds is frozen: never walked.
    configure_mappers()
    gc.freeze()
    try:
        _Server().run()
    finally:
        if os.getpid() == master_pid:  # a worker leaves through here too, after the fork
            shutil.rmtree(metrics_dir, ignore_errors=True)
            shutil.rmtree(limits_dir, ignore_errors=True)


def _start_multiprocess_metrics() -> str:
    """Workers count into files in a fresh directory that the scrape adds up.

    prometheus_client picks its value class when it is imported, from PROMETHEUS_MULTIPROC_DIR
    (prometheus_client/values.py get_value_class), and creates values through `values.ValueClass`;
    Baton imported it before the directory existed, so the class is picked again here, before any
    worker forks and builds its metrics.
    """
    from prometheus_client import values

    path = tempfile.mkdtemp(prefix="baton-metrics-")
    os.environ[_MULTIPROC_ENV] = path
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return path


class _RootLogger(GunicornLogger):  # type: ignore[misc]
    """gunicorn's own lines go through Baton's handler: JSON with BATON_LOG_FORMAT=json, redacted."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers[:] = []
            logger.propagate = True

"""The WSGI app `baton serve` runs: POST /slack/events to Bolt, GET /healthz to the database."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot.app import Baton
from bot.config import Settings

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def make_wsgi_app(baton: Baton) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    slack = SlackRequestHandler(baton.bolt, path="/slack/events")

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

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            return health(start_response)
        if path == "/slack/events":
            if method != "POST":
                return _json(start_response, "405 Method Not Allowed", {"error": "POST only"})
            return slack(environ, start_response)
        return _json(start_response, "404 Not Found", {"error": "not found"})

    return app


def serve(settings: Settings, *, host: str, port: int, workers: int, scheduler: bool) -> None:
    """Run on gunicorn: each worker builds its own app (engine, pool, scheduler) after the fork."""
    from gunicorn.app.base import BaseApplication

    from bot.app import create_app

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("timeout", 30)
            self.cfg.set("accesslog", None)
            self.cfg.set("errorlog", "-")
            self.cfg.set("logger_class", _RootLogger)
            if "control_socket_disable" in self.cfg.settings:
                # One socket per user in $HOME: a second `baton serve` on the machine would fight over it.
                self.cfg.set("control_socket_disable", True)
            self.cfg.set("worker_exit", _on_worker_exit)

        def load(self) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
            baton = create_app(settings)
            _running.append(baton)
            if scheduler:
                _schedulers.append(baton.start_scheduler())
            return make_wsgi_app(baton)

    _Server().run()


class _RootLogger(GunicornLogger):  # type: ignore[misc]
    """gunicorn's own lines go through Baton's handler: JSON with BATON_LOG_FORMAT=json, redacted."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers[:] = []
            logger.propagate = True


_running: list[Baton] = []
_schedulers: list[Any] = []


def _on_worker_exit(_server: Any, _worker: Any) -> None:
    for scheduler in _schedulers:
        scheduler.shutdown(wait=True)
    for baton in _running:
        baton.close()

"""Structured logging: an event name plus fields, as text or one JSON object a line, never a secret."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_SECRET = re.compile(r"(xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

# The fields of the Slack request being handled in this thread (request id, workspace, user, task).
# A ContextVar must live at module level (https://docs.python.org/3/library/contextvars.html); it
# holds no value outside `request_scope`, so nothing leaks from one request to the next.
_REQUEST_FIELDS: ContextVar[dict[str, str] | None] = ContextVar("baton_request_fields", default=None)

REQUEST_FIELDS = ("request_id", "workspace", "user", "task")


def redact(text: str) -> str:
    """Mask Slack tokens (bot, user, app-level, refresh) wherever they appear in `text`."""
    return _SECRET.sub("[redacted]", text)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


@contextmanager
def request_scope(request_id: str) -> Iterator[dict[str, str]]:
    """Every record logged inside carries `request_id`, and the fields bound later in the request."""
    fields = {"request_id": request_id}
    token = _REQUEST_FIELDS.set(fields)
    try:
        yield fields
    finally:
        _REQUEST_FIELDS.reset(token)


def bind_fields(**fields: object) -> None:
    """Add workspace, user or task to the current request's log records; outside a request it does nothing."""
    current = _REQUEST_FIELDS.get()
    if current is None:
        return
    current.update({name: str(value) for name, value in fields.items() if value is not None and value != ""})


def current_fields() -> dict[str, str]:
    """The fields bound to the request being handled (empty outside one)."""
    return dict(_REQUEST_FIELDS.get() or {})


def bind_request_fields(context: Mapping[str, Any], next_: Callable[[], Any]) -> Any:
    """Bolt global middleware (`app.use(bind_request_fields)`): workspace and user of a verified request."""
    bind_fields(workspace=context.get("team_id") or context.get("enterprise_id"), user=context.get("user_id"))
    return next_()


class RequestFieldsFilter(logging.Filter):
    """Adds the current request's fields to each record, never overwriting a field the call gave."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in (_REQUEST_FIELDS.get() or {}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


class RedactingFilter(logging.Filter):
    """The backstop: tokens that slip into a message or argument are masked before output."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, event, then the record's fields; redacted as a whole."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


class TextFormatter(logging.Formatter):
    """`time level logger event key=value …` for people reading a terminal; redacted as a whole."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        return redact(f"{line} {extra}" if extra else line)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    """Send every logger's records to stderr, as text or JSON lines, with request fields and redaction."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestFieldsFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic narrates every plugin it loads and APScheduler every run at INFO; keep their warnings.
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))

"""Logs are structured and never carry a token."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest

from bot.logs import (
    REQUEST_FIELDS,
    JsonFormatter,
    RedactingFilter,
    RequestFieldsFilter,
    TextFormatter,
    bind_fields,
    bind_request_fields,
    current_fields,
    request_scope,
)


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("baton", logging.INFO, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    RedactingFilter().filter(record)
    return record


@pytest.mark.parametrize("secret", ["xoxb-123-456-abcdef", "xapp-1-A01-xyz", "xoxp-9-9-9"])
def test_tokens_are_masked_in_messages_arguments_and_fields(secret: str) -> None:
    record = _record("calling with %s", secret, token_field=secret)

    for line in (JsonFormatter().format(record), TextFormatter().format(record)):
        assert secret not in line
        assert "[redacted]" in line


def test_json_lines_carry_the_event_name_and_fields() -> None:
    line = JsonFormatter().format(_record("outbox.sent", outbox_id=7, kind="checkin"))

    entry = json.loads(line)
    assert entry["event"] == "outbox.sent"
    assert (entry["outbox_id"], entry["kind"]) == (7, "checkin")


def _emitted(fmt: str, emit: Callable[[logging.Logger], None]) -> list[str]:
    """What `emit` writes through Baton's handler (filters and formatter as setup_logging installs them)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestFieldsFilter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(f"baton.test.{fmt}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        emit(logger)
    finally:
        logger.handlers[:] = []
    return stream.getvalue().splitlines()


def test_records_in_a_request_carry_its_id_workspace_user_and_task() -> None:
    def emit(logger: logging.Logger) -> None:
        with request_scope("req-42"):
            bind_fields(workspace="T1", user="U1")
            bind_fields(task=7, user=None)
            logger.info("task.created")
        logger.info("scheduler.pass")

    inside, outside = (json.loads(line) for line in _emitted("json", emit))

    assert {k: inside[k] for k in ("event", "request_id", "workspace", "user", "task")} == {
        "event": "task.created",
        "request_id": "req-42",
        "workspace": "T1",
        "user": "U1",
        "task": "7",
    }
    assert not set(REQUEST_FIELDS) & set(outside)


def test_a_field_given_by_the_call_wins_over_the_request_field() -> None:
    def emit(logger: logging.Logger) -> None:
        with request_scope("req-1"):
            bind_fields(workspace="T1")
            logger.info("outbox.sent", extra={"workspace": "T2"})

    [line] = _emitted("json", emit)

    assert json.loads(line)["workspace"] == "T2"


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_token_in_a_message_argument_field_bound_field_or_traceback_never_reaches_the_output(fmt: str) -> None:
    token = "xoxb-1111-2222-SECRETsecret"
    refresh = "xoxe-1-REFRESHrefresh"

    def emit(logger: logging.Logger) -> None:
        with request_scope("req-1"):
            bind_fields(workspace=f"T1 {token}")
            logger.info(f"calling with {token}", extra={"token": token, "nested": {"t": refresh}})
            logger.warning("arg %s", refresh)
            try:
                raise RuntimeError(f"bad auth {token}")
            except RuntimeError:
                logger.exception("slack.failed")

    output = "\n".join(_emitted(fmt, emit))

    assert token not in output and "SECRETsecret" not in output
    assert refresh not in output and "REFRESHrefresh" not in output
    assert output.count("[redacted]") >= 5


def test_bolt_middleware_binds_the_verified_workspace_and_user_then_goes_on() -> None:
    seen: dict[str, str] = {}

    def listener() -> str:
        seen.update(current_fields())
        return "answered"

    with request_scope("req-9"):
        result = bind_request_fields({"team_id": "T9", "user_id": "U9"}, listener)

    assert result == "answered"
    assert seen == {"request_id": "req-9", "workspace": "T9", "user": "U9"}
    assert current_fields() == {}

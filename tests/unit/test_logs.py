"""Logs are structured and never carry a token."""

from __future__ import annotations

import json
import logging

import pytest

from bot.logs import JsonFormatter, RedactingFilter, TextFormatter


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

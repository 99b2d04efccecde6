"""How the Web API reads a call and shapes an answer: arguments from a query, form or JSON body; `ok`/`error` bodies."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

# An HTTP status, a JSON body and extra headers (Retry-After); None: the connection closes with no answer.
Answer = tuple[int, dict[str, Any], dict[str, str]]

# Fields Slack reads as JSON text inside a form body (slack_sdk sends them so when it posts a form).
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


def ok(**fields: Any) -> Answer:
    return 200, {"ok": True, **fields}, {}


def error(name: str, *messages: str, **fields: Any) -> Answer:
    """An API error as Slack answers it: HTTP 200, `ok: false`, and Slack's explanations when it gives any."""
    body: dict[str, Any] = {"ok": False, "error": name, **fields}
    if messages:
        body["response_metadata"] = {"messages": list(messages)}
    return 200, body, {}


def ts_key(ts: Any) -> Decimal:
    """A message ts as a number, for ordering and the oldest/latest bounds of conversations.history."""
    try:
        return Decimal(str(ts))
    except InvalidOperation:
        return Decimal(0)


def decode_params(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    """A Web API call's arguments from its JSON, form or multipart body (plus the query), as Slack reads them."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if raw:
        if "application/json" in content_type:
            with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError):
                decoded = json.loads(raw.decode("utf-8"))
                if isinstance(decoded, dict):
                    params.update(decoded)
        elif "multipart/form-data" in content_type:
            message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    params[name] = payload.decode("utf-8")
        else:
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    for name in JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                params[name] = json.loads(value)
    return params


def truthy(value: Any) -> bool:
    """A Web API flag as Slack reads it: true, "true" or "1"."""
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))

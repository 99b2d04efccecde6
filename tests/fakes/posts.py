"""Reading Baton's own messages as tests see them: the dedupe keys a posted message carries."""

from __future__ import annotations

from typing import Any

from bot.slack.gateway import keys_in_payload


def dedupe_keys(message: dict[str, Any]) -> list[str]:
    """Every dedupe key in a message's (or a chat.postMessage call's params') metadata: one, or several for a
    message about several tasks."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {} if isinstance(metadata, dict) else {}
    return keys_in_payload(payload)


def dedupe_key(message: dict[str, Any]) -> str:
    """The first dedupe key of a message ("" for one Baton did not mark)."""
    keys = dedupe_keys(message)
    return keys[0] if keys else ""

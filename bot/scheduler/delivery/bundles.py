"""Which claimed rows go out together: everything bundled for one person in one DM, every other row alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain.model import OutboxKind
from bot.scheduler.delivery.rows import is_person


def messages_of(rows: Sequence[Any]) -> list[list[Any]]:
    """One conversation's rows as the messages they go out in: every bundled row of a conversation in one
    message, every other row alone; in the order their first rows were claimed."""
    messages: list[list[Any]] = []
    bundles: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        if OutboxKind(row.kind).is_bundled and is_person(row.recipient_id):
            key = (row.workspace_id, row.recipient_id)
            if key not in bundles:
                bundles[key] = []
                messages.append(bundles[key])
            bundles[key].append(row)
        else:
            messages.append([row])
    return messages

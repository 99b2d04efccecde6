"""An outbox row as a delivery holds it once claimed; whom it goes to; how long its next try waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.domain.model import OutboxKind
from bot.domain.payloads import Payload, from_json


@dataclass(frozen=True)
class ClaimedRow:
    """An outbox row a delivery claimed, as it holds it while the lease lasts."""

    id: int
    workspace_id: str
    dedupe_key: str
    kind: OutboxKind
    recipient_id: str
    task_id: int | None
    payload: Payload
    attempts: int
    channel_id: str | None
    ts: str | None
    last_error: str | None
    created_at: datetime
    lease_until: datetime
    first_tried_at: datetime | None = None


def claimed_row(row: Any, *, now: datetime) -> ClaimedRow:
    return ClaimedRow(
        id=row.id,
        workspace_id=row.workspace_id,
        dedupe_key=row.dedupe_key,
        kind=OutboxKind(row.kind),
        recipient_id=row.recipient_id,
        task_id=row.task_id,
        payload=from_json(OutboxKind(row.kind), row.payload),
        attempts=row.attempts,
        channel_id=row.channel_id,
        ts=row.ts,
        last_error=row.last_error,
        created_at=row.created_at,
        lease_until=row.lease_until or now,
        first_tried_at=row.first_tried_at,
    )


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 30 min: 5xx and timeouts are usually short."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


def is_person(recipient_id: str) -> bool:
    return recipient_id[:1] in ("U", "W")

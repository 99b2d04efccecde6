"""Events API deliveries already seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from storage.models import ProcessedEvent
from storage.repositories.shared import insert_ignoring_conflicts


class EventLog:
    """Remembers Events API `event_id`s so a retried delivery is recognised."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def first_time(self, workspace_id: str, event_id: str, *, now: datetime) -> bool:
        new = insert_ignoring_conflicts(
            self._session,
            ProcessedEvent,
            {"event_id": event_id, "workspace_id": workspace_id, "received_at": now},
        )
        return new is not None

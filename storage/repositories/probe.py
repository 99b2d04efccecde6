"""Cheap looks that tell a scheduler pass whether anything is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, true
from sqlalchemy.orm import Session

from storage.models import OutboxMessage, Task, TaskSeries, Team, TeamManager
from storage.repositories.shared import ACTIVE, due_to_send


@dataclass(frozen=True)
class DueWork:
    """What a scheduler pass has to do at a moment: each flag says whether any row of that kind is due."""

    tasks: bool
    series: bool
    recognitions: bool
    digests: bool

    @property
    def anything(self) -> bool:
        return self.tasks or self.series or self.recognitions or self.digests


class SchedulerProbe:
    """Cheap indexed looks, in a read-only unit of work, so an idle pass opens no write transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _exists(self, stmt: Select[Any]) -> bool:
        return self._session.execute(stmt.limit(1)).first() is not None

    def due_work(self, now: datetime) -> DueWork:
        return DueWork(
            tasks=self._exists(
                select(Task.id).where(
                    Task.next_check_at.is_not(None), Task.next_check_at <= now, Task.status.in_(ACTIVE)
                )
            ),
            series=self._exists(
                select(TaskSeries.id).where(TaskSeries.active == true(), TaskSeries.last_due_at <= now)
            ),
            recognitions=self._exists(
                select(Team.id).where(Team.next_recognition_at.is_not(None), Team.next_recognition_at <= now)
            ),
            digests=self._exists(
                select(TeamManager.team_id).where(
                    or_(TeamManager.next_digest_at.is_(None), TeamManager.next_digest_at <= now)
                )
            ),
        )

    def next_moment(self, *, after: datetime) -> datetime | None:
        """The soonest moment after `after` a task, a team's recognition or a manager's digest could next be
        due (each scan an indexed MIN)."""
        candidates = [
            self._session.scalar(
                select(func.min(Task.next_check_at)).where(Task.status.in_(ACTIVE), Task.next_check_at > after)
            ),
            self._session.scalar(select(func.min(Team.next_recognition_at)).where(Team.next_recognition_at > after)),
            self._session.scalar(
                select(func.min(TeamManager.next_digest_at)).where(TeamManager.next_digest_at > after)
            ),
        ]
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    def outbox_due(self, now: datetime) -> bool:
        """Whether any outbox row is due to be sent (or its lease ran out): ix_outbox_due."""
        return self._exists(select(OutboxMessage.id).where(due_to_send(now)))

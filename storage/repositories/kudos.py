"""Kudos and who received them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Kudos, KudosRecipient


class KudosRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, kudos: Kudos, recipient_ids: Sequence[str]) -> None:
        kudos.recipients = [KudosRecipient(user_id=u, position=i) for i, u in enumerate(recipient_ids)]
        self._session.add(kudos)
        self._session.flush()

    def since(self, workspace_id: str, *, team_id: int, since: datetime, until: datetime) -> list[Kudos]:
        stmt = (
            select(Kudos)
            .where(
                Kudos.workspace_id == workspace_id,
                Kudos.team_id == team_id,
                Kudos.created_at >= since,  # [since, until), like done_in_team
                Kudos.created_at < until,
            )
            .order_by(Kudos.id)
        )
        return list(self._session.scalars(stmt))

    def received_in_team(
        self, workspace_id: str, *, team_id: int, after: datetime, until: datetime, limit: int
    ) -> list[tuple[str, datetime]]:
        """(recipient, when) for each person thanked in a team's kudos in (after, until]
        (uses ix_kudos_workspace_team_created)."""
        stmt = (
            select(KudosRecipient.user_id, Kudos.created_at)
            .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
            .where(
                Kudos.workspace_id == workspace_id,
                Kudos.team_id == team_id,
                Kudos.created_at > after,
                Kudos.created_at <= until,
            )
            .order_by(Kudos.created_at.desc(), KudosRecipient.kudos_id, KudosRecipient.position)
            .limit(limit)
        )
        return [(user_id, created_at) for user_id, created_at in self._session.execute(stmt)]

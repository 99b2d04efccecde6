"""What people of a team said they are good at."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Skill
from storage.repositories.shared import insert_ignoring_conflicts


class SkillRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def of_teams(self, workspace_id: str, team_ids: Sequence[int], *, limit: int) -> list[Skill]:
        """The teams' skills by person, each person's in the order they were typed."""
        if not team_ids:
            return []
        stmt = (
            select(Skill)
            .where(Skill.workspace_id == workspace_id, Skill.team_id.in_(team_ids))
            .order_by(Skill.user_id, Skill.team_id, Skill.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def replace(self, workspace_id: str, team_id: int, user_id: str, skills: Sequence[str]) -> None:
        """Make `skills` the person's whole list in the team (none clears it)."""
        self._session.execute(
            delete(Skill).where(Skill.workspace_id == workspace_id, Skill.team_id == team_id, Skill.user_id == user_id)
        )
        for skill in skills:
            insert_ignoring_conflicts(
                self._session,
                Skill,
                {"workspace_id": workspace_id, "team_id": team_id, "user_id": user_id, "skill": skill},
            )

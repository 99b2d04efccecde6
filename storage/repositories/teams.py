"""Teams, their managers, and which of them are due a recognition or a digest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, lazyload

from bot.domain.model import TeamContact
from storage import direct
from storage.models import Task, Team, TeamManager
from storage.repositories.shared import ACTIVE

_CONTACT = (
    select(Team.id, Team.channel_id, TeamManager.user_id, Team.calendar)
    .outerjoin(TeamManager, TeamManager.team_id == Team.id)
    .where(Team.workspace_id == bindparam("workspace_id"))
    .order_by(TeamManager.user_id)
)
# What readers of a team need (a Home tab): no ORM object, no second statement for its managers.
_READER_COLUMNS = (Team.id, Team.channel_id, Team.tz, Team.checkin_days, Team.checkin_time, Team.calendar)
_CONTACT_BY_ID = _CONTACT.where(Team.id == bindparam("team_id"))
_CONTACT_BY_CHANNEL = _CONTACT.where(Team.channel_id == bindparam("channel_id"))


class TeamRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_channel(self, workspace_id: str, channel_id: str) -> Team | None:
        stmt = select(Team).where(Team.workspace_id == workspace_id, Team.channel_id == channel_id)
        return self._session.scalars(stmt).first()

    def get(self, workspace_id: str, team_id: int, *, with_managers: bool = True) -> Team | None:
        """`with_managers=False` skips the eager (selectin) load of `managers`; they load on first use."""
        options = [] if with_managers else [lazyload(Team.managers)]
        team = self._session.get(Team, team_id, options=options)
        return team if team is not None and team.workspace_id == workspace_id else None

    def many(self, team_ids: Iterable[int]) -> dict[int, Team]:
        """These teams by id, in one statement, their managers loaded on first use (a planner batch's teams)."""
        ids = sorted(set(team_ids))
        if not ids:
            return {}
        stmt = select(Team).where(Team.id.in_(ids)).options(lazyload(Team.managers))
        return {team.id: team for team in self._session.scalars(stmt)}

    def contact(
        self, workspace_id: str, *, team_id: int | None = None, channel_id: str | None = None
    ) -> TeamContact | None:
        """A team by id or by channel, with its managers, as one Core statement (no ORM objects), built once."""
        if team_id is not None:
            stmt, params = _CONTACT_BY_ID, {"workspace_id": workspace_id, "team_id": team_id}
        else:
            stmt, params = _CONTACT_BY_CHANNEL, {"workspace_id": workspace_id, "channel_id": channel_id}
        rows = direct.run(self._session.connection(), stmt, params)
        if not rows:
            return None
        managers = tuple(str(row.user_id) for row in rows if row.user_id is not None)
        first = rows[0]
        return TeamContact(
            id=int(first.id), channel_id=str(first.channel_id), manager_ids=managers, calendar=first.calendar or None
        )

    def add(self, team: Team) -> None:
        self._session.add(team)
        self._session.flush()

    def add_manager(self, team: Team, user_id: str) -> bool:
        if any(m.user_id == user_id for m in team.managers):
            return False
        team.managers.append(TeamManager(user_id=user_id))
        return True

    def managed_by(self, workspace_id: str, user_id: str) -> list[Team]:
        stmt = (
            select(Team)
            .join(TeamManager)
            .where(Team.workspace_id == workspace_id, TeamManager.user_id == user_id)
            .order_by(Team.id)
        )
        return list(self._session.scalars(stmt))

    def due_for_recognition(self, *, now: datetime, limit: int) -> list[Team]:
        """Teams whose weekly recognition is due, across workspaces (the scheduler's scan)."""
        stmt = (
            select(Team)
            .where(Team.next_recognition_at.is_not(None), Team.next_recognition_at <= now)
            .order_by(Team.next_recognition_at)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Team)
        return list(self._session.scalars(stmt))

    def due_for_digest(self, *, now: datetime, limit: int) -> list[TeamManager]:
        """Managers whose weekly digest is due, or not yet scheduled, across workspaces (the
        scheduler's scan; uses ix_team_managers_next_digest_at)."""
        stmt = (
            select(TeamManager)
            .where(or_(TeamManager.next_digest_at.is_(None), TeamManager.next_digest_at <= now))
            .order_by(TeamManager.next_digest_at)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=TeamManager)
        return list(self._session.scalars(stmt))

    def of_people_tasks(self, workspace_id: str, user_id: str, *, limit: int = 10) -> list[Team]:
        """The teams of the open tasks someone is assigned, and of those they manage; most tasks first."""
        tasks = (
            select(Task.team_id, func.count().label("n"))
            .where(Task.workspace_id == workspace_id, Task.assignee_id == user_id, Task.status.in_(ACTIVE))
            .group_by(Task.team_id)
            .subquery()
        )
        stmt = (
            select(Team)
            .outerjoin(tasks, tasks.c.team_id == Team.id)
            .outerjoin(TeamManager, and_(TeamManager.team_id == Team.id, TeamManager.user_id == user_id))
            .where(Team.workspace_id == workspace_id, or_(tasks.c.n.is_not(None), TeamManager.user_id.is_not(None)))
            .order_by(func.coalesce(tasks.c.n, 0).desc(), Team.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt).unique())

    def of_workspace(self, workspace_id: str, *, limit: int = 100) -> list[Team]:
        stmt = select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id).limit(limit)
        return list(self._session.scalars(stmt))

    def rows_of_workspace(self, workspace_id: str, *, limit: int = 100) -> Sequence[Any]:
        """`of_workspace` for readers: rows of each team's id, channel, zone, check-in days and time and calendar,
        without its managers (a Team loads them with a second statement)."""
        stmt = select(*_READER_COLUMNS).where(Team.workspace_id == workspace_id).order_by(Team.id).limit(limit)
        return self._session.execute(stmt).all()

    def rows_managed_by(self, workspace_id: str, user_id: str) -> Sequence[Any]:
        """`managed_by` for readers, as `rows_of_workspace`'s rows."""
        stmt = (
            select(*_READER_COLUMNS)
            .join(TeamManager)
            .where(Team.workspace_id == workspace_id, TeamManager.user_id == user_id)
            .order_by(Team.id)
        )
        return self._session.execute(stmt).all()

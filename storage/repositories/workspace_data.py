"""Operator queries for data protection: find a team across workspaces, read all of it, and purge a workspace.

These are the only queries that are not scoped by one workspace up front: they serve `baton export` and
`baton purge`, which an operator runs from a shell, where the workspace is what is being looked for.

A workspace's rows are found from the schema itself (`Base.metadata`), so a table added later is purged
without touching this module: a table with a `workspace_id` column is filtered by it, the `workspaces`
table by its id, a Slack OAuth table (`slack_*`) by its `team_id` string column, and a table with none
of these through its foreign keys to tables that are (a task's history through its task). A table that
none of these reach holds no per-workspace rows and is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, MetaData, String, Table, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload

from storage.models import Base, Kudos, Person, Skill, Task, TaskSeries, Team, Workspace

SLACK_TABLE_PREFIX = "slack_"
_IN_CHUNK = 500


@dataclass(frozen=True)
class TableRows:
    """One table and the condition that picks a workspace's rows in it."""

    table: Table
    where: ColumnElement[bool]


def workspace_rows(metadata: MetaData, workspace_id: str) -> tuple[list[TableRows], list[str]]:
    """Each table's rows of the workspace in deletion order (children first), and the tables left alone."""
    found: dict[str, ColumnElement[bool]] = {}
    left_alone: list[str] = []
    for table in metadata.sorted_tables:  # parents first: a child's condition refers to its parents'
        where = _own_condition(table, workspace_id)
        if where is None:
            through_parents = [
                key.parent.in_(select(key.column).where(found[key.column.table.name]))
                for key in sorted(table.foreign_keys, key=lambda k: k.parent.name)
                if key.column.table.name in found
            ]
            if through_parents:
                where = or_(*through_parents)
        if where is None:
            left_alone.append(table.name)
        else:
            found[table.name] = where
    ordered = [TableRows(table, found[table.name]) for table in reversed(metadata.sorted_tables) if table.name in found]
    return ordered, sorted(left_alone)


def _own_condition(table: Table, workspace_id: str) -> ColumnElement[bool] | None:
    if table.name == Workspace.__tablename__:
        return table.c.id == workspace_id
    if "workspace_id" in table.c:
        return table.c.workspace_id == workspace_id
    if table.name.startswith(SLACK_TABLE_PREFIX) and "team_id" in table.c and isinstance(table.c.team_id.type, String):
        # Bolt's OAuth installation store: Slack's team id is Baton's workspace id.
        return table.c.team_id == workspace_id
    return None


class WorkspaceDataRepository:
    """The operator's reads and deletes across workspaces, reached as `uow.workspace_data`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def exists(self, workspace_id: str) -> bool:
        return self._session.get(Workspace, workspace_id) is not None

    def rows_of(self, workspace_id: str) -> tuple[list[TableRows], list[str]]:
        """Each of Baton's tables with the workspace's rows in it, deletion order, and the tables left alone."""
        return workspace_rows(Base.metadata, workspace_id)

    def count_rows(self, rows: Sequence[TableRows]) -> list[tuple[str, int]]:
        """How many rows each table holds for the workspace; changes nothing."""
        connection = self._session.connection()
        return [
            (
                r.table.name,
                int(connection.execute(select(func.count()).select_from(r.table).where(r.where)).scalar_one()),
            )
            for r in rows
        ]

    def delete_rows(self, rows: Sequence[TableRows]) -> list[tuple[str, int]]:
        """Delete the workspace's rows table by table, children first, in the session's transaction."""
        connection = self._session.connection()
        return [(r.table.name, int(connection.execute(delete(r.table).where(r.where)).rowcount)) for r in rows]

    def lock_workspace(self, workspace_id: str) -> None:
        """On PostgreSQL, hold the workspace row so no task number is handed out while it is purged.

        SQLite needs nothing: Baton's writers begin IMMEDIATE, so the purge's transaction already excludes them.
        """
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(select(Workspace.id).where(Workspace.id == workspace_id).with_for_update())

    def known_workspaces(self, *, limit: int) -> tuple[list[str], int]:
        """The first workspace ids in this database and how many there are, for a hint after a typo."""
        ids = list(self._session.scalars(select(Workspace.id).order_by(Workspace.id).limit(limit)))
        return ids, int(self._session.execute(select(func.count()).select_from(Workspace)).scalar_one())

    def teams_matching(
        self, *, channel_id: str | None = None, team_id: int | None = None, workspace_id: str | None = None
    ) -> list[Team]:
        """Teams with this channel id or number, in any workspace unless one is given."""
        stmt = select(Team).order_by(Team.workspace_id, Team.id)
        if channel_id is not None:
            stmt = stmt.where(Team.channel_id == channel_id)
        if team_id is not None:
            stmt = stmt.where(Team.id == team_id)
        if workspace_id is not None:
            stmt = stmt.where(Team.workspace_id == workspace_id)
        return list(self._session.scalars(stmt))

    def some_teams(self, *, workspace_id: str | None, limit: int) -> tuple[list[Team], int]:
        """The first teams (of a workspace, or all) and how many there are, for a hint after a typo."""
        stmt = select(Team).order_by(Team.workspace_id, Team.id)
        total = select(func.count()).select_from(Team)
        if workspace_id is not None:
            stmt = stmt.where(Team.workspace_id == workspace_id)
            total = total.where(Team.workspace_id == workspace_id)
        return list(self._session.scalars(stmt.limit(limit))), int(self._session.execute(total).scalar_one())

    def team_tasks(self, workspace_id: str, team_id: int) -> list[Task]:
        """Every task of the team, by number, with its whole history loaded in the order it was recorded."""
        stmt = (
            select(Task)
            .where(Task.workspace_id == workspace_id, Task.team_id == team_id)
            .order_by(Task.number)
            .options(selectinload(Task.history))
        )
        return list(self._session.scalars(stmt))

    def team_kudos(self, workspace_id: str, team_id: int) -> list[Kudos]:
        """Every kudos counted for the team, oldest first, with its recipients."""
        stmt = (
            select(Kudos)
            .where(Kudos.workspace_id == workspace_id, Kudos.team_id == team_id)
            .order_by(Kudos.created_at, Kudos.id)
        )
        return list(self._session.scalars(stmt))

    def team_skills(self, workspace_id: str, team_id: int) -> list[Skill]:
        """The team's skills by person, each person's in the order they were typed."""
        stmt = (
            select(Skill)
            .where(Skill.workspace_id == workspace_id, Skill.team_id == team_id)
            .order_by(Skill.user_id, Skill.id)
        )
        return list(self._session.scalars(stmt))

    def team_series(self, workspace_id: str, team_id: int) -> list[TaskSeries]:
        """The team's recurring tasks, stopped ones included."""
        stmt = (
            select(TaskSeries)
            .where(TaskSeries.workspace_id == workspace_id, TaskSeries.team_id == team_id)
            .order_by(TaskSeries.id)
        )
        return list(self._session.scalars(stmt))

    def people_named(self, workspace_id: str, user_ids: Sequence[str]) -> list[Person]:
        """The cached profiles of these people (those never looked up are missing), by user id."""
        wanted = sorted(set(user_ids))
        found: list[Person] = []
        for start in range(0, len(wanted), _IN_CHUNK):  # SQLite caps the parameters of one statement
            chunk = wanted[start : start + _IN_CHUNK]
            found.extend(
                self._session.scalars(
                    select(Person).where(Person.workspace_id == workspace_id, Person.user_id.in_(chunk))
                )
            )
        return sorted(found, key=lambda p: p.user_id)

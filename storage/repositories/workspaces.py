"""Workspaces: install state and each workspace's T-<n> counter."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from storage import direct
from storage.models import Workspace
from storage.repositories.shared import insert_ignoring_conflicts, upsert_into

_WORKSPACES = cast(Table, Workspace.__table__)


_UNINSTALLED = select(_WORKSPACES.c.id).where(_WORKSPACES.c.uninstalled_at.is_not(None))


@cache
def take_number_statement(dialect: str) -> Any:
    """`take_task_number`'s statement, built once per database (the workspace and time are its parameters)."""
    return (
        upsert_into(dialect, _WORKSPACES)
        .values(id=bindparam("workspace_id"), last_task_number=1, created_at=bindparam("now"))
        .on_conflict_do_update(
            index_elements=[_WORKSPACES.c.id],
            set_={"last_task_number": _WORKSPACES.c.last_task_number + 1, "uninstalled_at": None},
        )
        .returning(_WORKSPACES.c.last_task_number)
    )


class WorkspaceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def ensure(self, workspace_id: str, *, now: datetime) -> None:
        """Create the workspace row on first contact; safe when two requests race. Someone using Baton
        there again means it is installed again, so sending resumes."""
        workspace = self._session.get(Workspace, workspace_id)
        if workspace is None:
            insert_ignoring_conflicts(
                self._session, Workspace, {"id": workspace_id, "last_task_number": 0, "created_at": now}
            )
        elif workspace.uninstalled_at is not None:
            workspace.uninstalled_at = None

    def mark_uninstalled(self, workspace_id: str, *, now: datetime) -> None:
        """Stop sending there (app_uninstalled, tokens_revoked) until it is installed or used again."""
        self.ensure(workspace_id, now=now)
        self._session.execute(update(Workspace).where(Workspace.id == workspace_id).values(uninstalled_at=now))

    def mark_installed(self, workspace_id: str, *, now: datetime) -> None:
        self.ensure(workspace_id, now=now)
        self._session.execute(update(Workspace).where(Workspace.id == workspace_id).values(uninstalled_at=None))

    def uninstalled(self) -> set[str]:
        """The workspaces nothing may be sent to (a handful at most, read once per delivery batch)."""
        return {str(i) for i in self._session.connection().execute(_UNINSTALLED).scalars().all()}

    def next_task_number(self, workspace_id: str) -> int:
        """Allocate `T-<n>` with one atomic UPDATE … RETURNING, so concurrent creators never collide."""
        stmt = (
            update(Workspace)
            .where(Workspace.id == workspace_id)
            .values(last_task_number=Workspace.last_task_number + 1)
            .returning(Workspace.last_task_number)
        )
        number = self._session.execute(stmt).scalar_one()
        return int(number)

    def take_task_number(self, workspace_id: str, *, now: datetime) -> int:
        """`ensure` and `next_task_number` in one Core statement: INSERT … ON CONFLICT DO UPDATE … RETURNING
        creates the workspace on first contact with T-1 taken, or takes the next number and marks it
        installed again; concurrent creators never collide (the row is locked by the update)."""
        connection = self._session.connection()
        stmt = take_number_statement(connection.dialect.name)
        return int(direct.one(direct.run(connection, stmt, {"workspace_id": workspace_id, "now": now}))[0])

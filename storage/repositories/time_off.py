"""People's time away."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Select, Table, bindparam, func, select
from sqlalchemy.orm import Session

from storage import direct
from storage.models import TimeOff

_TIME_OFF = cast(Table, TimeOff.__table__)


def _of_user(*columns: Any) -> Select[Any]:
    """One person's periods that end after a moment, soonest first, a page at a time (ix_time_off_workspace_user_ends):
    built once, with the person, the moment and the page as parameters."""
    return (
        select(*columns)
        .where(
            _TIME_OFF.c.workspace_id == bindparam("workspace_id"),
            _TIME_OFF.c.user_id == bindparam("user_id"),
            _TIME_OFF.c.ends_at > bindparam("ending_after"),
        )
        .order_by(_TIME_OFF.c.starts_at, _TIME_OFF.c.id)
        .limit(bindparam("limit"))
    )


def _of_users() -> Select[Any]:
    """`_of_user`'s page for each of several people of a workspace, in one statement: (user_id, id, starts_at,
    ends_at) rows, by person, soonest first."""
    position = (
        func.row_number()
        .over(partition_by=_TIME_OFF.c.user_id, order_by=(_TIME_OFF.c.starts_at, _TIME_OFF.c.id))
        .label("position")
    )
    ranked = (
        select(_TIME_OFF.c.user_id, _TIME_OFF.c.id, _TIME_OFF.c.starts_at, _TIME_OFF.c.ends_at, position)
        .where(
            _TIME_OFF.c.workspace_id == bindparam("workspace_id"),
            _TIME_OFF.c.user_id.in_(bindparam("user_ids", expanding=True)),
            _TIME_OFF.c.ends_at > bindparam("ending_after"),
        )
        .subquery()
    )
    return (
        select(ranked.c.user_id, ranked.c.id, ranked.c.starts_at, ranked.c.ends_at)
        .where(ranked.c.position <= bindparam("limit"))
        .order_by(ranked.c.user_id, ranked.c.starts_at, ranked.c.id)
    )


_OF_USER = _of_user(TimeOff)  # ORM objects, for a change to them
_PERIODS_OF_USER = _of_user(_TIME_OFF.c.id, _TIME_OFF.c.starts_at, _TIME_OFF.c.ends_at)  # rows, for readers
_PERIODS_OF_USERS = _of_users()


_HOLD_PERSON = select(func.pg_advisory_xact_lock(func.hashtext(bindparam("key"))))


class TimeOffRepository:
    """People's time off; every read is one person's (or one workspace's) periods still running."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, period: TimeOff) -> None:
        self._session.add(period)
        self._session.flush()

    def remove(self, period: TimeOff) -> None:
        self._session.delete(period)

    def of_user(self, workspace_id: str, user_id: str, *, ending_after: datetime, limit: int = 20) -> list[TimeOff]:
        """That person's periods that end after `ending_after`, soonest first (ix_time_off_workspace_user_ends)."""
        params = {"workspace_id": workspace_id, "user_id": user_id, "ending_after": ending_after, "limit": limit}
        return list(self._session.scalars(_OF_USER, params))

    def hold_person(self, workspace_id: str, user_id: str) -> None:
        """Until this transaction ends, record someone's time off and read it for the away flag one at a time: on
        PostgreSQL a transaction-scoped advisory lock on the person (a recorded period and a new task committing at
        the same moment would each miss the other); SQLite has one writer at a time already."""
        connection = self._session.connection()
        if connection.dialect.name == "postgresql":
            direct.run(connection, _HOLD_PERSON, {"key": f"time_off:{workspace_id}:{user_id}"})

    def periods_of(self, workspace_id: str, user_id: str, *, ending_after: datetime, limit: int = 20) -> Sequence[Any]:
        """`of_user` for readers: (id, starts_at, ends_at) rows (named tuples), soonest first, after the flush the ORM
        would make."""
        if self._session.autoflush:
            self._session.flush()
        params = {"workspace_id": workspace_id, "user_id": user_id, "ending_after": ending_after, "limit": limit}
        return direct.run(self._session.connection(), _PERIODS_OF_USER, params)

    def periods_of_many(
        self, workspace_id: str, user_ids: Sequence[str], *, ending_after: datetime, limit: int = 20
    ) -> dict[str, list[Row[Any]]]:
        """`periods_of` for several people of a workspace in one statement: (user_id, id, starts_at, ends_at) rows
        by user id, soonest first (someone with none has no key)."""
        if self._session.autoflush:
            self._session.flush()
        params = {
            "workspace_id": workspace_id,
            "user_ids": list(user_ids),
            "ending_after": ending_after,
            "limit": limit,
        }
        found: dict[str, list[Row[Any]]] = {}
        for row in self._session.connection().execute(_PERIODS_OF_USERS, params).all():
            found.setdefault(str(row.user_id), []).append(row)
        return found

    def current(self, workspace_id: str, *, now: datetime, limit: int = 50) -> list[TimeOff]:
        """Everyone's periods that have not ended, soonest first."""
        stmt = (
            select(TimeOff)
            .where(TimeOff.workspace_id == workspace_id, TimeOff.ends_at > now)
            .order_by(TimeOff.starts_at)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

"""People as Slack last described them, plus Baton's own settings for them, and their DM channels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage import direct
from storage.models import Person

# The people columns users.info answers for; the rest (working hours, holiday calendar) are Baton's own.
_FROM_SLACK = frozenset(
    {
        "display_name",
        "tz",
        "is_admin",
        "is_bot",
        "is_deleted",
        "fetched_at",
        "status_emoji",
        "status_text",
        "status_expiration",
    }
)


_PEOPLE = cast(Table, Person.__table__)
_ONE_PERSON = and_(_PEOPLE.c.workspace_id == bindparam("workspace_id"), _PEOPLE.c.user_id == bindparam("user_id"))
_REMEMBER_DM = (
    update(_PEOPLE)
    .where(
        _PEOPLE.c.workspace_id == bindparam("in_workspace"),
        _PEOPLE.c.user_id == bindparam("of_user"),
        or_(_PEOPLE.c.dm_channel_id.is_(None), _PEOPLE.c.dm_channel_id != bindparam("dm")),
    )
    .values(dm_channel_id=bindparam("dm"))
)
_DM_CHANNEL = select(_PEOPLE.c.dm_channel_id).where(_ONE_PERSON)
# What someone's time is read from (zone, hours, calendar, status), as one Core row: a reader that only reads.
_TIME_COLUMNS = tuple(
    _PEOPLE.c[name]
    for name in (
        "tz",
        "work_start",
        "work_end",
        "work_days",
        "calendar",
        "status_emoji",
        "status_text",
        "status_expiration",
    )
)
_TIME_FIELDS = select(*_TIME_COLUMNS).where(_ONE_PERSON)
# The same of several people of a workspace, with their user ids (a planner batch reads its people at once).
_TIME_FIELDS_OF_MANY = select(_PEOPLE.c.user_id, *_TIME_COLUMNS).where(
    _PEOPLE.c.workspace_id == bindparam("workspace_id"), _PEOPLE.c.user_id.in_(bindparam("user_ids", expanding=True))
)


class PersonRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, workspace_id: str, user_id: str) -> Person | None:
        return self._session.get(Person, (workspace_id, user_id))

    def save(self, person: Person) -> None:
        """Insert or refresh the cached row in one statement: two requests meeting the same new person
        at once (several replicas) must not both INSERT."""
        values = {
            c.key: getattr(person, c.key)
            for c in Person.__table__.columns
            if getattr(person, c.key) is not None or c.default is None  # unset: the column's default
        }
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(Person).values(**values)
        # A refresh from Slack never undoes what the person set in Baton (their hours, their calendar).
        changed = {k: stmt.excluded[k] for k in values if k in _FROM_SLACK}
        self._session.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "user_id"], set_=changed))

    def remember_dm(self, workspace_id: str, user_id: str, channel_id: str) -> None:
        """Keep Baton's DM channel with someone, as Slack named it answering a post to their user id (a Core
        statement built once: it runs with every DM's mark)."""
        params = {"in_workspace": workspace_id, "of_user": user_id, "dm": channel_id}
        self._session.connection().execute(_REMEMBER_DM, params)

    def time_fields(self, workspace_id: str, user_id: str) -> Any:
        """Someone's zone, hours, calendar and status as a row with a Person's attribute names (no ORM object), or
        None: for a unit of work that only reads, where nothing unflushed could differ from the database."""
        params = {"workspace_id": workspace_id, "user_id": user_id}
        rows = direct.run(self._session.connection(), _TIME_FIELDS, params)
        return rows[0] if rows else None

    def times_of(self, workspace_id: str, user_ids: Sequence[str]) -> dict[str, Any]:
        """`time_fields` of several people of a workspace in one statement, by user id (people not stored are
        missing), after the flush the ORM would make."""
        if self._session.autoflush:
            self._session.flush()
        params = {"workspace_id": workspace_id, "user_ids": list(user_ids)}
        return {str(row.user_id): row for row in self._session.connection().execute(_TIME_FIELDS_OF_MANY, params).all()}

    def dm_channel(self, workspace_id: str, user_id: str) -> str | None:
        params = {"workspace_id": workspace_id, "user_id": user_id}
        found = self._session.connection().execute(_DM_CHANNEL, params).scalar()
        return str(found) if found else None

    def stale(self, *, fetched_before: datetime, limit: int) -> list[Person]:
        """People last read from Slack before a moment, oldest first, across workspaces (a pass refreshes them)."""
        stmt = select(Person).where(Person.fetched_at < fetched_before).order_by(Person.fetched_at).limit(limit)
        return list(self._session.scalars(stmt))

    def many(self, workspace_id: str, user_ids: Sequence[str]) -> list[Person]:
        """The cached rows of these people (those never looked up are missing)."""
        if not user_ids:
            return []
        stmt = select(Person).where(Person.workspace_id == workspace_id, Person.user_id.in_(user_ids))
        return list(self._session.scalars(stmt))

"""What several repositories share: the task states that count as active, an INSERT that ignores conflicts,
and which outbox rows are due to send."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, and_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.domain.model import OutboxState, TaskStatus
from storage.models import OutboxMessage

ACTIVE = (TaskStatus.OPEN.value, TaskStatus.ACCEPTED.value)
NOT_FINAL = (TaskStatus.OPEN.value, TaskStatus.ACCEPTED.value, TaskStatus.DECLINED.value)


def insert_ignoring_conflicts(session: Session, model: type[Any], values: dict[str, Any]) -> Any | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING <primary key>: the new key, or None on a conflict.

    A Core statement on the session's connection (no ORM execution), after the flush the ORM would have made
    (unless autoflush is off), so rows it refers to are written first. RETURNING rather than rowcount, which
    psycopg reports as -1 for this statement. The statement is built once per table and the row's values are
    its parameters: building `.values(...)` anew for each row cost more than the INSERT itself.
    """
    if session.autoflush:
        session.flush()
    connection = session.connection()
    return connection.execute(_insert_ignoring(connection.dialect.name, model.__table__), values).scalar_one_or_none()


@cache
def _insert_ignoring(dialect: str, table: Table) -> Any:
    return upsert_into(dialect, table).on_conflict_do_nothing().returning(list(table.primary_key.columns)[0])


def upsert_into(dialect: str, table: Table) -> Any:
    """The database's own INSERT for `table`, the one with ON CONFLICT."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {dialect}")  # pragma: no cover - only the two supported databases


def due_to_send(now: datetime) -> Any:
    """Rows to send: pending and due, or sending with a lease that ran out (both read `not_before <= now`)."""
    return and_(
        OutboxMessage.state.in_((OutboxState.PENDING.value, OutboxState.SENDING.value)),
        OutboxMessage.not_before <= now,
    )

"""What several repositories share: the task states that count as active, an INSERT that ignores conflicts,
and which outbox rows are due to send."""

from __future__ import annotations

from datetime import datetime
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

    RETURNING rather than rowcount, which psycopg reports as -1 for this statement.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    key = list(model.__table__.primary_key.columns)[0]
    return session.execute(stmt.returning(key)).scalar_one_or_none()


def insert_row_ignoring_conflicts(session: Session, table: Table, values: dict[str, Any]) -> Any | None:
    """The same INSERT as `insert_ignoring_conflicts`, as a Core statement on the session's connection: no
    ORM execution, no autoflush."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    key = list(table.primary_key.columns)[0]
    return connection.execute(stmt.returning(key)).scalar_one_or_none()


def due_to_send(now: datetime) -> Any:
    """Rows to send: pending and due, or sending with a lease that ran out (both read `not_before <= now`)."""
    return and_(
        OutboxMessage.state.in_((OutboxState.PENDING.value, OutboxState.SENDING.value)),
        OutboxMessage.not_before <= now,
    )

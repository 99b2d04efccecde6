"""What several repositories share: the task states that count as active, an INSERT that ignores conflicts,
and which outbox rows are due to send."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.expression import FunctionElement

from bot.domain.model import OutboxState, TaskStatus
from storage import direct
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
    return direct.scalar(direct.run(connection, _insert_ignoring(connection.dialect.name, model.__table__), values))


def insert_many_ignoring_conflicts(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> list[Any]:
    """`insert_ignoring_conflicts` for many rows in one executemany (SQLAlchemy sends them as multi-row INSERTs with
    RETURNING): the new keys; rows in conflict, with a stored row or one before them, return none."""
    if session.autoflush:
        session.flush()
    connection = session.connection()
    return list(
        connection.execute(_insert_ignoring(connection.dialect.name, model.__table__), list(rows)).scalars().all()
    )


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


def still_to_send() -> ColumnElement[bool]:
    """`outbox.state IN ('pending', 'sending')`, the states written out as in ix_outbox_due's predicate
    (storage.models.STILL_TO_SEND_ROWS): with them as bound parameters SQLite cannot use that partial index and
    scans the whole outbox, every message ever sent included."""
    return OutboxMessage.state.in_([literal_column(f"'{state.value}'") for state in _STILL_TO_SEND])


_STILL_TO_SEND = (OutboxState.PENDING, OutboxState.SENDING)


def due_to_send(now: Any) -> Any:
    """Rows to send: pending and due, or sending with a lease that ran out (both read `not_before <= now`)."""
    return and_(still_to_send(), OutboxMessage.not_before <= now)


class not_by_index(FunctionElement[Any]):  # noqa: N801 - a SQL construct, named as SQLAlchemy's are
    """A column SQLite must not pick an index for: rendered `+column` there (SQLite's documented way to take a
    term out of index selection), the column itself elsewhere. Without statistics SQLite prefers an equality
    on `workspace_id` (the (workspace_id, dedupe_key) index: every row of the workspace, sent ones included)
    over the range of ix_outbox_due the rows still to send are read from."""

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(not_by_index)
def _not_by_index(element: not_by_index, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(not_by_index, "sqlite")
def _not_by_index_sqlite(element: not_by_index, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))

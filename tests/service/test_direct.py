"""`storage.direct.run`: a Core statement on the driver's cursor gives what `Connection.execute` gives, writes what
it writes, and fails as it fails. `check_*` are shared with tests/postgres/test_direct_pg.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, bindparam, event, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import direct
from storage.models import OutboxMessage, Task, TimeOff
from storage.repositories.shared import _insert_ignoring
from storage.repositories.tasks import _INSERT_EVENT, _INSERT_TASK, _TASK_DEFAULTS
from storage.repositories.teams import _CONTACT_BY_CHANNEL
from storage.repositories.time_off import _PERIODS_OF_USER
from storage.repositories.workspaces import take_number_statement

NOW = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)


def _task(number: int, **changes: Any) -> dict[str, Any]:
    return {
        **_TASK_DEFAULTS,
        "workspace_id": "T1",
        "number": number,
        "title": "Fix the refund macro",
        "details": "",
        "assignee_id": "U1",
        "delegator_id": "U2",
        "team_id": None,
        "priority": "high",
        "status": "open",
        "due_at": NOW + timedelta(days=2),
        "created_at": NOW,
        "updated_at": NOW,
        **changes,
    }


def _outbox(task_id: int, key: str) -> dict[str, Any]:
    return {
        "workspace_id": "T1",
        "dedupe_key": key,
        "kind": "assignment",
        "task_id": task_id,
        "recipient_id": "U1",
        "payload": {"seq": 1, "note": "naïve ✓"},
        "state": "pending",
        "attempts": 0,
        "not_before": NOW,
        "created_at": NOW,
    }


def check_same_as_execute(engine: Engine) -> None:
    """Each statement of a `/task`'s transaction, once through `run` and once through `Connection.execute`: the
    same rows back (values and types), and the same values stored."""
    dialect = engine.dialect.name
    with engine.begin() as conn:
        numbers = [direct.run(conn, take_number_statement(dialect), {"workspace_id": "T1", "now": NOW})[0][0]]
        numbers.append(conn.execute(take_number_statement(dialect), {"workspace_id": "T1", "now": NOW}).scalar_one())
        assert numbers == [1, 2], "the workspace made on first contact, then its next number taken"

        first = direct.run(conn, _INSERT_TASK, _task(1))
        second = conn.execute(_INSERT_TASK, _task(2)).all()
        assert [tuple(first[0])] == [(first[0].id,)] and first[0].id + 1 == second[0].id
        tasks = Task.__table__.c
        stored = conn.execute(select(*tasks).where(tasks.id.in_([first[0].id, second[0].id])).order_by(tasks.id)).all()
        by_run, by_execute = (row._asdict() for row in stored)
        for key in ("id", "number"):
            by_run.pop(key), by_execute.pop(key)
        assert by_run == by_execute, "every column stored alike, the timestamps included"
        assert by_run["due_at"] == NOW + timedelta(days=2) and by_run["due_at"].tzinfo is not None

        direct.run(conn, _INSERT_EVENT, {"task_id": first[0].id, "at": NOW, "actor_id": "U2", "action": "created"})
        conn.execute(_INSERT_EVENT, {"task_id": second[0].id, "at": NOW, "actor_id": "U2", "action": "created"})
        events = conn.execute(text("SELECT task_id, at, detail FROM task_events ORDER BY task_id")).all()
        assert [tuple(e)[1:] for e in events][0] == [tuple(e)[1:] for e in events][1], "the same history line"

        outbox = _insert_ignoring(dialect, OutboxMessage.__table__)
        queued = direct.scalar(direct.run(conn, outbox, _outbox(first[0].id, "assign:1")))
        again = direct.scalar(direct.run(conn, outbox, _outbox(first[0].id, "assign:1")))
        other = conn.execute(outbox, _outbox(second[0].id, "assign:2")).scalar_one_or_none()
        assert queued is not None and again is None, "a dedupe key queued twice is written once"
        rows = conn.execute(
            select(OutboxMessage.payload, OutboxMessage.not_before, OutboxMessage.budget_place)
            .where(OutboxMessage.id.in_([queued, other]))
            .order_by(OutboxMessage.id)
        ).all()
        assert rows[0] == rows[1] and rows[0].payload == {"seq": 1, "note": "naïve ✓"} and rows[0].budget_place is False

        conn.execute(
            insert(TimeOff),
            [
                {"workspace_id": "T1", "user_id": "U1", "created_by": "U1", "created_at": NOW}
                | {"starts_at": NOW + timedelta(days=d), "ends_at": NOW + timedelta(days=d + 1)}
                for d in (3, 1)
            ],
        )
        params = {"workspace_id": "T1", "user_id": "U1", "ending_after": NOW, "limit": 20}
        periods = direct.run(conn, _PERIODS_OF_USER, params)
        expected = conn.execute(_PERIODS_OF_USER, params).all()
        assert [tuple(p) for p in periods] == [tuple(e) for e in expected] and len(periods) == 2
        assert periods[0].starts_at == NOW + timedelta(days=1) and periods[0].starts_at.tzinfo is not None
        assert direct.run(conn, _CONTACT_BY_CHANNEL, {"workspace_id": "T1", "channel_id": "C1"}) == []


def check_errors_as_sqlalchemy_raises_them(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.begin()
        direct.run(conn, take_number_statement(engine.dialect.name), {"workspace_id": "T1", "now": NOW})
        direct.run(conn, _INSERT_TASK, _task(7))
        with pytest.raises(IntegrityError):  # (workspace, number) is unique
            direct.run(conn, _INSERT_TASK, _task(7))
        conn.rollback()
        assert not conn.invalidated, "a constraint is not an outage: the connection stays"
        assert conn.execute(select(Task.id)).all() == [], "nothing kept"


def test_the_same_as_execute_on_sqlite(sqlite_engine: Engine) -> None:
    check_same_as_execute(sqlite_engine)


def test_errors_as_sqlalchemy_raises_them_on_sqlite(sqlite_engine: Engine) -> None:
    check_errors_as_sqlalchemy_raises_them(sqlite_engine)


def test_statement_listeners_see_what_runs(sqlite_engine: Engine) -> None:
    seen: list[tuple[str, Any]] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    with sqlite_engine.begin() as conn:
        direct.run(conn, _PERIODS_OF_USER, {"workspace_id": "T1", "user_id": "U9", "ending_after": NOW, "limit": 5})
    selects = [(sql, params) for sql, params in seen if sql.startswith("SELECT")]
    assert len(selects) == 1 and selects[0][0].startswith("SELECT time_off.id")
    assert "U9" in selects[0][1] and 5 in selects[0][1], "with the parameters as the driver got them"


def test_a_statement_it_cannot_run_as_compiled_says_so_and_runs_nothing(sqlite_engine: Engine) -> None:
    expanding = select(Task.id).where(Task.id.in_(bindparam("ids", expanding=True)))
    computed = insert(OutboxMessage)  # `payload` takes `dict()` at execution when it is not given
    with sqlite_engine.begin() as conn:
        with pytest.raises(direct.Unsupported, match="rendered at execution"):
            direct.run(conn, expanding, {"ids": [1, 2]})
        values = _outbox(1, "k")
        del values["payload"]
        with pytest.raises(direct.Unsupported, match="payload"):
            direct.run(conn, computed, values)
        with pytest.raises(direct.Unsupported, match="no value for the parameter"):
            direct.run(conn, _PERIODS_OF_USER, {"workspace_id": "T1", "user_id": "U1", "limit": 5})
        assert conn.execute(select(OutboxMessage.id)).all() == []


def test_an_insert_is_compiled_for_the_columns_it_is_given(sqlite_engine: Engine) -> None:
    """One statement, two sets of columns: each set its own compiled form (a column left out takes its default)."""
    with sqlite_engine.begin() as conn:
        direct.run(conn, take_number_statement("sqlite"), {"workspace_id": "T1", "now": NOW})
        short = direct.run(conn, _INSERT_TASK, _task(1))[0].id
        full = direct.run(conn, _INSERT_TASK, _task(2, source_link="https://example.slack.com/archives/C1/p1"))[0].id
        links = dict(conn.execute(select(Task.id, Task.source_link)).all())
    assert links == {short: None, full: "https://example.slack.com/archives/C1/p1"}


def test_the_drivers_own_sql_runs_with_listeners_told_and_errors_as_sqlalchemys(sqlite_engine: Engine) -> None:
    """`run_sql`, which begins SQLite's transactions: seen by statement listeners (tests count BEGINs with them),
    and a failure is SQLAlchemy's OperationalError, which Baton reads as an outage or a bug as it always did."""
    seen: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    with sqlite_engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")  # the engine's begin: BEGIN IMMEDIATE, by run_sql
        assert seen[0] == "BEGIN IMMEDIATE"
        with pytest.raises(OperationalError, match="within a transaction"):
            direct.run_sql(conn, "BEGIN IMMEDIATE")
        conn.rollback()


def test_one_and_scalar_hold_a_statement_to_the_rows_it_must_give() -> None:
    assert direct.one([(7,)]) == (7,) and direct.scalar([(7,)]) == 7 and direct.scalar([]) is None
    for rows in ([], [(1,), (2,)]):
        with pytest.raises(ValueError, match="exactly one row"):
            direct.one(rows)
    with pytest.raises(ValueError, match="one row at most"):
        direct.scalar([(1,), (2,)])

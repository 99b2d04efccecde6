"""On SQLite, the outbox's delivery statements read the rows still to send from ix_outbox_due, never the whole
table: the outbox keeps every message ever sent, so a scan grows with the install's age. SQLite uses a partial
index only for a query that states its predicate with the same literal states, and without statistics it
prefers any equality on `workspace_id`; each statement is planned here with EXPLAIN QUERY PLAN."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)

CALLS: dict[str, Callable[[Any], object]] = {
    "claim": lambda uow: uow.outbox.claim(now=NOW, limit=10, lease=LEASE),
    "claim_conversations": lambda uow: uow.outbox.claim_conversations(
        now=NOW, limit=10, lease=LEASE, per_conversation=5
    ),
    "outbox_due": lambda uow: uow.probe.outbox_due(NOW),
    "next_due": lambda uow: uow.outbox.next_due(),
    "defer_posts": lambda uow: _deferring_a_due_post(uow),
    "workspaces_and_kinds": lambda uow: uow.outbox.workspaces_and_kinds([1, 2]),
    "queued_for": lambda uow: uow.outbox.queued_for("T0WS", "U0ALICE"),
    "recheck_held": lambda uow: uow.outbox.recheck_held("T0WS", ["U0ALICE"], now=NOW),
    "skip_unsent": lambda uow: uow.outbox.skip_unsent("T0WS", reason="uninstalled"),
    "pending_to_send": lambda uow: uow.outbox.pending_to_send(limit=10),
    "by_state": lambda uow: uow.outbox.by_state(),
}


def _deferring_a_due_post(uow: Any) -> object:
    """One due post and one waiting, so that every statement of the spread runs (reading the due posts, finding
    the last one waiting, setting each its moment)."""
    uow.workspaces.ensure("T0WS", now=NOW)
    for key, not_before in (("due", NOW), ("waiting", NOW + LEASE)):
        uow.outbox.add("T0WS", dedupe_key=key, kind="kudos", recipient_id="C01", now=NOW, not_before=not_before)
    return uow.outbox.defer_posts("T0WS", now=NOW, moments=lambda count: [NOW + LEASE] * count)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _statements(engine: Engine, call: Callable[[Any], object]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        # Rows a call inserts to have something to work on are not planned; an executemany by its first row.
        if " outbox" in statement and not statement.startswith(("BEGIN", "EXPLAIN", "INSERT")):
            seen.append((statement, parameters[0] if many else parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with UnitOfWorkFactory(make_session_factory(engine))() as uow:
            call(uow)
            uow.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return seen


@pytest.mark.parametrize("name", sorted(CALLS))
def test_delivery_statements_read_the_rows_still_to_send_from_their_index(engine: Engine, name: str) -> None:
    statements = _statements(engine, CALLS[name])

    assert statements, f"{name} ran no statement on the outbox"
    with engine.connect() as conn:
        for statement, parameters in statements:
            plan = [str(row[3]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            on_outbox = [step for step in plan if " outbox " in f"{step} "]
            assert on_outbox, (statement, plan)
            # A plain `SCAN outbox` or the (workspace_id, dedupe_key) index reads sent rows too.
            assert not any(step == "SCAN outbox" or "sqlite_autoindex_outbox" in step for step in on_outbox), (
                statement,
                plan,
            )
            assert any(
                "ix_outbox_due" in step or "ix_outbox_settled" in step or "PRIMARY KEY" in step for step in on_outbox
            ), (statement, plan)

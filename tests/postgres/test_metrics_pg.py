"""The scrape's one grouped outbox query on PostgreSQL: rows by state and the oldest due pending message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from bot.metrics import OutboxCollector
from bot.server import outbox_reader
from storage.uow import UnitOfWorkFactory
from tests.fakes.clock import FakeClock

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def test_outbox_gauges_read_from_postgresql(pg_uow_factory: UnitOfWorkFactory) -> None:
    with pg_uow_factory() as uow:
        uow.workspaces.ensure("T1", now=NOW)
        for n, (state, waited) in enumerate([("pending", 300), ("pending", 30), ("sent", 0), ("failed", 0)]):
            row_id = uow.outbox.add(
                "T1",
                dedupe_key=f"k{n}",
                kind="kudos",
                recipient_id="U1",
                task_id=None,
                now=NOW - timedelta(hours=1),
                not_before=NOW - timedelta(seconds=waited),
            )
            stored = uow.outbox.get(row_id or -1)
            assert stored is not None
            stored.state = state
        uow.commit()
    registry = CollectorRegistry()
    registry.register(OutboxCollector(outbox_reader(pg_uow_factory), FakeClock(NOW)))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("baton_database_up") == 1
    assert value("baton_outbox_rows", state="pending") == 2
    assert value("baton_outbox_rows", state="sent") == 1
    assert value("baton_outbox_rows", state="failed") == 1
    assert value("baton_outbox_rows", state="sending") == 0
    assert value("baton_outbox_oldest_pending_seconds") == 300

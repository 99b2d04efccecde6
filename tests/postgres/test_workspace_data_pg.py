"""`purge_workspace` on PostgreSQL: one workspace gone from every table in one transaction, the other's rows
exactly as they were (the SQLite version is tests/service/test_workspace_data.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from bot.domain.errors import NotFound
from bot.services.workspace_data import export_team, purge_workspace
from storage.uow import UnitOfWorkFactory
from tests.service.test_workspace_data import NOW, OTHER_WS, WS, seed_oauth_state, seed_workspace, snapshot

pytestmark = pytest.mark.postgres


def test_purge_on_postgres_deletes_one_workspace_everywhere_and_leaves_the_other(
    pg_engine: Engine, pg_uow_factory: UnitOfWorkFactory
) -> None:
    with pg_uow_factory() as uow:
        seed_workspace(uow.session, OTHER_WS)
        seed_oauth_state(uow.session)
        uow.commit()
    only_other = snapshot(pg_engine)
    with pg_uow_factory() as uow:
        seeded = seed_workspace(uow.session, WS)
        uow.commit()
    both = snapshot(pg_engine)

    exported = export_team(pg_uow_factory, team=str(seeded.team_id), workspace_id=None, now=NOW)
    assert [t["number"] for t in exported.document["tasks"]] == ["T-1", "T-2"]
    assert exported.document["tasks"][0]["history"][0]["at"] == "2026-11-28T14:00:00+00:00"
    dry = purge_workspace(pg_uow_factory, WS, delete=False)
    assert snapshot(pg_engine) == both
    done = purge_workspace(pg_uow_factory, WS, delete=True)

    expected = {
        name: len(both[name]) - len(only_other[name]) for name in both if len(both[name]) > len(only_other[name])
    }
    assert dict(dry.counts) == dict(done.counts) == expected
    assert snapshot(pg_engine) == only_other
    with pytest.raises(NotFound):
        export_team(pg_uow_factory, team=str(seeded.team_id), workspace_id=None, now=NOW)

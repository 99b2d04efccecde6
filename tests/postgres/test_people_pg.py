"""The people cache on PostgreSQL when two replicas look up the same new person at once: both `/task`
requests must go through (PeopleService.get caches with PersonRepository.save after users.info)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from storage.models import Person
from storage.uow import UnitOfWorkFactory
from tests.fakes.http import wait_for

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
WS = "T0PGPEOPLE"
ALICE = "U0ALICE"
LOCK_WAIT_SECONDS = 10.0


def _alice(tz: str) -> Person:
    """Every field set, as PeopleService.get caches a users.info answer."""
    return Person(
        workspace_id=WS,
        user_id=ALICE,
        display_name="alice",
        tz=tz,
        is_admin=False,
        is_bot=False,
        is_deleted=False,
        fetched_at=NOW,
    )


def _waits_for_a_lock(engine: Engine, pid: int) -> bool:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
        return found.scalar_one_or_none() == "Lock"


def test_two_first_lookups_of_the_same_person_both_cache_them(
    pg_uow_factory: UnitOfWorkFactory, pg_engine: Engine
) -> None:
    with pg_uow_factory() as uow:
        uow.workspaces.ensure(WS, now=NOW)
        uow.commit()

    with pg_uow_factory() as first, pg_uow_factory() as second, ThreadPoolExecutor(max_workers=1) as pool:
        first.people.save(_alice("Europe/Berlin"))
        first.session.flush()  # written, not committed: what the other replica's request sees is no row
        pid = int(second.session.execute(text("SELECT pg_backend_pid()")).scalar_one())

        def cache_again() -> None:
            second.people.save(_alice("Asia/Tokyo"))
            second.commit()

        later = pool.submit(cache_again)

        def waiting() -> bool | None:
            if later.done():
                raise AssertionError(f"the second save did not wait for the first: {later.exception()!r}")
            return _waits_for_a_lock(pg_engine, pid) or None

        # Its INSERT now waits on the first's uncommitted row; only then does the first commit. PostgreSQL
        # tells no other session when one starts waiting on a lock, so this asks pg_stat_activity.
        wait_for("the second save to wait on the first's row", waiting, seconds=LOCK_WAIT_SECONDS)
        first.commit()
        later.result(timeout=LOCK_WAIT_SECONDS)

    with pg_uow_factory() as uow:
        cached = uow.people.get(WS, ALICE)
        assert cached is not None
        assert cached.tz == "Asia/Tokyo", "the later look-up's answer is the one kept"

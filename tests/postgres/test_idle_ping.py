"""A pooled PostgreSQL connection is pinged before it is handed out only after a pause: a database that hung up on
it meanwhile costs no failed unit of work, and a connection back a moment ago costs no round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

import storage.db
from storage.db import make_engine
from tests.postgres.conftest import PgSchema
from tests.postgres.test_outage import proxy_to, through

pytestmark = pytest.mark.postgres


def _one(engine: object) -> int:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT 1")).scalar_one())


def test_a_connection_back_from_a_pause_is_pinged_and_replaced_when_the_database_hung_up_on_it(
    pg_schema: PgSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection back in the pool is "idle"
    with proxy_to(pg_schema.url) as proxy:
        engine = make_engine(through(pg_schema.url, proxy))
        try:
            assert _one(engine) == 1
            proxy.cut()  # the pooled connection is hung up on
            proxy.restore()

            assert _one(engine) == 1, "the ping found it dead and the pool connected again"
            assert proxy.accepted == 2
        finally:
            engine.dispose()


def test_a_connection_back_a_moment_ago_is_not_pinged_so_a_hang_up_fails_its_first_statement_once(
    pg_schema: PgSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the ping saves after a pause: without it the first unit of work meets the dead connection (and reports
    the database unavailable); SQLAlchemy then discards the pool's connections, and the next one connects again."""
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 3600.0)
    with proxy_to(pg_schema.url) as proxy:
        engine = make_engine(through(pg_schema.url, proxy))
        try:
            assert _one(engine) == 1
            proxy.cut()
            proxy.restore()

            with pytest.raises(OperationalError):
                _one(engine)
            assert _one(engine) == 1
            assert proxy.accepted == 2
        finally:
            engine.dispose()


def test_a_failed_ping_replaces_every_connection_the_pool_made_before_without_pinging_each(
    pg_schema: PgSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `pool_pre_ping` does: one ping finds the database gone and back, and the pool's other old connections
    are replaced when next handed out, not pinged (and found dead) one by one."""
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE_SECONDS", 0.0)
    with proxy_to(pg_schema.url) as proxy:
        engine = make_engine(through(pg_schema.url, proxy))
        pings: list[bool] = []
        ping = engine.dialect.do_ping

        def counted(dbapi_connection: object) -> bool:
            try:
                result = ping(dbapi_connection)
            except Exception:
                pings.append(False)
                raise
            pings.append(True)
            return result

        monkeypatch.setattr(engine.dialect, "do_ping", counted)
        try:
            with engine.connect() as a, engine.connect() as b:  # two connections in the pool
                a.execute(text("SELECT 1"))
                b.execute(text("SELECT 1"))
            proxy.cut()
            proxy.restore()

            with engine.connect() as a, engine.connect() as b:
                assert a.execute(text("SELECT 1")).scalar_one() == b.execute(text("SELECT 1")).scalar_one() == 1

            assert pings.count(False) == 1, pings
            assert proxy.accepted == 4
        finally:
            engine.dispose()

"""PostgreSQL fixtures: skipped with a reason unless BATON_TEST_POSTGRES_URL is set; one schema per test.

Each test gets `CREATE SCHEMA baton_test_<uuid>` and a URL whose connections have `search_path` pinned to
it (libpq `options=-csearch_path=…`), so the models, `storage.migrate.upgrade(url)` and Alembic all work
in that schema alone; the schema is dropped with CASCADE afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from storage.db import make_engine, make_session_factory
from storage.models import Base
from storage.uow import UnitOfWorkFactory

PG_ENV = "BATON_TEST_POSTGRES_URL"
SKIP_REASON = "BATON_TEST_POSTGRES_URL is not set: PostgreSQL tests skipped"


@dataclass(frozen=True)
class PgSchema:
    name: str
    url: str  # the test database, with search_path set to `name` on every connection


def _psycopg(url: str) -> str:
    """Baton speaks psycopg 3; accept a bare postgres:// or postgresql:// URL as the settings do."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def with_search_path(url: str, schema: str) -> str:
    parsed = make_url(url)
    options = parsed.query.get("options")
    existing = " ".join(options) if isinstance(options, tuple) else (options or "")
    pinned = f"{existing} -csearch_path={schema}".strip()
    return parsed.update_query_dict({"options": pinned}).render_as_string(hide_password=False)


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(SKIP_REASON)
    return _psycopg(url)


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[PgSchema]:
    name = f"baton_test_{uuid.uuid4().hex}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield PgSchema(name=name, url=with_search_path(pg_url, name))
    finally:
        with admin.connect() as conn:
            # A leaked connection holding locks must fail the clean-up, not hang the run.
            conn.execute(text("SET lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine(pg_schema: PgSchema) -> Iterator[Engine]:
    """Baton's own engine (`storage.db.make_engine`) on the test's schema, which starts empty."""
    engine = make_engine(pg_schema.url)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_uow_factory(pg_engine: Engine) -> UnitOfWorkFactory:
    """Units of work on the test's schema, with the tables created from the models."""
    Base.metadata.create_all(pg_engine)
    return UnitOfWorkFactory(make_session_factory(pg_engine))

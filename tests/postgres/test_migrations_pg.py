"""The migrations on PostgreSQL, each test in its own empty schema: every table, no drift, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from storage.migrate import alembic_config, upgrade
from storage.models import Base, Workspace
from tests.postgres.conftest import PgSchema

pytestmark = pytest.mark.postgres


def _upgrade_on(engine: Engine, url: str) -> None:
    """Run the migrations on a connection of Baton's engine (env.py's `connection` attribute).

    The drift and idempotence checks use this path so they still say something about the migrations
    themselves when the URL path (`storage.migrate.upgrade`, tested first below) is broken.
    """
    with engine.begin() as conn:
        config = alembic_config(url)
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def _head(url: str) -> str:
    [head] = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    return head


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _snapshot(engine: Engine, schema: str) -> dict[str, Any]:
    """Tables with their columns, indexes, unique and foreign keys, as PostgreSQL reports them."""
    inspector = inspect(engine)
    shape: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names(schema=schema)):
        shape[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table, schema)],
            "indexes": sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table, schema)),
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table, schema)
            ),
            "fks": sorted(str(f["name"]) for f in inspector.get_foreign_keys(table, schema)),
        }
    return shape


def test_migrate_upgrade_creates_every_table_in_its_schema(pg_schema: PgSchema, pg_engine: Engine) -> None:
    """`baton db upgrade` with a PostgreSQL DATABASE_URL: what production runs on every start."""
    upgrade(pg_schema.url)

    tables = set(inspect(pg_engine).get_table_names(schema=pg_schema.name))
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert _revision(pg_engine) == _head(pg_schema.url)


def test_upgraded_schema_has_no_drift_from_the_models_pg(pg_schema: PgSchema, pg_engine: Engine) -> None:
    _upgrade_on(pg_engine, pg_schema.url)

    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT current_schema()")).scalar_one() == pg_schema.name
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)

    assert diff == [], f"models.py and the migrations disagree on PostgreSQL; add a migration: {diff}"
    assert set(inspect(pg_engine).get_table_names(schema=pg_schema.name)) == set(Base.metadata.tables) | {
        "alembic_version"
    }


def test_upgrade_twice_is_a_no_op_pg(pg_schema: PgSchema, pg_engine: Engine) -> None:
    _upgrade_on(pg_engine, pg_schema.url)
    with pg_engine.begin() as conn:
        conn.execute(
            Workspace.__table__.insert().values(
                id="T0KEEP", last_task_number=7, created_at=datetime(2026, 12, 1, tzinfo=UTC)
            )
        )
    before = _snapshot(pg_engine, pg_schema.name)

    _upgrade_on(pg_engine, pg_schema.url)

    assert _snapshot(pg_engine, pg_schema.name) == before
    assert _revision(pg_engine) == _head(pg_schema.url)
    with pg_engine.connect() as conn:
        kept = conn.execute(text("SELECT id, last_task_number FROM workspaces")).all()
    assert [tuple(row) for row in kept] == [("T0KEEP", 7)]

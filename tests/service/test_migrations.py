"""`baton db upgrade` (storage.migrate.upgrade) on an empty SQLite file builds exactly what models.py says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from storage.db import make_engine
from storage.migrate import alembic_config, upgrade
from storage.models import Base, Workspace


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'baton.db'}"


def _head(url: str) -> str:
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    assert len(heads) == 1, f"the migrations must have one head, found {heads}"
    return heads[0]


def _schema(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(text("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"))
        ]


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_on_an_empty_file_creates_every_table(tmp_path: Path) -> None:
    url = _url(tmp_path)

    upgrade(url)

    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        assert _revision(engine) == _head(url)
    finally:
        engine.dispose()


def test_upgraded_schema_has_no_drift_from_the_models(tmp_path: Path) -> None:
    url = _url(tmp_path)
    upgrade(url)

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    assert diff == [], f"models.py and the migrations disagree; add a migration: {diff}"


def test_upgrade_twice_is_a_no_op_and_keeps_the_data(tmp_path: Path) -> None:
    url = _url(tmp_path)
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                Workspace.__table__.insert().values(
                    id="T0KEEP", last_task_number=7, created_at=datetime(2026, 12, 1, tzinfo=UTC)
                )
            )
        before = _schema(engine)

        upgrade(url)

        assert _schema(engine) == before
        assert _revision(engine) == _head(url)
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT id, last_task_number FROM workspaces")).all()
        assert [tuple(row) for row in kept] == [("T0KEEP", 7)]
    finally:
        engine.dispose()

"""Service-layer fixtures: a fresh in-memory SQLite database per test, reached through units of work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from storage.db import make_engine, make_session_factory
from storage.models import Base
from storage.uow import UnitOfWorkFactory


@pytest.fixture
def sqlite_engine() -> Iterator[Engine]:
    """An empty in-memory database (StaticPool: every session sees the same one), schema from models."""
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(sqlite_engine: Engine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(make_session_factory(sqlite_engine))

"""`storage.direct.run` on PostgreSQL (psycopg's named parameters, its own types): as on SQLite."""

from __future__ import annotations

from sqlalchemy import Engine

from storage.models import Base
from tests.service.test_direct import check_errors_as_sqlalchemy_raises_them, check_same_as_execute


def test_the_same_as_execute(pg_engine: Engine) -> None:
    Base.metadata.create_all(pg_engine)
    check_same_as_execute(pg_engine)


def test_errors_as_sqlalchemy_raises_them(pg_engine: Engine) -> None:
    Base.metadata.create_all(pg_engine)
    check_errors_as_sqlalchemy_raises_them(pg_engine)

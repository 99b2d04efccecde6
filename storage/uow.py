"""The unit of work: one session, its repositories, and rollback unless `commit()` was called."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.domain.errors import StorageUnavailable
from storage.db import is_database_down, outages_as_unavailable
from storage.repositories.events import EventLog
from storage.repositories.kudos import KudosRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.people import PersonRepository
from storage.repositories.probe import SchedulerProbe
from storage.repositories.series import SeriesRepository
from storage.repositories.skills import SkillRepository
from storage.repositories.tasks import TaskRepository
from storage.repositories.teams import TeamRepository
from storage.repositories.time_off import TimeOffRepository
from storage.repositories.workspace_data import WorkspaceDataRepository
from storage.repositories.workspaces import WorkspaceRepository


class UnitOfWork:
    """`with uow:` opens a session; leaving it without `commit()` rolls everything back. A database outage
    met inside leaves it as `StorageUnavailable`, so the layers above never see the driver's errors."""

    session: Session
    workspaces: WorkspaceRepository
    people: PersonRepository
    teams: TeamRepository
    tasks: TaskRepository
    kudos: KudosRepository
    skills: SkillRepository
    outbox: OutboxRepository
    events: EventLog
    time_off: TimeOffRepository
    series: SeriesRepository
    probe: SchedulerProbe
    workspace_data: WorkspaceDataRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.workspaces = WorkspaceRepository(self.session)
        self.people = PersonRepository(self.session)
        self.teams = TeamRepository(self.session)
        self.tasks = TaskRepository(self.session)
        self.kudos = KudosRepository(self.session)
        self.skills = SkillRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.events = EventLog(self.session)
        self.time_off = TimeOffRepository(self.session)
        self.series = SeriesRepository(self.session)
        self.probe = SchedulerProbe(self.session)
        self.workspace_data = WorkspaceDataRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with outages_as_unavailable():
            try:
                self.session.rollback()
            finally:
                self.session.close()
        if isinstance(exc, Exception) and not isinstance(exc, StorageUnavailable) and is_database_down(exc):
            raise StorageUnavailable(type(exc).__name__) from exc

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class UnitOfWorkFactory:
    """Hands out a fresh UnitOfWork per use case; sessions never cross threads.

    `read_only=True` is for use cases that only read: on SQLite they do not queue behind writers.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], read_session_factory: sessionmaker[Session] | None = None
    ) -> None:
        self._session_factory = session_factory
        self._read_session_factory = read_session_factory or session_factory

    def __call__(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self._read_session_factory if read_only else self._session_factory)

    @contextmanager
    def rehearsal(self) -> Iterator[UnitOfWorkFactory]:
        """Units of work inside one outer transaction that is rolled back at the end, on SQLite and PostgreSQL
        alike: their commits only release SAVEPOINTs, so nothing they write is kept."""
        engine: Any = self._session_factory.kw["bind"]
        with outages_as_unavailable(), engine.connect() as conn:
            outer = conn.begin()
            try:
                factory = sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
                yield UnitOfWorkFactory(factory)
            finally:
                outer.rollback()

"""The unit of work: one session, its repositories, and rollback unless `commit()` was called."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from storage.repositories import (
    EventLog,
    KudosRepository,
    OutboxRepository,
    PersonRepository,
    SchedulerProbe,
    SeriesRepository,
    SkillRepository,
    TaskRepository,
    TeamRepository,
    TimeOffRepository,
    WorkspaceRepository,
)


class UnitOfWork:
    """`with uow:` opens a session; leaving it without `commit()` rolls everything back."""

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
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

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

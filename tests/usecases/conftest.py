"""The services on an in-memory SQLite database, a fake clock and fake ports: use cases called directly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.model import OutboxState
from bot.services.checkins import CheckinService
from bot.services.people import PeopleService
from bot.services.ports import SlackUser
from bot.services.series import SeriesService
from bot.services.tasks import TaskService
from storage.db import make_engine, make_session_factory
from storage.models import Base, OutboxMessage, Task, TaskEvent, Team, TeamManager
from storage.uow import UnitOfWorkFactory
from tests.conftest import START
from tests.fakes.clock import FakeClock

WORKSPACE = "T0USECASES"
MANAGER = "UMANAGER"  # delegates; America/New_York
ALICE = "UALICE"  # Europe/Berlin
BOB = "UBOB"  # Asia/Tokyo
ADMIN = "UADMIN"  # a workspace admin
STRANGER = "USTRANGER"  # neither assignee, delegator, manager nor admin
BOT = "UBOT"
GONE = "UGONE"  # deactivated
TEAM_CHANNEL = "CTEAM"


def _person(user_id: str, tz: str, **flags: bool) -> SlackUser:
    return SlackUser(
        user_id=user_id,
        display_name=user_id.removeprefix("U").title(),
        tz=tz,
        is_admin=flags.get("is_admin", False),
        is_bot=flags.get("is_bot", False),
        is_deleted=flags.get("is_deleted", False),
    )


class FakeDirectory:
    """Satisfies SlackReader: the people of one workspace, as users.info would answer."""

    def __init__(self) -> None:
        self.people = {
            u.user_id: u
            for u in (
                _person(MANAGER, "America/New_York"),
                _person(ALICE, "Europe/Berlin"),
                _person(BOB, "Asia/Tokyo"),
                _person(ADMIN, "UTC", is_admin=True),
                _person(STRANGER, "UTC"),
                _person(BOT, "UTC", is_bot=True),
                _person(GONE, "UTC", is_deleted=True),
            )
        }

    def user_info(self, workspace_id: str, user_id: str, *, background: bool = False) -> SlackUser | None:
        return self.people.get(user_id)


@dataclass
class Delivered:
    outbox_ids: tuple[int, ...]
    workspace_id: str
    touched: tuple[str, ...]
    posts: bool = False  # the use case said every row is a post (none a refresh)


@dataclass
class RecordingDeliverer:
    """Satisfies Deliverer: remembers what each use case asked to send after its commit, sends nothing."""

    calls: list[Delivered] = field(default_factory=list)

    def deliver(
        self, outbox_ids: Sequence[int], *, workspace_id: str, touched: Sequence[str] = (), posts: bool = False
    ) -> None:
        self.calls.append(Delivered(tuple(outbox_ids), workspace_id, tuple(touched), posts))

    @property
    def last(self) -> Delivered:
        return self.calls[-1]


@dataclass
class UseCases:
    """The task use cases wired as `create_app` wires them, with a database to read back."""

    uow: UnitOfWorkFactory
    clock: FakeClock
    deliverer: RecordingDeliverer
    people: PeopleService
    tasks: TaskService
    series: SeriesService
    checkins: CheckinService

    def rows(self, model: type[Any], *where: Any) -> list[Any]:
        """Rows as they are now, detached so they can be read after the session closes."""
        with self.uow() as uow:
            found = list(uow.session.scalars(select(model).where(*where).order_by(*model.__table__.primary_key)))
            uow.session.expunge_all()
            return found

    def task(self, number: int) -> Task:
        (task,) = self.rows(Task, Task.workspace_id == WORKSPACE, Task.number == number)
        assert isinstance(task, Task)
        return task

    def history(self, number: int) -> list[tuple[str, str, str]]:
        """(actor, action, detail) of each line of the task's history, oldest first."""
        task_id = self.task(number).id
        return [(e.actor_id, e.action, e.detail) for e in self.rows(TaskEvent, TaskEvent.task_id == task_id)]

    def outbox(self, *ids: int) -> list[OutboxMessage]:
        """Outbox rows, all of them or those with these ids, in the order they were queued."""
        return self.rows(OutboxMessage, *([OutboxMessage.id.in_(ids)] if ids else []))

    def queued(self, *ids: int) -> list[tuple[str, str, str]]:
        """(kind, recipient, dedupe key) of outbox rows, in the order they were queued."""
        return [(r.kind, r.recipient_id, r.dedupe_key) for r in self.outbox(*ids)]

    def team(self, channel_id: str = TEAM_CHANNEL, *, managers: Sequence[str] = (MANAGER,)) -> int:
        """A team on `channel_id` managed by `managers`; returns its id."""
        now = self.clock.now()
        with self.uow() as uow:
            uow.workspaces.ensure(WORKSPACE, now=now)
            team = Team(workspace_id=WORKSPACE, channel_id=channel_id, tz="UTC", created_by=managers[0], created_at=now)
            team.managers = [TeamManager(user_id=m) for m in managers]
            uow.teams.add(team)
            uow.commit()
            return team.id

    def sent(self, outbox_id: int, *, channel_id: str, ts: str, at: datetime | None = None) -> None:
        """Mark an outbox row as posted at (channel, ts), as the deliverer would after chat.postMessage."""
        with self.uow() as uow:
            row = uow.outbox.get(outbox_id)
            assert row is not None
            row.state, row.channel_id, row.ts = OutboxState.SENT.value, channel_id, ts
            row.sent_at = at or self.clock.now()
            uow.commit()

    def checkin(self, task_id: int, *, channel_id: str, ts: str) -> int:
        """A check-in about the task, sent at (channel, ts); returns its outbox id."""
        with self.uow() as uow:
            outbox_id = uow.outbox.add(
                WORKSPACE,
                dedupe_key=f"checkin:{task_id}:{ts}",
                kind="checkin",
                recipient_id=channel_id,
                task_id=task_id,
                now=self.clock.now(),
            )
            uow.commit()
        assert outbox_id is not None
        self.sent(outbox_id, channel_id=channel_id, ts=ts)
        return outbox_id


@pytest.fixture
def app() -> Iterator[UseCases]:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    uow = UnitOfWorkFactory(make_session_factory(engine))
    clock = FakeClock(START)
    deliverer = RecordingDeliverer()
    people = PeopleService(uow=uow, clock=clock, reader=FakeDirectory())
    tasks = TaskService(uow=uow, clock=clock, people=people, deliverer=deliverer)
    yield UseCases(
        uow=uow,
        clock=clock,
        deliverer=deliverer,
        people=people,
        tasks=tasks,
        series=SeriesService(uow=uow, clock=clock, people=people, deliverer=deliverer),
        checkins=CheckinService(uow=uow, clock=clock, tasks=tasks, deliverer=deliverer),
    )
    engine.dispose()

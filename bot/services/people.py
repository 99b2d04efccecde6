"""Who people are (name, time zone, admin): cached rows, refreshed from Slack's users.info."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.errors import BadInput, NotFound, UserError
from bot.domain.model import PersonView
from bot.services.ports import SlackReader, SlackUnavailable
from storage.models import Person
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

CACHE_TTL = timedelta(hours=24)
# In front of the people table, per process: a burst of commands by the same people reads them once.
MEMORY_TTL = timedelta(seconds=60)
MEMORY_SIZE = 10_000


class SlackDidNotAnswer(UserError):
    """Slack could not tell who someone is right now; nothing was changed."""


class PeopleService:
    def __init__(
        self, *, uow: UnitOfWorkFactory, clock: Clock, reader: SlackReader, ttl: timedelta = CACHE_TTL
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._reader = reader
        self._ttl = ttl
        self._memory: OrderedDict[tuple[str, str], tuple[datetime, PersonView]] = OrderedDict()
        self._memory_lock = threading.Lock()

    def get(self, workspace_id: str, user_id: str) -> PersonView:
        """The person, from the cache while fresh; a stale row still serves when Slack is down."""
        now = self._clock.now()
        key = (workspace_id, user_id)
        with self._memory_lock:
            remembered = self._memory.get(key)
            if remembered is not None and timedelta(0) <= now - remembered[0] < MEMORY_TTL:
                return remembered[1]
        found = self._read(workspace_id, user_id, now=now)
        with self._memory_lock:
            self._memory[key] = (now, found)
            self._memory.move_to_end(key)
            while len(self._memory) > MEMORY_SIZE:
                self._memory.popitem(last=False)
        return found

    def _read(self, workspace_id: str, user_id: str, *, now: datetime) -> PersonView:
        with self._uow(read_only=True) as uow:
            cached = uow.people.get(workspace_id, user_id)
            if cached is not None and now - cached.fetched_at < self._ttl:
                return _view(cached)
        try:
            user = self._reader.user_info(workspace_id, user_id)
        except SlackUnavailable:
            if cached is not None:
                log.warning("people.stale_cache", extra={"user": user_id})
                return _view(cached)
            raise SlackDidNotAnswer("Slack didn't answer just now; try again in a minute.") from None
        if user is None:
            raise NotFound(f"I couldn't find <@{user_id}> in this workspace.")
        with self._uow() as uow:
            uow.workspaces.ensure(workspace_id, now=now)
            person = Person(
                workspace_id=workspace_id,
                user_id=user_id,
                display_name=user.display_name[:200],
                tz=user.tz,
                is_admin=user.is_admin,
                is_bot=user.is_bot,
                is_deleted=user.is_deleted,
                fetched_at=now,
            )
            uow.people.save(person)
            uow.commit()
            return _view(person)

    def tz(self, workspace_id: str, user_id: str) -> str:
        return self.get(workspace_id, user_id).tz

    def assignable(self, workspace_id: str, user_id: str) -> PersonView:
        """A person a task can go to: real, active, not a bot."""
        person = self.get(workspace_id, user_id)
        if person.is_bot:
            raise BadInput(f"<@{user_id}> is a bot; tasks go to people.")
        if person.is_deleted:
            raise BadInput(f"<@{user_id}>'s account is deactivated; pick someone else.")
        return person


def _view(person: Person) -> PersonView:
    return PersonView(
        user_id=person.user_id,
        display_name=person.display_name,
        tz=person.tz,
        is_admin=person.is_admin,
        is_bot=person.is_bot,
        is_deleted=person.is_deleted,
    )

"""Who people are (name, time zone, admin): cached rows, refreshed from Slack's users.info."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.errors import BadInput, NotFound, UserError
from bot.domain.model import PersonView
from bot.services.ports import SlackReader, SlackUnavailable, SlackUser
from storage.models import Person
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

CACHE_TTL = timedelta(hours=24)
# In front of the people table, per process: a burst of commands by the same people reads them once.
MEMORY_TTL = timedelta(seconds=60)
MEMORY_SIZE = 10_000
STALE_REFRESH_LIMIT = 20  # people read again from Slack per scheduler pass (users.info is Tier 4)
STALE_REFRESH_EVERY = timedelta(minutes=10)


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
        self._refreshed_at: datetime | None = None
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

    def _read(self, workspace_id: str, user_id: str, *, now: datetime, background: bool = False) -> PersonView:
        with self._uow(read_only=True) as uow:
            cached = uow.people.get(workspace_id, user_id)
            if cached is not None and now - cached.fetched_at < self._ttl:
                return _view(cached)
            known = (_view(cached), _time_of(cached)) if cached is not None else None
        try:
            user = self._reader.user_info(workspace_id, user_id, background=background)
        except SlackUnavailable:
            if known is not None:
                log.warning("people.stale_cache", extra={"user": user_id})
                return known[0]
            raise SlackDidNotAnswer("Slack didn't answer just now; try again in a minute.") from None
        if user is None:
            raise NotFound(f"I couldn't find <@{user_id}> in this workspace.")
        with self._uow() as uow:
            uow.workspaces.ensure(workspace_id, now=now)
            person = _row(workspace_id, user, now=now)
            changed = known is not None and known[1] != _time_of(person)
            uow.people.save(person)
            if changed:
                replan_person(uow, workspace_id, user_id, now=now)
            uow.commit()
            return _view(person)

    def apply(self, workspace_id: str, user: SlackUser) -> None:
        """A `user_change` event: keep someone's name, zone and status fresh. A new zone or status (an away
        status, one cleared) re-plans their follow-ups and looks again at the DMs held for them."""
        now = self._clock.now()
        with self._uow() as uow:
            cached = uow.people.get(workspace_id, user.user_id)
            if cached is None:
                return  # someone Baton never dealt with: nothing to keep fresh
            person = _row(workspace_id, user, now=now)
            changed = _time_of(cached) != _time_of(person)
            uow.people.save(person)
            if changed:
                replan_person(uow, workspace_id, user.user_id, now=now)
            uow.commit()
        self.forget(workspace_id, user.user_id)
        log.info("people.changed", extra={"user": user.user_id, "replanned": changed})

    def refresh_stale(self, *, limit: int = STALE_REFRESH_LIMIT) -> int:
        """Read again from Slack the people whose cached row is older than a day (a missed user_change must
        not keep an old zone or status forever), at most every few minutes; returns how many were read.
        Slack being down skips it."""
        now = self._clock.now()
        if self._refreshed_at is not None and timedelta(0) <= now - self._refreshed_at < STALE_REFRESH_EVERY:
            return 0
        self._refreshed_at = now
        with self._uow(read_only=True) as uow:
            stale = [(p.workspace_id, p.user_id) for p in uow.people.stale(fetched_before=now - self._ttl, limit=limit)]
        refreshed = 0
        for workspace_id, user_id in stale:
            try:
                self._read(workspace_id, user_id, now=now, background=True)
            except UserError:
                continue  # Slack did not answer, or the person is gone: the row stays as it was
            self.forget(workspace_id, user_id)
            refreshed += 1
        return refreshed

    def forget(self, workspace_id: str, user_id: str) -> None:
        """Drop this process's memory of someone, so the next read sees the stored row."""
        with self._memory_lock:
            self._memory.pop((workspace_id, user_id), None)

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


def _row(workspace_id: str, user: SlackUser, *, now: datetime) -> Person:
    return Person(
        workspace_id=workspace_id,
        user_id=user.user_id,
        display_name=user.display_name[:200],
        tz=user.tz,
        is_admin=user.is_admin,
        is_bot=user.is_bot,
        is_deleted=user.is_deleted,
        status_emoji=user.status_emoji,
        status_text=user.status_text,
        status_expiration=user.status_expiration,
        fetched_at=now,
    )


def _time_of(person: Person) -> tuple[str, str, str, int]:
    """What decides when Baton may DM someone, of what Slack says: their zone and their status."""
    return (person.tz, person.status_emoji or "", person.status_text or "", person.status_expiration or 0)


def replan_person(uow: UnitOfWork, workspace_id: str, user_id: str, *, now: datetime) -> None:
    """Someone's time changed: the planner looks at their tasks again, and DMs held for them are re-checked."""
    uow.tasks.replan_people(workspace_id, [user_id], now=now)
    uow.outbox.recheck_held(workspace_id, [user_id], now=now)


def _view(person: Person) -> PersonView:
    return PersonView(
        user_id=person.user_id,
        display_name=person.display_name,
        tz=person.tz,
        is_admin=person.is_admin,
        is_bot=person.is_bot,
        is_deleted=person.is_deleted,
    )

"""What Baton will send, and when: the real Planner, run ahead of time and then undone.

`preview` opens a rehearsal (one outer transaction), hands the Planner a unit-of-work factory
whose units of work commit only SAVEPOINTs inside it, and runs `Planner.plan_due` at `now` and then at
each next moment anything could be due (a task's `next_check_at`, a team's recognition, a manager's
digest), collecting the outbox rows each run inserts. The outer transaction is rolled back at the
end, on SQLite and PostgreSQL alike, so nothing is kept: no second copy of the rules exists.
Bounded by the horizon, `limit` rows and `MAX_STEPS` planner runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.errors import BadInput, NotAllowed
from bot.domain.model import OutboxKind
from bot.services.people import PeopleService
from bot.services.planning import Planner
from storage.models import OutboxMessage
from storage.uow import UnitOfWork, UnitOfWorkFactory

MAX_STEPS = 500
MAX_DAYS = 30
SLACK_BUDGET_SECONDS = 2.0  # `/team preview` answers within Slack's 3 seconds


@dataclass(frozen=True)
class PreviewItem:
    at: datetime  # UTC, when it goes out: its moment, or the start of the recipient's working time it is held to
    workspace_id: str
    kind: str
    dedupe_key: str
    recipient_id: str
    recipient_tz: str
    task_id: int | None
    task_number: int | None
    task_title: str
    team_id: int | None  # the task's team, or the team whose channel it is posted in
    held: bool = False  # its moment fell outside the recipient's working time: it waits for the next start

    @property
    def is_bundled(self) -> bool:
        return OutboxKind(self.kind).is_bundled and self.recipient_id[:1] in ("U", "W")


@dataclass(frozen=True)
class PreviewMessage:
    """What one recipient gets at one moment, as it will really go out: everything the scheduler has for a
    person then in one DM, every other message on its own."""

    at: datetime
    recipient_id: str
    recipient_tz: str
    items: tuple[PreviewItem, ...]

    @property
    def held(self) -> bool:
        return any(item.held for item in self.items)


def messages(items: list[PreviewItem]) -> list[PreviewMessage]:
    """Items grouped into the messages they go out in, soonest first."""
    found: list[PreviewMessage] = []
    bundles: dict[tuple[datetime, str, str], int] = {}
    for item in sorted(items, key=lambda i: (i.at, i.workspace_id, i.recipient_id, i.kind)):
        key = (item.at, item.workspace_id, item.recipient_id)
        if item.is_bundled and key in bundles:
            index = bundles[key]
            old = found[index]
            found[index] = PreviewMessage(old.at, old.recipient_id, old.recipient_tz, (*old.items, item))
            continue
        if item.is_bundled:
            bundles[key] = len(found)
        found.append(PreviewMessage(item.at, item.recipient_id, item.recipient_tz, (item,)))
    return found


@dataclass(frozen=True)
class Preview:
    items: list[PreviewItem]
    truncated: bool  # stopped at `limit` rows or MAX_STEPS runs before the horizon


Keep = Callable[[PreviewItem], bool]


def preview(
    uow: UnitOfWorkFactory,
    *,
    now: datetime,
    days: int,
    limit: int,
    keep: Keep | None = None,
    budget_seconds: float | None = None,
) -> Preview:
    """The messages the scheduler would send from `now` for `days` days, soonest first; with a
    `budget_seconds` (Slack's 3-second answer) it stops early and says it was truncated."""
    until = now + timedelta(days=days)
    stop_at = time.monotonic() + budget_seconds if budget_seconds is not None else None
    items: list[PreviewItem] = []
    truncated = False
    with uow.rehearsal() as rehearsal:
        planner = Planner(uow=rehearsal)
        with rehearsal() as look:
            items += _pending(look, now=now, keep=keep)
            last_id = look.outbox.latest_id()
        moment: datetime | None = now
        steps = 0
        while moment is not None and moment <= until:
            out_of_time = stop_at is not None and time.monotonic() > stop_at
            if steps >= MAX_STEPS or len(items) >= limit or out_of_time:
                truncated = True
                break
            steps += 1
            planner.plan_due(moment)
            with rehearsal() as look:
                for row in look.outbox.added_after(last_id):
                    last_id = max(last_id, row.id)
                    # Held to the recipient's working time, it goes out then (the planner says when).
                    item = _item(look, row, at=max(moment, row.not_before), held=row.not_before > moment)
                    if keep is None or keep(item):
                        items.append(item)
                moment = look.probe.next_moment(after=moment)
    items.sort(key=lambda i: (i.at, i.workspace_id, i.kind, i.recipient_id))
    if len(items) > limit:
        truncated = True
    return Preview(items=items[:limit], truncated=truncated)


def _pending(uow: UnitOfWork, *, now: datetime, keep: Keep | None) -> list[PreviewItem]:
    """Rows already queued and not yet sent go out at their `not_before` (or at once)."""
    items = [_item(uow, row, at=max(row.not_before, now)) for row in uow.outbox.pending_to_send(limit=MAX_STEPS)]
    return [i for i in items if keep is None or keep(i)]


def _item(uow: UnitOfWork, row: OutboxMessage, *, at: datetime, held: bool = False) -> PreviewItem:
    task = uow.tasks.get(row.workspace_id, row.task_id) if row.task_id is not None else None
    team_id = task.team_id if task is not None else None
    tz = "UTC"
    if row.recipient_id[:1] in ("U", "W"):
        person = uow.people.get(row.workspace_id, row.recipient_id)
        tz = person.tz if person is not None else "UTC"
    else:
        team = uow.teams.by_channel(row.workspace_id, row.recipient_id)
        if team is not None:
            tz = team.tz
            team_id = team_id if team_id is not None else team.id
    return PreviewItem(
        at=at,
        workspace_id=row.workspace_id,
        kind=row.kind,
        dedupe_key=row.dedupe_key,
        recipient_id=row.recipient_id,
        recipient_tz=tz,
        task_id=row.task_id,
        task_number=task.number if task is not None else None,
        task_title=task.title if task is not None else "",
        team_id=team_id,
        held=held,
    )


def for_team(workspace_id: str, team_id: int, manager_ids: set[str]) -> Keep:
    """Keep what concerns one team: its tasks' messages, its channel's posts, its managers' digests."""

    def keep(item: PreviewItem) -> bool:
        if item.workspace_id != workspace_id:
            return False
        if item.kind == "digest":
            return item.recipient_id in manager_ids
        return item.team_id == team_id

    return keep


@dataclass(frozen=True)
class TeamPreview:
    channel_id: str
    days: int
    preview: Preview


class PreviewService:
    """`/team preview`: the team's managers (or a workspace admin) see what Baton will send."""

    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, people: PeopleService) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people

    def team_preview(self, workspace_id: str, actor_id: str, channel_id: str, *, days: int, limit: int) -> TeamPreview:
        actor = self._people.get(workspace_id, actor_id)  # before any transaction: may call Slack
        with self._uow() as uow:
            team = uow.teams.by_channel(workspace_id, channel_id) if channel_id else None
            if team is None:
                raise BadInput("Type `/team preview` in a team channel (`/team setup` makes one).")
            managers = {m.user_id for m in team.managers}
            team_id = team.id
        if actor_id not in managers and not actor.is_admin:
            raise NotAllowed("Only this team's managers or a workspace admin can preview what Baton will send.")
        days = max(1, min(days, MAX_DAYS))
        shown = preview(
            self._uow,
            now=self._clock.now(),
            days=days,
            limit=limit,
            keep=for_team(workspace_id, team_id, managers),
            budget_seconds=SLACK_BUDGET_SECONDS,
        )
        return TeamPreview(channel_id=channel_id, days=days, preview=shown)

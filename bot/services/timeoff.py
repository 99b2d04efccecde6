"""Time off: record when someone is away, end it early, list who is away, and flag their deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock
from bot.domain import timeoff
from bot.domain.errors import BadInput, NotAllowed
from bot.domain.model import OutboxKind
from bot.domain.payloads import AwayFlagPayload
from bot.services.people import PeopleService
from bot.services.ports import Deliverer
from storage.models import TimeOff
from storage.uow import UnitOfWork, UnitOfWorkFactory

FLAG_TASKS_LIMIT = 200
LIST_LIMIT = 50


@dataclass(frozen=True)
class AwayView:
    user_id: str
    starts_at: datetime
    ends_at: datetime  # exclusive: the start of the local day after the last one


@dataclass(frozen=True)
class AwayRecorded:
    period: AwayView
    flagged: int  # open tasks due inside the absence whose delegators were told


def _view(period: TimeOff) -> AwayView:
    return AwayView(user_id=period.user_id, starts_at=period.starts_at, ends_at=period.ends_at)


class TimeOffService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, people: PeopleService, deliverer: Deliverer) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people
        self._deliverer = deliverer

    def _require_manager(self, uow: UnitOfWork, workspace_id: str, actor_id: str, channel_id: str) -> None:
        actor = self._people.get(workspace_id, actor_id)
        if actor.is_admin:
            return
        team = uow.teams.by_channel(workspace_id, channel_id) if channel_id else None
        if team is None:
            raise BadInput(
                "Type `/team away @person …` in a team channel you manage, or `/task away …` for your own time off."
            )
        if actor_id not in {m.user_id for m in team.managers}:
            raise NotAllowed("Only this team's managers or a workspace admin can record someone else's time off.")

    def set_away(
        self, workspace_id: str, actor_id: str, *, user_id: str, text: str, channel_id: str = ""
    ) -> AwayRecorded:
        """Record `user_id` away for the days `text` names (read in the caller's zone)."""
        now = self._clock.now()
        tz = self._people.tz(workspace_id, actor_id)
        period = timeoff.read_period(text, now=now, tz=tz)
        if actor_id != user_id:
            self._people.assignable(workspace_id, user_id)  # an unknown person or a bot gets a clear refusal
        with self._uow() as uow:
            if actor_id != user_id:
                self._require_manager(uow, workspace_id, actor_id, channel_id)
            row = TimeOff(
                workspace_id=workspace_id,
                user_id=user_id,
                starts_at=period.starts_at,
                ends_at=period.ends_at,
                created_by=actor_id,
                created_at=now,
            )
            uow.time_off.hold_person(workspace_id, user_id)  # a task committing meanwhile waits, then sees it
            uow.time_off.add(row)
            ids: list[int] = []
            for task in uow.tasks.assigned_to(workspace_id, user_id, limit=FLAG_TASKS_LIMIT):
                if task.due_at is None or not (period.starts_at <= task.due_at < period.ends_at):
                    continue
                if task.delegator_id == user_id:
                    continue
                added = uow.outbox.add(
                    workspace_id,
                    dedupe_key=f"away:{task.id}:{row.id}",
                    kind=OutboxKind.AWAY_FLAG,
                    recipient_id=task.delegator_id,
                    task_id=task.id,
                    payload=AwayFlagPayload(user_id=user_id, ends_at=period.ends_at),
                    now=now,
                )
                if added is not None:
                    ids.append(added)
            view = _view(row)
            uow.commit()
        self._deliverer.deliver(ids, workspace_id=workspace_id)
        return AwayRecorded(period=view, flagged=len(ids))

    def end_away(self, workspace_id: str, actor_id: str, *, user_id: str, channel_id: str = "") -> int:
        """End `user_id`'s current time off now and drop planned ones; returns how many periods changed."""
        now = self._clock.now()
        with self._uow() as uow:
            if actor_id != user_id:
                self._require_manager(uow, workspace_id, actor_id, channel_id)
            changed = 0
            for period in uow.time_off.of_user(workspace_id, user_id, ending_after=now):
                if period.starts_at <= now:
                    period.ends_at = now
                else:
                    uow.time_off.remove(period)
                changed += 1
            if changed:
                # Check-ins skipped "until the end of the absence" come back from now on.
                for task in uow.tasks.assigned_to(workspace_id, user_id, limit=FLAG_TASKS_LIMIT):
                    if task.checkin_after is not None and task.checkin_after > now:
                        task.checkin_after = now
                    if task.next_check_at is not None:
                        task.next_check_at = min(task.next_check_at, now)
            uow.commit()
        return changed

    def away(self, workspace_id: str) -> list[AwayView]:
        """Everyone away now or later, soonest first."""
        with self._uow(read_only=True) as uow:
            return [_view(p) for p in uow.time_off.current(workspace_id, now=self._clock.now(), limit=LIST_LIMIT)]

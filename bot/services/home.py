"""The App Home tab: what a person sees, and re-publishing it when their tasks change."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain import worktime
from bot.domain.model import CheckinSchedule, OutboxKind, TaskStatus, TaskView
from bot.domain.upcoming import Coming, TaskTime, coming_up
from bot.services.availability import TimeView, time_view
from bot.services.ports import MessageSender, SendOutcome
from bot.services.read_models import CheckinFields, schedule_of, task_view
from storage.models import Task, TaskRow
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

SECTION_LIMIT = 100  # rows read per section: more than a Home tab shows; the counts say the rest
COMING_DAYS = 3  # how far ahead the Home tab says what Baton will send


@dataclass(frozen=True)
class HomeData:
    mine: tuple[TaskView, ...]
    delegated: tuple[TaskView, ...]
    team_tasks: tuple[TaskView, ...]
    is_manager: bool
    totals: tuple[int, int, int] = (0, 0, 0)  # open tasks in each section, however many were read
    time: TimeView | None = None  # their hours, holiday calendar and time away
    coming: tuple[Coming, ...] = ()  # what Baton will send them in the next days


class HomeRenderer(Protocol):
    def __call__(self, data: HomeData, *, now: Any) -> dict[str, Any]: ...


class HomeService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def snapshot(self, workspace_id: str, user_id: str) -> HomeData:
        now = self._clock.now()
        with self._uow(read_only=True) as uow:
            teams = uow.teams.rows_managed_by(workspace_id, user_id)
            everyone = {t.id: t for t in uow.teams.rows_of_workspace(workspace_id)}
            channels = {t.id: t.channel_id for t in everyone.values()}

            def view(rows: Sequence[Any]) -> tuple[TaskView, ...]:
                return tuple(task_view(t, team_channel_id=channels.get(t.team_id or -1)) for t in rows)

            team_ids = [t.id for t in teams]
            assigned = uow.tasks.assigned_to_rows(workspace_id, user_id, limit=SECTION_LIMIT)
            mine = [everyone.get(t.team_id or -1) for t in assigned] + list(teams)
            calendars = [team.calendar for team in mine if team is not None and team.calendar]
            time = time_view(uow, workspace_id, user_id, now=now, team_calendars=calendars)
            who = time.availability
            queued = []
            held = uow.outbox.queued_for(workspace_id, user_id)
            numbers = uow.tasks.numbers(workspace_id, [r.task_id for r in held if r.task_id is not None])
            for row in held:
                kind = OutboxKind(row.kind)
                at = max(row.not_before, now)
                if kind.is_scheduled_dm:
                    at = worktime.next_working_start(at, who)  # where delivery holds it
                queued.append((at, kind, numbers.get(row.task_id, 0) if row.task_id is not None else 0))
            coming = coming_up(
                [_task_time(t, everyone.get(t.team_id or -1)) for t in assigned if TaskStatus(t.status).is_active],
                who,
                now=now,
                days=COMING_DAYS,
                held=queued,
            )
            return HomeData(
                mine=view(assigned),
                delegated=view(uow.tasks.delegated_by_rows(workspace_id, user_id, limit=SECTION_LIMIT)),
                team_tasks=view(uow.tasks.of_teams_rows(workspace_id, team_ids, limit=SECTION_LIMIT)),
                is_manager=bool(teams),
                totals=uow.tasks.open_counts(workspace_id, user_id=user_id, team_ids=team_ids),
                time=time,
                coming=tuple(coming),
            )


def _task_time(task: Task | TaskRow, team: CheckinFields | None) -> TaskTime:
    return TaskTime(
        number=task.number,
        status=TaskStatus(task.status),
        schedule=schedule_of(team) if team is not None else CheckinSchedule(),
        checkin_after=task.checkin_after,
        created_at=task.created_at,
        handed_at=task.assigned_at or task.created_at,
        due_at=task.due_at,
        reminded=task.reminded_at is not None,
    )


class HomePublisher:
    """Builds and publishes Home tabs; failures are logged, the next change publishes again."""

    def __init__(self, *, home: HomeService, render: HomeRenderer, sender: MessageSender, clock: Clock) -> None:
        self._home = home
        self._render = render
        self._sender = sender
        self._clock = clock

    def publish(self, workspace_id: str, user_id: str, *, background: bool = True) -> SendOutcome:
        """Publish someone's Home tab as it stands; a RetryLater says when to try again (Slack's budget)."""

        def build() -> dict[str, Any]:
            return self._render(self._home.snapshot(workspace_id, user_id), now=self._clock.now())

        return self._sender.publish_home(workspace_id, user_id, build, background=background)

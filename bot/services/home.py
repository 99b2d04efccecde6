"""The App Home tab: what a person sees, and re-publishing it when their tasks change."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain.model import TaskView
from bot.services.ports import MessageSender
from bot.services.views import task_view
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

SECTION_LIMIT = 100  # rows read per section: more than a Home tab shows; the counts say the rest


@dataclass(frozen=True)
class HomeData:
    mine: tuple[TaskView, ...]
    delegated: tuple[TaskView, ...]
    team_tasks: tuple[TaskView, ...]
    is_manager: bool
    totals: tuple[int, int, int] = (0, 0, 0)  # open tasks in each section, however many were read


class HomeRenderer(Protocol):
    def __call__(self, data: HomeData, *, now: Any) -> dict[str, Any]: ...


class HomeService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def snapshot(self, workspace_id: str, user_id: str) -> HomeData:
        with self._uow(read_only=True) as uow:
            teams = uow.teams.managed_by(workspace_id, user_id)
            channels = {t.id: t.channel_id for t in uow.teams.of_workspace(workspace_id)}

            def view(rows: Sequence[Any]) -> tuple[TaskView, ...]:
                return tuple(task_view(t, team_channel_id=channels.get(t.team_id or -1)) for t in rows)

            team_ids = [t.id for t in teams]
            return HomeData(
                mine=view(uow.tasks.assigned_to(workspace_id, user_id, limit=SECTION_LIMIT)),
                delegated=view(uow.tasks.delegated_by(workspace_id, user_id, limit=SECTION_LIMIT)),
                team_tasks=view(uow.tasks.of_teams(workspace_id, team_ids, limit=SECTION_LIMIT)),
                is_manager=bool(teams),
                totals=uow.tasks.open_counts(workspace_id, user_id=user_id, team_ids=team_ids),
            )


class HomePublisher:
    """Builds and publishes Home tabs; failures are logged, the next change publishes again."""

    def __init__(self, *, home: HomeService, render: HomeRenderer, sender: MessageSender, clock: Clock) -> None:
        self._home = home
        self._render = render
        self._sender = sender
        self._clock = clock

    def publish(self, workspace_id: str, user_id: str) -> bool:
        data = self._home.snapshot(workspace_id, user_id)
        return self._sender.publish_home(workspace_id, user_id, self._render(data, now=self._clock.now()))

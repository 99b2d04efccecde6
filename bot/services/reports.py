"""`/team report`: gather a team's rows for a period and the one before, for its managers."""

from __future__ import annotations

from collections.abc import Sequence

from bot.clock import Clock
from bot.domain import insight
from bot.domain.errors import BadInput, NotAllowed
from bot.domain.model import Priority, TaskAction, TaskStatus, TeamView
from bot.services.people import PeopleService
from bot.services.read_models import team_view
from storage.models import Task
from storage.uow import UnitOfWorkFactory

# Bounds on what one report reads; a team of 50 over two 30-day periods stays well inside them.
TASK_LIMIT = 5000
CHECKIN_LIMIT = 20000
ANSWER_LIMIT = 40000
KUDOS_LIMIT = 5000
_IDS_PER_QUERY = 500  # task ids per IN (…), well under SQLite's bound-parameter limit

ANSWER_ACTIONS = (TaskAction.CHECKIN_ON_TRACK.value, TaskAction.CHECKIN_BLOCKED.value, TaskAction.DONE.value)


def _task_row(task: Task) -> insight.TaskRow:
    return insight.TaskRow(
        assignee_id=task.assignee_id,
        priority=Priority(task.priority),
        status=TaskStatus(task.status),
        created_at=task.created_at,
        due_at=task.due_at,
        done_at=task.done_at,
    )


def _chunks(ids: Sequence[int], size: int) -> list[Sequence[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


class ReportService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, people: PeopleService) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people

    def team_report(self, workspace_id: str, actor_id: str, channel_id: str, *, days: int) -> insight.TeamReport:
        """The report of the team whose channel this is, for its managers or a workspace admin."""
        team = self._team(workspace_id, channel_id)
        # Only a non-manager costs a look-up (which may ask Slack), outside any transaction.
        if actor_id not in team.manager_ids and not self._people.get(workspace_id, actor_id).is_admin:
            names = ", ".join(f"<@{m}>" for m in team.manager_ids) or "its managers"
            raise NotAllowed(
                f"Only this team's managers ({names}) or a workspace admin can see its report; ask one of them."
            )
        period = insight.Period.ending(self._clock.now(), days=days)
        since = period.previous().start
        with self._uow() as uow:
            tasks = uow.tasks.active_in_team(workspace_id, team.id, limit=TASK_LIMIT)
            tasks += uow.tasks.finished_in_team(workspace_id, team.id, after=since, until=period.end, limit=TASK_LIMIT)
            sent = uow.outbox.checkins_sent(
                workspace_id, team_id=team.id, after=since, until=period.end, limit=CHECKIN_LIMIT
            )
            checkins = [
                insight.CheckinRow(task_id=row.task_id, recipient_id=row.recipient_id, sent_at=row.sent_at)
                for row in sent
                if row.task_id is not None and row.sent_at is not None
            ]
            answers = [
                insight.AnswerRow(task_id=event.task_id, actor_id=event.actor_id, at=event.at)
                for chunk in _chunks(sorted({c.task_id for c in checkins}), _IDS_PER_QUERY)
                for event in uow.tasks.events_of(
                    workspace_id, chunk, actions=ANSWER_ACTIONS, after=since, limit=ANSWER_LIMIT
                )
            ]
            kudos = [
                insight.KudosRow(recipient_id=user_id, at=created_at)
                for user_id, created_at in uow.kudos.received_in_team(
                    workspace_id, team_id=team.id, after=since, until=period.end, limit=KUDOS_LIMIT
                )
            ]
            task_rows = [_task_row(task) for task in tasks]
        return insight.team_report(period=period, tasks=task_rows, checkins=checkins, answers=answers, kudos=kudos)

    def _team(self, workspace_id: str, channel_id: str) -> TeamView:
        is_channel = bool(channel_id) and channel_id[0] in "CG"
        with self._uow() as uow:
            team = uow.teams.by_channel(workspace_id, channel_id) if is_channel else None
            if team is None:
                raise BadInput(
                    "`/team report` shows a team's figures: type it in the team's channel. "
                    "To make this channel a team, run `/team setup` here."
                )
            return team_view(team)

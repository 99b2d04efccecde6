"""Planning the weekly manager digest: Monday 09:00 in each manager's zone, one DM per manager
covering all the teams they manage, through the outbox with the key
`digest:<workspace>:<manager>:<local Monday date>`.

Each `team_managers` row carries `next_digest_at`; the planner reads only rows whose moment has
come (or that were never scheduled, which are scheduled without sending), in bounded batches.
After downtime only the latest Monday's digest goes out. The rules live in `bot/domain/digest.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain import digest, worktime
from bot.domain.model import OutboxKind, Priority, TaskAction, TaskStatus
from bot.domain.payloads import DigestLoadLine, DigestPayload, DigestPersonLine, DigestTaskLine
from storage.models import Task, Team, TeamManager
from storage.uow import UnitOfWork, UnitOfWorkFactory

DIGEST_BATCH = 100
MAX_TEAMS = 20
TASKS_PER_TEAM = 500
EVENTS_LIMIT = 5000
ANSWER_LOOKBACK = timedelta(days=30)
PAYLOAD_LINES = 30  # per section; the renderer says how many more there were

_ANSWERS = {TaskAction.CHECKIN_ON_TRACK.value: "on_track", TaskAction.CHECKIN_BLOCKED.value: "blocked"}


def plan_digests(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
    planned = 0
    with uow_factory() as uow:
        seen: set[tuple[str, str]] = set()
        for row in uow.teams.due_for_digest(now=now, limit=DIGEST_BATCH):
            workspace_id = row.team.workspace_id
            if (workspace_id, row.user_id) in seen:
                continue
            seen.add((workspace_id, row.user_id))
            planned += _plan_one(uow, row, workspace_id=workspace_id, now=now)
        uow.commit()
    return planned


def _plan_one(uow: UnitOfWork, row: TeamManager, *, workspace_id: str, now: datetime) -> int:
    person = uow.people.get(workspace_id, row.user_id)
    tz = person.tz if person else row.team.tz
    teams = uow.teams.managed_by(workspace_id, row.user_id)[:MAX_TEAMS]
    due = row.next_digest_at
    following = digest.next_digest(now, tz=tz)
    for team in teams:
        for manager in team.managers:
            if manager.user_id == row.user_id:
                manager.next_digest_at = following
    row.next_digest_at = following
    if due is None or (person is not None and (person.is_deleted or person.is_bot)):
        return 0  # first seen: scheduled from now on, nothing owed yet; or nobody to read it
    scheduled = digest.latest_digest(now, tz=tz)
    result = gather(uow, workspace_id, teams, since=scheduled - digest.PERIOD, now=now)
    if result.is_quiet:
        return 0
    monday = worktime.local_date(scheduled, tz=tz).isoformat()
    out = uow.outbox.add(
        workspace_id,
        dedupe_key=f"digest:{workspace_id}:{row.user_id}:{monday}",
        kind=OutboxKind.DIGEST,
        recipient_id=row.user_id,
        payload=payload_of(result, teams, since=scheduled - digest.PERIOD, tz=tz),
        now=now,
    )
    return int(out is not None)


def _fact(task: Task, answers: dict[int, tuple[str, datetime]]) -> digest.DigestTask:
    answer = answers.get(task.id)
    return digest.DigestTask(
        number=task.number,
        title=task.title,
        team_id=task.team_id or 0,
        assignee_id=task.assignee_id,
        priority=Priority(task.priority),
        active=TaskStatus(task.status).is_active,
        due_at=task.due_at,
        done_at=task.done_at,
        last_checkin_at=task.checkin_after,
        last_answer=answer[0] if answer else None,
        last_answer_at=answer[1] if answer else None,
    )


def gather(
    uow: UnitOfWork, workspace_id: str, teams: Sequence[Team], *, since: datetime, now: datetime
) -> digest.Digest:
    """The facts of a manager's teams, read with bounded indexed queries, and the digest of them."""
    tasks: dict[int, Task] = {}
    kudos: list[tuple[str, datetime]] = []
    for team in teams:
        for task in uow.tasks.active_in_team(workspace_id, team.id, limit=TASKS_PER_TEAM):
            tasks[task.id] = task
        for task in uow.tasks.finished_in_team(workspace_id, team.id, after=since, until=now, limit=TASKS_PER_TEAM):
            tasks[task.id] = task
        kudos += uow.kudos.received_in_team(workspace_id, team_id=team.id, after=since, until=now, limit=500)
    events = uow.tasks.events_of(
        workspace_id, list(tasks), actions=list(_ANSWERS), after=min(since, now - ANSWER_LOOKBACK), limit=EVENTS_LIMIT
    )
    answers: dict[int, tuple[str, datetime]] = {}
    blocked: list[tuple[str, datetime]] = []
    for event in events:  # oldest first: the last one seen is the latest answer
        if event.at > now:
            continue
        answers[event.task_id] = (_ANSWERS[event.action], event.at)
        if event.action == TaskAction.CHECKIN_BLOCKED.value:
            blocked.append((tasks[event.task_id].assignee_id, event.at))
    facts = [_fact(task, answers) for task in tasks.values()]
    return digest.build(facts, now=now, since=since, blocked_answers=blocked, kudos_received=kudos)


def payload_of(result: digest.Digest, teams: Sequence[Team], *, since: datetime, tz: str) -> DigestPayload:
    channels = {team.id: team.channel_id for team in teams}

    def tasks(lines: Sequence[digest.TaskLine]) -> tuple[DigestTaskLine, ...]:
        return tuple(
            DigestTaskLine(
                ref=f"T-{line.number}",
                title=line.title,
                assignee_id=line.assignee_id,
                due=line.due_at,
                reason=line.reason,
            )
            for line in lines[:PAYLOAD_LINES]
        )

    def people(lines: Sequence[digest.PersonLine]) -> tuple[DigestPersonLine, ...]:
        return tuple(DigestPersonLine(user_id=line.user_id, reason=line.reason) for line in lines[:PAYLOAD_LINES])

    return DigestPayload(
        since=since,
        tz=tz,
        overdue=tasks(result.overdue),
        overdue_total=len(result.overdue),
        at_risk=tasks(result.at_risk),
        at_risk_total=len(result.at_risk),
        imbalance=tuple(
            DigestLoadLine(
                user_id=line.user_id,
                team_channel_id=channels.get(line.team_id, ""),
                load=line.load,
                median=line.median,
                reason=line.reason,
            )
            for line in result.imbalance[:PAYLOAD_LINES]
        ),
        imbalance_total=len(result.imbalance),
        support=people(result.support),
        support_total=len(result.support),
        recognise=people(result.recognise),
        recognise_total=len(result.recognise),
    )

"""What a claimed row's message needs at its turn, read in one unit of work for the whole message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bot.domain import worktime
from bot.domain.model import OutboxKind, TaskView
from bot.domain.payloads import OverduePayload, payload_as
from bot.domain.still_true import NOT_WHILE_AWAY, TaskFacts
from bot.domain.worktime import Availability
from bot.scheduler.delivery.rows import ClaimedRow, is_person
from bot.services.availability import AvailabilityReader
from bot.services.read_models import task_view
from storage.uow import UnitOfWork, UnitOfWorkFactory


@dataclass(frozen=True)
class RowContext:
    """What one claimed row's message needs at its turn: its task as it stands now, the facts that say whether
    it is still true, and its reader's working time (for a DM the scheduler sends)."""

    task: TaskView | None
    facts: TaskFacts = TaskFacts()
    reader: Availability | None = None


def read_contexts(uows: UnitOfWorkFactory, rows: Sequence[ClaimedRow], *, now: datetime) -> dict[int, RowContext]:
    """What each row's message needs to know, read in one unit of work for the whole message."""
    found: dict[int, RowContext] = {}
    with uows(read_only=True) as uow:
        people = AvailabilityReader(uow, now=now)
        workspace = rows[0].workspace_id
        tasks = uow.tasks.many_rows(workspace, [r.task_id for r in rows if r.task_id is not None])
        teams: dict[int, Any] = {}
        for row in rows:
            found[row.id] = _context_of(uow, row, now=now, people=people, tasks=tasks, teams=teams)
    return found


def _context_of(
    uow: UnitOfWork,
    row: ClaimedRow,
    *,
    now: datetime,
    people: AvailabilityReader,
    tasks: dict[int, Any],
    teams: dict[int, Any],
) -> RowContext:
    if row.task_id is None:
        reader = None
        if row.kind.is_scheduled_dm and is_person(row.recipient_id):
            reader = people.of(row.workspace_id, row.recipient_id)
        return RowContext(task=None, reader=reader)
    task = tasks.get(row.task_id)
    if task is None:
        return RowContext(task=None, facts=TaskFacts(task_gone=True))
    if task.team_id is not None and task.team_id not in teams:
        teams[task.team_id] = uow.teams.get(row.workspace_id, task.team_id, with_managers=False)
    team = teams.get(task.team_id) if task.team_id is not None else None
    calendar = team.calendar if team else None
    away = False
    if row.kind in NOT_WHILE_AWAY:
        away = any(p.starts_at <= now for p in people.away(row.workspace_id, task.assignee_id) if p.ends_at > now)
    sent_today = overtaken = False
    if row.kind is OutboxKind.OVERDUE and task.due_at is not None:
        assignee = people.of(row.workspace_id, task.assignee_id, team_calendar=calendar)
        latest = worktime.latest_overdue_moment(task.due_at, who=assignee, now=now)
        overdue = payload_as(row.payload, OverduePayload)
        planned, tz = overdue.moment, overdue.tz
        # Old news only once a later day's moment has come: a notice planned outside working hours for an
        # earlier moment and held to the morning is that day's one notice (a moment of the same day has the
        # same key), not overtaken by it.
        overtaken = (
            latest is not None
            and planned is not None
            and latest > planned
            and worktime.local_date(latest, tz=tz) > _notice_day(row.dedupe_key, fallback=planned, tz=tz)
        )
        midnight = worktime.at_local(worktime.local_date(now, tz=tz), time(0, 0), tz=tz)
        sent_today = uow.outbox.was_sent(
            row.workspace_id,
            task_id=task.id,
            kind=OutboxKind.OVERDUE.value,
            recipient_id=row.recipient_id,
            since=midnight,
        )
    reader = None
    if row.kind.is_scheduled_dm and is_person(row.recipient_id):
        reader = people.of(row.workspace_id, row.recipient_id, team_calendar=calendar)
    return RowContext(
        task=task_view(task, team_channel_id=team.channel_id if team else None),
        facts=TaskFacts(
            assignment_seq=task.assignment_seq,
            assignee_away=away,
            overdue_sent_today=sent_today,
            overdue_overtaken=overtaken,
            silent=task.escalated_at is not None,
        ),
        reader=reader,
    )


def _notice_day(dedupe_key: str, *, fallback: datetime, tz: str) -> date:
    """The local day an overdue notice stands for: its key ends `…:<day>:<audience>`."""
    try:
        return date.fromisoformat(dedupe_key.rsplit(":", 2)[-2])
    except (ValueError, IndexError):
        return worktime.local_date(fallback, tz=tz)

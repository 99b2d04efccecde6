"""Data protection: one team's data as a JSON document (`baton export`), and a workspace's data deleted
from every table (`baton purge`), for an operator answering an access or erasure request or an uninstall.

The export is data, not a message: text is exactly as stored (never mrkdwn-escaped), times are aware UTC
ISO-8601, people are Slack user ids. Its layout is versioned by `EXPORT_SCHEMA_VERSION`; a field added
keeps the version, a field renamed or removed bumps it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.errors import BadInput, NotFound
from bot.domain.model import Weekday
from bot.domain.text import task_ref
from storage.models import Kudos, Person, Skill, Task, TaskSeries, Team
from storage.uow import UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)

EXPORT_SCHEMA_VERSION = 1
EXPORT_KIND = "baton.team-export"
HINT_LIMIT = 5  # teams or workspaces named in a "not found" line

_TEAM_NUMBER = re.compile(r"[0-9]{1,9}")  # within a 32-bit integer column on PostgreSQL
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,31}")
_WORKSPACE_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_WHERE_TEAMS_ARE = "a team is a channel where /team setup was run; its id is at the bottom of the channel's About tab"


@dataclass(frozen=True)
class TeamExport:
    """The document to write, and what it holds, for the one-line summary."""

    workspace_id: str
    channel_id: str
    task_count: int
    document: dict[str, Any]


@dataclass(frozen=True)
class PurgeReport:
    """Rows of one workspace per table, in deletion order; `deleted` says whether they are gone."""

    workspace_id: str
    counts: tuple[tuple[str, int], ...]
    left_alone: tuple[str, ...]  # tables with no per-workspace rows (Slack's OAuth states)
    deleted: bool
    hint: str = ""  # when the workspace had no rows: the workspaces there are

    @property
    def total(self) -> int:
        return sum(count for _, count in self.counts)


def export_team(uow_factory: UnitOfWorkFactory, *, team: str, workspace_id: str | None, now: datetime) -> TeamExport:
    """Everything Baton keeps about one team, found by channel id (C…) or number, as one JSON-ready dict."""
    channel_id, team_id = _team_ref(team)
    if workspace_id is not None:
        workspace_id = _workspace_ref(workspace_id)
    with uow_factory(read_only=True) as uow:
        found = _find_team(uow, channel_id=channel_id, team_id=team_id, workspace_id=workspace_id)
        return _export(uow, found, now=now)


def purge_workspace(uow_factory: UnitOfWorkFactory, workspace_id: str, *, delete: bool) -> PurgeReport:
    """Count (`delete=False`) or delete, in one transaction, every row of the workspace in every table."""
    workspace_id = _workspace_ref(workspace_id)
    with uow_factory(read_only=not delete) as uow:
        tables, left_alone = uow.workspace_data.rows_of(workspace_id)
        if delete:
            uow.workspace_data.lock_workspace(workspace_id)
            counts = uow.workspace_data.delete_rows(tables)
        else:
            counts = uow.workspace_data.count_rows(tables)
        report = PurgeReport(workspace_id, tuple(counts), tuple(left_alone), deleted=delete)
        if report.total == 0:
            known, total = uow.workspace_data.known_workspaces(limit=HINT_LIMIT)
            hint = _listing("workspaces here", known, total=total)
            return PurgeReport(workspace_id, report.counts, report.left_alone, deleted=False, hint=hint)
        if delete:
            uow.commit()
            logger.info("workspace.purged", extra={"workspace_id": workspace_id, "rows": report.total})
    return report


def _team_ref(text: str) -> tuple[str | None, int | None]:
    ref = text.strip().removeprefix("#")
    if _TEAM_NUMBER.fullmatch(ref):
        return None, int(ref)
    if _CHANNEL_ID.fullmatch(ref):
        return ref, None
    raise BadInput(f"--team takes a team's channel id (C…, e.g. C0123ABCD) or its number, not {text!r}")


def _workspace_ref(text: str) -> str:
    ref = text.strip()
    if not _WORKSPACE_ID.fullmatch(ref):
        raise BadInput(f"--workspace takes a Slack workspace id (T…, e.g. T0123ABCD), not {text!r}")
    return ref


def _find_team(uow: UnitOfWork, *, channel_id: str | None, team_id: int | None, workspace_id: str | None) -> Team:
    if workspace_id is not None and not uow.workspace_data.exists(workspace_id):
        known, total = uow.workspace_data.known_workspaces(limit=HINT_LIMIT)
        raise NotFound(
            f"no workspace {workspace_id} in this database; {_listing('workspaces here', known, total=total)}"
        )
    teams = uow.workspace_data.teams_matching(channel_id=channel_id, team_id=team_id, workspace_id=workspace_id)
    if len(teams) == 1:
        return teams[0]
    if len(teams) > 1:
        spaces = ", ".join(t.workspace_id for t in teams)
        raise BadInput(
            f"channel {channel_id} is a team in {len(teams)} workspaces ({spaces}); "
            f"pass --workspace with one of them, e.g. --workspace {teams[0].workspace_id}"
        )
    what = f"channel {channel_id}" if channel_id else f"number {team_id}"
    where = f"workspace {workspace_id}" if workspace_id else "any workspace"
    some, total = uow.workspace_data.some_teams(workspace_id=workspace_id, limit=HINT_LIMIT)
    named = [f"{t.channel_id} (#{t.id}{'' if workspace_id else ', ' + t.workspace_id})" for t in some]
    teams_here = _listing("teams here", named, total=total)
    raise NotFound(f"no team with {what} in {where}; {teams_here}; {_WHERE_TEAMS_ARE}")


def _listing(label: str, names: list[str], *, total: int) -> str:
    if total == 0:
        return f"{label}: none"
    shown = names[:HINT_LIMIT]
    more = f" and {total - len(shown)} more" if total > len(shown) else ""
    return f"{label}: {', '.join(shown)}{more}"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _export(uow: UnitOfWork, team: Team, *, now: datetime) -> TeamExport:
    found, workspace_id = uow.workspace_data, team.workspace_id
    tasks = found.team_tasks(workspace_id, team.id)
    kudos = found.team_kudos(workspace_id, team.id)
    skills = found.team_skills(workspace_id, team.id)
    series = found.team_series(workspace_id, team.id)
    mentioned = _people_mentioned(team, tasks, kudos, skills, series)
    people = found.people_named(workspace_id, mentioned)
    document: dict[str, Any] = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "kind": EXPORT_KIND,
        "exported_at": _iso(now),
        "workspace_id": workspace_id,
        "team": _team(team),
        "tasks": [_task(t) for t in tasks],
        "kudos": [_kudos(k) for k in kudos],
        "skills": _skills(skills),
        "series": [_series(s) for s in series],
        "people": [_person(p) for p in people],
    }
    return TeamExport(workspace_id, team.channel_id, len(tasks), document)


def _team(team: Team) -> dict[str, Any]:
    days = [int(d) for d in team.checkin_days.split(",") if d != ""]
    weekdays = list(Weekday)
    return {
        "id": team.id,
        "channel_id": team.channel_id,
        "time_zone": team.tz,
        "managers": sorted(m.user_id for m in team.managers),
        "checkins": {
            "off": not days,
            "days": [weekdays[d].value for d in sorted(days)],
            "time": team.checkin_time,  # wall time in each assignee's own zone
        },
        "created_by": team.created_by,
        "created_at": _iso(team.created_at),
        "last_recognition_at": _iso(team.last_recognition_at),
    }


def _task(task: Task) -> dict[str, Any]:
    return {
        "number": task_ref(task.number),
        "title": task.title,
        "details": task.details,
        "assignee_id": task.assignee_id,
        "delegator_id": task.delegator_id,
        "status": task.status,
        "priority": task.priority,
        "due_at": _iso(task.due_at),
        "created_at": _iso(task.created_at),
        "updated_at": _iso(task.updated_at),
        "accepted_at": _iso(task.accepted_at),
        "done_at": _iso(task.done_at),
        "cancelled_at": _iso(task.cancelled_at),
        "decline_reason": task.decline_reason,
        "created_channel_id": task.created_channel_id,
        "source_link": task.source_link,
        "series_id": task.series_id,
        "history": [
            {"at": _iso(e.at), "actor_id": e.actor_id, "action": e.action, "detail": e.detail} for e in task.history
        ],
    }


def _kudos(kudos: Kudos) -> dict[str, Any]:
    return {
        "giver_id": kudos.giver_id,
        "recipient_ids": [r.user_id for r in kudos.recipients],
        "channel_id": kudos.channel_id,
        "message": kudos.message,
        "created_at": _iso(kudos.created_at),
    }


def _skills(skills: list[Skill]) -> list[dict[str, Any]]:
    by_person: dict[str, list[str]] = {}
    for skill in skills:
        by_person.setdefault(skill.user_id, []).append(skill.skill)
    return [{"user_id": user_id, "skills": names} for user_id, names in by_person.items()]


def _series(series: TaskSeries) -> dict[str, Any]:
    return {
        "id": series.id,
        "title": series.title,
        "assignee_id": series.assignee_id,
        "delegator_id": series.delegator_id,
        "priority": series.priority,
        "rule": series.rule,
        "time": series.at,
        "time_zone": series.tz,
        "active": series.active,
        "created_at": _iso(series.created_at),
        "stopped_at": _iso(series.stopped_at),
        "last_due_at": _iso(series.last_due_at),
        "next_due_at": _iso(series.next_due_at),
    }


def _person(person: Person) -> dict[str, Any]:
    return {"user_id": person.user_id, "display_name": person.display_name, "time_zone": person.tz}


def _people_mentioned(
    team: Team, tasks: Iterable[Task], kudos: Iterable[Kudos], skills: Iterable[Skill], series: Iterable[TaskSeries]
) -> list[str]:
    ids = {team.created_by, *(m.user_id for m in team.managers)}
    for task in tasks:
        ids.update((task.assignee_id, task.delegator_id, *(e.actor_id for e in task.history)))
    for k in kudos:
        ids.update((k.giver_id, *(r.user_id for r in k.recipients)))
    ids.update(s.user_id for s in skills)
    for s in series:
        ids.update((s.assignee_id, s.delegator_id))
    return sorted(ids)

"""Narrow, workspace-scoped access to Baton's tables; every method takes `workspace_id` first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, delete, false, func, or_, select, text, true, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, lazyload, selectinload

from bot.domain.model import OutboxKind, OutboxState, TaskStatus
from storage.models import (
    Kudos,
    KudosRecipient,
    OutboxMessage,
    Person,
    ProcessedEvent,
    Skill,
    Task,
    TaskEvent,
    TaskSeries,
    Team,
    TeamManager,
    TimeOff,
    Workspace,
)

# One claimer per conversation at a time on PostgreSQL (OutboxRepository.claim_conversations).
_TRY_CONVERSATION_LOCKS = text(
    "SELECT k FROM unnest(CAST(:keys AS text[])) AS k WHERE pg_try_advisory_xact_lock(hashtextextended(k, 0)) "
    "LIMIT :limit"
)
_BUNDLED_KINDS = tuple(kind.value for kind in OutboxKind if kind.is_bundled)
CANDIDATES_PER_CONVERSATION = 4  # a claim of N conversations looks at up to 4N due ones
UNSETTLED_SCAN = 20_000  # tasks still to plan looked at per claim (a backlog's first ones)

ACTIVE = (TaskStatus.OPEN.value, TaskStatus.ACCEPTED.value)
NOT_FINAL = (TaskStatus.OPEN.value, TaskStatus.ACCEPTED.value, TaskStatus.DECLINED.value)


def _insert_ignoring_conflicts(session: Session, model: type[Any], values: dict[str, Any]) -> Any | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING <primary key>: the new key, or None on a conflict.

    RETURNING rather than rowcount, which psycopg reports as -1 for this statement.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(model).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(model).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    key = list(model.__table__.primary_key.columns)[0]
    return session.execute(stmt.returning(key)).scalar_one_or_none()


class WorkspaceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def ensure(self, workspace_id: str, *, now: datetime) -> None:
        """Create the workspace row on first contact; safe when two requests race. Someone using Baton
        there again means it is installed again, so sending resumes."""
        workspace = self._session.get(Workspace, workspace_id)
        if workspace is None:
            _insert_ignoring_conflicts(
                self._session, Workspace, {"id": workspace_id, "last_task_number": 0, "created_at": now}
            )
        elif workspace.uninstalled_at is not None:
            workspace.uninstalled_at = None

    def mark_uninstalled(self, workspace_id: str, *, now: datetime) -> None:
        """Stop sending there (app_uninstalled, tokens_revoked) until it is installed or used again."""
        self.ensure(workspace_id, now=now)
        self._session.execute(update(Workspace).where(Workspace.id == workspace_id).values(uninstalled_at=now))

    def mark_installed(self, workspace_id: str, *, now: datetime) -> None:
        self.ensure(workspace_id, now=now)
        self._session.execute(update(Workspace).where(Workspace.id == workspace_id).values(uninstalled_at=None))

    def uninstalled(self) -> set[str]:
        """The workspaces nothing may be sent to (a handful at most, read once per delivery batch)."""
        return set(self._session.scalars(select(Workspace.id).where(Workspace.uninstalled_at.is_not(None))))

    def next_task_number(self, workspace_id: str) -> int:
        """Allocate `T-<n>` with one atomic UPDATE … RETURNING, so concurrent creators never collide."""
        stmt = (
            update(Workspace)
            .where(Workspace.id == workspace_id)
            .values(last_task_number=Workspace.last_task_number + 1)
            .returning(Workspace.last_task_number)
        )
        number = self._session.execute(stmt).scalar_one()
        return int(number)


# The people columns users.info answers for; the rest (working hours, holiday calendar) are Baton's own.
_FROM_SLACK = frozenset(
    {
        "display_name",
        "tz",
        "is_admin",
        "is_bot",
        "is_deleted",
        "fetched_at",
        "status_emoji",
        "status_text",
        "status_expiration",
    }
)


class PersonRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, workspace_id: str, user_id: str) -> Person | None:
        return self._session.get(Person, (workspace_id, user_id))

    def save(self, person: Person) -> None:
        """Insert or refresh the cached row in one statement: two requests meeting the same new person
        at once (several replicas) must not both INSERT."""
        values = {
            c.key: getattr(person, c.key)
            for c in Person.__table__.columns
            if getattr(person, c.key) is not None or c.default is None  # unset: the column's default
        }
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(Person).values(**values)
        # A refresh from Slack never undoes what the person set in Baton (their hours, their calendar).
        changed = {k: stmt.excluded[k] for k in values if k in _FROM_SLACK}
        self._session.execute(stmt.on_conflict_do_update(index_elements=["workspace_id", "user_id"], set_=changed))

    def remember_dm(self, workspace_id: str, user_id: str, channel_id: str) -> None:
        """Keep Baton's DM channel with someone, as Slack named it answering a post to their user id."""
        self._session.execute(
            update(Person)
            .where(
                Person.workspace_id == workspace_id,
                Person.user_id == user_id,
                or_(Person.dm_channel_id.is_(None), Person.dm_channel_id != channel_id),
            )
            .values(dm_channel_id=channel_id)
        )

    def dm_channel(self, workspace_id: str, user_id: str) -> str | None:
        found = self._session.scalar(
            select(Person.dm_channel_id).where(Person.workspace_id == workspace_id, Person.user_id == user_id)
        )
        return str(found) if found else None

    def stale(self, *, fetched_before: datetime, limit: int) -> list[Person]:
        """People last read from Slack before a moment, oldest first, across workspaces (a pass refreshes them)."""
        stmt = select(Person).where(Person.fetched_at < fetched_before).order_by(Person.fetched_at).limit(limit)
        return list(self._session.scalars(stmt))

    def many(self, workspace_id: str, user_ids: Sequence[str]) -> list[Person]:
        """The cached rows of these people (those never looked up are missing)."""
        if not user_ids:
            return []
        stmt = select(Person).where(Person.workspace_id == workspace_id, Person.user_id.in_(user_ids))
        return list(self._session.scalars(stmt))


class SkillRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def of_teams(self, workspace_id: str, team_ids: Sequence[int], *, limit: int) -> list[Skill]:
        """The teams' skills by person, each person's in the order they were typed."""
        if not team_ids:
            return []
        stmt = (
            select(Skill)
            .where(Skill.workspace_id == workspace_id, Skill.team_id.in_(team_ids))
            .order_by(Skill.user_id, Skill.team_id, Skill.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def replace(self, workspace_id: str, team_id: int, user_id: str, skills: Sequence[str]) -> None:
        """Make `skills` the person's whole list in the team (none clears it)."""
        self._session.execute(
            delete(Skill).where(Skill.workspace_id == workspace_id, Skill.team_id == team_id, Skill.user_id == user_id)
        )
        for skill in skills:
            _insert_ignoring_conflicts(
                self._session,
                Skill,
                {"workspace_id": workspace_id, "team_id": team_id, "user_id": user_id, "skill": skill},
            )


class TeamRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_channel(self, workspace_id: str, channel_id: str) -> Team | None:
        stmt = select(Team).where(Team.workspace_id == workspace_id, Team.channel_id == channel_id)
        return self._session.scalars(stmt).first()

    def get(self, workspace_id: str, team_id: int, *, with_managers: bool = True) -> Team | None:
        """`with_managers=False` skips the eager (selectin) load of `managers`; they load on first use."""
        options = [] if with_managers else [lazyload(Team.managers)]
        team = self._session.get(Team, team_id, options=options)
        return team if team is not None and team.workspace_id == workspace_id else None

    def add(self, team: Team) -> None:
        self._session.add(team)
        self._session.flush()

    def add_manager(self, team: Team, user_id: str) -> bool:
        if any(m.user_id == user_id for m in team.managers):
            return False
        team.managers.append(TeamManager(user_id=user_id))
        return True

    def managed_by(self, workspace_id: str, user_id: str) -> list[Team]:
        stmt = (
            select(Team)
            .join(TeamManager)
            .where(Team.workspace_id == workspace_id, TeamManager.user_id == user_id)
            .order_by(Team.id)
        )
        return list(self._session.scalars(stmt))

    def due_for_recognition(self, *, now: datetime, limit: int) -> list[Team]:
        """Teams whose weekly recognition is due, across workspaces (the scheduler's scan)."""
        stmt = (
            select(Team)
            .where(Team.next_recognition_at.is_not(None), Team.next_recognition_at <= now)
            .order_by(Team.next_recognition_at)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=Team)
        return list(self._session.scalars(stmt))

    def due_for_digest(self, *, now: datetime, limit: int) -> list[TeamManager]:
        """Managers whose weekly digest is due, or not yet scheduled, across workspaces (the
        scheduler's scan; uses ix_team_managers_next_digest_at)."""
        stmt = (
            select(TeamManager)
            .where(or_(TeamManager.next_digest_at.is_(None), TeamManager.next_digest_at <= now))
            .order_by(TeamManager.next_digest_at)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=TeamManager)
        return list(self._session.scalars(stmt))

    def of_people_tasks(self, workspace_id: str, user_id: str, *, limit: int = 10) -> list[Team]:
        """The teams of the open tasks someone is assigned, and of those they manage; most tasks first."""
        tasks = (
            select(Task.team_id, func.count().label("n"))
            .where(Task.workspace_id == workspace_id, Task.assignee_id == user_id, Task.status.in_(ACTIVE))
            .group_by(Task.team_id)
            .subquery()
        )
        stmt = (
            select(Team)
            .outerjoin(tasks, tasks.c.team_id == Team.id)
            .outerjoin(TeamManager, and_(TeamManager.team_id == Team.id, TeamManager.user_id == user_id))
            .where(Team.workspace_id == workspace_id, or_(tasks.c.n.is_not(None), TeamManager.user_id.is_not(None)))
            .order_by(func.coalesce(tasks.c.n, 0).desc(), Team.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt).unique())

    def of_workspace(self, workspace_id: str, *, limit: int = 100) -> list[Team]:
        stmt = select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id).limit(limit)
        return list(self._session.scalars(stmt))


class TaskRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, task: Task) -> None:
        self._session.add(task)
        self._session.flush()

    def many(self, workspace_id: str, task_ids: Sequence[int]) -> dict[int, Task]:
        """These tasks by id (those that no longer exist are missing)."""
        if not task_ids:
            return {}
        stmt = select(Task).where(Task.workspace_id == workspace_id, Task.id.in_(set(task_ids)))
        return {task.id: task for task in self._session.scalars(stmt)}

    def get(self, workspace_id: str, task_id: int, *, for_update: bool = False) -> Task | None:
        stmt = select(Task).where(Task.workspace_id == workspace_id, Task.id == task_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self._session.scalars(stmt).first()

    def by_number(self, workspace_id: str, number: int, *, for_update: bool = False) -> Task | None:
        stmt = select(Task).where(Task.workspace_id == workspace_id, Task.number == number)
        if for_update:
            stmt = stmt.with_for_update()
        return self._session.scalars(stmt).first()

    def with_history(self, workspace_id: str, task_id: int) -> Task | None:
        stmt = (
            select(Task)
            .where(Task.workspace_id == workspace_id, Task.id == task_id)
            .options(selectinload(Task.history))
        )
        return self._session.scalars(stmt).first()

    def record(self, task: Task, *, at: datetime, actor_id: str, action: str, detail: str = "") -> None:
        """Append a history line; the task's history is kept whole, never rewritten."""
        self._session.add(TaskEvent(task_id=task.id, at=at, actor_id=actor_id, action=action, detail=detail))

    def _soonest_first(self, stmt: Select[Any], limit: int) -> list[Task]:
        # NULL deadlines last on both databases, then oldest first.
        ordered = stmt.order_by(Task.due_at.is_(None), Task.due_at, Task.number).limit(limit)
        return list(self._session.scalars(ordered))

    def assigned_to(self, workspace_id: str, user_id: str, *, limit: int) -> list[Task]:
        stmt = select(Task).where(
            Task.workspace_id == workspace_id, Task.assignee_id == user_id, Task.status.in_(NOT_FINAL)
        )
        return self._soonest_first(stmt, limit)

    def delegated_by(self, workspace_id: str, user_id: str, *, limit: int) -> list[Task]:
        stmt = select(Task).where(
            Task.workspace_id == workspace_id, Task.delegator_id == user_id, Task.status.in_(NOT_FINAL)
        )
        return self._soonest_first(stmt, limit)

    def of_teams(self, workspace_id: str, team_ids: Sequence[int], *, limit: int) -> list[Task]:
        if not team_ids:
            return []
        stmt = select(Task).where(
            Task.workspace_id == workspace_id, Task.team_id.in_(team_ids), Task.status.in_(NOT_FINAL)
        )
        return self._soonest_first(stmt, limit)

    def overdue(
        self, workspace_id: str, *, now: datetime, user_id: str, team_ids: Sequence[int], limit: int
    ) -> list[Task]:
        """Past-due tasks the user is assigned or delegated, plus all of the given teams'."""
        involved = or_(Task.assignee_id == user_id, Task.delegator_id == user_id)
        if team_ids:
            involved = or_(involved, Task.team_id.in_(team_ids))
        stmt = select(Task).where(
            Task.workspace_id == workspace_id,
            Task.status.in_(NOT_FINAL),
            Task.due_at.is_not(None),
            Task.due_at <= now,
            involved,
        )
        return self._soonest_first(stmt, limit)

    def due_for_planning(self, *, now: datetime, limit: int) -> list[Task]:
        """Active tasks whose next follow-up moment has come, across workspaces (the scheduler's
        scan; uses the partial index ix_tasks_next_check_at). Other planners skip the rows locked here."""
        stmt = (
            select(Task)
            .where(Task.status.in_(ACTIVE), Task.next_check_at.is_not(None), Task.next_check_at <= now)
            .order_by(Task.next_check_at)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self._session.scalars(stmt))

    def done_in_team(self, workspace_id: str, team_id: int, *, after: datetime, until: datetime) -> list[Task]:
        stmt = (
            select(Task)
            .where(
                Task.workspace_id == workspace_id,
                Task.team_id == team_id,
                Task.status == TaskStatus.DONE.value,
                # [after, until): a recognition's window starts where the last one ended, so a task done at
                # that very moment (a clock standing still, or a commit racing the pass) is counted once.
                Task.done_at >= after,
                Task.done_at < until,
            )
            .order_by(Task.done_at)
        )
        return list(self._session.scalars(stmt))

    def recent_done_by(self, workspace_id: str, team_id: int, user_id: str, *, limit: int) -> list[Task]:
        """A person's latest finished tasks in a team, newest first (for on-time streaks)."""
        stmt = (
            select(Task)
            .where(
                Task.workspace_id == workspace_id,
                Task.team_id == team_id,
                Task.assignee_id == user_id,
                Task.status == TaskStatus.DONE.value,
            )
            .order_by(Task.done_at.desc())
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def active_in_team(self, workspace_id: str, team_id: int, *, limit: int) -> list[Task]:
        """A team's open and accepted tasks (`/team report`'s load; uses ix_tasks_workspace_team)."""
        stmt = (
            select(Task)
            .where(Task.workspace_id == workspace_id, Task.team_id == team_id, Task.status.in_(ACTIVE))
            .order_by(Task.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def finished_in_team(
        self, workspace_id: str, team_id: int, *, after: datetime, until: datetime, limit: int
    ) -> list[Task]:
        """A team's tasks done in (after, until], newest first (uses ix_tasks_workspace_team_done)."""
        stmt = (
            select(Task)
            .where(
                Task.workspace_id == workspace_id,
                Task.team_id == team_id,
                Task.done_at > after,
                Task.done_at <= until,
                Task.status == TaskStatus.DONE.value,
            )
            .order_by(Task.done_at.desc())
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def events_of(
        self, workspace_id: str, task_ids: Sequence[int], *, actions: Sequence[str], after: datetime, limit: int
    ) -> list[TaskEvent]:
        """History lines of these tasks since a moment, oldest first (uses ix_task_events_task_id)."""
        if not task_ids:
            return []
        stmt = (
            select(TaskEvent)
            .join(Task, Task.id == TaskEvent.task_id)
            .where(
                Task.workspace_id == workspace_id,
                TaskEvent.task_id.in_(task_ids),
                TaskEvent.action.in_(actions),
                TaskEvent.at > after,
            )
            .order_by(TaskEvent.at, TaskEvent.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def replan_people(self, workspace_id: str, user_ids: Sequence[str], *, now: datetime) -> None:
        """Ask the planner to look again at these people's active tasks (their time changed). Check-ins
        skipped "until the end of an absence" that has ended early (a status cleared) come back from now."""
        if not user_ids:
            return
        self._session.execute(
            update(Task)
            .where(Task.workspace_id == workspace_id, Task.assignee_id.in_(user_ids), Task.status.in_(ACTIVE))
            .values(
                next_check_at=now,
                checkin_after=case((Task.checkin_after > now, now), else_=Task.checkin_after),
            )
        )

    def replan_team(self, workspace_id: str, team_id: int, *, now: datetime) -> None:
        """Ask the planner to look again at a team's active tasks (its schedule changed)."""
        self._session.execute(
            update(Task)
            .where(Task.workspace_id == workspace_id, Task.team_id == team_id, Task.status.in_(ACTIVE))
            .values(next_check_at=now)
        )

    def open_counts(self, workspace_id: str, *, user_id: str, team_ids: Sequence[int]) -> tuple[int, int, int]:
        """How many open tasks a person has assigned, has delegated, and their teams have."""

        def count(*where: Any) -> int:
            stmt = (
                select(func.count())
                .select_from(Task)
                .where(Task.workspace_id == workspace_id, Task.status.in_(NOT_FINAL), *where)
            )
            return int(self._session.execute(stmt).scalar_one())

        teams = count(Task.team_id.in_(team_ids)) if team_ids else 0
        return count(Task.assignee_id == user_id), count(Task.delegator_id == user_id), teams

    def recent_assignees(self, workspace_id: str, team_ids: Sequence[int], *, limit: int) -> list[str]:
        """Who the teams' tasks went to, most recently given one first."""
        if not team_ids:
            return []
        latest = func.max(Task.created_at)
        stmt = (
            select(Task.assignee_id)
            .where(Task.workspace_id == workspace_id, Task.team_id.in_(team_ids))
            .group_by(Task.assignee_id)
            .order_by(latest.desc(), Task.assignee_id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def active_priorities(self, workspace_id: str, user_ids: Sequence[str]) -> list[tuple[str, str, int]]:
        """(assignee, priority, how many) of the people's open and accepted tasks, in any team."""
        if not user_ids:
            return []
        stmt = (
            select(Task.assignee_id, Task.priority, func.count())
            .where(Task.workspace_id == workspace_id, Task.assignee_id.in_(user_ids), Task.status.in_(ACTIVE))
            .group_by(Task.assignee_id, Task.priority)
        )
        return [(str(who), str(priority), int(count)) for who, priority, count in self._session.execute(stmt)]

    def recent_deadline_finishes(
        self, workspace_id: str, user_ids: Sequence[str], *, per_person: int
    ) -> list[tuple[str, datetime, datetime]]:
        """(assignee, done_at, due_at) of each person's latest `per_person` finished tasks that had a
        due date, newest first per person: one query, with a window function (SQLite 3.25+, PostgreSQL)."""
        if not user_ids:
            return []
        newest = (
            func.row_number()
            .over(partition_by=Task.assignee_id, order_by=(Task.done_at.desc(), Task.id.desc()))
            .label("newest")
        )
        ranked = (
            select(Task.assignee_id, Task.done_at, Task.due_at, Task.id, newest)
            .where(
                Task.workspace_id == workspace_id,
                Task.assignee_id.in_(user_ids),
                Task.status == TaskStatus.DONE.value,
                Task.due_at.is_not(None),
                Task.done_at.is_not(None),
            )
            .subquery()
        )
        stmt = (
            select(ranked.c.assignee_id, ranked.c.done_at, ranked.c.due_at)
            .where(ranked.c.newest <= per_person)
            .order_by(ranked.c.assignee_id, ranked.c.newest)
        )
        return [(str(who), done_at, due_at) for who, done_at, due_at in self._session.execute(stmt)]

    def count_open(self, workspace_id: str) -> int:
        stmt = (
            select(func.count()).select_from(Task).where(Task.workspace_id == workspace_id, Task.status.in_(NOT_FINAL))
        )
        return int(self._session.execute(stmt).scalar_one())


class KudosRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, kudos: Kudos, recipient_ids: Sequence[str]) -> None:
        kudos.recipients = [KudosRecipient(user_id=u, position=i) for i, u in enumerate(recipient_ids)]
        self._session.add(kudos)
        self._session.flush()

    def since(self, workspace_id: str, *, team_id: int, since: datetime, until: datetime) -> list[Kudos]:
        stmt = (
            select(Kudos)
            .where(
                Kudos.workspace_id == workspace_id,
                Kudos.team_id == team_id,
                Kudos.created_at >= since,  # [since, until), like done_in_team
                Kudos.created_at < until,
            )
            .order_by(Kudos.id)
        )
        return list(self._session.scalars(stmt))

    def received_in_team(
        self, workspace_id: str, *, team_id: int, after: datetime, until: datetime, limit: int
    ) -> list[tuple[str, datetime]]:
        """(recipient, when) for each person thanked in a team's kudos in (after, until]
        (uses ix_kudos_workspace_team_created)."""
        stmt = (
            select(KudosRecipient.user_id, Kudos.created_at)
            .join(Kudos, Kudos.id == KudosRecipient.kudos_id)
            .where(
                Kudos.workspace_id == workspace_id,
                Kudos.team_id == team_id,
                Kudos.created_at > after,
                Kudos.created_at <= until,
            )
            .order_by(Kudos.created_at.desc(), KudosRecipient.kudos_id, KudosRecipient.position)
            .limit(limit)
        )
        return [(user_id, created_at) for user_id, created_at in self._session.execute(stmt)]


def _due(now: datetime) -> Any:
    """Rows to send: pending and due, or sending with a lease that ran out (both read `not_before <= now`)."""
    return and_(
        OutboxMessage.state.in_((OutboxState.PENDING.value, OutboxState.SENDING.value)),
        OutboxMessage.not_before <= now,
    )


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        workspace_id: str,
        *,
        dedupe_key: str,
        kind: str,
        recipient_id: str,
        now: datetime,
        not_before: datetime | None = None,
        task_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int | None:
        """Queue a message once: a second add with the same dedupe key writes nothing (None)."""
        values = {
            "workspace_id": workspace_id,
            "dedupe_key": dedupe_key,
            "kind": kind,
            "task_id": task_id,
            "recipient_id": recipient_id,
            "payload": payload or {},
            "state": OutboxState.PENDING.value,
            "attempts": 0,
            "not_before": not_before or now,
            "created_at": now,
        }
        new_id = _insert_ignoring_conflicts(self._session, OutboxMessage, values)
        return int(new_id) if new_id is not None else None

    def claim(
        self,
        *,
        now: datetime,
        limit: int,
        lease: timedelta,
        ids: Sequence[int] | None = None,
    ) -> list[OutboxMessage]:
        """Take due rows for delivery with a lease; on PostgreSQL other claimers skip them.

        A row is due when it is pending and its `not_before` has come, or when it is `sending`
        with an expired lease (its deliverer died mid-send). A claimed row's `not_before` is its lease's
        end, so both read `not_before <= now`: one ordered range of the partial index ix_outbox_due
        instead of sorting every due row. SQLite has one writer at a time (the engine begins writers
        IMMEDIATE), so the same statement without SKIP LOCKED is safe there.
        """
        due = _due(now)
        chosen = select(OutboxMessage.id).where(due)
        if ids is not None:
            chosen = chosen.where(OutboxMessage.id.in_(ids))
        chosen = chosen.order_by(OutboxMessage.not_before, OutboxMessage.id).limit(limit)
        if self._session.get_bind().dialect.name == "postgresql":
            chosen = chosen.with_for_update(skip_locked=True)
        return self._lease(chosen, now=now, lease=lease)

    def _lease(self, chosen: Select[Any], *, now: datetime, lease: timedelta) -> list[OutboxMessage]:
        """Set the chosen rows to `sending` with a lease and return them, in one statement (a select then an
        UPDATE per row took three times as long for 500 rows). The lease's end is also when the row is due
        again, so a row whose deliverer died is taken up by the same scan as pending ones. A claim is not an
        attempt: `renew_leases`, just before the row is sent, counts it."""
        until = now + lease
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(chosen.scalar_subquery()))
            .values(
                state=OutboxState.SENDING.value,
                lease_until=until,
                not_before=until,
            )
            .returning(OutboxMessage)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        rows = list(self._session.scalars(stmt))
        rows.sort(key=lambda row: row.id)  # RETURNING promises no order; ids follow creation
        return rows

    def claim_conversations(
        self, *, now: datetime, limit: int, lease: timedelta, per_conversation: int
    ) -> list[OutboxMessage]:
        """Take whole conversations: every due row (up to `per_conversation`) of the `limit` conversations
        whose rows fell due first, with a lease, so one deliverer sees everything a person is owed at once
        and can send it as one message (CONTRACT: one DM per person per pass).

        On PostgreSQL a conversation is taken by one claimer at a time: a transaction-scoped advisory lock
        per (workspace, recipient) is tried, and conversations another claimer is taking are skipped, so
        two replicas never split one person's rows into two messages. SQLite has one writer at a time.
        """
        due = _due(now)
        first_due = func.min(OutboxMessage.not_before)
        # More candidates than `limit`: those another claimer holds, or whose person is still being planned
        # for, are passed over for the next ones rather than ending the claim short.
        has_other = func.max(case((OutboxMessage.kind.in_(_BUNDLED_KINDS), 0), else_=1))
        chosen = (
            select(OutboxMessage.workspace_id, OutboxMessage.recipient_id, has_other)
            .where(due)
            .group_by(OutboxMessage.workspace_id, OutboxMessage.recipient_id)
            .order_by(first_due, OutboxMessage.workspace_id, OutboxMessage.recipient_id)
            .limit(limit * CANDIDATES_PER_CONVERSATION)
        )
        candidates = [(str(ws), str(to), bool(other)) for ws, to, other in self._session.execute(chosen)]
        unsettled = self._still_planned_for({ws for ws, _, _ in candidates}, now=now)
        # A person still being planned for only has what is not bundled to take now (an assignment DM).
        conversations = [(ws, to) for ws, to, other in candidates if other or (ws, to) not in unsettled]
        postgres = self._session.get_bind().dialect.name == "postgresql"
        if postgres:
            keys = [f"{ws}/{to}" for ws, to in conversations]
            # hashtextextended: a 64-bit key per conversation; xact locks end with the claim's transaction.
            # unnest yields the keys in order and LIMIT stops the scan: locks are tried one at a time until
            # `limit` conversations are ours, those held elsewhere skipped.
            ours: set[str] = set()
            if keys:
                ours = {
                    str(k) for (k,) in self._session.execute(_TRY_CONVERSATION_LOCKS, {"keys": keys, "limit": limit})
                }
            conversations = [(ws, to) for ws, to in conversations if f"{ws}/{to}" in ours]
        else:
            conversations = conversations[:limit]
        if not conversations:
            return []
        # A person still being planned for gets only what is not bundled (an assignment DM, a notice) now; the
        # scheduler's messages wait for the plan, to go out together.
        settled = [c for c in conversations if c not in unsettled]
        pending_plan = [c for c in conversations if c in unsettled]
        pair = tuple_(OutboxMessage.workspace_id, OutboxMessage.recipient_id)
        which = or_(
            pair.in_(settled) if settled else false(),
            and_(pair.in_(pending_plan), OutboxMessage.kind.not_in(_BUNDLED_KINDS)) if pending_plan else false(),
        )
        position = (
            func.row_number()
            .over(
                partition_by=(OutboxMessage.workspace_id, OutboxMessage.recipient_id),
                order_by=(OutboxMessage.not_before, OutboxMessage.id),
            )
            .label("position")
        )
        ranked = select(OutboxMessage.id, position).where(due, which).subquery()
        ids = select(ranked.c.id).where(ranked.c.position <= per_conversation)
        rows = select(OutboxMessage.id).where(OutboxMessage.id.in_(ids))
        if postgres:
            rows = rows.with_for_update(skip_locked=True)
        return self._lease(rows, now=now, lease=lease)

    def _still_planned_for(self, workspace_ids: set[str], *, now: datetime) -> set[tuple[str, str]]:
        """The people a planner may still be adding rows for at `now`: those of active tasks whose follow-up
        moment has come but which no committed plan has moved on yet (another replica is planning them, or
        the pass stopped at its batch limit) — their assignee, delegator and team managers. Their messages
        wait until that plan is committed, so a person never gets two messages for one moment."""
        if not workspace_ids:
            return set()
        stmt = (
            select(Task.workspace_id, Task.assignee_id, Task.delegator_id, TeamManager.user_id)
            .outerjoin(TeamManager, TeamManager.team_id == Task.team_id)
            .where(
                Task.next_check_at.is_not(None),
                Task.next_check_at <= now,
                Task.status.in_(ACTIVE),
                Task.workspace_id.in_(workspace_ids),
            )
            .limit(UNSETTLED_SCAN)
        )
        found: set[tuple[str, str]] = set()
        for ws, assignee, delegator, manager in self._session.execute(stmt):
            found.update({(ws, assignee), (ws, delegator)})
            if manager is not None:
                found.add((ws, manager))
        return found

    def get(self, outbox_id: int) -> OutboxMessage | None:
        return self._session.get(OutboxMessage, outbox_id)

    def queued_for(self, workspace_id: str, recipient_id: str, *, limit: int = 50) -> list[OutboxMessage]:
        """Messages queued for someone and not sent yet (many wait for their working time), soonest first."""
        stmt = (
            select(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.state == OutboxState.PENDING.value,
                OutboxMessage.kind != OutboxKind.REFRESH.value,
            )
            .order_by(OutboxMessage.not_before, OutboxMessage.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def recheck_held(self, workspace_id: str, recipient_ids: Sequence[str], *, now: datetime) -> int:
        """Someone's time changed (hours, calendar, status): their DMs held for later are due now, and
        delivery holds them again to their new working time. Rows waiting for a retry keep their wait."""
        if not recipient_ids:
            return 0
        result = self._session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.recipient_id.in_(recipient_ids),
                OutboxMessage.state == OutboxState.PENDING.value,
                OutboxMessage.attempts == 0,
                OutboxMessage.not_before > now,
            )
            .values(not_before=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def many(self, outbox_ids: Sequence[int]) -> list[OutboxMessage]:
        if not outbox_ids:
            return []
        return list(self._session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(outbox_ids))))

    def many_by_id(self, outbox_ids: Sequence[int]) -> dict[int, OutboxMessage]:
        return {row.id: row for row in self.many(outbox_ids)}

    def at_message(self, workspace_id: str, *, channel_id: str, ts: str) -> list[OutboxMessage]:
        """Every row a message Baton sent carries (several for a message about several tasks), in order."""
        stmt = (
            select(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.channel_id == channel_id,
                OutboxMessage.ts == ts,
                OutboxMessage.state == OutboxState.SENT.value,
            )
            .order_by(OutboxMessage.id)
        )
        return list(self._session.scalars(stmt))

    def live_messages_of(
        self, workspace_id: str, task_id: int, *, since: datetime, limit: int
    ) -> list[tuple[str, str]]:
        """(channel, ts) of messages about a task that a change to it makes untrue: its assignment DMs, and
        the reminders and check-ins about it not yet answered (their buttons are live), newest first."""
        stmt = (
            select(OutboxMessage.channel_id, OutboxMessage.ts)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.task_id == task_id,
                OutboxMessage.state == OutboxState.SENT.value,
                or_(
                    OutboxMessage.kind == OutboxKind.ASSIGNMENT.value,
                    and_(
                        OutboxMessage.kind.in_((OutboxKind.REMINDER.value, OutboxKind.CHECKIN.value)),
                        OutboxMessage.answer.is_(None),
                    ),
                ),
                OutboxMessage.sent_at >= since,
                OutboxMessage.ts.is_not(None),
            )
            .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
        return list(dict.fromkeys((str(c), str(t)) for c, t in self._session.execute(stmt)))

    def next_due(self) -> datetime | None:
        """When the next row still to send falls due (pending, or a lease that runs out): ix_outbox_due."""
        stmt = select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.state.in_((OutboxState.PENDING.value, OutboxState.SENDING.value))
        )
        return self._session.scalar(stmt)

    def renew_leases(
        self, outbox_ids: Sequence[int], *, held_until: datetime, now: datetime, until: datetime
    ) -> set[int]:
        """Just before rows claimed together (one lease) are sent: the ids still ours, now held until `until`
        and counted as tried (`attempts`, `first_tried_at`). Rows a dead deliverer claimed but never got to
        keep their count, so whoever takes them over knows no message of theirs can be in Slack already."""
        if not outbox_ids:
            return set()
        stmt = (
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(outbox_ids),
                OutboxMessage.state == OutboxState.SENDING.value,
                OutboxMessage.lease_until == held_until,
            )
            .values(
                lease_until=until,
                not_before=until,
                attempts=OutboxMessage.attempts + 1,
                first_tried_at=func.coalesce(OutboxMessage.first_tried_at, now),
            )
            .returning(OutboxMessage.id)
        )
        return {int(i) for i in self._session.scalars(stmt)}

    def last_ts_before(self, workspace_id: str, *, channel_id: str, before: datetime) -> str | None:
        """The ts (Slack's clock) of the latest message Baton knew it had sent in a conversation before a
        moment (Baton's clock): where a look for a message whose answer was lost may start."""
        stmt = select(func.max(OutboxMessage.ts)).where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.ts.is_not(None),
            OutboxMessage.ts != "",
            OutboxMessage.sent_at < before,
        )
        found = self._session.scalar(stmt)
        return str(found) if found else None

    def first_ts_after(self, workspace_id: str, *, channel_id: str, after: datetime) -> str | None:
        """The ts of the first message Baton knows it sent in a conversation after a moment: with
        `last_ts_before`, the window a message whose answer was lost must lie in."""
        stmt = select(func.min(OutboxMessage.ts)).where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.state == OutboxState.SENT.value,
            OutboxMessage.ts.is_not(None),
            OutboxMessage.ts != "",
            OutboxMessage.sent_at > after,
        )
        found = self._session.scalar(stmt)
        return str(found) if found else None

    def was_sent(self, workspace_id: str, *, task_id: int, kind: str, recipient_id: str, since: datetime) -> bool:
        """Whether a message of this kind about the task reached this person at or after `since`."""
        stmt = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.task_id == task_id,
                OutboxMessage.kind == kind,
                OutboxMessage.recipient_id == recipient_id,
                OutboxMessage.state == OutboxState.SENT.value,
                OutboxMessage.sent_at >= since,
            )
            .limit(1)
        )
        return self._session.scalars(stmt).first() is not None

    def skip_unsent(self, workspace_id: str, *, reason: str) -> int:
        """Give up every message not yet sent to a workspace (it uninstalled Baton); returns how many."""
        result = self._session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.state.in_((OutboxState.PENDING.value, OutboxState.SENDING.value)),
            )
            .values(state=OutboxState.SKIPPED.value, last_error=reason, lease_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def find_sent(
        self, workspace_id: str, *, channel_id: str, ts: str, kind: str | None = None
    ) -> OutboxMessage | None:
        """The message Baton sent at (channel, ts): how a reaction finds its check-in."""
        stmt = select(OutboxMessage).where(
            OutboxMessage.workspace_id == workspace_id,
            OutboxMessage.channel_id == channel_id,
            OutboxMessage.ts == ts,
        )
        if kind is not None:
            stmt = stmt.where(OutboxMessage.kind == kind)
        return self._session.scalars(stmt).first()

    def by_state(self) -> list[tuple[str, int, datetime | None]]:
        """Each state with its number of rows and its earliest `not_before`: one grouped query
        (covered by ix_outbox_state_not_before)."""
        stmt = select(OutboxMessage.state, func.count(), func.min(OutboxMessage.not_before)).group_by(
            OutboxMessage.state
        )
        return [(str(state), int(count), first) for state, count, first in self._session.execute(stmt)]

    def latest_id(self) -> int:
        """The id of the newest row (0 when there is none): rows inserted later have a greater one."""
        return self._session.scalar(select(func.max(OutboxMessage.id))) or 0

    def added_after(self, outbox_id: int) -> list[OutboxMessage]:
        """Rows inserted after `outbox_id`, oldest first."""
        stmt = select(OutboxMessage).where(OutboxMessage.id > outbox_id).order_by(OutboxMessage.id)
        return list(self._session.scalars(stmt))

    def pending_to_send(self, *, limit: int) -> list[OutboxMessage]:
        """Rows queued and not yet sent (Home refreshes aside), soonest first."""
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING.value, OutboxMessage.kind != OutboxKind.REFRESH.value)
            .order_by(OutboxMessage.not_before)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def listing(self, *, state: str | None, limit: int) -> list[OutboxMessage]:
        stmt = select(OutboxMessage)
        if state is not None:
            stmt = stmt.where(OutboxMessage.state == state)
        return list(self._session.scalars(stmt.order_by(OutboxMessage.id.desc()).limit(limit)))

    def checkins_sent(
        self, workspace_id: str, *, team_id: int, after: datetime, until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Check-in DMs really sent in (after, until] about a team's tasks, newest first
        (uses ix_outbox_workspace_kind_sent)."""
        stmt = (
            select(OutboxMessage)
            .join(Task, Task.id == OutboxMessage.task_id)
            .where(
                OutboxMessage.workspace_id == workspace_id,
                OutboxMessage.kind == OutboxKind.CHECKIN.value,
                OutboxMessage.sent_at > after,
                OutboxMessage.sent_at <= until,
                OutboxMessage.state == OutboxState.SENT.value,
                Task.workspace_id == workspace_id,
                Task.team_id == team_id,
            )
            .order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))


class EventLog:
    """Remembers Events API `event_id`s so a retried delivery is recognised."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def first_time(self, workspace_id: str, event_id: str, *, now: datetime) -> bool:
        new = _insert_ignoring_conflicts(
            self._session,
            ProcessedEvent,
            {"event_id": event_id, "workspace_id": workspace_id, "received_at": now},
        )
        return new is not None


class TimeOffRepository:
    """People's time off; every read is one person's (or one workspace's) periods still running."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, period: TimeOff) -> None:
        self._session.add(period)
        self._session.flush()

    def of_user(self, workspace_id: str, user_id: str, *, ending_after: datetime, limit: int = 20) -> list[TimeOff]:
        """That person's periods that end after `ending_after`, soonest first (ix_time_off_workspace_user_ends)."""
        stmt = (
            select(TimeOff)
            .where(TimeOff.workspace_id == workspace_id, TimeOff.user_id == user_id, TimeOff.ends_at > ending_after)
            .order_by(TimeOff.starts_at)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))

    def current(self, workspace_id: str, *, now: datetime, limit: int = 50) -> list[TimeOff]:
        """Everyone's periods that have not ended, soonest first."""
        stmt = (
            select(TimeOff)
            .where(TimeOff.workspace_id == workspace_id, TimeOff.ends_at > now)
            .order_by(TimeOff.starts_at)
            .limit(limit)
        )
        return list(self._session.scalars(stmt))


class SeriesRepository:
    """Recurring series (`/task … every …`); their occurrences are ordinary tasks."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, series: TaskSeries) -> None:
        self._session.add(series)
        self._session.flush()

    def get(self, workspace_id: str, series_id: int, *, for_update: bool = False) -> TaskSeries | None:
        stmt = select(TaskSeries).where(TaskSeries.workspace_id == workspace_id, TaskSeries.id == series_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self._session.scalars(stmt).first()

    def occurrence(self, workspace_id: str, series_id: int, *, due_at: datetime) -> Task | None:
        """The series' task due `due_at`, if one exists (uq_tasks_series_id_due_at)."""
        stmt = select(Task).where(Task.workspace_id == workspace_id, Task.series_id == series_id, Task.due_at == due_at)
        return self._session.scalars(stmt).first()

    def due_for_next(self, *, now: datetime, limit: int) -> list[TaskSeries]:
        """Active series whose latest occurrence's moment has come, across workspaces (the scheduler's
        scan; uses ix_task_series_active_last_due_at). Other planners skip the rows locked here."""
        stmt = (
            select(TaskSeries)
            .where(TaskSeries.active == true(), TaskSeries.last_due_at <= now)
            .order_by(TaskSeries.last_due_at)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list(self._session.scalars(stmt))


@dataclass(frozen=True)
class DueWork:
    """What a scheduler pass has to do at a moment: each flag says whether any row of that kind is due."""

    tasks: bool
    series: bool
    recognitions: bool
    digests: bool

    @property
    def anything(self) -> bool:
        return self.tasks or self.series or self.recognitions or self.digests


class SchedulerProbe:
    """Cheap indexed looks, in a read-only unit of work, so an idle pass opens no write transaction."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _exists(self, stmt: Select[Any]) -> bool:
        return self._session.execute(stmt.limit(1)).first() is not None

    def due_work(self, now: datetime) -> DueWork:
        return DueWork(
            tasks=self._exists(
                select(Task.id).where(
                    Task.next_check_at.is_not(None), Task.next_check_at <= now, Task.status.in_(ACTIVE)
                )
            ),
            series=self._exists(
                select(TaskSeries.id).where(TaskSeries.active == true(), TaskSeries.last_due_at <= now)
            ),
            recognitions=self._exists(
                select(Team.id).where(Team.next_recognition_at.is_not(None), Team.next_recognition_at <= now)
            ),
            digests=self._exists(
                select(TeamManager.team_id).where(
                    or_(TeamManager.next_digest_at.is_(None), TeamManager.next_digest_at <= now)
                )
            ),
        )

    def next_moment(self, *, after: datetime) -> datetime | None:
        """The soonest moment after `after` a task, a team's recognition or a manager's digest could next be
        due (each scan an indexed MIN)."""
        candidates = [
            self._session.scalar(
                select(func.min(Task.next_check_at)).where(Task.status.in_(ACTIVE), Task.next_check_at > after)
            ),
            self._session.scalar(select(func.min(Team.next_recognition_at)).where(Team.next_recognition_at > after)),
            self._session.scalar(
                select(func.min(TeamManager.next_digest_at)).where(TeamManager.next_digest_at > after)
            ),
        ]
        found = [c for c in candidates if c is not None]
        return min(found) if found else None

    def outbox_due(self, now: datetime) -> bool:
        """Whether any outbox row is due to be sent (or its lease ran out): ix_outbox_due."""
        return self._exists(select(OutboxMessage.id).where(_due(now)))

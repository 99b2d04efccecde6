"""Tasks and their history: lookups, listings, what is due for planning, and counts for reports."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Integer, Select, Table, bindparam, case, func, insert, inspect, literal, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, selectinload

from bot.domain.model import TaskStatus
from storage import direct
from storage.models import OutboxMessage, Task, TaskEvent, TaskRow
from storage.repositories.shared import ACTIVE, NOT_FINAL, insert_ignoring_conflicts
from storage.repositories.workspaces import WorkspaceRepository, take_number_statement

_TASKS = cast(Table, Task.__table__)
_TASK_EVENTS = cast(Table, TaskEvent.__table__)
# Built once; each row's values are the parameters (building `.values(...)` per row cost more than the INSERT).
_INSERT_TASK = insert(_TASKS).returning(_TASKS.c.id)
_INSERT_EVENT = insert(_TASK_EVENTS)
_EVENT_COLUMNS = ("task_id", "at", "actor_id", "action", "detail")
# What a Core INSERT … VALUES fills in itself for a column not given, spelled out for INSERT … SELECT.
_TASK_DEFAULTS = {c.name: cast(Any, c.default).arg for c in _TASKS.c if c.default is not None and c.default.is_scalar}


_OUTBOX = cast(Table, OutboxMessage.__table__)
_NEXT_TASK_ID = select(func.nextval(func.pg_get_serial_sequence("tasks", "id")))


@cache
def _insert_numbered(columns: tuple[str, ...], outbox_columns: tuple[str, ...] | None) -> Any:
    """PostgreSQL: the workspace's next number, the task's row, its first history line and the message it queues,
    as one statement (INSERTs chained in WITH, each feeding the next), returning the task's number and the outbox
    row's id (None when its dedupe key was queued already). Taking the number locks the workspace's row until the
    commit: in one statement, the lock is held for the rest of that statement and the COMMIT, nothing more."""
    number = take_number_statement("postgresql").cte("number")
    values = [bindparam(name, type_=_TASKS.c[name].type) for name in columns]
    task = (
        insert(_TASKS)
        .from_select([*columns, "number"], select(*values, number.c.last_task_number), include_defaults=False)
        .returning(_TASKS.c.id, _TASKS.c.number)
        .cte("task")
    )
    event = [bindparam(f"event_{name}", type_=_TASK_EVENTS.c[name].type) for name in _EVENT_COLUMNS[1:]]
    history = (
        insert(_TASK_EVENTS)
        .from_select(list(_EVENT_COLUMNS), select(task.c.id, *event), include_defaults=False)
        .cte("history")
    )
    if outbox_columns is None:
        return select(task.c.number, literal(None).label("outbox_id")).add_cte(history)
    message = [bindparam(f"outbox_{name}", type_=_OUTBOX.c[name].type) for name in outbox_columns]
    queued = (
        postgresql.insert(_OUTBOX)
        .from_select(list(outbox_columns), select(*message).select_from(task), include_defaults=False)
        .on_conflict_do_nothing()
        .returning(_OUTBOX.c.id)
        .cte("queued")
    )
    return select(task.c.number, select(queued.c.id).scalar_subquery().label("outbox_id")).add_cte(history)


def _soonest_first(stmt: Select[Any], limit: int) -> Select[Any]:
    # NULL deadlines last on both databases, then oldest first.
    return stmt.order_by(Task.due_at.is_(None), Task.due_at, Task.number).limit(limit)


# What a reader's view of a task shows (`task_view`) and when its next messages go (a Home tab's "coming up"): a third
# of the task's timestamps, each converted on the way out.
_VIEW_COLUMNS = tuple(
    _TASKS.c[name]
    for name in (
        "id", "workspace_id", "number", "title", "details", "assignee_id", "delegator_id", "priority", "status",
        "created_at", "due_at", "done_at", "team_id", "source_link", "decline_reason", "checkin_after", "assigned_at",
        "reminded_at",
    )
)  # fmt: skip


def _views(who: Any) -> tuple[Select[Any], Select[Any]]:
    """A view's open tasks (`who`: whose), soonest deadline first, a page at a time, as ORM objects (for a change to
    them) and as rows of the columns a view reads (for readers): built once, with the workspace, the person or teams
    and the page as parameters."""
    where = (Task.workspace_id == bindparam("workspace_id"), who, Task.status.in_(NOT_FINAL))
    page = cast(int, bindparam("limit"))
    return _soonest_first(select(Task).where(*where), page), _soonest_first(select(*_VIEW_COLUMNS).where(*where), page)


_ASSIGNED, _ASSIGNED_ROWS = _views(Task.assignee_id == bindparam("user_id"))
_DELEGATED, _DELEGATED_ROWS = _views(Task.delegator_id == bindparam("user_id"))
_OF_TEAMS, _TEAMS_ROWS = _views(Task.team_id.in_(bindparam("team_ids", expanding=True)))


_COLUMN_KEYS = frozenset(attribute.key for attribute in inspect(Task).column_attrs)


@cache
def _due_for_planning(*, postgres: bool) -> Select[Any]:
    """The planner's scan, built once: ids only (the due time orders them but is not returned: 500 timestamps parsed
    for nothing were a fifth of the scan on PostgreSQL)."""
    stmt = (
        select(_TASKS.c.id)
        .where(
            _TASKS.c.status.in_(ACTIVE),
            _TASKS.c.next_check_at.is_not(None),
            _TASKS.c.next_check_at <= bindparam("now", type_=_TASKS.c.next_check_at.type),
        )
        .order_by(_TASKS.c.next_check_at)
        .limit(bindparam("limit", type_=Integer))
    )
    return stmt.with_for_update(skip_locked=True) if postgres else stmt


_BY_IDS = (Task.workspace_id == bindparam("workspace_id"), Task.id.in_(bindparam("task_ids", expanding=True)))
_MANY_ROWS = select(*_TASKS.c).where(*_BY_IDS)
_NUMBERS: Any = select(Task.id, Task.number).where(*_BY_IDS)


def _open_counts(with_teams: bool) -> Select[Any]:
    """How many open tasks a person has assigned, has delegated, and their teams have: one statement, built once."""

    def count(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    user: Any = bindparam("user_id")
    involved = or_(Task.assignee_id == user, Task.delegator_id == user)
    in_teams = Task.team_id.in_(bindparam("team_ids", expanding=True))
    return select(
        count(Task.assignee_id == user),
        count(Task.delegator_id == user),
        count(in_teams) if with_teams else literal(0),
    ).where(
        Task.workspace_id == bindparam("workspace_id"),
        Task.status.in_(NOT_FINAL),
        or_(involved, in_teams) if with_teams else involved,
    )


_OPEN_COUNTS = {with_teams: _open_counts(with_teams) for with_teams in (False, True)}


class TaskRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, task: Task) -> None:
        self._session.add(task)
        self._session.flush()

    def insert(self, values: dict[str, Any]) -> int:
        """Write a new task's row with one Core INSERT … RETURNING id (no ORM object, no flush)."""
        return int(direct.one(direct.run(self._session.connection(), _INSERT_TASK, values))[0])

    def insert_numbered(
        self,
        values: dict[str, Any],
        *,
        at: datetime,
        actor_id: str,
        action: str,
        queued: Callable[[int], list[dict[str, Any]]],
    ) -> tuple[int, int, list[int]]:
        """A new task in its workspace: the next T-number taken (the workspace made on first contact), the task's
        row (`values` without id or number), its first history line and the outbox rows `queued(task_id)` gives
        (at most one on PostgreSQL). Returns (id, number, the outbox ids written). On PostgreSQL the id comes from
        the table's sequence first, then the rest is one statement: the number locks the workspace's row until the
        commit, so nothing else runs while it is held. Four statements on SQLite."""
        connection = self._session.connection()
        event = {"at": at, "actor_id": actor_id, "action": action, "detail": ""}
        if connection.dialect.name == "postgresql":
            task_id = int(direct.one(direct.run(connection, _NEXT_TASK_ID, {}))[0])
            rows = queued(task_id)
            if len(rows) > 1:
                raise ValueError("one queued message per new task on PostgreSQL's single statement")
            given = {**_TASK_DEFAULTS, **values, "id": task_id}
            columns = tuple(name for name in given if name != "number")
            params = {**{name: given[name] for name in columns}, "now": at}
            params.update({f"event_{name}": value for name, value in event.items()})
            outbox_columns = tuple(rows[0]) if rows else None
            if rows:
                params.update({f"outbox_{name}": value for name, value in rows[0].items()})
            number, outbox_id = direct.one(direct.run(connection, _insert_numbered(columns, outbox_columns), params))
            return task_id, int(number), [int(outbox_id)] if outbox_id is not None else []
        number = WorkspaceRepository(self._session).take_task_number(values["workspace_id"], now=at)
        task_id = self.insert({**values, "number": number})
        self.insert_event(task_id, at=at, actor_id=actor_id, action=action)
        ids = [insert_ignoring_conflicts(self._session, OutboxMessage, row) for row in queued(task_id)]
        return task_id, number, [int(i) for i in ids if i is not None]

    def insert_event(self, task_id: int, *, at: datetime, actor_id: str, action: str, detail: str = "") -> None:
        """`record` as one Core INSERT, for a task written with `insert`."""
        values = {"task_id": task_id, "at": at, "actor_id": actor_id, "action": action, "detail": detail}
        direct.run(self._session.connection(), _INSERT_EVENT, values)

    def many(self, workspace_id: str, task_ids: Sequence[int]) -> dict[int, Task]:
        """These tasks by id (those that no longer exist are missing)."""
        if not task_ids:
            return {}
        stmt = select(Task).where(Task.workspace_id == workspace_id, Task.id.in_(set(task_ids)))
        return {task.id: task for task in self._session.scalars(stmt)}

    def many_rows(self, workspace_id: str, task_ids: Sequence[int]) -> dict[int, TaskRow]:
        """As `many`, as rows of the task's columns (no ORM objects: for readers, such as a message at its turn)."""
        if not task_ids:
            return {}
        rows = self._read(_MANY_ROWS, {"workspace_id": workspace_id, "task_ids": sorted(set(task_ids))})
        return {int(row.id): row for row in rows}

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
        return list(self._session.scalars(_soonest_first(stmt, limit)))

    def _read(self, stmt: Select[Any], params: dict[str, Any]) -> list[Any]:
        """A statement built once, run as Core on the session's connection (no ORM execution), after the flush the
        ORM would have made."""
        if self._session.autoflush:
            self._session.flush()
        return list(self._session.connection().execute(stmt, params).all())  # one fetchall, not a fetch a row

    def assigned_to(self, workspace_id: str, user_id: str, *, limit: int) -> list[Task]:
        params = {"workspace_id": workspace_id, "user_id": user_id, "limit": limit}
        return list(self._session.scalars(_ASSIGNED, params))

    def delegated_by(self, workspace_id: str, user_id: str, *, limit: int) -> list[Task]:
        params = {"workspace_id": workspace_id, "user_id": user_id, "limit": limit}
        return list(self._session.scalars(_DELEGATED, params))

    def of_teams(self, workspace_id: str, team_ids: Sequence[int], *, limit: int) -> list[Task]:
        if not team_ids:
            return []
        params = {"workspace_id": workspace_id, "team_ids": list(team_ids), "limit": limit}
        return list(self._session.scalars(_OF_TEAMS, params))

    def assigned_to_rows(self, workspace_id: str, user_id: str, *, limit: int) -> list[TaskRow]:
        """As `assigned_to`, as rows of the columns a view reads (no ORM objects: for views that only read)."""
        return self._read(_ASSIGNED_ROWS, {"workspace_id": workspace_id, "user_id": user_id, "limit": limit})

    def delegated_by_rows(self, workspace_id: str, user_id: str, *, limit: int) -> list[TaskRow]:
        """As `delegated_by`, as rows of the task's columns."""
        return self._read(_DELEGATED_ROWS, {"workspace_id": workspace_id, "user_id": user_id, "limit": limit})

    def of_teams_rows(self, workspace_id: str, team_ids: Sequence[int], *, limit: int) -> list[TaskRow]:
        """As `of_teams`, as rows of the task's columns."""
        if not team_ids:
            return []
        return self._read(_TEAMS_ROWS, {"workspace_id": workspace_id, "team_ids": list(team_ids), "limit": limit})

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

    def ids_due_for_planning(self, *, now: datetime, limit: int) -> list[int]:
        """Ids of active tasks whose next follow-up moment has come, across workspaces, soonest first (the
        scheduler's scan: only the columns of the partial index ix_tasks_next_check_at are read, and only the ids
        come back). On PostgreSQL the rows are locked here, and other planners skip them."""
        postgres = self._session.get_bind().dialect.name == "postgresql"
        return [
            task_id for (task_id,) in self._read(_due_for_planning(postgres=postgres), {"now": now, "limit": limit})
        ]

    def write_changes(self, tasks: Sequence[Task]) -> None:
        """Write what changed in these tasks in one executemany and take them out of the session (their changes are
        written; nothing after reads them). The ORM's flush groups its UPDATEs by the set of columns each task
        changed, so a planner batch whose tasks change different sets was hundreds of statements. Every changed
        task is written with every column changed in any of them: the others' values are the ones read in this
        transaction (locked by the scan on PostgreSQL; SQLite has one writer)."""
        # Only tasks whose changes are all columns; one with another change (its history) is left to the flush.
        changed = {
            task: state for task in tasks if (state := inspect(task).committed_state) and _COLUMN_KEYS.issuperset(state)
        }
        if not changed:
            return
        keys = sorted(set().union(*changed.values()))
        self._session.execute(
            update(Task), [{"id": task.id, **{k: getattr(task, k) for k in keys}} for task in changed]
        )
        for task in changed:
            self._session.expunge(task)

    def for_planning(self, task_ids: Sequence[int]) -> list[Task]:
        """These tasks, across workspaces, in the order given (one query; those gone since are missing)."""
        if not task_ids:
            return []
        found = {task.id: task for task in self._session.scalars(select(Task).where(Task.id.in_(task_ids)))}
        return [found[task_id] for task_id in task_ids if task_id in found]

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
        """How many open tasks a person has assigned, has delegated, and their teams have (one query)."""
        params = {"workspace_id": workspace_id, "user_id": user_id, "team_ids": list(team_ids)}
        assigned, delegated, teams = self._read(_OPEN_COUNTS[bool(team_ids)], params)[0]
        return int(assigned), int(delegated), int(teams)

    def numbers(self, workspace_id: str, task_ids: Sequence[int]) -> dict[int, int]:
        """These tasks' numbers by id, in one query (those that no longer exist are missing)."""
        if not task_ids:
            return {}
        rows = self._read(_NUMBERS, {"workspace_id": workspace_id, "task_ids": sorted(set(task_ids))})
        return {int(task_id): int(number) for task_id, number in rows}

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

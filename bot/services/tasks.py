"""Task use cases: delegate, answer, complete, reassign, move, cancel, show and list."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain import transitions, when, worktime
from bot.domain.errors import BadInput, NotFound, UserError
from bot.domain.model import ListScope, OutboxKind, Priority, TaskAction, TaskStatus, TaskView, TeamContact
from bot.domain.payloads import AwayFlagPayload
from bot.domain.text import MAX_DETAILS_CHARS, MAX_TITLE_CHARS, task_ref
from bot.domain.transitions import Notice, TaskState, Transition
from bot.domain.worktime import Period
from bot.services.assignment import insert_task
from bot.services.availability import NoteFacts, assignee_time
from bot.services.messages import action_text, queue_notices, record_answer, stay_true
from bot.services.people import PeopleService
from bot.services.ports import Deliverer
from bot.services.read_models import task_view
from bot.services.series import open_next_after_done
from storage.models import Task, Team
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

LIST_LIMIT = 200

# What a change queues after it is saved (its notices and any follow-up), in order; returns the outbox ids.
FollowUps = Callable[[UnitOfWork, Task, Sequence[Notice]], list[int]]


@dataclass(frozen=True)
class NewTask:
    """What a person asked for, from `/task` text or the New task modal."""

    assignee_id: str
    title: str
    details: str = ""
    when_text: str | None = None  # typed text, read in the delegator's time zone
    due_date: date | None = None  # modal: date picker …
    due_time: time | None = None  # … and time picker, in the delegator's time zone
    priority: Priority = Priority.NORMAL
    team_id: int | None = None  # modal choice; else the team whose channel it was typed in
    channel_id: str | None = None
    source_link: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A task after a change; `changed` is False when the change had already been made."""

    task: TaskView
    changed: bool = True


def _state_of(task: Task) -> TaskState:
    """The task row as its state changes read it."""
    return TaskState(
        id=task.id,
        number=task.number,
        delegator_id=task.delegator_id,
        created_channel_id=task.created_channel_id,
        assignee_id=task.assignee_id,
        status=TaskStatus(task.status),
        assignment_seq=task.assignment_seq,
        due_at=task.due_at,
        updated_at=task.updated_at,
        accepted_at=task.accepted_at,
        done_at=task.done_at,
        cancelled_at=task.cancelled_at,
        decline_reason=task.decline_reason,
        next_check_at=task.next_check_at,
        overdue_after=task.overdue_after,
        assignment_channel_id=task.assignment_channel_id,
        assignment_ts=task.assignment_ts,
        assigned_at=task.assigned_at,
        reminded_at=task.reminded_at,
        unanswered_told_at=task.unanswered_told_at,
        escalated_at=task.escalated_at,
        last_answer_at=task.last_answer_at,
        checkins_unanswered=task.checkins_unanswered,
    )


def _write(task: Task, state: TaskState) -> None:
    """Set on the row what a change changed (a value left as it was is not written)."""
    before = _state_of(task)
    for name in (f.name for f in fields(TaskState)):
        value = getattr(state, name)
        if value != getattr(before, name):
            setattr(task, name, value.value if isinstance(value, TaskStatus) else value)


def _managers(team: Team | None) -> list[str]:
    return [m.user_id for m in team.managers] if team else []


class TaskService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, people: PeopleService, deliverer: Deliverer) -> None:
        self._uow = uow
        self._clock = clock
        self._people = people
        self._deliverer = deliverer

    # creating -------------------------------------------------------------------------------
    def delegate(self, workspace_id: str, actor_id: str, new: NewTask) -> TaskView:
        """Create the task and queue the assignee's DM in the same transaction."""
        return self.delegate_and_note(workspace_id, actor_id, new)[0]

    def delegate_and_note(self, workspace_id: str, actor_id: str, new: NewTask) -> tuple[TaskView, NoteFacts]:
        """`delegate`, with what the answer's notes need of the assignee (their time and time off), read in the
        task's write transaction: the answer needs no unit of work of its own."""
        now = self._clock.now()
        title = " ".join(new.title.split())
        if not title:
            raise BadInput("Give the task a title.", field="title")
        if len(title) > MAX_TITLE_CHARS:
            raise BadInput(f"The title is {len(title)} characters; keep it to {MAX_TITLE_CHARS}.", field="title")
        details = new.details.strip()
        if len(details) > MAX_DETAILS_CHARS:
            raise BadInput(f"Details are limited to {MAX_DETAILS_CHARS} characters.", field="details")
        try:
            self._people.assignable(workspace_id, new.assignee_id)
        except UserError as error:
            raise type(error)(error.reply, field="assignee") from None
        due_at = self._resolve_due(workspace_id, actor_id, new, now=now)

        # The team and the assignee's time are read inside the write transaction: one unit of work costs less than
        # two (a session, a connection check-out, a BEGIN and its end each), and on SQLite the write turn this
        # lengthens by two indexed reads is not what bounds a replica's rate: its CPU is.
        with self._uow() as uow:
            team = self._team_for(uow, workspace_id, new)
            person = assignee_time(uow, workspace_id, new.assignee_id)
            # Their time off inside it: the away flag must see a period recorded just before, or be seen by it. Read
            # before the task's number is taken: on PostgreSQL that locks the workspace's row until the commit, and
            # every /task of the workspace waits on it.
            uow.time_off.hold_person(workspace_id, new.assignee_id)
            periods = uow.time_off.periods_of(workspace_id, new.assignee_id, ending_after=now)
            view, outbox_ids = insert_task(
                uow,
                workspace_id=workspace_id,
                title=title,
                details=details,
                assignee_id=new.assignee_id,
                delegator_id=actor_id,
                team=team,
                priority=new.priority,
                due_at=due_at,
                created_channel_id=new.channel_id,
                source_link=new.source_link,
                now=now,
            )
            facts = NoteFacts(
                now=now,
                person=person,
                recorded=tuple(Period(starts_at=r.starts_at, ends_at=r.ends_at) for r in periods),
                team_calendar=team.calendar if team else None,
            )
            outbox_ids += self._flag_if_away(uow, view, now=now, periods=periods)
            concerned = (view.assignee_id, view.delegator_id, *(team.manager_ids if team else ()))
            uow.commit()
        log.info("task.created", extra={"workspace": workspace_id, "task": view.ref})
        self._after(workspace_id, outbox_ids, concerned, posts=True)  # the assignment DM, the away flag: no refresh
        return view, facts

    def _resolve_due(self, workspace_id: str, actor_id: str, new: NewTask, *, now: datetime) -> datetime | None:
        if new.when_text is None and new.due_date is None and new.due_time is None:
            return None
        tz = self._people.tz(workspace_id, actor_id)
        if new.when_text is not None:
            return when.parse_due(new.when_text, now=now, tz=tz)
        day = new.due_date or now.astimezone(ZoneInfo(tz)).date()
        due = worktime.at_local(day, new.due_time or when.DEFAULT_DUE_TIME, tz=tz)
        if due <= now:
            raise BadInput("That due time is in the past; pick a later one.", field="due")
        return due

    def _team_for(self, uow: UnitOfWork, workspace_id: str, new: NewTask) -> TeamContact | None:
        if new.team_id is not None:
            team = uow.teams.contact(workspace_id, team_id=new.team_id)
            if team is None:
                raise NotFound("That team no longer exists; pick another.", field="team")
            return team
        if new.channel_id and transitions.is_channel(new.channel_id):
            return uow.teams.contact(workspace_id, channel_id=new.channel_id)
        return None

    # answers from the assignee -----------------------------------------------------------------
    def accept(
        self, workspace_id: str, actor_id: str, task_id: int, *, message: tuple[str, str] | None = None
    ) -> Outcome:
        """Accept from the assignment DM or a reminder (`message`: the one clicked, redrawn by its answer)."""
        now = self._clock.now()
        return self._change(
            workspace_id,
            task_id=task_id,
            decide=lambda task, _team: transitions.accept(task, actor_id=actor_id, now=now),
            then=self._answered(TaskAction.ACCEPTED, message, now=now),
        )

    def decline(
        self, workspace_id: str, actor_id: str, task_id: int, reason: str, *, message: tuple[str, str] | None = None
    ) -> Outcome:
        now = self._clock.now()
        return self._change(
            workspace_id,
            task_id=task_id,
            decide=lambda task, _team: transitions.decline(task, actor_id=actor_id, reason=reason, now=now),
            then=self._answered(TaskAction.DECLINED, message, now=now),
        )

    def _answered(self, action: TaskAction, message: tuple[str, str] | None, *, now: datetime) -> FollowUps:
        """After an answer: the message answered says so, the others showing buttons are drawn again, and
        the delegator is told."""

        def then(uow: UnitOfWork, task: Task, notices: Sequence[Notice]) -> list[int]:
            if message is not None:
                record_answer(uow, task, channel_id=message[0], ts=message[1], answer=action_text(action))
            return stay_true(uow, task, now=now, except_message=message) + queue_notices(uow, task, notices, now=now)

        return then

    # changes by anyone allowed -----------------------------------------------------------------
    def complete(
        self,
        workspace_id: str,
        actor_id: str,
        *,
        number: int | None = None,
        task_id: int | None = None,
        note: str = "",
        message: tuple[str, str] | None = None,
        answer: str | None = None,
    ) -> Outcome:
        """Mark done and queue the celebration; a second "done" changes and sends nothing. From a check-in,
        `message` is the one clicked and `answer` what it now says."""
        actor = self._people.get(workspace_id, actor_id)  # before the transaction: may call Slack
        now = self._clock.now()

        def then(uow: UnitOfWork, task: Task, notices: Sequence[Notice]) -> list[int]:
            if message is not None and answer is not None:
                record_answer(uow, task, channel_id=message[0], ts=message[1], answer=answer)
            return [
                *queue_notices(uow, task, notices, now=now),
                *open_next_after_done(uow, task, now=now),  # a repeating task's next occurrence
                *stay_true(uow, task, now=now, except_message=message),
            ]

        return self._change(
            workspace_id,
            number=number,
            task_id=task_id,
            decide=lambda task, team: transitions.complete(
                task,
                actor=actor,
                managers=_managers(team),
                team_channel_id=team.channel_id if team else None,
                note=note,
                now=now,
            ),
            then=then,
        )

    def reassign(self, workspace_id: str, actor_id: str, *, number: int, assignee_id: str) -> Outcome:
        actor = self._people.get(workspace_id, actor_id)  # before the transaction: may call Slack
        now = self._clock.now()
        self._people.assignable(workspace_id, assignee_id)
        return self._change(
            workspace_id,
            number=number,
            decide=lambda task, team: transitions.reassign(
                task, actor=actor, managers=_managers(team), assignee_id=assignee_id, now=now
            ),
            then=lambda uow, task, notices: [
                *queue_notices(uow, task, notices, now=now),
                *self._flag_if_away(uow, task, now=now),
                *stay_true(uow, task, now=now),
            ],
        )

    def change_due(self, workspace_id: str, actor_id: str, *, number: int, when_text: str) -> Outcome:
        """Move the deadline; warnings are planned from the new one (old ones no longer apply)."""
        actor = self._people.get(workspace_id, actor_id)  # before the transaction: may call Slack
        now = self._clock.now()
        due_at = when.parse_due(when_text, now=now, tz=actor.tz)
        return self._change(
            workspace_id,
            number=number,
            decide=lambda task, team: transitions.change_due(
                task, actor=actor, managers=_managers(team), due_at=due_at, now=now
            ),
            then=lambda uow, task, notices: [
                *queue_notices(uow, task, notices, now=now),
                *self._flag_if_away(uow, task, now=now),
            ],
        )

    def cancel(self, workspace_id: str, actor_id: str, *, number: int, reason: str = "") -> Outcome:
        actor = self._people.get(workspace_id, actor_id)  # before the transaction: may call Slack
        now = self._clock.now()
        return self._change(
            workspace_id,
            number=number,
            decide=lambda task, team: transitions.cancel(
                task, actor=actor, managers=_managers(team), reason=reason, now=now
            ),
            then=lambda uow, task, notices: [
                *queue_notices(uow, task, notices, now=now),
                *stay_true(uow, task, now=now),
            ],
        )

    def _change(
        self,
        workspace_id: str,
        *,
        number: int | None = None,
        task_id: int | None = None,
        decide: Callable[[TaskState, Team | None], Transition],
        then: FollowUps,
    ) -> Outcome:
        """The steps every change shares: lock the task, let the domain decide, and unless the change was
        already made, save the task and its history line, queue what `then` queues (the change's notices and
        any follow-up, in its order), commit, and deliver."""
        with self._uow() as uow:
            task = self._load(uow, workspace_id, number=number, task_id=task_id)
            previous_assignee = task.assignee_id
            change = decide(_state_of(task), self._team(uow, task))
            if not change.changed:
                return Outcome(self._view(uow, task), changed=False)
            self._save(uow, task, change)
            ids = then(uow, task, change.notices)
            view = self._view(uow, task)
            concerned = (*self._concerned(uow, task), previous_assignee)
            uow.commit()
        self._after(workspace_id, ids, concerned)
        return Outcome(view)

    # reading -----------------------------------------------------------------------------------
    def show(self, workspace_id: str, *, number: int) -> TaskView:
        with self._uow(read_only=True) as uow:
            task = self._load(uow, workspace_id, number=number)
            return self._view(uow, task, with_history=True)

    def get(self, workspace_id: str, task_id: int) -> TaskView:
        with self._uow(read_only=True) as uow:
            return self._view(uow, self._load(uow, workspace_id, task_id=task_id))

    def list_tasks(
        self,
        workspace_id: str,
        actor_id: str,
        *,
        scope: ListScope,
        channel_id: str | None = None,
        user_id: str | None = None,
        limit: int = LIST_LIMIT,
    ) -> list[TaskView]:
        """Open tasks, soonest due first, as `/task list` scopes them."""
        now = self._clock.now()
        with self._uow(read_only=True) as uow:
            if scope is ListScope.MINE:
                rows = uow.tasks.assigned_to(workspace_id, actor_id, limit=limit)
            elif scope is ListScope.USER:
                rows = uow.tasks.assigned_to(workspace_id, user_id or actor_id, limit=limit)
            elif scope is ListScope.DELEGATED:
                rows = uow.tasks.delegated_by(workspace_id, actor_id, limit=limit)
            elif scope is ListScope.TEAM:
                team = uow.teams.by_channel(workspace_id, channel_id) if channel_id else None
                if team is None:
                    raise BadInput(
                        "This channel has no team. Type `/task list team` in a team channel, "
                        "or make this one a team with `/team setup`."
                    )
                rows = uow.tasks.of_teams(workspace_id, [team.id], limit=limit)
            else:
                managed = [t.id for t in uow.teams.managed_by(workspace_id, actor_id)]
                rows = uow.tasks.overdue(workspace_id, now=now, user_id=actor_id, team_ids=managed, limit=limit)
            return [self._view(uow, t) for t in rows]

    def open_counts(self, workspace_id: str, user_id: str) -> tuple[int, int, int]:
        """How many open tasks someone is assigned, has delegated, and their teams have."""
        with self._uow(read_only=True) as uow:
            managed = [t.id for t in uow.teams.managed_by(workspace_id, user_id)]
            return uow.tasks.open_counts(workspace_id, user_id=user_id, team_ids=managed)

    # shared steps ------------------------------------------------------------------------------
    def _load(
        self, uow: UnitOfWork, workspace_id: str, *, number: int | None = None, task_id: int | None = None
    ) -> Task:
        if task_id is not None:
            task = uow.tasks.get(workspace_id, task_id, for_update=True)
        else:
            assert number is not None
            task = uow.tasks.by_number(workspace_id, number, for_update=True)
        if task is None:
            ref = task_ref(number) if number is not None else "That task"
            raise NotFound(f"{ref} doesn't exist in this workspace. `/task list` shows your tasks.")
        return task

    def _team(self, uow: UnitOfWork, task: Task) -> Team | None:
        return uow.teams.get(task.workspace_id, task.team_id) if task.team_id else None

    def _save(self, uow: UnitOfWork, task: Task, change: Transition) -> None:
        """Write a change onto the task's row and its history line."""
        assert change.history is not None, "a change that was already made has nothing to save"
        _write(task, change.task)
        entry = change.history
        uow.tasks.record(task, at=entry.at, actor_id=entry.actor_id, action=entry.action, detail=entry.detail)

    def _view(self, uow: UnitOfWork, task: Task, *, with_history: bool = False) -> TaskView:
        team = uow.teams.get(task.workspace_id, task.team_id) if task.team_id else None
        return task_view(task, team_channel_id=team.channel_id if team else None, with_history=with_history)

    def _flag_if_away(
        self, uow: UnitOfWork, task: Task | TaskView, *, now: datetime, periods: Sequence[Any] | None = None
    ) -> list[int]:
        """Tell the delegator once when the task's deadline falls inside its assignee's recorded
        time off: on delegation, reassignment or a new deadline, as when the time off is recorded. `periods`: their
        time off that ends after `now`, read already in this transaction."""
        if task.due_at is None or task.delegator_id == task.assignee_id:
            return []
        due = task.due_at
        if periods is None:
            uow.time_off.hold_person(task.workspace_id, task.assignee_id)
            periods = uow.time_off.periods_of(task.workspace_id, task.assignee_id, ending_after=now)
        flags = [
            Notice(
                kind=OutboxKind.AWAY_FLAG,
                recipient_id=task.delegator_id,
                dedupe_key=f"away:{task.id}:{period.id}",
                payload=AwayFlagPayload(user_id=task.assignee_id, ends_at=period.ends_at),
            )
            for period in periods
            if period.starts_at <= due < period.ends_at
        ]
        return queue_notices(uow, task, flags, now=now)

    def _concerned(self, uow: UnitOfWork, task: Task) -> tuple[str, ...]:
        """Whose Home tab shows this task: assignee, delegator and the team's managers."""
        team = uow.teams.get(task.workspace_id, task.team_id) if task.team_id else None
        managers = tuple(m.user_id for m in team.managers) if team else ()
        return (task.assignee_id, task.delegator_id, *managers)

    def _after(
        self, workspace_id: str, outbox_ids: Sequence[int], touched: Sequence[str], *, posts: bool = False
    ) -> None:
        touched = tuple(dict.fromkeys(touched))
        self._deliverer.deliver(outbox_ids, workspace_id=workspace_id, touched=touched, posts=posts)

"""Answers to a check-in (On track, Blocked, Done) from its buttons or an emoji reaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.clock import Clock
from bot.domain import permissions, timeoff
from bot.domain.errors import BadInput, NotFound
from bot.domain.model import OutboxKind, TaskAction, TaskStatus, TaskView
from bot.domain.text import task_ref
from bot.services.ports import Deliverer
from bot.services.tasks import Outcome, TaskService
from bot.services.views import task_view
from storage.models import Task
from storage.uow import UnitOfWork, UnitOfWorkFactory


class Answer(StrEnum):
    ON_TRACK = "on_track"
    BLOCKED = "blocked"
    DONE = "done"


@dataclass(frozen=True)
class Snoozed:
    task: TaskView
    until: datetime


def load_for_answer(uow: UnitOfWork, workspace_id: str, task_id: int, *, actor_id: str, what: str) -> Task:
    """The task a check-in answer is about, locked: only its assignee answers, and only while it is active."""
    task = uow.tasks.get(workspace_id, task_id, for_update=True)
    if task is None:
        raise NotFound("That task no longer exists.")
    permissions.require_assignee(actor_id, number=task.number, assignee_id=task.assignee_id)
    status = TaskStatus(task.status)
    if not status.is_active:
        raise BadInput(f"{task_ref(task.number)} is {status.value}; there is nothing to {what}.")
    return task


class CheckinService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, tasks: TaskService, deliverer: Deliverer) -> None:
        self._uow = uow
        self._clock = clock
        self._tasks = tasks
        self._deliverer = deliverer

    def answer(
        self, workspace_id: str, actor_id: str, task_id: int, answer: Answer, *, message_ts: str, reason: str = ""
    ) -> Outcome:
        """Record one answer to one check-in message; the same answer again changes and sends nothing."""
        if answer is Answer.DONE:
            # Check-ins are the assignee's to answer, whoever else may close the task elsewhere.
            current = self._tasks.get(workspace_id, task_id)
            permissions.require_assignee(actor_id, number=current.number, assignee_id=current.assignee_id)
            return self._tasks.complete(workspace_id, actor_id, task_id=task_id)
        now = self._clock.now()
        reason = reason.strip()[:500]
        with self._uow() as uow:
            task = load_for_answer(uow, workspace_id, task_id, actor_id=actor_id, what="check in on")
            team = uow.teams.get(workspace_id, task.team_id) if task.team_id else None
            view = task_view(task, team_channel_id=team.channel_id if team else None)
            # A double click, a retried event, or a button and a reaction on the same message.
            if not uow.events.first_time(workspace_id, f"answer:{task.id}:{message_ts}:{answer.value}", now=now):
                return Outcome(view, changed=False)
            action = TaskAction.CHECKIN_ON_TRACK if answer is Answer.ON_TRACK else TaskAction.CHECKIN_BLOCKED
            uow.tasks.record(task, at=now, actor_id=actor_id, action=action, detail=reason)
            ids: list[int] = []
            if answer is Answer.BLOCKED and task.delegator_id != actor_id:
                row = uow.outbox.add(
                    workspace_id,
                    dedupe_key=f"blocked:{task.id}:{message_ts}:{task.delegator_id}",
                    kind=OutboxKind.BLOCKED,
                    recipient_id=task.delegator_id,
                    task_id=task.id,
                    payload={"reason": reason, "actor_id": actor_id},
                    now=now,
                )
                ids = [row] if row is not None else []
            uow.commit()
        self._deliverer.deliver(ids, workspace_id=workspace_id, touched=(view.delegator_id,))
        return Outcome(view)

    def snooze(self, workspace_id: str, actor_id: str, task_id: int) -> Snoozed:
        """**Later**: the next check-in moves to 08:00 of the assignee's next working morning, once a local day."""
        now = self._clock.now()
        with self._uow() as uow:
            task = load_for_answer(uow, workspace_id, task_id, actor_id=actor_id, what="snooze")
            person = uow.people.get(workspace_id, task.assignee_id)
            tz = person.tz if person else "UTC"
            if not timeoff.may_snooze(last_snoozed_at=task.snoozed_at, now=now, tz=tz):
                raise BadInput(
                    f"{task_ref(task.number)} was already snoozed today; answer with On track, Blocked or Done."
                )
            until = timeoff.next_working_morning(now, tz=tz)
            task.snoozed_until, task.snoozed_at = until, now
            task.next_check_at = until if task.next_check_at is None else min(task.next_check_at, until)
            uow.tasks.record(task, at=now, actor_id=actor_id, action=TaskAction.CHECKIN_SNOOZED)
            team = uow.teams.get(workspace_id, task.team_id) if task.team_id else None
            view = task_view(task, team_channel_id=team.channel_id if team else None)
            uow.commit()
        return Snoozed(task=view, until=until)

    def check_in_for_message(self, workspace_id: str, *, channel_id: str, ts: str) -> int | None:
        """The task a check-in message Baton sent is about, if (channel, ts) is one."""
        with self._uow(read_only=True) as uow:
            row = uow.outbox.find_sent(workspace_id, channel_id=channel_id, ts=ts, kind=OutboxKind.CHECKIN)
            return row.task_id if row is not None else None

    def first_event(self, workspace_id: str, event_id: str) -> bool:
        """True the first time an Events API `event_id` is seen; Slack retries reuse it."""
        with self._uow() as uow:
            first = uow.events.first_time(workspace_id, f"event:{event_id}", now=self._clock.now())
            uow.commit()
            return first

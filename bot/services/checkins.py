"""Answers to a check-in (On track, Blocked, Done) from its buttons or an emoji reaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.clock import Clock
from bot.domain import permissions, timeoff, worktime
from bot.domain.errors import BadInput, NotFound
from bot.domain.model import OutboxKind, SentMessage, TaskAction, TaskStatus, TaskView
from bot.domain.payloads import BlockedPayload
from bot.domain.text import task_ref
from bot.services.availability import AvailabilityReader
from bot.services.messages import action_text, record_answer, sent_message
from bot.services.ports import Deliverer
from bot.services.read_models import task_view
from bot.services.tasks import Outcome, TaskService
from storage.models import Task
from storage.uow import UnitOfWork, UnitOfWorkFactory

SNOOZED = "Later ⏰: asking again on the next working morning"


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


def _answered(task: Task, *, now: datetime) -> None:
    """The assignee answered a check-in: the run of unanswered ones ends, and so does its escalation."""
    task.checkins_unanswered = 0
    task.last_answer_at = now
    task.escalated_at = None


class CheckinService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, tasks: TaskService, deliverer: Deliverer) -> None:
        self._uow = uow
        self._clock = clock
        self._tasks = tasks
        self._deliverer = deliverer

    def answer(
        self,
        workspace_id: str,
        actor_id: str,
        task_id: int,
        answer: Answer,
        *,
        channel_id: str = "",
        message_ts: str,
        reason: str = "",
    ) -> Outcome:
        """Record one answer to one check-in message; the same answer again changes and sends nothing.
        The answer is written on the message's row for this task, so a message about several tasks is
        drawn again with this one answered and the others' buttons still there."""
        message = (channel_id, message_ts) if channel_id and message_ts else None
        if answer is Answer.DONE:
            # Check-ins are the assignee's to answer, whoever else may close the task elsewhere.
            current = self._tasks.get(workspace_id, task_id)
            permissions.require_assignee(actor_id, number=current.number, assignee_id=current.assignee_id)
            return self._tasks.complete(
                workspace_id, actor_id, task_id=task_id, message=message, answer=action_text(TaskAction.DONE)
            )
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
            _answered(task, now=now)
            if message is not None:
                record_answer(uow, task, channel_id=channel_id, ts=message_ts, answer=action_text(action, reason))
            ids: list[int] = []
            if answer is Answer.BLOCKED and task.delegator_id != actor_id:
                row = uow.outbox.add(
                    workspace_id,
                    dedupe_key=f"blocked:{task.id}:{message_ts}:{task.delegator_id}",
                    kind=OutboxKind.BLOCKED,
                    recipient_id=task.delegator_id,
                    task_id=task.id,
                    payload=BlockedPayload(reason=reason, actor_id=actor_id),
                    now=now,
                )
                ids = [row] if row is not None else []
            uow.commit()
        self._deliverer.deliver(ids, workspace_id=workspace_id, touched=(view.delegator_id,))
        return Outcome(view)

    def snooze(self, workspace_id: str, actor_id: str, task_id: int, *, channel_id: str = "", ts: str = "") -> Snoozed:
        """**Later**: the next check-in moves to the start of the assignee's next working day, once a local day."""
        now = self._clock.now()
        with self._uow() as uow:
            task = load_for_answer(uow, workspace_id, task_id, actor_id=actor_id, what="snooze")
            team = uow.teams.get(workspace_id, task.team_id) if task.team_id else None
            who = AvailabilityReader(uow, now=now).of(
                workspace_id, task.assignee_id, team_calendar=team.calendar if team else None
            )
            if not timeoff.may_snooze(last_snoozed_at=task.snoozed_at, now=now, tz=who.tz):
                raise BadInput(
                    f"{task_ref(task.number)} was already snoozed today; answer with On track, Blocked or Done."
                )
            until = worktime.next_working_morning(now, who)
            task.snoozed_until, task.snoozed_at = until, now
            task.next_check_at = until if task.next_check_at is None else min(task.next_check_at, until)
            uow.tasks.record(task, at=now, actor_id=actor_id, action=TaskAction.CHECKIN_SNOOZED)
            _answered(task, now=now)
            if channel_id and ts:
                record_answer(uow, task, channel_id=channel_id, ts=ts, answer=SNOOZED)
            view = task_view(task, team_channel_id=team.channel_id if team else None)
            uow.commit()
        return Snoozed(task=view, until=until)

    def checkins_at_message(self, workspace_id: str, *, channel_id: str, ts: str) -> list[int]:
        """The tasks a check-in message Baton sent asks about (several for a bundled DM), if (channel, ts) is one."""
        with self._uow(read_only=True) as uow:
            rows = uow.outbox.at_message(workspace_id, channel_id=channel_id, ts=ts)
            return [r.task_id for r in rows if r.kind == OutboxKind.CHECKIN.value and r.task_id is not None]

    def message(self, workspace_id: str, *, channel_id: str, ts: str) -> SentMessage | None:
        """A message Baton sent, as its tasks now stand, to draw it again after an answer."""
        if not channel_id or not ts:
            return None
        with self._uow(read_only=True) as uow:
            return sent_message(uow, workspace_id, channel_id=channel_id, ts=ts)

    def first_event(self, workspace_id: str, event_id: str) -> bool:
        """True the first time an Events API `event_id` is seen; Slack retries reuse it."""
        with self._uow() as uow:
            first = uow.events.first_time(workspace_id, f"event:{event_id}", now=self._clock.now())
            uow.commit()
            return first

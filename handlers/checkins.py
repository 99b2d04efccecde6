"""Answers to check-ins: the On track / Blocked / Done buttons, the Blocked reason modal, and
emoji reactions on a check-in message."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.clock import Clock
from bot.domain.errors import UserError
from bot.domain.model import Message, TaskView
from bot.services import Services
from bot.services.checkins import Answer
from handlers import ids
from handlers.blocks.checkins import checkin_answered, checkin_snoozed
from handlers.blocks.modals import reason_modal
from handlers.listener_kit import load_metadata, redrawn, workspace_of
from handlers.slack_replies import SlackReplies

log = logging.getLogger(__name__)

ANSWER_TEXT = {Answer.ON_TRACK: "On track 👍", Answer.DONE: "Done 🎉", Answer.BLOCKED: "Blocked 🚧"}
ONE_TASK_ANSWERS_ONLY = (
    "This message is about several tasks, so I can't tell which one that reaction answers. Use the buttons "
    "beside each task; a 👍 on the message marks every check-in in it on track."
)


# The emoji that answer a check-in, named once in handlers/ids.py (CONTRACT's list).
REACTION_ANSWERS: dict[str, Answer] = {
    **dict.fromkeys(ids.REACTIONS_DONE, Answer.DONE),
    **dict.fromkeys(ids.REACTIONS_ON_TRACK, Answer.ON_TRACK),
    **dict.fromkeys(ids.REACTIONS_BLOCKED, Answer.BLOCKED),
}


def _answer_text(answer: Answer, reason: str = "") -> str:
    text = ANSWER_TEXT[answer]
    return f"{text}: {reason}" if answer is Answer.BLOCKED and reason else text


class Checkins:
    def __init__(self, *, services: Services, gateway: SlackReplies, clock: Clock) -> None:
        self._services = services
        self._gateway = gateway
        self._clock = clock

    def register(self, app: App) -> None:
        app.action(ids.ACTION_CHECKIN_ON_TRACK)(self.on_checkin_on_track)
        app.action(ids.ACTION_CHECKIN_DONE)(self.on_done)
        app.action(ids.ACTION_CHECKIN_BLOCKED)(self.on_blocked)
        app.action(ids.ACTION_CHECKIN_LATER)(self.on_later)
        app.view(ids.VIEW_BLOCKED)(self.on_blocked_reason)
        app.event(ids.EVENT_REACTION_ADDED)(self.on_reaction)

    def on_checkin_on_track(self, ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        ack()
        self._button(body, context, respond, Answer.ON_TRACK)

    def on_done(self, ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        ack()
        self._button(body, context, respond, Answer.DONE)

    def _button(self, body: dict[str, Any], context: BoltContext, respond: Respond, answer: Answer) -> None:
        workspace_id = workspace_of(context, body)
        channel, ts = _container(body)
        try:
            outcome = self._services.checkins.answer(
                workspace_id,
                body["user"]["id"],
                int(body["actions"][0]["value"]),
                answer,
                channel_id=channel,
                message_ts=ts,
            )
        except UserError as error:
            respond(replace_original=False, text=error.reply)
            return
        respond(
            replace_original=True,
            **self._redrawn(workspace_id, channel, ts, outcome.task, _answer_text(answer)).as_kwargs(),
        )

    def on_later(self, ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        """**Later**: ask again on the next working morning; the message says until when."""
        ack()
        workspace_id = workspace_of(context, body)
        channel, ts = _container(body)
        try:
            snoozed = self._services.checkins.snooze(
                workspace_id, body["user"]["id"], int(body["actions"][0]["value"]), channel_id=channel, ts=ts
            )
        except UserError as error:
            respond(replace_original=False, text=error.reply)
            return
        now = self._clock.now()
        fallback = checkin_snoozed(snoozed.task, until=snoozed.until, now=now)
        message = redrawn(self._services, workspace_id, channel, ts, fallback=fallback, now=now)
        respond(replace_original=True, **message.as_kwargs())

    def on_blocked(self, ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        """Ask what is in the way (optional); the alert goes out when the modal is submitted."""
        ack()
        workspace_id = workspace_of(context, body)
        try:
            task = self._services.tasks.get(workspace_id, int(body["actions"][0]["value"]))
        except UserError as error:
            respond(replace_original=False, text=error.reply)
            return
        if body["user"]["id"] != task.assignee_id:
            respond(replace_original=False, text=f"Only <@{task.assignee_id}> can answer this check-in.")
            return
        container = body.get("container") or {}
        metadata = {
            "task_id": task.id,
            "channel_id": container.get("channel_id"),
            "message_ts": container.get("message_ts"),
        }
        view = reason_modal(
            callback_id=ids.VIEW_BLOCKED,
            task=task,
            title=f"Blocked on {task.ref}",
            label="What is in the way? (optional) The person who delegated it will see this.",
            private_metadata=json.dumps(metadata),
        )
        self._gateway.open_view(workspace_id, body["trigger_id"], view)

    def on_blocked_reason(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        workspace_id = workspace_of(context, body)
        metadata = load_metadata(view)
        values = view["state"]["values"]
        reason = ((values.get(ids.BLOCK_REASON) or {}).get(ids.INPUT_REASON) or {}).get("value") or ""
        channel, ts = str(metadata.get("channel_id") or ""), str(metadata.get("message_ts") or "")
        try:
            outcome = self._services.checkins.answer(
                workspace_id,
                body["user"]["id"],
                int(metadata["task_id"]),
                Answer.BLOCKED,
                channel_id=channel,
                message_ts=ts,
                reason=reason,
            )
        except UserError as error:
            ack(response_action="errors", errors={ids.BLOCK_REASON: error.reply})
            return
        ack()
        if channel and ts:
            redrawn = self._redrawn(workspace_id, channel, ts, outcome.task, _answer_text(Answer.BLOCKED, reason))
            self._gateway.update_message(workspace_id, channel, ts, redrawn)

    def on_reaction(self, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        """An emoji on a check-in message answers it, like the buttons do. On a message about several tasks
        a 👍 marks every check-in in it on track; other answers need the buttons, and Baton says so."""
        answer = REACTION_ANSWERS.get(str(event.get("reaction", "")).split("::")[0])
        item = event.get("item") or {}
        if answer is None or item.get("type") != "message":
            return
        workspace_id = workspace_of(context, body)
        event_id = str(body.get("event_id") or "")
        if event_id and not self._services.checkins.first_event(workspace_id, event_id):
            return  # Slack retried a delivery we already handled
        channel, ts = str(item.get("channel") or ""), str(item.get("ts") or "")
        user = str(event.get("user"))
        task_ids = self._services.checkins.checkins_at_message(workspace_id, channel_id=channel, ts=ts)
        if not task_ids:
            return
        if len(task_ids) > 1 and answer is not Answer.ON_TRACK:
            self._gateway.post_ephemeral(workspace_id, channel, user, Message(text=ONE_TASK_ANSWERS_ONLY))
            return
        changed = None
        for task_id in task_ids:
            try:
                outcome = self._services.checkins.answer(
                    workspace_id, user, task_id, answer, channel_id=channel, message_ts=ts
                )
            except UserError as error:
                # Someone other than the assignee reacted, or the task is finished: a reaction is
                # not a command, so it gets no reply.
                log.info("checkin.reaction_ignored", extra={"task_id": task_id, "reason": type(error).__name__})
                continue
            if outcome.changed:
                changed = outcome.task
        if changed is not None:
            self._gateway.update_message(
                workspace_id, channel, ts, self._redrawn(workspace_id, channel, ts, changed, _answer_text(answer))
            )

    def _redrawn(self, workspace_id: str, channel: str, ts: str, task: TaskView, answer: str) -> Message:
        now = self._clock.now()
        fallback = checkin_answered(task, answer=answer, now=now)
        return redrawn(self._services, workspace_id, channel, ts, fallback=fallback, now=now)


def _container(body: dict[str, Any]) -> tuple[str, str]:
    """The (channel, ts) of the message a button was clicked in."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    return str(channel), str(container.get("message_ts") or "")

"""Buttons and the message shortcut: Accept, Decline, Done, New task, Create task from message."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.clock import Clock
from bot.domain.errors import UserError
from bot.domain.model import Message, TaskStatus, TaskView
from bot.domain.text import MAX_DETAILS_CHARS, MAX_TITLE_CHARS, clip, unescape
from bot.services import Services
from handlers import ids
from handlers.blocks.cards import assignment_answered, status_answer
from handlers.blocks.modals import new_task_modal, notice_modal, reason_modal
from handlers.listener_kit import failure_text, redrawn, suggested_assignees, workspace_of
from handlers.slack_replies import SlackReplies

log = logging.getLogger(__name__)


def _task_id(body: dict[str, Any]) -> int:
    return int(body["actions"][0]["value"])


class Actions:
    def __init__(self, *, services: Services, gateway: SlackReplies, clock: Clock) -> None:
        self._services = services
        self._gateway = gateway
        self._clock = clock

    def register(self, app: App) -> None:
        app.action(ids.ACTION_ACCEPT)(self.on_accept)
        app.action(ids.ACTION_DECLINE)(self.on_decline)
        app.action(ids.ACTION_DONE)(self.on_done)
        app.action(ids.ACTION_OPEN_TASK_MODAL)(self.on_open_task_modal)
        app.shortcut(ids.SHORTCUT_TASK_FROM_MESSAGE)(self.on_task_from_message)

    def on_accept(self, ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        ack()
        workspace_id = workspace_of(context, body)
        container = body.get("container") or {}
        channel, ts = str(container.get("channel_id") or ""), str(container.get("message_ts") or "")
        try:
            outcome = self._services.tasks.accept(
                workspace_id, body["user"]["id"], _task_id(body), message=(channel, ts) if channel and ts else None
            )
            task = outcome.task
        except UserError as error:
            self._refuse(workspace_id, body, respond, error)
            return
        now = self._clock.now()
        shown = redrawn(self._services, workspace_id, channel, ts, fallback=self._answered(task), now=now)
        respond(replace_original=True, **shown.as_kwargs())

    def on_decline(self, ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        """Ask for a reason in a modal; the decline itself happens when it is submitted."""
        ack()
        workspace_id = workspace_of(context, body)
        try:
            task = self._services.tasks.get(workspace_id, _task_id(body))
            if task.status is not TaskStatus.OPEN and task.status is not TaskStatus.ACCEPTED:
                respond(replace_original=True, **self._answered(task).as_kwargs())
                return
            if body["user"]["id"] != task.assignee_id:
                respond(replace_original=False, text=f"Only <@{task.assignee_id}> can decline {task.ref}.")
                return
        except UserError as error:
            respond(replace_original=False, text=error.reply)
            return
        container = body.get("container") or {}
        metadata = {
            "task_id": task.id,
            "channel_id": container.get("channel_id"),
            "message_ts": container.get("message_ts"),
        }
        view = reason_modal(
            callback_id=ids.VIEW_DECLINE,
            task=task,
            title=f"Decline {task.ref}",
            label="Why are you declining? The person who delegated it will see this.",
            private_metadata=json.dumps(metadata),
        )
        self._gateway.open_view(workspace_id, body["trigger_id"], view)

    def on_done(self, ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        """Done from the Home tab (no message to update: the Home tab is re-published)."""
        ack()
        workspace_id = workspace_of(context, body)
        try:
            self._services.tasks.complete(workspace_id, body["user"]["id"], task_id=_task_id(body))
        except UserError as error:
            self._gateway.open_view(workspace_id, body["trigger_id"], notice_modal(title="Baton", text=error.reply))
        except Exception as error:
            text = failure_text(error, what="action.done")
            self._gateway.open_view(workspace_id, body["trigger_id"], notice_modal(title="Baton", text=text))

    def on_open_task_modal(self, ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        workspace_id = workspace_of(context, body)
        view = new_task_modal(teams=self._services.teams.options(workspace_id), private_metadata=json.dumps({}))
        self._gateway.open_view(workspace_id, body["trigger_id"], view)

    def on_task_from_message(self, ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Open the New task modal prefilled with the message and a link back to it."""
        ack()
        workspace_id = workspace_of(context, body)
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or ""
        text = unescape(message.get("text") or "").strip()
        first_line = text.splitlines()[0] if text else ""
        domain = (body.get("team") or {}).get("domain")
        ts = str(message.get("ts") or "")
        link = None
        if domain and channel and ts:
            link = f"https://{domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        team = self._services.teams.by_channel(workspace_id, channel) if channel else None
        view = new_task_modal(
            teams=self._services.teams.options(workspace_id),
            title=clip(first_line, MAX_TITLE_CHARS),
            details=clip(text, MAX_DETAILS_CHARS) if text != first_line else "",
            team_id=team.id if team else None,
            source_link=link,
            private_metadata=json.dumps(
                {"channel_id": channel, "source_link": link, "response_url": body.get("response_url")}
            ),
            suggested=suggested_assignees(self._services, workspace_id, team.id if team else None),
        )
        self._gateway.open_view(workspace_id, body["trigger_id"], view)

    def _answered(self, task: TaskView) -> Message:
        return assignment_answered(task, answer=status_answer(task), now=self._clock.now())

    def _refuse(self, workspace_id: str, body: dict[str, Any], respond: Respond, error: UserError) -> None:
        """Say why, and if the task moved on (done, cancelled…), show that on the message."""
        try:
            task = self._services.tasks.get(workspace_id, _task_id(body))
        except UserError:
            respond(replace_original=False, text=error.reply)
            return
        except Exception as failure:
            respond(replace_original=False, text=failure_text(failure, what="action.refuse"))
            return
        if body["user"]["id"] == task.assignee_id:
            respond(replace_original=True, **self._answered(task).as_kwargs())
        respond(replace_original=False, text=error.reply)

"""Modal submissions: the New task form and the decline reason."""

from __future__ import annotations

import logging
import re
from datetime import date, time
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.clock import Clock
from bot.domain.errors import UserError
from bot.domain.model import Priority
from bot.services import Services
from bot.services.tasks import NewTask
from handlers import ids
from handlers.blocks.cards import assignment_answered, status_answer, task_created
from handlers.listener_kit import failure_text, load_metadata, redrawn, with_assignee_notes, workspace_of
from handlers.slack_replies import SlackReplies

log = logging.getLogger(__name__)

# Which input shows a service's field error.
FIELD_BLOCKS = {
    "title": ids.BLOCK_TITLE,
    "details": ids.BLOCK_DETAILS,
    "assignee": ids.BLOCK_ASSIGNEE,
    "due": ids.BLOCK_DUE_DATE,
    "team": ids.BLOCK_TEAM,
}


def as_plain_text(reply: str) -> str:
    """Modal errors are plain text: mentions and code marks would show raw, so say them plainly."""
    reply = re.sub(r"<@[A-Z0-9]+(\|[^>]*)?>", "this person", reply)
    reply = re.sub(r"<#[A-Z0-9]+(\|[^>]*)?>", "this channel", reply)
    reply = reply.replace("`", "")
    return reply.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _value(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    return dict((values.get(block) or {}).get(action) or {})


class Views:
    def __init__(self, *, services: Services, gateway: SlackReplies, clock: Clock) -> None:
        self._services = services
        self._gateway = gateway
        self._clock = clock

    def register(self, app: App) -> None:
        app.view(ids.VIEW_NEW_TASK)(self.on_new_task)
        app.view(ids.VIEW_DECLINE)(self.on_decline_reason)

    def on_new_task(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        """Validate, create and delegate; field errors show next to their inputs in the modal."""
        workspace_id = workspace_of(context, body)
        user = body["user"]["id"]
        values = view["state"]["values"]
        metadata = load_metadata(view)
        try:
            new = self._read_form(values, metadata)
            task, facts = self._services.tasks.delegate_and_note(workspace_id, user, new)
        except UserError as error:
            block = FIELD_BLOCKS.get(error.field or "", ids.BLOCK_TITLE)
            ack(response_action="errors", errors={block: as_plain_text(error.reply)})
            return
        except Exception as error:
            ack(response_action="errors", errors={ids.BLOCK_TITLE: failure_text(error, what="view.new_task")})
            return
        ack()
        response_url = metadata.get("response_url")
        if isinstance(response_url, str) and response_url:
            created = task_created(task, now=self._clock.now())
            created = with_assignee_notes(
                self._services, workspace_id, task, created, what=ids.VIEW_NEW_TASK, facts=facts
            )
            self._gateway.respond(response_url, created)

    def _read_form(self, values: dict[str, Any], metadata: dict[str, Any]) -> NewTask:
        title = _value(values, ids.BLOCK_TITLE, ids.INPUT_TITLE).get("value") or ""
        details = _value(values, ids.BLOCK_DETAILS, ids.INPUT_DETAILS).get("value") or ""
        assignee = _value(values, ids.BLOCK_ASSIGNEE, ids.INPUT_ASSIGNEE).get("selected_user")
        if not assignee:
            raise UserError("Pick who should do it.", field="assignee")
        picked_date = _value(values, ids.BLOCK_DUE_DATE, ids.INPUT_DUE_DATE).get("selected_date")
        picked_time = _value(values, ids.BLOCK_DUE_TIME, ids.INPUT_DUE_TIME).get("selected_time")
        priority = (_value(values, ids.BLOCK_PRIORITY, ids.INPUT_PRIORITY).get("selected_option") or {}).get(
            "value"
        ) or Priority.NORMAL.value
        team = (_value(values, ids.BLOCK_TEAM, ids.INPUT_TEAM).get("selected_option") or {}).get("value")
        try:
            due_date = date.fromisoformat(picked_date) if picked_date else None
            due_time = time.fromisoformat(picked_time) if picked_time else None
        except ValueError:  # Slack's pickers send valid values; anything else is answered, not a crash
            raise UserError("Pick the due date and time with the pickers.", field="due") from None
        return NewTask(
            assignee_id=str(assignee),
            title=title,
            details=details,
            due_date=due_date,
            due_time=due_time,
            priority=Priority(priority),
            team_id=int(team) if team else None,
            channel_id=metadata.get("channel_id") or None,
            source_link=metadata.get("source_link") or None,
        )

    def on_decline_reason(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        workspace_id = workspace_of(context, body)
        metadata = load_metadata(view)
        reason = _value(view["state"]["values"], ids.BLOCK_REASON, ids.INPUT_REASON).get("value") or ""
        channel, ts = metadata.get("channel_id"), metadata.get("message_ts")
        message = (str(channel), str(ts)) if channel and ts else None
        try:
            outcome = self._services.tasks.decline(
                workspace_id, body["user"]["id"], int(metadata["task_id"]), reason, message=message
            )
        except UserError as error:
            ack(response_action="errors", errors={ids.BLOCK_REASON: error.reply})
            return
        ack()
        if channel and ts:
            task = outcome.task
            now = self._clock.now()
            fallback = assignment_answered(task, answer=status_answer(task), now=now)
            answered = redrawn(self._services, workspace_id, str(channel), str(ts), fallback=fallback, now=now)
            self._gateway.update_message(workspace_id, str(channel), str(ts), answered)

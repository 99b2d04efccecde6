"""What every listener shares: the workspace a request came from, errors turned into answers, reply notes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import BoltContext

from bot.domain.errors import UserError, failure_reason, is_storage_unavailable
from bot.domain.model import Message, TaskView
from bot.services import Services
from bot.services.availability import NoteFacts
from handlers.blocks.away import away_warning
from handlers.blocks.hours import due_outside_hours
from handlers.blocks.outbox import render_message
from handlers.blocks.primitives import Block
from handlers.blocks.skills import suggested_lines

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = "Something went wrong on Baton's side; nothing was changed. Please try again."
DATABASE_DOWN = "Baton can't reach its database right now, so nothing was changed. Please try again in a minute."


def log_database_down(error: BaseException, *, what: str) -> None:
    """One warning line per refused request: the exception's class only, never its SQL or parameters."""
    log.warning("database.unavailable", extra={"handler": what, "reason": failure_reason(error)})


ORG_WIDE_INSTALL = (
    "Baton is installed per workspace, not org-wide across an Enterprise Grid organization, so nothing was done. "
    "An admin can install Baton in this workspace itself."
)
NO_WORKSPACE = "Slack didn't say which workspace this came from, so Baton did nothing."


def team_of(context: BoltContext, body: dict[str, Any]) -> str | None:
    """The Slack team (workspace) a request came from, if it names one."""
    team = context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")
    return str(team) if team else None


def workspace_of(context: BoltContext, body: dict[str, Any]) -> str:
    """The Slack team the request came from: the wall every query is scoped by. Requests without one, and
    those of an org-wide install, are answered before any listener (handlers/__init__.py per_workspace_only)."""
    team = team_of(context, body)
    if team is None:
        raise ValueError("request without a workspace")
    return team


def answer(run: Callable[[], Message | None], reply: Callable[[Message | None], None], *, what: str) -> None:
    """Run one use case and reply with its message (None: nothing to say), its user error, or a
    polite apology; every path replies exactly once, so Slack always gets its ack."""
    try:
        message = run()
    except UserError as error:
        reply(Message(text=error.reply))
        return
    except Exception as error:
        # The unit of work rolled back (or never began): nothing was committed, so say so.
        reply(Message(text=failure_text(error, what=what)))
        return
    reply(message)


def failure_text(error: Exception, *, what: str) -> str:
    """Call inside `except`: log an unexpected failure and return what the person reads; an outage
    asks to try again in a minute, a bug apologises (and is logged with its traceback)."""
    if is_storage_unavailable(error):
        log_database_down(error, what=what)
        return DATABASE_DOWN
    log.exception("handler.failed", extra={"handler": what})
    return SOMETHING_WENT_WRONG


def load_metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def suggested_assignees(services: Services, workspace_id: str, team_id: int | None) -> list[str]:
    """The New task modal's "Suggested:" lines for a team; a failure here never keeps the form from opening."""
    if team_id is None:
        return []
    try:
        return suggested_lines(services.skills.for_new_task(workspace_id, team_id))
    except Exception as error:
        if is_storage_unavailable(error):
            log_database_down(error, what="modal.suggestions")
        else:
            log.exception("handler.failed", extra={"handler": "modal.suggestions"})
        return []


def redrawn(
    services: Services, workspace_id: str, channel: str, ts: str, *, fallback: Message, now: datetime
) -> Message:
    """A message someone answered, drawn again as it now stands: for a message about several tasks, every
    task with its answer or its buttons; for one about a single task (or one Baton has no record of), the
    `fallback` that shows this answer."""
    shown = services.checkins.message(workspace_id, channel_id=channel, ts=ts) if channel and ts else None
    if shown is not None and shown.is_bundle:
        return render_message(shown, now=now)
    return fallback


def with_assignee_notes(
    services: Services,
    workspace_id: str,
    task: TaskView,
    message: Message,
    *,
    what: str,
    facts: NoteFacts | None = None,
) -> Message:
    """The delegator's reply, with a line when the assignee is away now, and one when the deadline falls
    outside their working hours or on a day they do not work (`facts`: what the task's own transaction read of
    them). The task is saved by then, so a failed lookup drops the line rather than reporting the task as not
    saved."""
    notes: list[Block] = []
    try:
        found = services.availability.assignee_notes(
            workspace_id, task.assignee_id, task.due_at, team_id=task.team_id, facts=facts
        )
        if found.away_until is not None:
            notes.append(away_warning(task.assignee_id, found.away_until))
        if found.outside is not None:
            notes.append(due_outside_hours(task, found.outside))
    except Exception as error:
        if is_storage_unavailable(error):
            log_database_down(error, what=what)
        else:
            log.warning("handler.assignee_lookup_failed", extra={"user": task.assignee_id, "handler": what})
    if not notes:
        return message
    return Message(text=message.text, blocks=(*message.blocks, *notes))

"""What every listener shares: the workspace of a request, and turning errors into answers."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext

from bot.domain.errors import UserError
from bot.domain.model import Message
from bot.services import Services
from handlers import blocks

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = "Something went wrong on Baton's side; nothing was changed. Please try again."


def workspace_of(context: BoltContext, body: dict[str, Any]) -> str:
    """The Slack team the request came from: the wall every query is scoped by."""
    team = context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")
    if not team and context.enterprise_id:
        team = context.enterprise_id
    if not team:
        raise ValueError("request without a workspace")
    return str(team)


def answer(run: Callable[[], Message | None], reply: Callable[[Message | None], None], *, what: str) -> None:
    """Run one use case and reply with its message (None: nothing to say), its user error, or a
    polite apology; every path replies exactly once, so Slack always gets its ack."""
    try:
        message = run()
    except UserError as error:
        reply(Message(text=error.reply))
        return
    except Exception:
        log.exception("handler.failed", extra={"handler": what})
        reply(Message(text=SOMETHING_WENT_WRONG))
        return
    reply(message)


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
        return blocks.suggested_lines(services.skills.for_new_task(workspace_id, team_id))
    except Exception:
        log.exception("handler.failed", extra={"handler": "modal.suggestions"})
        return []

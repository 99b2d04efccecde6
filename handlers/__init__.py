"""Slack Bolt listeners: thin edges that parse, call one service and render."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse

from bot.clock import Clock
from bot.domain.errors import is_storage_unavailable
from bot.domain.model import Message
from bot.services import Services
from handlers import ids
from handlers.actions import Actions
from handlers.blocks.modals import notice_modal
from handlers.checkins import Checkins
from handlers.commands import Commands
from handlers.events import Events
from handlers.listener_kit import DATABASE_DOWN, NO_WORKSPACE, ORG_WIDE_INSTALL, log_database_down, team_of
from handlers.slack_replies import SlackReplies
from handlers.views import Views

log = logging.getLogger(__name__)


def register(app: App, *, services: Services, gateway: SlackReplies, clock: Clock) -> None:
    """Wire every listener to the app; the callbacks live in one module per kind."""
    app.use(per_workspace_only)
    Commands(services=services, gateway=gateway, clock=clock).register(app)
    Actions(services=services, gateway=gateway, clock=clock).register(app)
    Views(services=services, gateway=gateway, clock=clock).register(app)
    Checkins(services=services, gateway=gateway, clock=clock).register(app)
    Events(services=services, gateway=gateway, clock=clock).register(app)
    for callback_id in (ids.VIEW_NEW_TASK, ids.VIEW_DECLINE, ids.VIEW_BLOCKED):
        # Baton's modals do not ask for `notify_on_close`; should Slack send view_closed anyway, it is
        # acknowledged (200) rather than left to Bolt's 404 for a request nobody listens to.
        app.view_closed(callback_id)(_acknowledge)

    @app.error
    def on_error(
        error: Exception, body: dict[str, Any], response: BoltResponse | None, ack: Ack
    ) -> BoltResponse | None:
        """Listeners answer their own errors; a database outage that got past one still gets a polite
        answer, and anything else is a bug worth its ids in the log (and Bolt's 500)."""
        if is_storage_unavailable(error):
            log_database_down(error, what=_what(body))
            if response is None:
                return None
            answered = ack.response
            if answered is not None and (body.get("command") or body.get("type") == "view_submission"):
                # The listener had already given its answer (a commit may be behind it, as when a
                # lookup after creating a task fails): that answer stands, never "nothing was changed".
                return BoltResponse(status=answered.status, body=answered.body, headers=answered.headers)
            return database_down_answer(body, gateway)
        log.error(
            "bolt.unhandled",
            exc_info=error,
            extra={
                "type": body.get("type"),
                "team": (body.get("team") or {}).get("id") or body.get("team_id"),
            },
        )
        return None


def _acknowledge(ack: Ack) -> None:
    ack()


def per_workspace_only(context: BoltContext, body: dict[str, Any], next_: Callable[[], None]) -> BoltResponse | None:
    """Bolt global middleware: Baton keeps each workspace's data apart and is installed per workspace. A
    request from an org-wide (Enterprise Grid) install, or one that names no workspace, gets one log line
    with its ids and a 2xx answer that changes nothing, and a slash command an ephemeral word why; Slack
    would only retry an event answered with an error."""
    org_wide = bool(context.is_enterprise_install)
    team = team_of(context, body)
    if not org_wide and team is not None:
        next_()
        return None
    ids = {"enterprise": context.enterprise_id, "team": team, "request": _what(body), "user": context.user_id}
    log.warning(
        "request.org_wide_install_refused" if org_wide else "request.without_workspace_refused",
        extra={name: value for name, value in ids.items() if value},
    )
    if body.get("command"):
        text = ORG_WIDE_INSTALL if org_wide else NO_WORKSPACE
        reply = json.dumps({"response_type": "ephemeral", "text": text})
        return BoltResponse(status=200, body=reply, headers={"content-type": "application/json"})
    return BoltResponse(status=200, body="")


def _what(body: dict[str, Any]) -> str:
    """The command, button or form a request was for: ids only, never what was typed."""
    actions = body.get("actions") or [{}]
    view = body.get("view") or {}
    event = body.get("event") or {}
    found = body.get("command") or actions[0].get("action_id") or view.get("callback_id") or event.get("type")
    return str(found or body.get("type") or "unknown")


def database_down_answer(body: dict[str, Any], gateway: SlackReplies) -> BoltResponse | None:
    """Say "try again in a minute" where the person is looking; None keeps Bolt's 500 for the Events
    API, whose retries (after 1 and 5 minutes) bring the event back once the database is."""
    reply: dict[str, Any]
    if body.get("command"):
        reply = {"response_type": "ephemeral", "text": DATABASE_DOWN}
        return BoltResponse(status=200, body=json.dumps(reply), headers={"content-type": "application/json"})
    if body.get("type") == "view_submission":
        view = body.get("view") or {}
        inputs = [b["block_id"] for b in view.get("blocks") or [] if b.get("type") == "input" and b.get("block_id")]
        if inputs:  # keep the modal and what was typed in it
            reply = {"response_action": "errors", "errors": {inputs[0]: DATABASE_DOWN}}
        else:
            reply = {"response_action": "update", "view": notice_modal(title="Baton", text=DATABASE_DOWN)}
        return BoltResponse(status=200, body=json.dumps(reply), headers={"content-type": "application/json"})
    if body.get("type") in ("block_actions", "message_action", "shortcut"):
        response_url = body.get("response_url")
        if isinstance(response_url, str) and response_url:
            gateway.respond(response_url, Message(text=DATABASE_DOWN))
        elif body.get("trigger_id"):  # the Home tab has no response_url
            gateway.open_view(
                str((body.get("team") or {}).get("id") or body.get("team_id") or ""),
                str(body["trigger_id"]),
                notice_modal(title="Baton", text=DATABASE_DOWN),
            )
        return BoltResponse(status=200, body="")
    return None

"""Slack Bolt listeners: thin edges that parse, call one service and render."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.clock import Clock
from bot.services import Services
from handlers.actions import Actions
from handlers.checkins import Checkins
from handlers.commands import Commands
from handlers.events import Events
from handlers.gateway_port import Gateway
from handlers.views import Views

log = logging.getLogger(__name__)


def register(app: App, *, services: Services, gateway: Gateway, clock: Clock) -> None:
    """Wire every listener to the app; the callbacks live in one module per kind."""
    Commands(services=services, gateway=gateway, clock=clock).register(app)
    Actions(services=services, gateway=gateway, clock=clock).register(app)
    Views(services=services, gateway=gateway, clock=clock).register(app)
    Checkins(services=services, gateway=gateway, clock=clock).register(app)
    Events(services=services).register(app)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Listeners answer their own errors; reaching here is a bug worth its ids in the log.
        log.error(
            "bolt.unhandled",
            exc_info=error,
            extra={
                "type": body.get("type"),
                "team": (body.get("team") or {}).get("id") or body.get("team_id"),
            },
        )

"""Events API: the App Home tab is published when a person opens it; uninstalling stops all sending."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.services import Services
from handlers import ids
from handlers.edges import workspace_of


class Events:
    def __init__(self, *, services: Services) -> None:
        self._s = services

    def register(self, app: App) -> None:
        app.event(ids.EVENT_APP_HOME_OPENED)(self.on_app_home_opened)
        app.event(ids.EVENT_APP_UNINSTALLED)(self.on_app_uninstalled)
        app.event(ids.EVENT_TOKENS_REVOKED)(self.on_tokens_revoked)

    def on_app_home_opened(self, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        self._s.home_publisher.publish(workspace_of(context, body), event["user"])

    def on_app_uninstalled(self, body: dict[str, Any], context: BoltContext) -> None:
        self._s.installs.uninstalled(workspace_of(context, body))

    def on_tokens_revoked(self, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        """Only the bot token matters to Baton (it asks for no user scopes): without it nothing can be sent."""
        if (event.get("tokens") or {}).get("bot"):
            self._s.installs.uninstalled(workspace_of(context, body))

"""Events API: the App Home tab is published when a person opens it; uninstalling stops all sending; a person's
zone and status are kept fresh from user_change; a message typed in Baton's DM gets a short help."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.clock import Clock
from bot.domain.model import Message
from bot.services import Services
from bot.services.ports import slack_user
from handlers import ids
from handlers.listener_kit import workspace_of
from handlers.slack_replies import SlackReplies

log = logging.getLogger(__name__)

DM_HELP = (
    "👋 I don't read messages typed here. `/task` creates and lists tasks (`/task help` shows all it does), "
    "`/task hours` sets when I may message you, and the buttons on my messages answer check-ins."
)


class Events:
    def __init__(self, *, services: Services, gateway: SlackReplies, clock: Clock) -> None:
        self._services = services
        self._gateway = gateway
        self._clock = clock

    def register(self, app: App) -> None:
        app.event(ids.EVENT_APP_HOME_OPENED)(self.on_app_home_opened)
        app.event(ids.EVENT_APP_UNINSTALLED)(self.on_app_uninstalled)
        app.event(ids.EVENT_TOKENS_REVOKED)(self.on_tokens_revoked)
        app.event(ids.EVENT_USER_CHANGE)(self.on_user_change)
        app.event(ids.EVENT_MESSAGE)(self.on_message)

    def on_user_change(self, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        """Someone's profile changed: keep their zone and status (an away status counts as time off) fresh."""
        user = event.get("user")
        if not isinstance(user, dict) or not user.get("id"):
            return
        self._services.people.apply(workspace_of(context, body), slack_user(user))

    def on_message(self, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        """A person typed in Baton's DM: a short help, at most once an hour each. Baton's own messages (Bolt
        drops those), edits, deletions and other subtypes, and messages in channels get nothing."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        user, channel = str(event.get("user") or ""), str(event.get("channel") or "")
        if not user or not channel:
            return
        workspace_id = workspace_of(context, body)
        hour = self._clock.now().strftime("%Y-%m-%dT%H")
        if not self._services.checkins.first_event(workspace_id, f"dm-help:{user}:{hour}"):
            return  # answered this hour already, or Slack retried the delivery
        self._gateway.post_reply(workspace_id, channel, Message(text=DM_HELP))

    def on_app_home_opened(self, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        if event.get("tab", "home") != "home":
            return
        self._services.home_publisher.publish(workspace_of(context, body), event["user"], background=False)

    def on_app_uninstalled(self, body: dict[str, Any], context: BoltContext) -> None:
        self._services.installs.uninstalled(workspace_of(context, body))

    def on_tokens_revoked(self, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        """Only the bot token matters to Baton (it asks for no user scopes): without it nothing can be sent."""
        if (event.get("tokens") or {}).get("bot"):
            self._services.installs.uninstalled(workspace_of(context, body))

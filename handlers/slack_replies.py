"""What listeners ask of Slack beyond Bolt's ack/respond: open and update views and messages, answer and reply."""

from __future__ import annotations

from typing import Any, Protocol

from bot.domain.model import Message


class SlackReplies(Protocol):
    def open_view(self, workspace_id: str, trigger_id: str, view: dict[str, Any]) -> bool: ...

    def update_message(self, workspace_id: str, channel: str, ts: str, message: Message) -> bool: ...

    def respond(self, response_url: str, message: Message, *, replace_original: bool = False) -> bool: ...

    def post_ephemeral(self, workspace_id: str, channel: str, user_id: str, message: Message) -> bool: ...

    def post_reply(self, workspace_id: str, channel: str, message: Message) -> bool: ...

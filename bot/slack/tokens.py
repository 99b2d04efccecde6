"""Where a workspace's bot token comes from: the settings (one workspace) or the installation store (OAuth)."""

from __future__ import annotations

from typing import Protocol


class TokenUnavailable(Exception):
    """The workspace is installed but its token could not be refreshed just now: try again later."""


class TokenSource(Protocol):
    def bot_token(self, workspace_id: str) -> str | None:
        """The workspace's bot token; None when Baton is not installed there; may raise TokenUnavailable."""
        ...


class StaticToken:
    """Single-workspace mode: SLACK_BOT_TOKEN for every workspace."""

    def __init__(self, token: str) -> None:
        self._token = token

    def bot_token(self, workspace_id: str) -> str | None:
        return self._token

    def forget(self, workspace_id: str) -> None:
        """Nothing to delete: the token lives in the settings; Slack has revoked it."""

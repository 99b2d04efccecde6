"""What Baton's WebClients report about each Web API call: a Protocol, so bot/slack never imports prometheus."""

from __future__ import annotations

from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from bot.call_outcomes import ERROR, OK, RATELIMITED, UNREACHABLE


class CallObserver(Protocol):
    """Told once per Web API call with its method (e.g. "chat.postMessage") and outcome."""

    def slack_call(self, method: str, outcome: str) -> None: ...


class NoObserver:
    """The default when nothing watches: calls work the same without metrics."""

    def slack_call(self, method: str, outcome: str) -> None:
        """Ignore the call."""


def outcome_of(error: Exception) -> str:
    """How a failed call ended: rate limited, refused by Slack, or never answered."""
    if isinstance(error, SlackApiError):
        return RATELIMITED if error.response.status_code == 429 else ERROR
    return UNREACHABLE


class ObservedWebClient(WebClient):
    """A WebClient that reports every call, once, after slack_sdk's own retries (one place for all methods)."""

    def __init__(self, *args: Any, observer: CallObserver | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.observer: CallObserver = observer or NoObserver()

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        """The one method every typed call (chat_postMessage, views_open …) goes through."""
        try:
            response = super().api_call(api_method, **kwargs)
        except (SlackApiError, SlackClientError, OSError) as error:
            self.observer.slack_call(api_method, outcome_of(error))
            raise
        self.observer.slack_call(api_method, OK)
        return response

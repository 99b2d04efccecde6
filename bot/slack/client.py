"""Builds Baton's WebClients: our base URL and timeout, with retries only where they are safe."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.slack.observer import CallObserver, ObservedWebClient

TIMEOUT_SECONDS = 10


def make_interactive_client(*, token: str | None, base_url: str, observer: CallObserver | None = None) -> WebClient:
    """For request-path calls that are safe to repeat (views.open, users.info, views.publish)."""
    return ObservedWebClient(
        token=token,
        base_url=base_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
        observer=observer,
    )


def make_delivery_client(*, token: str | None, base_url: str, observer: CallObserver | None = None) -> WebClient:
    """For posting: no automatic retry. A repeated chat.postMessage could post twice, so the
    outbox decides when to try again, after looking for the first attempt in the history."""
    return ObservedWebClient(
        token=token, base_url=base_url, timeout=TIMEOUT_SECONDS, retry_handlers=[], observer=observer
    )

"""The only holder of Slack WebClients: typed calls whose answers are classified for the outbox."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.metadata import Metadata
from slack_sdk.webhook import WebhookClient

from bot.domain.model import Message
from bot.services.ports import Failed, RetryLater, SendOutcome, Sent, SlackUnavailable, SlackUser, slack_user
from bot.slack.tokens import TokenSource, TokenUnavailable

log = logging.getLogger(__name__)

# Answers that mean "try again later"; any other error is Slack refusing for good.
NOT_INSTALLED = "app_uninstalled"
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


def _classify(error: SlackApiError | SlackClientError) -> RetryLater | Failed:
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = str(error.response.get("error", "")) if error.response.data else ""
        if status == 429:
            retry_after = error.response.headers.get("Retry-After") or error.response.headers.get("retry-after")
            seconds = float(retry_after) if retry_after and str(retry_after).isdigit() else None
            return RetryLater("ratelimited", after_seconds=seconds if seconds is not None else 30.0)
        if status >= 500 or code in TRANSIENT_ERRORS:
            return RetryLater(code or f"http_{status}")
        return Failed(code or f"http_{status}")
    # Timeouts, refused connections, malformed answers: the outcome is unknown, try later.
    return RetryLater(type(error).__name__)


class _NoToken(Exception):
    def __init__(self, outcome: RetryLater | Failed) -> None:
        self.outcome = outcome


class SlackGateway:
    """Typed Web API calls, each in one workspace with that workspace's bot token; posting never retries
    by itself (see bot/slack/client.py)."""

    def __init__(
        self, *, interactive: WebClient, delivery: WebClient, metadata_event_type: str, tokens: TokenSource
    ) -> None:
        self._interactive = interactive
        self._delivery = delivery
        # Marks every message Baton posts, so a message whose answer was lost can be found again.
        self._metadata_event_type = metadata_event_type
        self._tokens = tokens

    def _token(self, workspace_id: str) -> str:
        try:
            token = self._tokens.bot_token(workspace_id)
        except TokenUnavailable as error:
            raise _NoToken(RetryLater(str(error))) from None
        except ValueError:  # stored with another BATON_ENCRYPTION_KEY: an operator must fix the key
            log.error("slack.token_undecryptable", extra={"workspace": workspace_id})
            raise _NoToken(Failed("token_undecryptable")) from None
        if token is None:
            raise _NoToken(Failed(NOT_INSTALLED))
        return token

    def token_workspace(self) -> str | None:
        """The workspace the settings' bot token belongs to (auth.test); None when Slack does not say."""
        try:
            response = self._interactive.auth_test()
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
            log.warning("slack.auth_test_failed", extra={"reason": _reason(error)})
            return None
        team = response.get("team_id")
        return str(team) if team else None

    # people -----------------------------------------------------------------------------------
    def user_info(self, workspace_id: str, user_id: str) -> SlackUser | None:
        try:
            response = self._interactive.users_info(token=self._token(workspace_id), user=user_id)
        except _NoToken as error:
            raise SlackUnavailable(error.outcome.reason) from None
        except SlackApiError as error:
            if error.response.get("error") in ("user_not_found", "users_not_found"):
                return None
            raise SlackUnavailable(str(error.response.get("error", "error"))) from None
        except (SlackClientError, OSError, TimeoutError) as error:
            raise SlackUnavailable(type(error).__name__) from None
        return slack_user(response["user"])

    # messages ---------------------------------------------------------------------------------
    def open_dm(self, workspace_id: str, user_id: str) -> str | Failed | RetryLater:
        try:
            response = self._delivery.conversations_open(token=self._token(workspace_id), users=user_id)
        except _NoToken as error:
            return error.outcome
        except (SlackApiError, SlackClientError) as error:
            return _classify(error)
        except (OSError, TimeoutError) as error:
            return RetryLater(type(error).__name__)
        return str(response["channel"]["id"])

    def post_message(
        self, workspace_id: str, channel: str, message: Message, *, dedupe_keys: Sequence[str]
    ) -> SendOutcome:
        """Post with Baton's metadata (every dedupe key the message carries), so a message whose answer was
        lost can be found again."""
        try:
            response = self._delivery.chat_postMessage(
                token=self._token(workspace_id),
                channel=channel,
                text=message.text,
                blocks=list(message.blocks) or None,
                metadata=Metadata(event_type=self._metadata_event_type, event_payload=metadata_payload(dedupe_keys)),
                unfurl_links=False,
                unfurl_media=False,
            )
        except _NoToken as error:
            return error.outcome
        except (SlackApiError, SlackClientError) as error:
            return _classify(error)
        except (OSError, TimeoutError) as error:
            return RetryLater(type(error).__name__)
        return Sent(channel=str(response["channel"]), ts=str(response["ts"]))

    def find_posted(self, workspace_id: str, channel: str, *, dedupe_keys: Sequence[str]) -> dict[str, str]:
        # No `oldest`: Slack's ts is Slack's clock, and Baton's may differ (`baton tick --at`).
        try:
            response = self._delivery.conversations_history(
                token=self._token(workspace_id), channel=channel, limit=100, include_all_metadata=True
            )
        except _NoToken as error:
            raise SlackUnavailable(error.outcome.reason) from None
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
            log.warning("slack.history_failed", extra={"reason": type(error).__name__})
            raise SlackUnavailable("conversations.history") from None
        wanted = set(dedupe_keys)
        found: dict[str, str] = {}
        for item in response.get("messages") or []:
            metadata = item.get("metadata") or {}
            if metadata.get("event_type") != self._metadata_event_type:
                continue
            for key in keys_in_payload(metadata.get("event_payload") or {}):
                if key in wanted:
                    found.setdefault(key, str(item["ts"]))
        return found

    def update_message(self, workspace_id: str, channel: str, ts: str, message: Message) -> bool:
        return isinstance(self.edit_message(workspace_id, channel, ts, message), Sent)

    def edit_message(self, workspace_id: str, channel: str, ts: str, message: Message) -> SendOutcome:
        try:
            self._delivery.chat_update(
                token=self._token(workspace_id),
                channel=channel,
                ts=ts,
                text=message.text,
                blocks=list(message.blocks) or None,
            )
        except _NoToken as error:
            return error.outcome
        except (SlackApiError, SlackClientError) as error:
            log.warning("slack.update_failed", extra={"channel": channel, "reason": _reason(error)})
            return _classify(error)
        except (OSError, TimeoutError) as error:
            log.warning("slack.update_failed", extra={"channel": channel, "reason": _reason(error)})
            return RetryLater(type(error).__name__)
        return Sent(channel=channel, ts=ts)

    def post_ephemeral(self, workspace_id: str, channel: str, user_id: str, message: Message) -> bool:
        """A note only `user_id` sees, in a conversation (a hint about a reaction Baton can't act on)."""
        try:
            self._interactive.chat_postEphemeral(
                token=self._token(workspace_id),
                channel=channel,
                user=user_id,
                text=message.text,
                blocks=list(message.blocks) or None,
            )
        except _NoToken:
            return False
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
            log.warning("slack.ephemeral_failed", extra={"channel": channel, "reason": _reason(error)})
            return False
        return True

    def post_reply(self, workspace_id: str, channel: str, message: Message) -> bool:
        """An answer in a conversation, outside the outbox (the help a DM typed to Baton gets)."""
        try:
            self._interactive.chat_postMessage(
                token=self._token(workspace_id),
                channel=channel,
                text=message.text,
                blocks=list(message.blocks) or None,
                unfurl_links=False,
                unfurl_media=False,
            )
        except _NoToken:
            return False
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
            log.warning("slack.reply_failed", extra={"channel": channel, "reason": _reason(error)})
            return False
        return True

    # views ------------------------------------------------------------------------------------
    def open_view(self, workspace_id: str, trigger_id: str, view: dict[str, Any]) -> bool:
        try:
            self._interactive.views_open(token=self._token(workspace_id), trigger_id=trigger_id, view=view)
        except _NoToken:
            return False
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
            log.warning("slack.views_open_failed", extra={"reason": _reason(error)})
            return False
        return True

    def respond(self, response_url: str, message: Message, *, replace_original: bool = False) -> bool:
        return respond_via(response_url, message, replace_original=replace_original)

    def publish_home(self, workspace_id: str, user_id: str, view: dict[str, Any]) -> bool:
        try:
            self._interactive.views_publish(token=self._token(workspace_id), user_id=user_id, view=view)
        except _NoToken:
            return False
        except (SlackApiError, SlackClientError, OSError, TimeoutError) as error:
            log.warning("slack.views_publish_failed", extra={"user": user_id, "reason": _reason(error)})
            return False
        return True


def metadata_payload(dedupe_keys: Sequence[str]) -> dict[str, Any]:
    """The `event_payload` of Baton's message metadata: the first key as `dedupe_key` (what a message about
    one task always carried) and, for a message about several, all of them as `dedupe_keys`."""
    keys = list(dedupe_keys)
    payload: dict[str, Any] = {"dedupe_key": keys[0]} if keys else {}
    if len(keys) > 1:
        payload["dedupe_keys"] = keys
    return payload


def keys_in_payload(payload: dict[str, Any]) -> list[str]:
    """Every dedupe key a message's metadata names."""
    keys = [str(payload["dedupe_key"])] if payload.get("dedupe_key") else []
    listed = payload.get("dedupe_keys")
    if isinstance(listed, list):
        keys += [str(key) for key in listed if key]
    return list(dict.fromkeys(keys))


def _reason(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error", error.response.status_code))
    return type(error).__name__


def respond_via(response_url: str, message: Message, *, replace_original: bool, timeout: int = 10) -> bool:
    """Answer through an interaction's response_url (no token needed; valid 30 min, 5 uses)."""
    try:
        result = WebhookClient(response_url, timeout=timeout).send(
            text=message.text,
            blocks=list(message.blocks) or None,
            response_type="ephemeral",
            replace_original=replace_original,
        )
    except (OSError, TimeoutError, SlackClientError) as error:
        log.warning("slack.respond_failed", extra={"reason": type(error).__name__})
        return False
    return result.status_code == 200

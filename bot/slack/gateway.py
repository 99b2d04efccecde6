"""The only holder of Slack WebClients: typed calls whose answers are classified for the outbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.metadata import Metadata
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookClient

from bot.call_outcomes import HELD_BACK
from bot.domain.model import Message
from bot.services.ports import (
    Failed,
    Looked,
    RetryLater,
    SendOutcome,
    Sent,
    SlackUnavailable,
    SlackUser,
    slack_user,
)
from bot.slack.limits import RateLimits
from bot.slack.observer import CallObserver, NoObserver
from bot.slack.tokens import TokenSource, TokenUnavailable

log = logging.getLogger(__name__)

# Answers that mean "try again later"; any other error is Slack refusing for good.
NOT_INSTALLED = "app_uninstalled"
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
DEFAULT_RETRY_AFTER = 30.0
# Pages of a conversation's history read to find one lost message (each page is one call of its budget).
MAX_HISTORY_PAGES = 4
# Refusals worth a log line of their own (the caller logs the rest with what it was doing).
_LOGGED = frozenset({"invalid_arguments", "missing_scope", "not_authed", "invalid_auth"})


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


_Outcome = RetryLater | Failed


class SlackGateway:
    """Typed Web API calls, each in one workspace with that workspace's bot token, within each method's rate
    budget there (bot/slack/limits.py); posting never retries by itself (see bot/slack/client.py)."""

    def __init__(
        self,
        *,
        interactive: WebClient,
        delivery: WebClient,
        metadata_event_type: str,
        tokens: TokenSource,
        limits: RateLimits | None = None,
        observer: CallObserver | None = None,
    ) -> None:
        self._interactive = interactive
        self._delivery = delivery
        # Marks every message Baton posts, so a message whose answer was lost can be found again.
        self._metadata_event_type = metadata_event_type
        self._tokens = tokens
        self.limits = limits or RateLimits()
        self._observer: CallObserver = observer or NoObserver()

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

    def _call(
        self,
        workspace_id: str,
        method: str,
        call: Callable[[str], SlackResponse],
        *,
        background: bool = False,
    ) -> SlackResponse | _Outcome:
        """One Web API call within the method's budget in the workspace. Over budget it is not made: a
        RetryLater that says so (`attempted` False). A 429 holds the method there for its Retry-After."""
        wait = self.limits.take(workspace_id, method, background=background)
        if wait > 0:
            self._observer.slack_call(method, HELD_BACK)
            return RetryLater("throttled", after_seconds=wait, attempted=False)
        try:
            return call(self._token(workspace_id))
        except _NoToken as error:
            return error.outcome
        except (SlackApiError, SlackClientError) as error:
            outcome = _classify(error)
            if isinstance(outcome, RetryLater) and outcome.reason == "ratelimited":
                self.limits.hold(workspace_id, method, outcome.after_seconds or DEFAULT_RETRY_AFTER)
                log.warning("slack.ratelimited", extra={"workspace": workspace_id, "method": method})
            elif isinstance(error, SlackApiError) and outcome.reason in _LOGGED:
                log.warning(
                    "slack.refused", extra={"workspace": workspace_id, "method": method, "reason": outcome.reason}
                )
            return outcome
        except (OSError, TimeoutError) as error:
            return RetryLater(type(error).__name__)

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
    def user_info(self, workspace_id: str, user_id: str, *, background: bool = False) -> SlackUser | None:
        answer = self._call(
            workspace_id,
            "users.info",
            lambda token: self._interactive.users_info(token=token, user=user_id),
            background=background,
        )
        if isinstance(answer, Failed) and answer.reason in ("user_not_found", "users_not_found"):
            return None
        if isinstance(answer, RetryLater | Failed):
            raise SlackUnavailable(answer.reason)
        return slack_user(answer["user"])

    # messages ---------------------------------------------------------------------------------
    def open_dm(self, workspace_id: str, user_id: str) -> str | Failed | RetryLater:
        """The id of Baton's DM with a person (conversations.open): only needed to look into that DM's
        history before Baton has ever posted there; a post names the person instead."""
        answer = self._call(
            workspace_id,
            "conversations.open",
            lambda token: self._delivery.conversations_open(token=token, users=user_id),
        )
        return answer if isinstance(answer, RetryLater | Failed) else str(answer["channel"]["id"])

    def post_message(
        self, workspace_id: str, channel: str, message: Message, *, dedupe_keys: Sequence[str]
    ) -> SendOutcome:
        """Post with Baton's metadata (every dedupe key the message carries), so a message whose answer was
        lost can be found again. `channel` may be a person's id: Slack posts to the app's DM with them and
        answers with that DM's `D…` id, so no conversations.open is needed."""
        answer = self._call(
            workspace_id,
            "chat.postMessage",
            lambda token: self._delivery.chat_postMessage(
                token=token,
                channel=channel,
                text=message.text,
                blocks=list(message.blocks) or None,
                metadata=Metadata(event_type=self._metadata_event_type, event_payload=metadata_payload(dedupe_keys)),
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        if isinstance(answer, RetryLater | Failed):
            return answer
        return Sent(channel=str(answer["channel"]), ts=str(answer["ts"]))

    def post_wait(self, workspace_id: str) -> float:
        """Seconds until chat.postMessage may be called in the workspace (0: now), spending nothing: a
        deliverer holds back what Slack would not take before reading and drawing it."""
        return self.limits.wait(workspace_id, "chat.postMessage")

    def paused_posts(self) -> dict[str, float]:
        """The workspaces whose chat.postMessage budget is spent, each with the seconds until it is not."""
        return self.limits.waits("chat.postMessage")

    def post_room(self) -> dict[str, int]:
        """Messages each workspace that posted in the last minute may still post now within the budget."""
        return self.limits.room("chat.postMessage")

    def posts_held(self) -> set[str]:
        """The workspaces where Slack answered chat.postMessage with a 429 whose Retry-After has not passed."""
        return self.limits.held("chat.postMessage")

    def post_moments(self, workspace_id: str, count: int) -> list[float]:
        """Seconds from now when the workspace's next `count` posts may go within the budget."""
        return self.limits.moments(workspace_id, "chat.postMessage", count)

    def find_posted(
        self,
        workspace_id: str,
        channel: str,
        *,
        dedupe_keys: Sequence[str],
        oldest: str | None = None,
        latest: str | None = None,
    ) -> Looked:
        """Look for messages Baton posted carrying these keys in a DM or channel, between `oldest` and `latest`
        (the ts of the messages Baton knew there just before and after: Slack's clock, so small by construction),
        a page at a time within the history budget (15 messages a page under the strict limits). `complete` only
        when the whole window was read: a look cut short (over budget, Slack not answering) proves nothing, and
        says how far down it read, so the next look goes on from there (`latest` is exclusive)."""
        wanted = set(dedupe_keys)
        found: dict[str, str] = {}
        cursor: str | None = None
        read_down_to: str | None = None  # Slack answers newest first: all newer than this was read
        for _ in range(MAX_HISTORY_PAGES):
            arguments: dict[str, Any] = {"channel": channel, "limit": self.limits.history_page}
            arguments["include_all_metadata"] = True
            if oldest:
                arguments["oldest"] = oldest
            if latest:
                arguments["latest"] = latest
            if cursor:
                arguments["cursor"] = cursor

            def read(token: str, arguments: dict[str, Any] = arguments) -> SlackResponse:
                return self._delivery.conversations_history(token=token, **arguments)

            answer = self._call(workspace_id, "conversations.history", read, background=True)
            if isinstance(answer, RetryLater | Failed):
                log.info("slack.history_not_read", extra={"workspace": workspace_id, "reason": answer.reason})
                wait = answer.after_seconds if isinstance(answer, RetryLater) else None
                return Looked(found=found, complete=False, retry_after=wait, read_down_to=read_down_to)
            for item in answer.get("messages") or []:
                read_down_to = min(read_down_to or str(item["ts"]), str(item["ts"]), key=float)
                metadata = item.get("metadata") or {}
                if metadata.get("event_type") != self._metadata_event_type:
                    continue
                for key in keys_in_payload(metadata.get("event_payload") or {}):
                    if key in wanted:
                        found.setdefault(key, str(item["ts"]))
            if set(found) == wanted:
                return Looked(found=found, complete=True)
            cursor = (
                ((answer.get("response_metadata") or {}).get("next_cursor") or "") if answer.get("has_more") else ""
            )
            if not cursor:
                return Looked(found=found, complete=True)
        return Looked(found=found, complete=False, read_down_to=read_down_to)

    def update_message(self, workspace_id: str, channel: str, ts: str, message: Message) -> bool:
        """Redraw a message someone just answered (they are looking at it)."""
        return isinstance(self.edit_message(workspace_id, channel, ts, message, background=False), Sent)

    def edit_message(
        self, workspace_id: str, channel: str, ts: str, message: Message, *, background: bool = True
    ) -> SendOutcome:
        answer = self._call(
            workspace_id,
            "chat.update",
            lambda token: self._delivery.chat_update(
                token=token, channel=channel, ts=ts, text=message.text, blocks=list(message.blocks) or None
            ),
            background=background,
        )
        if isinstance(answer, RetryLater | Failed):
            log.warning("slack.update_failed", extra={"channel": channel, "reason": answer.reason})
            return answer
        return Sent(channel=channel, ts=ts)

    def post_ephemeral(self, workspace_id: str, channel: str, user_id: str, message: Message) -> bool:
        """A note only `user_id` sees, in a conversation (a hint about a reaction Baton can't act on)."""
        answer = self._call(
            workspace_id,
            "chat.postEphemeral",
            lambda token: self._interactive.chat_postEphemeral(
                token=token, channel=channel, user=user_id, text=message.text, blocks=list(message.blocks) or None
            ),
        )
        return not isinstance(answer, RetryLater | Failed)

    def post_reply(self, workspace_id: str, channel: str, message: Message) -> bool:
        """An answer in a conversation, outside the outbox (the help a DM typed to Baton gets)."""
        answer = self._call(
            workspace_id,
            "chat.postMessage",
            lambda token: self._interactive.chat_postMessage(
                token=token,
                channel=channel,
                text=message.text,
                blocks=list(message.blocks) or None,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        return not isinstance(answer, RetryLater | Failed)

    # views ------------------------------------------------------------------------------------
    def open_view(self, workspace_id: str, trigger_id: str, view: dict[str, Any]) -> bool:
        answer = self._call(
            workspace_id,
            "views.open",
            lambda token: self._interactive.views_open(token=token, trigger_id=trigger_id, view=view),
        )
        if isinstance(answer, RetryLater | Failed):
            log.warning("slack.views_open_failed", extra={"reason": answer.reason})
            return False
        return True

    def respond(self, response_url: str, message: Message, *, replace_original: bool = False) -> bool:
        return respond_via(response_url, message, replace_original=replace_original)

    def publish_home(
        self, workspace_id: str, user_id: str, build: Callable[[], dict[str, Any]], *, background: bool = True
    ) -> SendOutcome:
        """Publish someone's Home tab, built only once the budget lets the call go (a refresh held back costs
        no database reads); a RetryLater says when to try again (the refresh is not dropped)."""
        answer = self._call(
            workspace_id,
            "views.publish",
            lambda token: self._interactive.views_publish(token=token, user_id=user_id, view=build()),
            background=background,
        )
        if isinstance(answer, RetryLater | Failed):
            log.warning("slack.views_publish_failed", extra={"user": user_id, "reason": answer.reason})
            return answer
        return Sent(channel=user_id, ts="")


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

"""Slack's requests to Baton, built in Slack's shapes and signed with the v0 scheme, posted to /slack/events.

Shapes follow what Slack sends (slash commands as form fields; interactivity as a form field `payload`
holding JSON; the Events API as a JSON `event_callback` envelope). The signature is slack_sdk's
SignatureVerifier scheme: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from playground import demo

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass(frozen=True)
class BatonReply:
    """Baton's HTTP answer: status 0 when it could not be reached at all."""

    status: int
    body: bytes = b""
    content_type: str = ""

    def json(self) -> dict[str, Any] | None:
        """The body as a JSON object (a command's reply, a view_submission's response_action), if it is one."""
        if not self.body.strip() or "json" not in self.content_type:
            return None
        try:
            decoded = json.loads(self.body.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        return decoded if isinstance(decoded, dict) else None


class Courier:
    """Posts signed requests to Baton's /slack/events, as Slack's servers do."""

    def __init__(self, *, events_url: str, signing_secret: str, timeout_seconds: float = 10.0) -> None:
        self.events_url = events_url
        self._verifier = SignatureVerifier(signing_secret)
        self._timeout = timeout_seconds

    def headers(self, body: str, content_type: str, *, timestamp: int | None = None) -> dict[str, str]:
        """The content type and the two signature headers Slack adds."""
        at = str(int(time.time()) if timestamp is None else timestamp)
        signature = self._verifier.generate_signature(timestamp=at, body=body)
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": at,
            "X-Slack-Signature": signature or "",
        }

    def post(self, body: str, content_type: str) -> BatonReply:
        """Send one signed request and return Baton's answer."""
        request = urllib.request.Request(
            self.events_url, data=body.encode("utf-8"), headers=self.headers(body, content_type), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310 - loopback
                return BatonReply(response.status, response.read(), response.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as failed:
            return BatonReply(failed.code, failed.read(), failed.headers.get("Content-Type", ""))
        except (OSError, TimeoutError):
            return BatonReply(0)

    def command(self, **fields: str) -> BatonReply:
        """A slash command (see `command_body`)."""
        return self.post(command_body(**fields), FORM)

    def interaction(self, payload: Mapping[str, Any]) -> BatonReply:
        """block_actions, view_submission, view_closed or message_action."""
        return self.post(urlencode({"payload": json.dumps(payload)}), FORM)

    def event(self, event: Mapping[str, Any]) -> BatonReply:
        """One Events API event in its event_callback envelope, with a fresh event_id."""
        return self.post(event_envelope(event), JSON)


def _user(user_id: str, name: str) -> dict[str, str]:
    return {"id": user_id, "username": name.lower(), "name": name.lower(), "team_id": demo.TEAM_ID}


def _team() -> dict[str, str]:
    return {"id": demo.TEAM_ID, "domain": demo.TEAM_DOMAIN}


def command_body(
    *,
    command: str,
    text: str,
    user_id: str,
    user_name: str,
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
) -> str:
    """A slash command as Slack posts it; `text` already Slack-escaped (mentions as <@U…|name>)."""
    return urlencode(
        {
            "token": "playground-verification-token",
            "team_id": demo.TEAM_ID,
            "team_domain": demo.TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name.lower(),
            "command": command,
            "text": text,
            "api_app_id": demo.APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def event_envelope(event: Mapping[str, Any]) -> str:
    """The Events API's event_callback around `event`."""
    event_id = "Ev" + uuid.uuid4().hex[:12].upper()
    return json.dumps(
        {
            "token": "playground-verification-token",
            "team_id": demo.TEAM_ID,
            "api_app_id": demo.APP_ID,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(float(str(event.get("event_ts") or time.time()))),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": demo.TEAM_ID,
                    "user_id": demo.BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event_id}",
        }
    )


def reaction_added(
    *, user_id: str, reaction: str, channel: str, ts: str, item_user: str, event_ts: str
) -> dict[str, Any]:
    """`reaction_added` on a message; `reaction` is the emoji name without colons."""
    return {
        "type": "reaction_added",
        "user": user_id,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": event_ts,
    }


def user_change(*, user: Mapping[str, Any], event_ts: str) -> dict[str, Any]:
    """`user_change`: someone's profile changed (a status, a zone); `user` is the full users.info object."""
    return {"type": "user_change", "user": dict(user), "cache_ts": int(float(event_ts)), "event_ts": event_ts}


def direct_message(*, user_id: str, channel: str, text: str, ts: str) -> dict[str, Any]:
    """`message` (`message.im`): a person typed `text` in their DM with the app (already Slack-escaped)."""
    return {
        "type": "message",
        "channel": channel,
        "user": user_id,
        "text": text,
        "ts": ts,
        "team": demo.TEAM_ID,
        "client_msg_id": str(uuid.uuid4()),
        "event_ts": ts,
        "channel_type": "im",
    }


def app_home_opened(*, user_id: str, view: Mapping[str, Any] | None, event_ts: str) -> dict[str, Any]:
    """`app_home_opened` for the Home tab; Slack includes `view` once one was published."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": demo.dm_channel_id(user_id),
        "tab": "home",
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = dict(view)
    return event


def block_actions(
    *,
    user_id: str,
    user_name: str,
    action: Mapping[str, Any],
    trigger_id: str,
    response_url: str | None,
    message: Mapping[str, Any] | None = None,
    channel: tuple[str, str] | None = None,
    is_ephemeral: bool = False,
    view: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload: on a message (with channel, message, response_url) or in a view."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name),
        "api_app_id": demo.APP_ID,
        "token": "playground-verification-token",
        "trigger_id": trigger_id,
        "team": _team(),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view["id"]}
        payload["view"] = dict(view)
        payload["state"] = {"values": {}}
    elif message is not None and channel is not None:
        payload["container"] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel[0],
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = {"id": channel[0], "name": channel[1]}
        payload["message"] = dict(message)
        payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(*, user_id: str, user_name: str, view: Mapping[str, Any], trigger_id: str) -> dict[str, Any]:
    """A `view_submission`: the stored view with `state.values` filled in."""
    return {
        "type": "view_submission",
        "team": _team(),
        "user": _user(user_id, user_name),
        "api_app_id": demo.APP_ID,
        "token": "playground-verification-token",
        "trigger_id": trigger_id,
        "enterprise": None,
        "is_enterprise_install": False,
        "view": dict(view),
        "response_urls": [],
    }


def view_closed(*, user_id: str, user_name: str, view: Mapping[str, Any]) -> dict[str, Any]:
    """A `view_closed` (sent only for a modal opened with notify_on_close)."""
    return {
        "type": "view_closed",
        "team": _team(),
        "user": _user(user_id, user_name),
        "api_app_id": demo.APP_ID,
        "token": "playground-verification-token",
        "view": dict(view),
        "is_cleared": False,
        "is_enterprise_install": False,
    }


def message_action(
    *,
    callback_id: str,
    user_id: str,
    user_name: str,
    channel: tuple[str, str],
    message: Mapping[str, Any],
    trigger_id: str,
    response_url: str,
) -> dict[str, Any]:
    """A message shortcut on `message`."""
    return {
        "type": "message_action",
        "token": "playground-verification-token",
        "action_ts": f"{time.time():.6f}",
        "team": _team(),
        "user": _user(user_id, user_name),
        "channel": {"id": channel[0], "name": channel[1]},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": dict(message),
    }

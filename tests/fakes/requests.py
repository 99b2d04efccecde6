"""Slack's incoming requests, built and signed the way Slack sends them, for App.dispatch and HTTP tests.

Payload shapes follow Slack's (and bolt-python's tests/scenario_tests); signatures follow
slack_sdk.signature.SignatureVerifier: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import APP_ID, BOT_ID, BOT_USER_ID, C_GENERAL, TEAM_DOMAIN, TEAM_ID, dm_channel_id

SIGNING_SECRET = "test-signing-secret"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
DEFAULT_MESSAGE_TS = "1700000000.000100"
STALE_SECONDS = 10 * 60  # Bolt refuses a timestamp more than 5 minutes off


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The two signature headers for `body`, at `timestamp` (default: now); add the content type yourself."""
    at = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=at, body=body)
    assert signature is not None
    return {"x-slack-request-timestamp": at, "x-slack-signature": signature}


def content_type_for(body: str) -> str:
    """JSON for an Events API envelope, form-encoded for commands and interactivity, as Slack sends them."""
    return JSON if body.lstrip().startswith("{") else FORM


def signed_headers(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str | None = None,
) -> dict[str, str]:
    """Signature plus content-type headers: what an HTTP test posts to `baton serve`."""
    return {
        "content-type": content_type or content_type_for(body),
        **sign(body, secret=secret, timestamp=timestamp),
    }


def bolt_request(
    body: str,
    *,
    headers: Mapping[str, str] | None = None,
    content_type: str | None = None,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> BoltRequest:
    """A request for App.dispatch, signed now with SIGNING_SECRET.

    `secret="wrong"` forges the signature and `timestamp=stale_timestamp` (the conftest fixture) makes it
    stale (Bolt answers 401 to both); `headers` adds or overrides headers, e.g. x-slack-retry-num.
    """
    all_headers: dict[str, str | list[str]] = dict(
        signed_headers(body, secret=secret, timestamp=timestamp, content_type=content_type)
    )
    all_headers.update(headers or {})
    return BoltRequest(body=body, headers=dict(all_headers))


# -- bodies ---------------------------------------------------------------------------------------


def _user_name(user_id: str) -> str:
    return user_id.removeprefix("U0").lower() or user_id.lower()


def command_body(
    command: str,
    text: str,
    *,
    user_id: str,
    response_url: str,
    team_id: str = TEAM_ID,
    channel_id: str = C_GENERAL,
    channel_name: str = "general",
    trigger_id: str = "trig-1",
) -> str:
    """A slash command as Slack posts it (form-encoded); pass `text` already Slack-escaped."""
    return urlencode(
        {
            "token": "verification-token",
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": _user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def action_body(payload: Mapping[str, Any]) -> str:
    """An interactivity payload (block action, view submission, shortcut) as Slack posts it."""
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: Mapping[str, Any], *, event_id: str = "Ev1", team_id: str = TEAM_ID) -> str:
    """An Events API event_callback envelope (JSON) around `event`."""
    event_ts = str(event.get("event_ts") or DEFAULT_MESSAGE_TS)
    return json.dumps(
        {
            "token": "verification-token",
            "team_id": team_id,
            "api_app_id": APP_ID,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(float(event_ts)),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event_id}",
        }
    )


# -- events ---------------------------------------------------------------------------------------


def reaction_added_event(
    reaction: str,
    *,
    user_id: str,
    channel: str,
    ts: str,
    item_user: str = BOT_USER_ID,
    event_ts: str = "1700000500.000100",
) -> dict[str, Any]:
    """`reaction_added` on a message: `reaction` is the emoji name without colons (e.g. "+1")."""
    return {
        "type": "reaction_added",
        "user": user_id,
        "reaction": reaction,
        "item_user": item_user,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": event_ts,
    }


def app_home_opened_event(
    user_id: str,
    *,
    tab: str = "home",
    view: Mapping[str, Any] | None = None,
    event_ts: str = "1700000500.000100",
) -> dict[str, Any]:
    """`app_home_opened`; Slack includes `view` only once a Home view was published for the person."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": dm_channel_id(user_id),
        "tab": tab,
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = dict(view)
    return event


# -- interactivity payloads -------------------------------------------------------------------------


def _user(user_id: str, team_id: str) -> dict[str, str]:
    name = _user_name(user_id)
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _team(team_id: str) -> dict[str, str]:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def block_action_payload(
    action_id: str,
    value: str | None,
    *,
    user_id: str,
    response_url: str | None,
    team_id: str = TEAM_ID,
    channel_id: str | None = None,
    message_ts: str = DEFAULT_MESSAGE_TS,
    block_id: str = "actions",
    trigger_id: str = "trig-1",
    message: Mapping[str, Any] | None = None,
    container: Mapping[str, Any] | None = None,
    view: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for one button click.

    On a message (the default): `channel_id` defaults to the clicker's DM with Baton (D + user id
    without U), and `message` (e.g. one of FakeSlack.messages()) defaults to a bare bot message at
    `message_ts`. With `view` (a modal or the Home tab) the container is that view and there is no
    channel or message; Slack sends a response_url there only for some surfaces, so pass None.
    """
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": "verification-token",
        "trigger_id": trigger_id,
        "team": _team(team_id),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": action_id, "emoji": True},
                "action_ts": "1700000500.000200",
                **({"value": value} if value is not None else {}),
            }
        ],
    }
    if view is not None:
        payload["container"] = dict(container or {"type": "view", "view_id": view.get("id", "V1")})
        payload["view"] = dict(view)
    else:
        channel = channel_id or dm_channel_id(user_id)
        shown = dict(message) if message is not None else {}
        shown.pop("channel", None)
        ts = str(shown.get("ts") or message_ts)
        payload["container"] = dict(
            container or {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False}
        )
        payload["channel"] = {
            "id": channel,
            "name": "directmessage" if channel.startswith("D") else "general",
        }
        payload["message"] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": "",
            "ts": ts,
            **shown,
        }
        payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission_payload(
    callback_id: str,
    values: Mapping[str, Mapping[str, Mapping[str, Any]]],
    *,
    user_id: str,
    private_metadata: str = "",
    team_id: str = TEAM_ID,
    view_id: str = "V1",
    trigger_id: str = "trig-1",
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A `view_submission`: `values` is view.state.values, {block_id: {action_id: element value}}.

    Build element values with plain_text_value(), users_select_value(), datepicker_value(),
    timepicker_value() and static_select_value().
    """
    return {
        "type": "view_submission",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "api_app_id": APP_ID,
        "token": "verification-token",
        "trigger_id": trigger_id,
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": json.loads(json.dumps(values))},
            "hash": "1700000500.abcdefgh",
            "title": {"type": "plain_text", "text": "Baton"},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel"},
            "submit": {"type": "plain_text", "text": "Submit"},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": BOT_ID,
        },
        "response_urls": [],
    }


def message_shortcut_payload(
    callback_id: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    text: str,
    message_user: str,
    response_url: str,
    trigger_id: str = "trig-1",
    team_id: str = TEAM_ID,
) -> dict[str, Any]:
    """A `message_action` (message shortcut) on the message at `message_ts` by `message_user`."""
    return {
        "type": "message_action",
        "token": "verification-token",
        "action_ts": "1700000500.000300",
        "team": _team(team_id),
        "user": _user(user_id, team_id),
        "channel": {"id": channel_id, "name": "general"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message_ts,
        "message": {
            "type": "message",
            "text": text,
            "user": message_user,
            "ts": message_ts,
            "team": team_id,
        },
    }


# -- element values for view_submission_payload ----------------------------------------------------


def plain_text_value(text: str | None) -> dict[str, Any]:
    """A plain_text_input's state; None is what Slack sends for an empty optional input."""
    return {"type": "plain_text_input", "value": text}


def users_select_value(user_id: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": user_id}


def datepicker_value(date: str | None) -> dict[str, Any]:
    """date as Slack sends it: "YYYY-MM-DD"."""
    return {"type": "datepicker", "selected_date": date}


def timepicker_value(hh_mm: str | None) -> dict[str, Any]:
    """time as Slack sends it: "HH:MM" (24 h)."""
    return {"type": "timepicker", "selected_time": hh_mm}


def static_select_value(value: str | None, text: str | None = None) -> dict[str, Any]:
    if value is None:
        return {"type": "static_select", "selected_option": None}
    option = {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}
    return {"type": "static_select", "selected_option": option}


def user_change_event(user: Mapping[str, Any], *, event_ts: str = "1700000600.000100") -> dict[str, Any]:
    """`user_change`: someone's profile changed; `user` is the users.info object as it is now."""
    return {"type": "user_change", "user": dict(user), "cache_ts": 1700000600, "event_ts": event_ts}


def im_message_event(
    user_id: str,
    text: str,
    *,
    channel: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
    ts: str = "1700000700.000100",
) -> dict[str, Any]:
    """A `message` event in a person's DM with Baton (`message.im`)."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel or dm_channel_id(user_id),
        "channel_type": "im",
        "user": user_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
    }
    if subtype is not None:
        event["subtype"] = subtype
    if bot_id is not None:
        event["bot_id"] = bot_id
    return event

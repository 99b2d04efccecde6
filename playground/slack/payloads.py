"""Slack's requests to an app in Slack's shapes (slash commands, interactivity payloads, Events API envelopes),
and the v0 signature Slack adds (slack_sdk's SignatureVerifier scheme)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from playground.slack.records import Team, dm_channel_id

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
VERIFICATION_TOKEN = "verification-token"  # the deprecated field Slack still sends; apps check the signature


def signature_headers(body: str, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The two signature headers Slack adds to `body`, at `timestamp` (default: now)."""
    at = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=at, body=body)
    return {"x-slack-request-timestamp": at, "x-slack-signature": signature or ""}


def content_type_for(body: str) -> str:
    """JSON for an Events API envelope, form-encoded for commands and interactivity, as Slack sends them."""
    return JSON if body.lstrip().startswith("{") else FORM


def _now_ts() -> str:
    return f"{time.time():.6f}"


# -- bodies ---------------------------------------------------------------------------------------


def command_body(
    command: str,
    text: str,
    *,
    team: Team,
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
            "token": VERIFICATION_TOKEN,
            "team_id": team.id,
            "team_domain": team.domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name.lower(),
            "command": command,
            "text": text,
            "api_app_id": team.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def interaction_body(payload: Mapping[str, Any]) -> str:
    """An interactivity payload (block action, view submission or closed, shortcut) as Slack posts it."""
    return urlencode({"payload": json.dumps(payload)})


def event_envelope(event: Mapping[str, Any], *, team: Team, event_id: str, event_time: int | None = None) -> str:
    """The Events API's event_callback around `event` (its `event_time` from the event's `event_ts` by default)."""
    if event_time is None:
        event_time = int(float(str(event.get("event_ts") or time.time())))
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team.id,
            "api_app_id": team.app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id,
            "event_time": event_time,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team.id,
                    "user_id": team.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{event_id}",
        }
    )


# -- events ---------------------------------------------------------------------------------------


def reaction_added(
    reaction: str, *, user_id: str, channel: str, ts: str, item_user: str, event_ts: str
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


def app_home_opened(
    user_id: str, *, view: Mapping[str, Any] | None, event_ts: str, tab: str = "home"
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


def user_change(user: Mapping[str, Any], *, event_ts: str) -> dict[str, Any]:
    """`user_change`: someone's profile changed (a status, a zone); `user` is the users.info object as it is now."""
    return {"type": "user_change", "user": dict(user), "cache_ts": int(float(event_ts)), "event_ts": event_ts}


def im_message(
    user_id: str,
    text: str,
    *,
    channel: str,
    ts: str,
    team_id: str | None = None,
    client_msg_id: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
) -> dict[str, Any]:
    """A `message` event in a person's DM with the app (`message.im`); `text` already Slack-escaped."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": user_id,
        "text": text,
        "ts": ts,
        "event_ts": ts,
    }
    optional = {"team": team_id, "client_msg_id": client_msg_id, "subtype": subtype, "bot_id": bot_id}
    event.update({name: value for name, value in optional.items() if value is not None})
    return event


# -- interactivity payloads -------------------------------------------------------------------------


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, str]:
    name = user_name.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _team(team: Team) -> dict[str, str]:
    return {"id": team.id, "domain": team.domain}


def block_actions(
    action: Mapping[str, Any],
    *,
    team: Team,
    user_id: str,
    user_name: str,
    trigger_id: str,
    response_url: str | None,
    message: Mapping[str, Any] | None = None,
    channel: tuple[str, str] | None = None,
    is_ephemeral: bool = False,
    view: Mapping[str, Any] | None = None,
    container: Mapping[str, Any] | None = None,
    action_ts: str | None = None,
) -> dict[str, Any]:
    """A `block_actions` payload for one action: in `view` (a modal or the Home tab), or on `message` in
    `channel` (id, name); Slack sends a response_url only for some surfaces."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team.id),
        "api_app_id": team.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "team": _team(team),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [{**action, "action_ts": action_ts or _now_ts()}],
    }
    if view is not None:
        payload["container"] = dict(container or {"type": "view", "view_id": view.get("id", "V1")})
        payload["view"] = dict(view)
        payload["state"] = {"values": {}}
    elif message is not None and channel is not None:
        payload["container"] = dict(
            container
            or {"type": "message", "message_ts": message["ts"], "channel_id": channel[0], "is_ephemeral": is_ephemeral}
        )
        payload["channel"] = {"id": channel[0], "name": channel[1]}
        payload["message"] = dict(message)
        payload["state"] = {"values": {}}
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def view_submission(
    view: Mapping[str, Any], *, team: Team, user_id: str, user_name: str, trigger_id: str
) -> dict[str, Any]:
    """A `view_submission` of `view`, its `state.values` filled in as {block_id: {action_id: element value}}."""
    return {
        "type": "view_submission",
        "team": _team(team),
        "user": _user(user_id, user_name, team.id),
        "api_app_id": team.app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "enterprise": None,
        "is_enterprise_install": False,
        "view": dict(view),
        "response_urls": [],
    }


def view_closed(view: Mapping[str, Any], *, team: Team, user_id: str, user_name: str) -> dict[str, Any]:
    """A `view_closed` (sent only for a modal opened with notify_on_close)."""
    return {
        "type": "view_closed",
        "team": _team(team),
        "user": _user(user_id, user_name, team.id),
        "api_app_id": team.app_id,
        "token": VERIFICATION_TOKEN,
        "view": dict(view),
        "is_cleared": False,
        "is_enterprise_install": False,
    }


def message_action(
    callback_id: str,
    *,
    team: Team,
    user_id: str,
    user_name: str,
    channel: tuple[str, str],
    message: Mapping[str, Any],
    trigger_id: str,
    response_url: str,
    action_ts: str | None = None,
) -> dict[str, Any]:
    """A message shortcut (`message_action`) on `message` in `channel` (id, name)."""
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": action_ts or _now_ts(),
        "team": _team(team),
        "user": _user(user_id, user_name, team.id),
        "channel": {"id": channel[0], "name": channel[1]},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": trigger_id,
        "response_url": response_url,
        "message_ts": message["ts"],
        "message": dict(message),
    }


# -- element values in a view's state ---------------------------------------------------------------


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

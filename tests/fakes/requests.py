"""Slack's incoming requests with the tests' defaults (team, ids, fixed times), built by playground.slack.payloads
and signed, for App.dispatch and HTTP tests."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from slack_bolt.request import BoltRequest

from playground.slack import payloads
from playground.slack.payloads import (
    FORM,
    JSON,
    content_type_for,
    datepicker_value,
    plain_text_value,
    static_select_value,
    timepicker_value,
    users_select_value,
)
from playground.slack.records import Team
from tests.fakes.slack_api import APP_ID, BOT_ID, BOT_USER_ID, C_GENERAL, TEAM, TEAM_ID, dm_channel_id

__all__ = [
    "FORM",
    "JSON",
    "content_type_for",
    "datepicker_value",
    "plain_text_value",
    "static_select_value",
    "timepicker_value",
    "users_select_value",
]

SIGNING_SECRET = "test-signing-secret"
DEFAULT_MESSAGE_TS = "1700000000.000100"
STALE_SECONDS = 10 * 60  # Bolt refuses a timestamp more than 5 minutes off


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The two signature headers for `body`, at `timestamp` (default: now); add the content type yourself."""
    return payloads.signature_headers(body, secret=secret, timestamp=timestamp)


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


def _team(team_id: str) -> Team:
    return TEAM if team_id == TEAM_ID else dataclasses.replace(TEAM, id=team_id)


def _user_name(user_id: str) -> str:
    return user_id.removeprefix("U0").lower() or user_id.lower()


# -- bodies ---------------------------------------------------------------------------------------


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
    return payloads.command_body(
        command,
        text,
        team=_team(team_id),
        user_id=user_id,
        user_name=_user_name(user_id),
        channel_id=channel_id,
        channel_name=channel_name,
        response_url=response_url,
        trigger_id=trigger_id,
    )


def action_body(payload: Mapping[str, Any]) -> str:
    """An interactivity payload (block action, view submission, shortcut) as Slack posts it."""
    return payloads.interaction_body(payload)


def event_body(event: Mapping[str, Any], *, event_id: str = "Ev1", team_id: str = TEAM_ID) -> str:
    """An Events API event_callback envelope (JSON) around `event`."""
    event_time = int(float(str(event.get("event_ts") or DEFAULT_MESSAGE_TS)))
    return payloads.event_envelope(event, team=_team(team_id), event_id=event_id, event_time=event_time)


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
    return payloads.reaction_added(
        reaction, user_id=user_id, channel=channel, ts=ts, item_user=item_user, event_ts=event_ts
    )


def app_home_opened_event(
    user_id: str,
    *,
    tab: str = "home",
    view: Mapping[str, Any] | None = None,
    event_ts: str = "1700000500.000100",
) -> dict[str, Any]:
    """`app_home_opened`; Slack includes `view` only once a Home view was published for the person."""
    return payloads.app_home_opened(user_id, view=view, event_ts=event_ts, tab=tab)


def user_change_event(user: Mapping[str, Any], *, event_ts: str = "1700000600.000100") -> dict[str, Any]:
    """`user_change`: someone's profile changed; `user` is the users.info object as it is now."""
    return payloads.user_change(user, event_ts=event_ts)


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
    return payloads.im_message(
        user_id, text, channel=channel or dm_channel_id(user_id), ts=ts, subtype=subtype, bot_id=bot_id
    )


# -- interactivity payloads -------------------------------------------------------------------------


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
    action: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": action_id, "emoji": True},
        **({"value": value} if value is not None else {}),
    }
    shown_message: dict[str, Any] | None = None
    channel: tuple[str, str] | None = None
    if view is None:
        channel_id = channel_id or dm_channel_id(user_id)
        shown = dict(message) if message is not None else {}
        shown.pop("channel", None)
        ts = str(shown.get("ts") or message_ts)
        shown_message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "text": "", "ts": ts, **shown}
        channel = (channel_id, "directmessage" if channel_id.startswith("D") else "general")
    return payloads.block_actions(
        action,
        team=_team(team_id),
        user_id=user_id,
        user_name=_user_name(user_id),
        trigger_id=trigger_id,
        response_url=response_url,
        message=shown_message,
        channel=channel,
        view=view,
        container=container,
        action_ts="1700000500.000200",
    )


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
    view = {
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
    }
    return payloads.view_submission(
        view, team=_team(team_id), user_id=user_id, user_name=_user_name(user_id), trigger_id=trigger_id
    )


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
    message = {"type": "message", "text": text, "user": message_user, "ts": message_ts, "team": team_id}
    return payloads.message_action(
        callback_id,
        team=_team(team_id),
        user_id=user_id,
        user_name=_user_name(user_id),
        channel=(channel_id, "general"),
        message=message,
        trigger_id=trigger_id,
        response_url=response_url,
        action_ts="1700000500.000300",
    )

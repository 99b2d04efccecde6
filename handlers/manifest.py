"""Baton's Slack app manifest, built from handlers/ids.py so it declares exactly what Baton listens to.

A workspace admin pastes `baton manifest` into "Create app from manifest"; it validates against
Slack's published schema (../shared/slack/manifest.schema.1.0.0.json).
"""

from __future__ import annotations

from typing import Any

import yaml

from handlers import ids

DEFAULT_REQUEST_URL = "https://baton.example.com/slack/events"
EVENTS_PATH = "/slack/events"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"

DESCRIPTION = "Delegate tasks to your team and let Baton follow up: check-ins, deadline warnings, kudos."
SHORTCUT_NAME = "Create task from message"
SHORTCUT_DESCRIPTION = "Turn this message into a task and delegate it"


def build_manifest(
    *,
    request_url: str = DEFAULT_REQUEST_URL,
    socket_mode: bool = False,
    name: str = "Baton",
    token_rotation: bool = False,
) -> dict[str, Any]:
    """The manifest as a dict; in Socket Mode Slack needs no request URLs, so none are declared.
    Over HTTP it also names the OAuth redirect URL, used when Baton is installed in many workspaces.

    Raises ValueError for a request_url that is not http(s), which Slack's schema would refuse.
    """
    if not socket_mode and not request_url.startswith(("https://", "http://")):
        raise ValueError(f"request_url must be an http(s) URL, got {request_url!r}")
    # Keys in the order of Slack's own manifest examples; every URL is left out in Socket Mode.
    url: dict[str, str] = {} if socket_mode else {"url": request_url}
    request: dict[str, str] = {} if socket_mode else {"request_url": request_url}
    slash_commands = [
        {
            "command": command,
            **url,
            "description": description,
            "usage_hint": usage_hint,
            # Mentions then arrive as <@U123>, channels as <#C123|name> (CONTRACT "Slash commands").
            "should_escape": True,
        }
        for command, (description, usage_hint) in ids.COMMANDS.items()
    ]
    return {
        "_metadata": {"major_version": 1},
        "display_information": {
            "name": name,
            "description": DESCRIPTION,
            "background_color": "#2c2d30",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": "baton", "always_online": True},
            "shortcuts": [
                {
                    "name": SHORTCUT_NAME,
                    "type": "message",
                    "callback_id": ids.SHORTCUT_TASK_FROM_MESSAGE,
                    "description": SHORTCUT_DESCRIPTION,
                }
            ],
            "slash_commands": slash_commands,
        },
        "oauth_config": {
            **({} if socket_mode else {"redirect_urls": [_base_url(request_url) + OAUTH_REDIRECT_PATH]}),
            "scopes": {"bot": list(ids.BOT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {**request, "bot_events": list(ids.EVENTS)},
            "interactivity": {"is_enabled": True, **request},
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": token_rotation,
        },
    }


def _base_url(request_url: str) -> str:
    return request_url.removesuffix(EVENTS_PATH).rstrip("/")


def manifest_yaml(
    *,
    request_url: str = DEFAULT_REQUEST_URL,
    socket_mode: bool = False,
    name: str = "Baton",
    token_rotation: bool = False,
) -> str:
    """The manifest as the YAML `baton manifest` prints, keys in Slack's documented order."""
    manifest = build_manifest(
        request_url=request_url, socket_mode=socket_mode, name=name, token_rotation=token_rotation
    )
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, default_flow_style=False, width=120)

"""The manifest validates against Slack's published schema and declares every id Baton listens to."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from handlers import ids
from handlers.manifest import build_manifest, manifest_yaml

REPO = Path(__file__).resolve().parents[2]
VENDORED_SCHEMA = REPO / "tests" / "data" / "manifest.schema.1.0.0.json"
SHARED_SCHEMA = REPO.parent / "shared" / "slack" / "manifest.schema.1.0.0.json"
URL = "https://baton.example.org/slack/events"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(VENDORED_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(loaded)  # Slack publishes it as draft-07
    return loaded


def _validate(manifest: dict[str, Any], schema: dict[str, Any]) -> None:
    jsonschema.validate(manifest, schema, cls=jsonschema.Draft7Validator)


def _parsed(**kwargs: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(manifest_yaml(**kwargs))
    return loaded


def test_vendored_schema_is_slacks_copy() -> None:
    if not SHARED_SCHEMA.exists():
        pytest.skip(f"no {SHARED_SCHEMA} to compare with (a clone outside the shared workspace)")
    assert VENDORED_SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket"])
def test_manifest_yaml_validates_against_slacks_schema(socket_mode: bool, schema: dict[str, Any]) -> None:
    _validate(_parsed(request_url=URL, socket_mode=socket_mode), schema)


def test_yaml_is_the_built_manifest() -> None:
    assert _parsed(request_url=URL) == build_manifest(request_url=URL)


@pytest.mark.parametrize("socket_mode", [False, True], ids=["http", "socket"])
def test_manifest_declares_every_command_shortcut_event_and_scope(socket_mode: bool) -> None:
    manifest = _parsed(request_url=URL, socket_mode=socket_mode)
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == set(ids.COMMANDS)
    for command, (description, usage_hint) in ids.COMMANDS.items():
        assert commands[command]["should_escape"] is True
        assert commands[command]["description"] == description
        assert commands[command]["usage_hint"] == usage_hint
    assert manifest["features"]["shortcuts"] == [
        {
            "name": "Create task from message",
            "type": "message",
            "callback_id": ids.SHORTCUT_TASK_FROM_MESSAGE,
            "description": manifest["features"]["shortcuts"][0]["description"],
        }
    ]
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == list(ids.EVENTS)
    assert manifest["oauth_config"]["scopes"]["bot"] == list(ids.BOT_SCOPES)
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert manifest["features"]["bot_user"]["display_name"] == "baton"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is socket_mode
    assert manifest["_metadata"]["major_version"] == 1


def test_http_mode_points_commands_events_and_interactivity_at_the_request_url() -> None:
    manifest = _parsed(request_url=URL)
    assert [c["url"] for c in manifest["features"]["slash_commands"]] == [URL] * len(ids.COMMANDS)
    assert manifest["settings"]["event_subscriptions"]["request_url"] == URL
    assert manifest["settings"]["interactivity"]["request_url"] == URL


def test_socket_mode_declares_no_urls() -> None:
    text = manifest_yaml(request_url=URL, socket_mode=True)
    manifest = yaml.safe_load(text)
    assert all("url" not in c for c in manifest["features"]["slash_commands"])
    assert "request_url" not in manifest["settings"]["event_subscriptions"]
    assert "request_url" not in manifest["settings"]["interactivity"]
    assert "http" not in text


def test_app_name_is_configurable() -> None:
    assert _parsed(name="Baton (staging)")["display_information"]["name"] == "Baton (staging)"


def test_a_request_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="request_url"):
        build_manifest(request_url="baton.example.org/slack/events")


def test_schema_refuses_a_slash_command_without_its_command(schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(build_manifest(request_url=URL))
    del broken["features"]["slash_commands"][0]["command"]
    with pytest.raises(jsonschema.ValidationError, match="'command' is a required property"):
        _validate(broken, schema)


def test_schema_refuses_a_field_slack_does_not_know(schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(build_manifest(request_url=URL))
    broken["settings"]["interactivity"]["url"] = URL  # Slack's key is request_url
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        _validate(broken, schema)

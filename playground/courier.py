"""Slack's requests to Baton, signed with the v0 scheme and posted to /slack/events, as Slack's servers do."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from playground.slack import payloads
from playground.slack.payloads import FORM, JSON
from playground.slack.records import Team


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
    """Posts signed requests from `team` to Baton's /slack/events, as Slack's servers do."""

    def __init__(self, *, events_url: str, signing_secret: str, team: Team, timeout_seconds: float = 10.0) -> None:
        self.events_url = events_url
        self.team = team
        self._secret = signing_secret
        self._timeout = timeout_seconds

    def headers(self, body: str, content_type: str, *, timestamp: int | None = None) -> dict[str, str]:
        """The content type and the two signature headers Slack adds."""
        return {
            "Content-Type": content_type,
            **payloads.signature_headers(body, secret=self._secret, timestamp=timestamp),
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

    def command(
        self,
        command: str,
        text: str,
        *,
        user_id: str,
        user_name: str,
        channel_id: str,
        channel_name: str,
        response_url: str,
        trigger_id: str,
    ) -> BatonReply:
        """A slash command; `text` already Slack-escaped (mentions as <@U…|name>)."""
        body = payloads.command_body(
            command,
            text,
            team=self.team,
            user_id=user_id,
            user_name=user_name,
            channel_id=channel_id,
            channel_name=channel_name,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return self.post(body, FORM)

    def interaction(self, payload: Mapping[str, Any]) -> BatonReply:
        """block_actions, view_submission, view_closed or message_action."""
        return self.post(payloads.interaction_body(payload), FORM)

    def event(self, event: Mapping[str, Any]) -> BatonReply:
        """One Events API event in its event_callback envelope, with a fresh event_id."""
        event_id = "Ev" + uuid.uuid4().hex[:12].upper()
        return self.post(payloads.event_envelope(event, team=self.team, event_id=event_id), JSON)

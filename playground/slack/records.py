"""What the stand-in keeps: the workspace and app it plays, its people, ephemerals, modals and response_urls."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo


class NowSource(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Team:
    """The workspace and the app installed in it, as Slack names them."""

    id: str
    domain: str
    name: str
    bot_user_id: str = "U0BATON"
    bot_id: str = "B0BATON"
    app_id: str = "A0BATON"


def dm_channel_id(user_id: str) -> str:
    """The id of the bot's DM with a person, as the stand-in hands it out: U0ALICE -> D0ALICE."""
    return "D" + user_id[1:]


def user_of_dm(channel_id: str) -> str | None:
    """The person whose DM with the bot this is, or None for a channel."""
    return "U" + channel_id[1:] if channel_id.startswith("D") else None


@dataclass(frozen=True)
class SlackUser:
    """Someone users.info knows. The status is Slack's: an emoji code such as `:palm_tree:`, a text, and when it
    clears (Unix seconds, 0: never)."""

    id: str
    name: str  # the handle
    tz: str
    real_name: str = ""
    display_name: str = ""
    title: str = ""
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    status_emoji: str = ""
    status_text: str = ""
    status_expiration: int = 0

    def user_object(self, now: datetime, *, team_id: str, expire_status: bool) -> dict[str, Any]:
        """users.info's `user` at `now` (what a `user_change` event carries, too); with `expire_status`, a
        status past its expiration is cleared, as Slack does."""
        offset = now.astimezone(ZoneInfo(self.tz)).utcoffset()
        emoji, text, expiration = self.status_emoji, self.status_text, self.status_expiration
        if expire_status and expiration and now.timestamp() >= expiration:
            emoji, text, expiration = "", "", 0
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "profile": {
                "display_name": self.display_name,
                "real_name": self.real_name,
                "title": self.title,
                "team": team_id,
                "status_emoji": emoji,
                "status_text": text,
                "status_expiration": expiration,
            },
        }


@dataclass(frozen=True)
class Call:
    """One request to the Web API: method, decoded params (JSON fields parsed) and lower-cased headers."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass
class Ephemeral:
    """A message only its reader sees ("Only visible to you"); gone when the page reloads in Slack."""

    id: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    ts: str
    sender: str = "U0BATON"


@dataclass
class ResponseTarget:
    """Where a response_url answers: the interaction's channel and person, and the message it came from."""

    user: str
    channel: str
    message_ts: str | None = None
    ephemeral_id: str | None = None
    uses: int = 0


@dataclass
class Modal:
    """One person's open modal stack (view ids, top last), the errors shown under its inputs, and the page
    it was opened on (a modal shows only in the Slack client it was opened in: a reload does not bring it back)."""

    stack: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    page: str | None = None


@dataclass(frozen=True)
class Exchanged:
    """A trigger_id exchanged for a modal: who it was issued to (None: a made-up one), and on which page."""

    user: str | None
    page: str | None


@dataclass
class Failure:
    """A scripted failure of the next `remaining` calls to a method (see `SlackWebApi.fail`)."""

    remaining: int
    status: int
    error: str | None
    retry_after: int | None
    apply_effect: bool
    drop: bool


@dataclass
class Grant:
    """An install an admin approved: what oauth.v2.access hands out for its code."""

    team_id: str
    team_name: str
    bot_token: str
    installer: str
    expires_in: int | None  # seconds; None: a token that never expires (no rotation)

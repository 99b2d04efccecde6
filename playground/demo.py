"""The demo workspace a reset starts from: one team channel, a manager and three agents around the world."""

from __future__ import annotations

from dataclasses import dataclass

TEAM_ID = "T0PLAYGRND"
TEAM_DOMAIN = "baton-playground"
TEAM_NAME = "Baton Playground"
BOT_USER_ID = "U0BATON"
BOT_ID = "B0BATON"
APP_ID = "A0BATON"
BOT_NAME = "Baton"
SLACKBOT_ID = "USLACKBOT"

CHANNEL_ID = "C0SUPPORT"
CHANNEL_NAME = "support"


@dataclass(frozen=True)
class Person:
    """Someone in the workspace, as users.info tells Baton (name and time zone are editable on the page)."""

    id: str
    name: str
    tz: str
    title: str = ""
    is_admin: bool = False


MANAGER_ID = "U0MAYA"
DEMO_PEOPLE = (
    Person(MANAGER_ID, "Maya", "America/New_York", "Support lead"),
    Person("U0ALICE", "Alice", "America/New_York", "Support agent"),
    Person("U0BRUNO", "Bruno", "Europe/Berlin", "Support agent"),
    Person("U0KENJI", "Kenji", "Asia/Tokyo", "Support agent"),
)


def dm_channel_id(user_id: str) -> str:
    """The id of Baton's DM with a person: U0ALICE -> D0ALICE."""
    return "D" + user_id[1:]


def user_of_dm(channel_id: str) -> str | None:
    """The person whose DM with Baton this is, or None for a channel."""
    return "U" + channel_id[1:] if channel_id.startswith("D") else None

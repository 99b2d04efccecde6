"""The demo workspace a reset starts from: one team channel, a manager and three agents around the world."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from playground.slack.records import dm_channel_id, user_of_dm

__all__ = ["dm_channel_id", "user_of_dm"]

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
    """Someone in the workspace, as users.info tells Baton (name, time zone and Slack status are editable on
    the page). The status is Slack's: an emoji code such as `:palm_tree:`, a text, and when it clears (Unix
    seconds, 0: never)."""

    id: str
    name: str
    tz: str
    title: str = ""
    is_admin: bool = False
    status_emoji: str = ""
    status_text: str = ""
    status_expiration: int = 0

    def status_at(self, moment: datetime) -> tuple[str, str, int]:
        """The status (emoji, text, expiration) as Slack shows it at `moment`: cleared once it has expired."""
        if self.status_expiration and moment.timestamp() >= self.status_expiration:
            return "", "", 0
        return self.status_emoji, self.status_text, self.status_expiration


MANAGER_ID = "U0MAYA"
DEMO_PEOPLE = (
    Person(MANAGER_ID, "Maya", "America/New_York", "Support lead"),
    Person("U0ALICE", "Alice", "America/New_York", "Support agent"),
    Person("U0BRUNO", "Bruno", "Europe/Berlin", "Support agent"),
    Person("U0KENJI", "Kenji", "Asia/Tokyo", "Support agent"),
)

# What Maya tells Baton each of them is good at (`/team skills`) on every reset, so `/task suggest` has
# something to go on: by user id, as typed after the mention.
DEMO_SKILLS = (
    ("U0ALICE", "refunds, billing, calls"),
    ("U0BRUNO", "macros, integrations, german"),
    ("U0KENJI", "faq, translation, japanese"),
)

# The status emoji the People dialog offers (Slack's codes): the first five count as away for Baton.
STATUS_EMOJI = (
    "palm_tree",
    "airplane",
    "desert_island",
    "face_with_thermometer",
    "mask",
    "spiral_calendar_pad",
    "house_with_garden",
    "headphones",
)

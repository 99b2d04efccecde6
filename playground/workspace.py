"""The demo workspace as Slack plays it for Baton: the shared Web API stand-in with the demo's team, #support,
people; Baton reaches it through its ordinary WebClient (SLACK_API_URL points at the page's /api/)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.clock import Clock
from playground import demo
from playground.demo import Person
from playground.slack.records import SlackUser, Team
from playground.slack.webapi import SlackWebApi

TEAM = Team(demo.TEAM_ID, demo.TEAM_DOMAIN, demo.TEAM_NAME, demo.BOT_USER_ID, demo.BOT_ID, demo.APP_ID)
# What users.info says of Baton itself.
BOT_USER = SlackUser(
    demo.BOT_USER_ID, "baton", "America/New_York", real_name="baton", display_name="baton", is_bot=True
)


def slack_user(person: Person) -> SlackUser:
    """A person of the page as users.info tells Baton: a lower-case handle, their name shown as written."""
    return SlackUser(
        person.id,
        person.name.lower(),
        person.tz,
        real_name=person.name,
        display_name=person.name,
        title=person.title,
        is_admin=person.is_admin,
        status_emoji=person.status_emoji,
        status_text=person.status_text,
        status_expiration=person.status_expiration,
    )


class Workspace(SlackWebApi):
    """The Slack workspace Baton is installed in: a closed world of #support, the people and their DMs."""

    def __init__(self, *, token: str, clock: Clock, people: Iterable[Person], page_url: str = "") -> None:
        super().__init__(
            team=TEAM,
            users=[slack_user(p) for p in people],
            clock=clock,
            channels={demo.CHANNEL_ID: demo.CHANNEL_NAME},
            token=token,
            bot_user=BOT_USER,
            page_url=page_url,
            expire_statuses=True,
        )

    def set_people(self, people: Iterable[Person]) -> None:
        """New names, time zones and statuses, as users.info will answer them from now on."""
        self.set_users(slack_user(p) for p in people)

    def names(self) -> dict[str, str]:
        """User id -> display name, Baton and Slackbot included."""
        with self.lock:
            found = {u.id: u.display_name for u in self.users.values()}
            found[demo.BOT_USER_ID] = demo.BOT_NAME
            found[demo.SLACKBOT_ID] = "Slackbot"
            return found

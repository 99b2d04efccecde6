"""What services and the scheduler need from the outside world, as Protocols and plain values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain.model import Message


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    display_name: str
    tz: str
    is_admin: bool
    is_bot: bool
    is_deleted: bool
    status_emoji: str = ""
    status_text: str = ""
    status_expiration: int = 0


def slack_user(user: Mapping[str, Any]) -> SlackUser:
    """A users.info `user` object (or the one a `user_change` event carries) as the plain value Baton keeps."""
    profile = user.get("profile") or {}
    user_id = str(user.get("id") or "")
    name = profile.get("display_name") or user.get("real_name") or user.get("name") or user_id
    try:
        expiration = int(profile.get("status_expiration") or 0)
    except (TypeError, ValueError):
        expiration = 0
    return SlackUser(
        user_id=user_id,
        display_name=str(name),
        tz=str(user.get("tz") or "UTC"),
        is_admin=bool(user.get("is_admin") or user.get("is_owner")),
        is_bot=bool(user.get("is_bot")) or user_id == "USLACKBOT",
        is_deleted=bool(user.get("deleted")),
        status_emoji=str(profile.get("status_emoji") or "")[:100],
        status_text=str(profile.get("status_text") or "")[:200],
        status_expiration=max(expiration, 0),
    )


class SlackUnavailable(Exception):
    """Slack did not answer (timeout, 5xx, 429): try again later, nothing is known to be wrong."""


@dataclass(frozen=True)
class Sent:
    channel: str
    ts: str


@dataclass(frozen=True)
class RetryLater:
    reason: str
    after_seconds: float | None = None  # Slack's Retry-After when it gave one, or Baton's own wait
    attempted: bool = True  # False: Baton held the call back (over its rate budget); Slack never saw it


@dataclass(frozen=True)
class Looked:
    """What a look into a conversation's history found: dedupe key -> ts; `complete` when the whole window was
    read (else nothing can be concluded from a key not found), `retry_after` when a budget said wait, and
    `read_down_to` where a look cut short stopped."""

    found: dict[str, str]
    complete: bool
    retry_after: float | None = None
    # A look cut short read everything newer than this ts (newest first): the next look goes on below it.
    read_down_to: str | None = None


@dataclass(frozen=True)
class Failed:
    reason: str


SendOutcome = Sent | RetryLater | Failed


class SlackReader(Protocol):
    def user_info(self, workspace_id: str, user_id: str, *, background: bool = False) -> SlackUser | None:
        """The user, None when Slack says there is no such user; raises SlackUnavailable."""
        ...


class MessageSender(Protocol):
    def open_dm(self, workspace_id: str, user_id: str) -> str | Failed | RetryLater: ...

    def post_message(
        self, workspace_id: str, channel: str, message: Message, *, dedupe_keys: Sequence[str]
    ) -> SendOutcome:
        """Post with Baton's metadata naming every outbox row the message carries."""
        ...

    def post_wait(self, workspace_id: str) -> float:
        """Seconds until a message may be posted in the workspace within Slack's budget (0: now); spends nothing."""
        ...

    def paused_posts(self) -> dict[str, float]:
        """The workspaces where no message may be posted now within Slack's budget, with the seconds to wait."""
        ...

    def posts_held(self) -> set[str]:
        """Of those, the workspaces where Slack itself said to wait (a 429), not only Baton's own count."""
        ...

    def post_room(self) -> dict[str, int]:
        """How many messages each workspace that posted lately may still post now within Slack's budget (a
        workspace not listed has its whole budget)."""
        ...

    def post_moments(self, workspace_id: str, count: int) -> list[float]:
        """Seconds from now when the workspace's next `count` posts may go within Slack's budget, as it frees."""
        ...

    def find_posted(
        self,
        workspace_id: str,
        channel: str,
        *,
        dedupe_keys: Sequence[str],
        oldest: str | None = None,
        latest: str | None = None,
    ) -> Looked:
        """The messages Baton already posted carrying these keys, between `oldest` and `latest` there."""
        ...

    def update_message(self, workspace_id: str, channel: str, ts: str, message: Message) -> bool: ...

    def edit_message(
        self, workspace_id: str, channel: str, ts: str, message: Message, *, background: bool = True
    ) -> SendOutcome:
        """chat.update with the answer classified like a post's, for the outbox to retry."""
        ...

    def publish_home(
        self, workspace_id: str, user_id: str, build: Callable[[], dict[str, Any]], *, background: bool = True
    ) -> SendOutcome:
        """Publish the view `build` makes, calling it only when the call can be made."""
        ...


class Deliverer(Protocol):
    def deliver(
        self, outbox_ids: Sequence[int], *, workspace_id: str, touched: Sequence[str] = (), posts: bool = False
    ) -> None:
        """After a commit: send these outbox rows now and refresh the touched people's Home tabs,
        off the request path. `posts`: every row is a message to post (none a refresh of one already sent), so
        where the workspace's post budget is spent they wait for it without their kinds being read."""
        ...

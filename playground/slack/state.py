"""What the Slack stand-in keeps (people, channels, messages, ephemerals, views) and how it changes between calls."""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from playground.slack import checks
from playground.slack.records import (
    Ephemeral,
    Modal,
    NowSource,
    ResponseTarget,
    SlackUser,
    Team,
    dm_channel_id,
    user_of_dm,
)
from playground.slack.wire import Answer, ok, truthy

RESPONSE_URL_USES = 5


class WorkspaceState:
    """The workspace `team`: people, channels and DMs, messages, ephemerals, reactions, views and modals.

    `channels` (id -> name) makes it a closed world, as the playground is: only those channels and the DMs
    with known people exist, and a trigger_id, a view to update, a message to react to or a response_url
    must be one it knows. Without it, as in the tests, any channel id is taken as given and a made-up
    trigger_id, view id or response_url is fine. `first_ts`: message ts count up from it (deterministic)
    instead of following the clock. `expire_statuses`: clear a status once its expiration passes on the
    clock (when the clock is the app's). Every method is thread-safe; `version` grows with each visible
    change (`wait_changed`, `wait_for`).
    """

    def __init__(
        self,
        *,
        team: Team,
        users: Iterable[SlackUser] = (),
        clock: NowSource | None = None,
        channels: Mapping[str, str] | None = None,
        first_ts: int | None = None,
        page_url: str = "",
        expire_statuses: bool = False,
    ) -> None:
        self.team = team
        self.page_url = page_url
        self._clock = clock
        self._public_channels = dict(channels) if channels is not None else None
        self._first_ts = first_ts
        self._expire_statuses = expire_statuses
        self._lock = threading.Condition(threading.RLock())
        self.version = 0
        self.users: dict[str, SlackUser] = {u.id: u for u in users}
        self._messages: list[dict[str, Any]] = []
        self._ephemerals: list[Ephemeral] = []
        self._reactions: list[dict[str, str]] = []  # the bot's reactions.add calls: channel, timestamp, name
        self.views: dict[str, dict[str, Any]] = {}
        self.view_owner: dict[str, str] = {}
        self.modals: dict[str, Modal] = {}
        self.home_views: dict[str, str] = {}  # user id -> view id
        self._triggers: dict[str, tuple[str, float, bool, str | None]] = {}  # user, issued, used, page
        self._responses: list[tuple[str, dict[str, Any]]] = []  # (response_url name, body) in order
        self._response_targets: dict[str, ResponseTarget] = {}
        self._seq = itertools.count(1)
        self._ts_counter = 0
        self._last_ts = Decimal(0)

    @property
    def lock(self) -> threading.Condition:
        """Held while reading several pieces of state that must agree (a page's snapshot)."""
        return self._lock

    def changed(self) -> None:
        """Tell long-polling pages (and tests waiting on a condition) that something changed."""
        with self._lock:
            self.version += 1
            self._lock.notify_all()

    def wait_changed(self, since: int, *, timeout: float) -> int:
        """Block until `version` passes `since` or `timeout` seconds pass; returns the version."""
        with self._lock:
            self._lock.wait_for(lambda: self.version > since, timeout=timeout)
            return self.version

    def wait_for(self, condition: Callable[[], bool], *, timeout: float) -> bool:
        """Block until `condition()` holds (checked at each change) or `timeout` seconds pass."""
        with self._lock:
            return self._lock.wait_for(condition, timeout=timeout)

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages stored (as chat.update left them), oldest first, each with its `channel`."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._messages if channel is None or m["channel"] == channel]

    def shown_to(self, user: str) -> list[Ephemeral]:
        """The ephemerals `user` sees, oldest first."""
        with self._lock:
            return [replace(e) for e in self._ephemerals if e.user == user]

    @property
    def reactions(self) -> list[dict[str, str]]:
        """Reactions the bot added: dicts with channel, timestamp, name."""
        with self._lock:
            return [dict(r) for r in self._reactions]

    @property
    def closed_world(self) -> bool:
        return self._public_channels is not None

    def channels(self) -> dict[str, str]:
        """Every conversation id known with its name: the channels, and the bot's DM with each person."""
        with self._lock:
            found = dict(self._public_channels or {})
            for user in self.users.values():
                found[dm_channel_id(user.id)] = user.display_name or user.name
            return found

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def _next_ts(self) -> str:
        """Slack's ts: counted up from `first_ts`, or the (simulated) time of posting made unique and increasing."""
        if self._first_ts is not None:
            self._ts_counter += 1
            micros = self._ts_counter * 100
            return f"{self._first_ts + micros // 1_000_000}.{micros % 1_000_000:06d}"
        now = Decimal(self._now().timestamp()).quantize(Decimal("0.000001"))
        self._last_ts = max(now, self._last_ts + Decimal("0.000001"))
        return f"{self._last_ts:.6f}"

    def _members(self, channel: str) -> set[str]:
        dm_user = user_of_dm(channel)
        if dm_user is not None:
            return {dm_user} if dm_user in self.users else set()
        return set(self.users) if self._public_channels and channel in self._public_channels else set()

    def _channel_for(self, channel: str) -> str | None:
        """The conversation a call names; Slack accepts a person's id and posts to the bot's DM with them."""
        if channel.startswith(("U", "W")):
            user = self.users.get(channel)
            return dm_channel_id(channel) if user is not None and not user.deleted else None
        if self.closed_world:
            return channel if channel in self.channels() else None
        return channel or None

    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._lock:
            for message in self._messages:
                if message["channel"] == channel and message["ts"] == ts:
                    return message
            return None

    def permalink(self, channel: str, ts: str) -> str:
        """A link to a message: into the page (it opens the conversation there), or Slack's own form."""
        if self.page_url:
            return f"{self.page_url}#{channel}/{ts}"
        return f"https://{self.team.domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"

    def set_users(self, users: Iterable[SlackUser]) -> None:
        """Everyone users.info knows from now on (names, zones, statuses)."""
        with self._lock:
            self.users = {u.id: u for u in users}
            self.changed()

    def put_user(self, user: SlackUser) -> None:
        """Add or replace one person."""
        with self._lock:
            self.users[user.id] = user

    def user_json(self, user_id: str) -> dict[str, Any]:
        """The `user` object users.info answers for this person now (e.g. for a `user_change` event)."""
        with self._lock:
            return self.users[user_id].user_object(
                self._now(), team_id=self.team.id, expire_status=self._expire_statuses
            )

    @staticmethod
    def _shown(message: dict[str, Any], *, with_metadata: bool = True) -> dict[str, Any]:
        """A stored message as Slack shows it (no `channel` inside)."""
        shown = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel"}
        if not with_metadata:
            shown.pop("metadata", None)
        return shown

    def add_message(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        blocks: Any = None,
        attachments: Any = None,
        metadata: Any = None,
        thread_ts: Any = None,
    ) -> dict[str, Any]:
        """Store a message (the bot's or a person's; no call is recorded) and return it."""
        with self._lock:
            message: dict[str, Any] = {
                "type": "message",
                "channel": channel,
                "ts": self._next_ts(),
                "user": user,
                "team": self.team.id,
                "text": text,
            }
            if user == self.team.bot_user_id:
                message.update(bot_id=self.team.bot_id, app_id=self.team.app_id)
            for name, value in (("blocks", blocks), ("attachments", attachments), ("metadata", metadata)):
                if value is not None:
                    message[name] = copy.deepcopy(value)
            if thread_ts is not None:
                message["thread_ts"] = copy.deepcopy(thread_ts)
            self._messages.append(message)
            self.changed()
            return message

    def add_ephemeral(self, channel: str, user: str, *, text: str, blocks: Any = None, sender: str = "") -> Ephemeral:
        """Show a message to `user` only (from the bot, unless `sender` says who)."""
        with self._lock:
            shown = Ephemeral(
                id=f"E{next(self._seq)}",
                channel=channel,
                user=user,
                text=text,
                blocks=copy.deepcopy(blocks) if isinstance(blocks, list) else None,
                ts=self._next_ts(),
                sender=sender or self.team.bot_user_id,
            )
            self._ephemerals.append(shown)
            self.changed()
            return shown

    def dismiss(self, user: str, ephemeral_id: str) -> None:
        """Remove one of `user`'s ephemerals."""
        with self._lock:
            self._ephemerals = [e for e in self._ephemerals if not (e.id == ephemeral_id and e.user == user)]
            self.changed()

    def add_reaction(self, user: str, channel: str, ts: str, name: str) -> bool | None:
        """Record a reaction on a message, in Slack's `reactions` shape; None when there is no such message
        (in an open world one made up is taken as given), False when it was already there."""
        with self._lock:
            message = self.find_message(channel, ts)
            if message is None:
                if self.closed_world:
                    return None
                return {"channel": channel, "timestamp": ts, "name": name} not in self._reactions
            reactions: list[dict[str, Any]] = message.setdefault("reactions", [])
            found = next((r for r in reactions if r["name"] == name), None)
            if found is None:
                found = {"name": name, "users": [], "count": 0}
                reactions.append(found)
            if user in found["users"]:
                return False
            found["users"].append(user)
            found["count"] = len(found["users"])
            self.changed()
            return True

    def new_response_url(self, target: ResponseTarget) -> str:
        """A response_url for one interaction; the server routes /response/<name> to `respond`."""
        name = secrets.token_urlsafe(12)
        with self._lock:
            self._response_targets[name] = replace(target)
        return f"{self.page_url}response/{name}"

    def respond(self, name: str, raw: bytes) -> Answer:
        """A post to a response_url: replace or delete the original, or add a message, as Slack does. Every
        body is kept in `responses`; in an open world a made-up url is taken and only kept."""
        with self._lock:
            target = self._response_targets.get(name)
            if target is None and not self.closed_world:
                try:
                    body = json.loads(raw.decode("utf-8")) if raw else {}
                except (json.JSONDecodeError, UnicodeDecodeError):
                    body = {"raw": raw.decode("utf-8", "replace")}
                self._responses.append((name, body if isinstance(body, dict) else {"raw": body}))
                return ok()
            if target is None:
                return 404, {"ok": False, "error": "expired_url"}, {}
            if target.uses >= RESPONSE_URL_USES:
                return 404, {"ok": False, "error": "used_url"}, {}
            try:
                body = json.loads(raw.decode("utf-8")) if raw else {}
            except (json.JSONDecodeError, UnicodeDecodeError):
                return 400, {"ok": False, "error": "invalid_payload"}, {}
            if not isinstance(body, dict):
                return 400, {"ok": False, "error": "invalid_payload"}, {}
            blocks = body.get("blocks")
            if blocks is not None and checks.blocks_problem(blocks, limit=checks.MAX_MESSAGE_BLOCKS):
                return 400, {"ok": False, "error": "invalid_blocks"}, {}
            self._responses.append((name, body))
            target.uses += 1
            text = str(body.get("text") or "")
            if truthy(body.get("delete_original")):
                self._delete_original(target)
            elif truthy(body.get("replace_original")):
                self._replace_original(target, body)
            elif body.get("response_type") == "in_channel":
                self.add_message(target.channel, user=self.team.bot_user_id, text=text, blocks=blocks)
            elif text or blocks:
                self.add_ephemeral(target.channel, target.user, text=text, blocks=blocks)
            self.changed()
            return ok()

    def _delete_original(self, target: ResponseTarget) -> None:
        if target.ephemeral_id:
            self._ephemerals = [e for e in self._ephemerals if e.id != target.ephemeral_id]
        elif target.message_ts:
            self._messages = [
                m for m in self._messages if not (m["channel"] == target.channel and m["ts"] == target.message_ts)
            ]

    def _replace_original(self, target: ResponseTarget, body: dict[str, Any]) -> None:
        text, blocks = str(body.get("text") or ""), body.get("blocks")
        if target.ephemeral_id:
            for shown in self._ephemerals:
                if shown.id == target.ephemeral_id:
                    shown.text, shown.blocks = text, copy.deepcopy(blocks) if isinstance(blocks, list) else None
            return
        message = self.find_message(target.channel, target.message_ts or "")
        if message is None:
            return
        message["text"] = text
        if isinstance(blocks, list):
            message["blocks"] = copy.deepcopy(blocks)
        else:
            message.pop("blocks", None)
        message["edited"] = {"user": self.team.bot_user_id, "ts": self._next_ts()}

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Decoded JSON bodies posted to any response_url, in order."""
        with self._lock:
            return [copy.deepcopy(body) for _, body in self._responses]

    def responses_to(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(body) for n, body in self._responses if n == name]

"""Slack's side of the wire: the workspace's state and the Web API methods Baton calls, answered as Slack does.

Baton talks to this through its ordinary WebClient (SLACK_API_URL points here) and WebhookClient
(response_url), so the answers, error shapes included, follow Slack's: `{"ok": false, "error": ...}` with
HTTP 200 for API errors, `not_authed` / `invalid_auth` for a missing or wrong token, `unknown_method`.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from bot.clock import Clock
from playground import demo
from playground.demo import Person

Answer = tuple[int, dict[str, Any]]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_MESSAGE_TEXT = 40_000
MAX_VIEW_TITLE = 24
MAX_MODAL_STACK = 3
TRIGGER_SECONDS = 3.0  # Slack's trigger_id expires 3 s after the interaction
RESPONSE_URL_USES = 5
BLOCK_TYPES = frozenset(
    {"section", "divider", "context", "actions", "header", "image", "input", "rich_text", "file", "video"}
)
# Fields Slack reads as JSON text inside a form body (slack_sdk sends them so).
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")


@dataclass
class Ephemeral:
    """A message only its reader sees ("Only visible to you"); gone when the page reloads in Slack."""

    id: str
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    ts: str
    sender: str = demo.BOT_USER_ID


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
    """A trigger_id exchanged for a modal: who it was issued to, and on which page."""

    user: str
    page: str | None


def ok(**fields: Any) -> Answer:
    return 200, {"ok": True, **fields}


def error(name: str, *messages: str, **fields: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error": name, **fields}
    if messages:
        body["response_metadata"] = {"messages": list(messages)}
    return 200, body


def ts_key(ts: Any) -> Decimal:
    """A message ts as a number, for ordering and the oldest/latest bounds of conversations.history."""
    try:
        return Decimal(str(ts))
    except InvalidOperation:
        return Decimal(0)


def decode_params(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    """A Web API call's arguments from its JSON, form or multipart body (plus the query), as Slack reads them."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if raw:
        if "application/json" in content_type:
            with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError):
                decoded = json.loads(raw.decode("utf-8"))
                if isinstance(decoded, dict):
                    params.update(decoded)
        elif "multipart/form-data" in content_type:
            message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if isinstance(name, str) and isinstance(payload, bytes):
                    params[name] = payload.decode("utf-8")
        else:
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    for name in _JSON_FIELDS:
        value = params.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                params[name] = json.loads(value)
    return params


def truthy(value: Any) -> bool:
    """A Web API flag as Slack reads it: true, "true" or "1"."""
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))


def _blocks_problem(blocks: Any, *, limit: int) -> str | None:
    """Why Slack would refuse these blocks, or None: the checks Slack's validator makes that matter here."""
    if not isinstance(blocks, list):
        return "blocks must be an array"
    if len(blocks) > limit:
        return f"no more than {limit} items allowed [json-pointer:/blocks]"
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
            return f"unsupported type [json-pointer:/blocks/{index}/type]"
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            if block_id in seen:
                return f"duplicate block_id [json-pointer:/blocks/{index}/block_id]"
            seen.add(block_id)
        text = block.get("text")
        if block["type"] == "section" and isinstance(text, dict) and len(str(text.get("text", ""))) > MAX_SECTION_TEXT:
            return f"must be less than {MAX_SECTION_TEXT + 1} characters [json-pointer:/blocks/{index}/text/text]"
    return None


def _plain(text: Any) -> str:
    return str(text.get("text", "")) if isinstance(text, dict) else ""


class Workspace:
    """The Slack workspace Baton is installed in: people, #support, DMs, messages, modals, Home tabs.

    Every method is thread-safe; `version` grows with each visible change and `wait_changed` lets the
    page long-poll for it.
    """

    def __init__(self, *, token: str, clock: Clock, people: Iterable[Person], page_url: str = "") -> None:
        self.token = token
        self.page_url = page_url
        self._clock = clock
        self._cond = threading.Condition(threading.RLock())
        self.version = 0
        self.people: dict[str, Person] = {p.id: p for p in people}
        self.messages: list[dict[str, Any]] = []
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_owner: dict[str, str] = {}
        self.modals: dict[str, Modal] = {}
        self.home_views: dict[str, str] = {}
        self._triggers: dict[str, tuple[str, float, bool, str | None]] = {}  # user, issued, used, page
        self._responses: dict[str, ResponseTarget] = {}
        self._seq = itertools.count(1)
        self._last_ts = Decimal(0)
        self.calls: list[str] = []  # method names Baton called, in order (the page's activity count)
        self._methods: dict[str, Callable[[dict[str, Any]], Answer]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "reactions.add": self._reactions_add,
        }

    # -- changes and waiting ------------------------------------------------------------------------

    def changed(self) -> None:
        """Tell long-polling pages (and tests waiting on a condition) that something changed."""
        with self._cond:
            self.version += 1
            self._cond.notify_all()

    def wait_changed(self, since: int, *, timeout: float) -> int:
        """Block until `version` passes `since` or `timeout` seconds pass; returns the version."""
        with self._cond:
            self._cond.wait_for(lambda: self.version > since, timeout=timeout)
            return self.version

    def wait_for(self, condition: Callable[[], bool], *, timeout: float) -> bool:
        """Block until `condition()` holds (checked at each change) or `timeout` seconds pass."""
        with self._cond:
            return self._cond.wait_for(condition, timeout=timeout)

    @property
    def lock(self) -> threading.Condition:
        """Held while reading several pieces of state that must agree (the page's snapshot)."""
        return self._cond

    # -- ids -------------------------------------------------------------------------------------

    def channels(self) -> dict[str, str]:
        """Every conversation id with its name: #support, and Baton's DM with each person."""
        with self._cond:
            found = {demo.CHANNEL_ID: demo.CHANNEL_NAME}
            for person in self.people.values():
                found[demo.dm_channel_id(person.id)] = person.name
            return found

    def names(self) -> dict[str, str]:
        """User id -> display name, Baton and Slackbot included."""
        with self._cond:
            found = {p.id: p.name for p in self.people.values()}
            found[demo.BOT_USER_ID] = demo.BOT_NAME
            found[demo.SLACKBOT_ID] = "Slackbot"
            return found

    def _next_ts(self) -> str:
        """Slack's ts: the (simulated) time of posting, made unique and increasing."""
        now = Decimal(self._clock.now().timestamp()).quantize(Decimal("0.000001"))
        self._last_ts = max(now, self._last_ts + Decimal("0.000001"))
        return f"{self._last_ts:.6f}"

    def _members(self, channel: str) -> set[str]:
        dm_user = demo.user_of_dm(channel)
        if dm_user is not None:
            return {dm_user} if dm_user in self.people else set()
        return set(self.people) if channel == demo.CHANNEL_ID else set()

    def _resolve_channel(self, channel: str) -> str | None:
        """Slack accepts a person's id as a channel and posts to the bot's DM with them."""
        if channel.startswith(("U", "W")):
            return demo.dm_channel_id(channel) if channel in self.people else None
        return channel if channel in self.channels() else None

    def find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self._cond:
            for message in self.messages:
                if message["channel"] == channel and message["ts"] == ts:
                    return message
            return None

    # -- the Web API ---------------------------------------------------------------------------------

    def api(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> Answer:
        """Answer one Web API call as Slack would."""
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else params.get("token")
        handler = self._methods.get(method)
        if handler is None:
            return error("unknown_method")
        if not token:
            return error("not_authed")
        if not secrets.compare_digest(str(token).encode(), self.token.encode()):
            return error("invalid_auth")
        with self._cond:
            self.calls.append(method)
            answer = handler(params)
            if answer[1].get("ok") and method not in ("auth.test", "users.info", "conversations.history"):
                self.changed()
            return answer

    def _auth_test(self, params: dict[str, Any]) -> Answer:
        return ok(
            url=f"https://{demo.TEAM_DOMAIN}.slack.com/",
            team=demo.TEAM_NAME,
            user="baton",
            team_id=demo.TEAM_ID,
            user_id=demo.BOT_USER_ID,
            bot_id=demo.BOT_ID,
            is_enterprise_install=False,
        )

    def _users_info(self, params: dict[str, Any]) -> Answer:
        user_id = str(params.get("user") or "")
        if user_id == demo.BOT_USER_ID:
            return ok(user=self._user_json(Person(user_id, "baton", "America/New_York"), is_bot=True))
        person = self.people.get(user_id)
        if person is None:
            return error("user_not_found")
        return ok(user=self._user_json(person, is_bot=False))

    def user_json(self, user_id: str) -> dict[str, Any]:
        """A person's users.info `user` object as of now (what a `user_change` event carries, too)."""
        with self._cond:
            return self._user_json(self.people[user_id], is_bot=False)

    def _user_json(self, person: Person, *, is_bot: bool) -> dict[str, Any]:
        now = self._clock.now()
        offset = now.astimezone(ZoneInfo(person.tz)).utcoffset()
        status_emoji, status_text, status_expiration = person.status_at(now)  # Slack clears an expired one
        return {
            "id": person.id,
            "team_id": demo.TEAM_ID,
            "name": person.name.lower(),
            "real_name": person.name,
            "deleted": False,
            "tz": person.tz,
            "tz_label": person.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": person.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": {
                "display_name": person.name,
                "real_name": person.name,
                "title": person.title,
                "team": demo.TEAM_ID,
                "status_emoji": status_emoji,
                "status_text": status_text,
                "status_expiration": status_expiration,
            },
        }

    def _conversations_open(self, params: dict[str, Any]) -> Answer:
        users = params.get("users")
        wanted = users if isinstance(users, list) else str(users or "").split(",")
        wanted = [u.strip() for u in wanted if u.strip()]
        if not wanted:
            return error("users_list_not_supplied")
        if len(wanted) > 1:
            return error("not_supported", "the playground has no group DMs")
        if wanted[0] not in self.people:
            return error("user_not_found")
        return ok(channel={"id": demo.dm_channel_id(wanted[0])})

    def _conversations_history(self, params: dict[str, Any]) -> Answer:
        channel = str(params.get("channel") or "")
        if channel not in self.channels():
            return error("channel_not_found")
        inclusive = truthy(params.get("inclusive"))
        oldest, latest = params.get("oldest"), params.get("latest")
        with_metadata = truthy(params.get("include_all_metadata"))
        try:
            limit = max(1, min(int(params.get("limit") or 100), 1000))
            offset = int(str(params.get("cursor") or "0").removeprefix("offset:") or 0)
        except ValueError:
            return error("invalid_arguments")
        found = []
        for message in self.messages:
            if message["channel"] != channel:
                continue
            key = ts_key(message["ts"])
            if oldest is not None and (key < ts_key(oldest) or (key == ts_key(oldest) and not inclusive)):
                continue
            if latest is not None and (key > ts_key(latest) or (key == ts_key(latest) and not inclusive)):
                continue
            found.append(self._shown(message, with_metadata=with_metadata))
        found.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
        page = found[offset : offset + limit]
        has_more = offset + limit < len(found)
        return ok(
            messages=page,
            has_more=has_more,
            pin_count=0,
            response_metadata={"next_cursor": f"offset:{offset + limit}" if has_more else ""},
        )

    @staticmethod
    def _shown(message: dict[str, Any], *, with_metadata: bool = True) -> dict[str, Any]:
        shown = {k: copy.deepcopy(v) for k, v in message.items() if k not in ("channel", "reactions_by")}
        if not with_metadata:
            shown.pop("metadata", None)
        reactions = message.get("reactions_by") or {}
        if reactions:
            shown["reactions"] = [{"name": n, "users": list(u), "count": len(u)} for n, u in reactions.items()]
        return shown

    @staticmethod
    def _message_problem(params: dict[str, Any]) -> Answer | None:
        blocks = params.get("blocks")
        if not params.get("text") and not blocks and not params.get("attachments"):
            return error("no_text")
        if blocks is not None:
            problem = _blocks_problem(blocks, limit=MAX_MESSAGE_BLOCKS)
            if problem:
                return error("invalid_blocks", f"[ERROR] {problem}", errors=[problem])
        if len(str(params.get("text") or "")) > MAX_MESSAGE_TEXT:
            return error("msg_too_long")
        metadata = params.get("metadata")
        if metadata is not None and (not isinstance(metadata, dict) or "event_type" not in metadata):
            return error("invalid_metadata_format")
        return None

    def _chat_post_message(self, params: dict[str, Any]) -> Answer:
        channel = self._resolve_channel(str(params.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        problem = self._message_problem(params)
        if problem:
            return problem
        message = self.add_message(
            channel,
            user=demo.BOT_USER_ID,
            text=str(params.get("text") or ""),
            blocks=params.get("blocks"),
            metadata=params.get("metadata"),
            thread_ts=params.get("thread_ts"),
        )
        return ok(channel=channel, ts=message["ts"], message=self._shown(message))

    def add_message(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        blocks: Any = None,
        metadata: Any = None,
        thread_ts: Any = None,
    ) -> dict[str, Any]:
        """Store a message (Baton's or a person's) and return it."""
        with self._cond:
            message: dict[str, Any] = {
                "type": "message",
                "channel": channel,
                "ts": self._next_ts(),
                "user": user,
                "team": demo.TEAM_ID,
                "text": text,
                "reactions_by": {},
            }
            if user == demo.BOT_USER_ID:
                message.update(bot_id=demo.BOT_ID, app_id=demo.APP_ID)
            for name, value in (("blocks", blocks), ("metadata", metadata), ("thread_ts", thread_ts)):
                if value is not None:
                    message[name] = copy.deepcopy(value)
            self.messages.append(message)
            self.changed()
            return message

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> Answer:
        channel = self._resolve_channel(str(params.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        user = str(params.get("user") or "")
        if user not in self._members(channel):
            return error("user_not_in_channel")
        problem = self._message_problem(params)
        if problem:
            return problem
        shown = self.add_ephemeral(channel, user, text=str(params.get("text") or ""), blocks=params.get("blocks"))
        return ok(message_ts=shown.ts)

    def add_ephemeral(
        self, channel: str, user: str, *, text: str, blocks: Any = None, sender: str = demo.BOT_USER_ID
    ) -> Ephemeral:
        """Show a message to `user` only."""
        with self._cond:
            shown = Ephemeral(
                id=f"E{next(self._seq)}",
                channel=channel,
                user=user,
                text=text,
                blocks=copy.deepcopy(blocks) if isinstance(blocks, list) else None,
                ts=self._next_ts(),
                sender=sender,
            )
            self.ephemerals.append(shown)
            self.changed()
            return shown

    def dismiss(self, user: str, ephemeral_id: str) -> None:
        """Remove one of `user`'s ephemerals."""
        with self._cond:
            self.ephemerals = [e for e in self.ephemerals if not (e.id == ephemeral_id and e.user == user)]
            self.changed()

    def _chat_update(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if channel not in self.channels():
            return error("channel_not_found")
        message = self.find_message(channel, ts)
        if message is None:
            return error("message_not_found")
        if message.get("bot_id") != demo.BOT_ID:
            return error("cant_update_message")
        blocks = params.get("blocks")
        if blocks is not None:
            problem = _blocks_problem(blocks, limit=MAX_MESSAGE_BLOCKS)
            if problem:
                return error("invalid_blocks", f"[ERROR] {problem}", errors=[problem])
        for name in ("text", "blocks", "attachments", "metadata"):
            if name in params:
                message[name] = copy.deepcopy(params[name])
        message["edited"] = {"user": demo.BOT_USER_ID, "ts": self._next_ts()}
        return ok(channel=channel, ts=ts, text=message.get("text", ""), message=self._shown(message))

    def _chat_get_permalink(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        if not channel or not ts:
            return error("invalid_arguments")
        if channel not in self.channels():
            return error("channel_not_found")
        if self.find_message(channel, ts) is None:
            return error("message_not_found")
        return ok(channel=channel, permalink=self.permalink(channel, ts))

    def permalink(self, channel: str, ts: str) -> str:
        """A link into the page that opens the conversation at that message."""
        return f"{self.page_url}#{channel}/{ts}"

    # -- views ---------------------------------------------------------------------------------------

    def new_trigger(self, user: str, *, page: str | None = None) -> str:
        """A trigger_id for one interaction by `user` on `page` (the browser page it came from, if any):
        views.open and views.push exchange it once, within 3 s, and the modal opens on that page."""
        trigger = f"{next(self._seq)}.{secrets.token_hex(6)}"
        with self._cond:
            self._triggers[trigger] = (user, time.monotonic(), False, page)
        return trigger

    def _exchange_trigger(self, trigger_id: Any) -> Exchanged | Answer:
        found = self._triggers.get(str(trigger_id or ""))
        if found is None:
            return error("invalid_arguments", "invalid `trigger_id`")
        user, issued, used, page = found
        if used:
            return error("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_SECONDS:
            return error("expired_trigger_id")
        self._triggers[str(trigger_id)] = (user, issued, True, page)
        return Exchanged(user, page)

    def _checked_view(self, view: Any, *, kind: str | None) -> dict[str, Any] | Answer:
        if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
            return error("invalid_arguments", "[ERROR] missing required field: type [json-pointer:/view/type]")
        if kind is not None and view["type"] != kind:
            return error("invalid_arguments", f"[ERROR] must be {kind} [json-pointer:/view/type]")
        problem = _blocks_problem(view.get("blocks") or [], limit=MAX_VIEW_BLOCKS)
        if problem:
            return error("invalid_arguments", f"[ERROR] {problem.replace('/blocks', '/view/blocks')}")
        if view["type"] == "modal":
            for name in ("title", "submit", "close"):
                if len(_plain(view.get(name))) > MAX_VIEW_TITLE:
                    return error(
                        "invalid_arguments",
                        f"[ERROR] must be less than {MAX_VIEW_TITLE + 1} characters [json-pointer:/view/{name}/text]",
                    )
            if not _plain(view.get("title")):
                return error("invalid_arguments", "[ERROR] missing required field: title [json-pointer:/view/title]")
        return view

    def _store_view(self, view: dict[str, Any], owner: str, view_id: str | None = None) -> dict[str, Any]:
        """Keep a view as Slack does: with an id, a hash, and generated block and action ids where missing."""
        view_id = view_id or f"V0{next(self._seq):07d}"
        previous = self.views.get(view_id)
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": demo.TEAM_ID,
            "app_id": demo.APP_ID,
            "bot_id": demo.BOT_ID,
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": previous["root_view_id"] if previous else view_id,
        }
        stored.update(copy.deepcopy(view))
        stored["id"] = view_id
        stored["state"] = {"values": {}}
        stored["hash"] = f"{int(time.time())}.{secrets.token_hex(4)}"
        # Slack fills in ids it was not given; these follow the page renderer's (b<index>, a<index>).
        for index, block in enumerate(stored.get("blocks") or []):
            block.setdefault("block_id", f"b{index}")
            element = block.get("element")
            if isinstance(element, dict):
                element.setdefault("action_id", "a0")
        self.views[view_id] = stored
        self.view_owner[view_id] = owner
        return stored

    def _views_open(self, params: dict[str, Any]) -> Answer:
        exchanged = self._exchange_trigger(params.get("trigger_id"))
        if not isinstance(exchanged, Exchanged):
            return exchanged
        user, page = exchanged.user, exchanged.page
        view = self._checked_view(params.get("view"), kind="modal")
        if isinstance(view, tuple):
            return view
        stored = self._store_view(view, user)
        self.modals[user] = Modal(stack=[stored["id"]], page=page)
        return ok(view=copy.deepcopy(stored))

    def _views_push(self, params: dict[str, Any]) -> Answer:
        exchanged = self._exchange_trigger(params.get("trigger_id"))
        if not isinstance(exchanged, Exchanged):
            return exchanged
        user = exchanged.user
        view = self._checked_view(params.get("view"), kind="modal")
        if isinstance(view, tuple):
            return view
        modal = self.modals.get(user)
        if modal is None or not modal.stack:
            return error("invalid_arguments", "no modal is open to push onto")
        if len(modal.stack) >= MAX_MODAL_STACK:
            return error("push_limit_reached")
        stored = self.push_view(user, view)
        return ok(view=copy.deepcopy(stored))

    def push_view(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Put a modal on top of `user`'s stack (views.push, or response_action push)."""
        with self._cond:
            modal = self.modals.setdefault(user, Modal())
            stored = self._store_view(view, user)
            stored["previous_view_id"] = modal.stack[-1] if modal.stack else None
            stored["root_view_id"] = modal.stack[0] if modal.stack else stored["id"]
            modal.stack.append(stored["id"])
            modal.errors = {}
            self.changed()
            return stored

    def _views_update(self, params: dict[str, Any]) -> Answer:
        view_id = str(params.get("view_id") or "")
        if not view_id:
            external_id = params.get("external_id")
            view_id = next(
                (vid for vid, v in self.views.items() if external_id and v.get("external_id") == external_id), ""
            )
        if not view_id:
            return error("invalid_arguments", "view_id or external_id is required")
        current = self.views.get(view_id)
        if current is None:
            return error("not_found")
        given_hash = params.get("hash")
        if given_hash and given_hash != current["hash"]:
            return error("hash_conflict")
        view = self._checked_view(params.get("view"), kind=current["type"])
        if isinstance(view, tuple):
            return view
        stored = self.update_view(view_id, view)
        return ok(view=copy.deepcopy(stored))

    def update_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """Replace a view in place (views.update, or response_action update); its errors go."""
        with self._cond:
            owner = self.view_owner.get(view_id, "")
            previous = self.views.get(view_id) or {}
            stored = self._store_view(view, owner, view_id)
            stored["previous_view_id"] = previous.get("previous_view_id")
            modal = self.modals.get(owner)
            if modal is not None and modal.stack and modal.stack[-1] == view_id:
                modal.errors = {}
            self.changed()
            return stored

    def _views_publish(self, params: dict[str, Any]) -> Answer:
        user_id = str(params.get("user_id") or "")
        if user_id not in self.people:
            return error("invalid_arguments", "[ERROR] invalid user_id")
        view = self._checked_view(params.get("view"), kind="home")
        if isinstance(view, tuple):
            return view
        stored = self._store_view(view, user_id, self.home_views.get(user_id))
        self.home_views[user_id] = stored["id"]
        return ok(view=copy.deepcopy(stored))

    def top_modal(self, user: str, *, page: str | None = None) -> tuple[dict[str, Any], dict[str, str]] | None:
        """The modal `user` sees (top of the stack) and the errors under its inputs. With `page`, only a
        modal opened on that page (or on none): one left open on a page since reloaded or closed is not
        brought back, as Slack does not bring a modal back into a new client."""
        with self._cond:
            modal = self.modals.get(user)
            if modal is None or not modal.stack:
                return None
            if page is not None and modal.page is not None and modal.page != page:
                return None
            return copy.deepcopy(self.views[modal.stack[-1]]), dict(modal.errors)

    def show_errors(self, user: str, errors: dict[str, str]) -> None:
        """response_action errors: messages under the named inputs of the top modal."""
        with self._cond:
            modal = self.modals.get(user)
            if modal is not None:
                modal.errors = {str(k): str(v) for k, v in errors.items()}
            self.changed()

    def close_modal(self, user: str, *, everything: bool) -> None:
        """Close the top modal (its Cancel or a successful submit), or the whole stack."""
        with self._cond:
            modal = self.modals.get(user)
            if modal is not None:
                if everything:
                    modal.stack.clear()
                elif modal.stack:
                    modal.stack.pop()
                modal.errors = {}
            self.changed()

    # -- reactions -----------------------------------------------------------------------------------

    def _reactions_add(self, params: dict[str, Any]) -> Answer:
        channel, ts, name = (str(params.get(k) or "") for k in ("channel", "timestamp", "name"))
        if not (channel and ts and name):
            return error("invalid_arguments")
        if self.add_reaction(demo.BOT_USER_ID, channel, ts, name) is None:
            return error("message_not_found")
        return ok()

    def add_reaction(self, user: str, channel: str, ts: str, name: str) -> bool | None:
        """Record a reaction; None when there is no such message, False when it was already there."""
        with self._cond:
            message = self.find_message(channel, ts)
            if message is None:
                return None
            users: list[str] = message["reactions_by"].setdefault(name, [])
            if user in users:
                return False
            users.append(user)
            self.changed()
            return True

    # -- response_url --------------------------------------------------------------------------------

    def new_response_url(self, target: ResponseTarget) -> str:
        """A response_url for one interaction; the page's server routes /response/<token> to `respond`."""
        token = secrets.token_urlsafe(12)
        with self._cond:
            self._responses[token] = replace(target)
        return f"{self.page_url}response/{token}"

    def respond(self, token: str, raw: bytes) -> Answer:
        """A post to a response_url: replace or delete the original, or add a message, as Slack does."""
        with self._cond:
            target = self._responses.get(token)
            if target is None:
                return 404, {"ok": False, "error": "expired_url"}
            if target.uses >= RESPONSE_URL_USES:
                return 404, {"ok": False, "error": "used_url"}
            try:
                body = json.loads(raw.decode("utf-8")) if raw else {}
            except (json.JSONDecodeError, UnicodeDecodeError):
                return 400, {"ok": False, "error": "invalid_payload"}
            if not isinstance(body, dict):
                return 400, {"ok": False, "error": "invalid_payload"}
            blocks = body.get("blocks")
            if blocks is not None:
                problem = _blocks_problem(blocks, limit=MAX_MESSAGE_BLOCKS)
                if problem:
                    return 400, {"ok": False, "error": "invalid_blocks"}
            target.uses += 1
            if truthy(body.get("delete_original")):
                self._delete_original(target)
            elif truthy(body.get("replace_original")):
                self._replace_original(target, body)
            elif body.get("response_type") == "in_channel":
                self.add_message(target.channel, user=demo.BOT_USER_ID, text=str(body.get("text") or ""), blocks=blocks)
            elif body.get("text") or blocks:
                self.add_ephemeral(target.channel, target.user, text=str(body.get("text") or ""), blocks=blocks)
            self.changed()
            return 200, {"ok": True}

    def _delete_original(self, target: ResponseTarget) -> None:
        if target.ephemeral_id:
            self.ephemerals = [e for e in self.ephemerals if e.id != target.ephemeral_id]
        elif target.message_ts:
            self.messages = [
                m for m in self.messages if not (m["channel"] == target.channel and m["ts"] == target.message_ts)
            ]

    def _replace_original(self, target: ResponseTarget, body: dict[str, Any]) -> None:
        text, blocks = str(body.get("text") or ""), body.get("blocks")
        if target.ephemeral_id:
            for shown in self.ephemerals:
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
        message["edited"] = {"user": demo.BOT_USER_ID, "ts": self._next_ts()}

    # -- people ---------------------------------------------------------------------------------------

    def set_people(self, people: Iterable[Person]) -> None:
        """New names, time zones and statuses, as users.info will answer them from now on."""
        with self._cond:
            self.people = {p.id: p for p in people}
            self.changed()

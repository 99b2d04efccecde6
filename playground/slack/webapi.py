"""A fake Slack Web API: the workspace's state and the methods an app calls, answered as Slack does.

One class for the playground (a closed world: its channels and people, triggers it issued) and the tests (an
open world that takes the ids a test makes up), with what either needs: call recording, checks against
Slack's method reference, scripted failures, rate tiers, OAuth installs, response_urls and change waiting.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from playground.slack import checks
from playground.slack.records import (
    Call,
    Ephemeral,
    Exchanged,
    Failure,
    Grant,
    Modal,
    NowSource,
    ResponseTarget,
    SlackUser,
    Team,
    dm_channel_id,
    user_of_dm,
)
from playground.slack.reference import (
    DEFAULT_HISTORY_PAGE,
    MAX_HISTORY_PAGE,
    POSTS_PER_CHANNEL_PER_SECOND,
    POSTS_PER_WORKSPACE_PER_MINUTE,
    STRICT_HISTORY_PAGE,
    References,
    SlidingWindow,
    Violation,
    calls_per_minute,
    check_call,
)
from playground.slack.wire import Answer, error, ok, truthy, ts_key

MAX_MODAL_STACK = 3
TRIGGER_SECONDS = 3.0  # Slack's trigger_id expires 3 s after the interaction
RESPONSE_URL_USES = 5
NO_TOKEN_METHODS = frozenset({"oauth.v2.access"})
# Methods that change nothing a page shows (no change is signalled for them).
_READ_ONLY = frozenset({"auth.test", "users.info", "conversations.history"})


class SlackWebApi:
    """The workspace `team` as its Web API answers an app: people, channels and DMs, messages, ephemerals,
    reactions, modals and Home tabs, with Slack's answers and error shapes.

    `channels` (id -> name) makes it a closed world, as the playground is: only those channels and the DMs
    with known people exist, a trigger_id must be one it issued (`new_trigger`, once, within 3 s), a view to
    update and a message to react to must exist. Without it, as in the tests, any channel id is taken as
    given and a made-up trigger_id or view id is fine. `token`: the one bot token accepted (else any
    `xoxb-` token not revoked). `first_ts`: message ts count up from it (deterministic) instead of following
    the clock. `reference`: Slack's method reference, to record each call it does not allow as a `Violation`.
    `expire_statuses`: clear a status once its expiration passes on the clock (when the clock is the app's).
    Every method is thread-safe; `version` grows with each visible change (`wait_changed`, `wait_for`).
    """

    def __init__(
        self,
        *,
        team: Team,
        users: Iterable[SlackUser] = (),
        clock: NowSource | None = None,
        channels: Mapping[str, str] | None = None,
        token: str | None = None,
        bot_user: SlackUser | None = None,
        first_ts: int | None = None,
        page_url: str = "",
        reference: Callable[[], References] | None = None,
        oauth_client: tuple[str, str] | None = None,
        expire_statuses: bool = False,
    ) -> None:
        self.team = team
        self._expire_statuses = expire_statuses
        self.token = token
        self.page_url = page_url
        self._clock = clock
        self._public_channels = dict(channels) if channels is not None else None
        self._bot_user = bot_user
        self._first_ts = first_ts
        self._reference = reference
        self._oauth_client = oauth_client
        self._lock = threading.Condition(threading.RLock())
        self.version = 0
        self.users: dict[str, SlackUser] = {u.id: u for u in users}
        self._messages: list[dict[str, Any]] = []
        self._ephemerals: list[Ephemeral] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_owner: dict[str, str] = {}
        self.modals: dict[str, Modal] = {}
        self.home_views: dict[str, str] = {}  # user id -> view id
        self._reactions: list[dict[str, str]] = []  # the bot's reactions.add calls: channel, timestamp, name
        self._calls: list[Call] = []
        self._violations: list[Violation] = []
        self._responses: list[tuple[str, dict[str, Any]]] = []  # (response_url name, body) in order
        self._triggers: dict[str, tuple[str, float, bool, str | None]] = {}  # user, issued, used, page
        self._response_targets: dict[str, ResponseTarget] = {}
        self._seq = itertools.count(1)
        self._ts_counter = 0
        self._last_ts = Decimal(0)
        self._failures: dict[str, list[Failure]] = {}
        self._token_teams: dict[str, str] = {}
        self._revoked: set[str] = set()
        self._grants: dict[str, Grant] = {}
        self._refresh_tokens: dict[str, Grant] = {}
        self._rotations = 0
        self._request_token = ""  # of the call being answered (answers are made under the lock)
        self._request_headers: dict[str, str] = {}
        self.tiers_enforced = False
        self.strict_history = False
        self._windows: dict[tuple[str, ...], SlidingWindow] = {}
        self._ratelimited: dict[str, int] = {}  # HTTP 429 answers by method
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
        if oauth_client is not None:
            self._methods["oauth.v2.access"] = self._oauth_v2_access

    # -- changes and waiting ------------------------------------------------------------------------

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

    # -- what was done (copies) -------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every Web API call received, in order."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if call.method == method]

    @property
    def violations(self) -> list[Violation]:
        """Every call so far that Slack's reference does not allow (see `reference.check_call`)."""
        with self._lock:
            return list(self._violations)

    def ratelimited(self, method: str | None = None) -> int:
        """How many HTTP 429 answers `method` got (all methods: None), from the tiers or from `fail()`."""
        with self._lock:
            return self._ratelimited.get(method, 0) if method is not None else sum(self._ratelimited.values())

    @property
    def rotations(self) -> int:
        """How many times a rotating bot token was refreshed."""
        with self._lock:
            return self._rotations

    def clear(self) -> None:
        """Forget the recorded calls and response_url posts; stored messages, views and users stay."""
        with self._lock:
            self._calls.clear()
            self._responses.clear()

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages stored (as chat.update left them), oldest first, each with its `channel`."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._messages if channel is None or m["channel"] == channel]

    def shown_to(self, user: str) -> list[Ephemeral]:
        """The ephemerals `user` sees, oldest first."""
        with self._lock:
            return [replace(e) for e in self._ephemerals if e.user == user]

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Decoded JSON bodies posted to any response_url, in order."""
        with self._lock:
            return [copy.deepcopy(body) for _, body in self._responses]

    def responses_to(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(body) for n, body in self._responses if n == name]

    @property
    def reactions(self) -> list[dict[str, str]]:
        """Reactions the bot added: dicts with channel, timestamp, name."""
        with self._lock:
            return [dict(r) for r in self._reactions]

    # -- what exists -------------------------------------------------------------------------------

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

    # -- the Web API ---------------------------------------------------------------------------------

    def api(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> Answer | None:
        """Answer one Web API call as Slack would (None: drop the connection, as scripted by `post_then_drop`)."""
        reference = self._reference() if self._reference is not None else None
        violations = check_call(method, params, reference) if reference is not None else []
        with self._lock:
            self._calls.append(Call(method, copy.deepcopy(params), headers))
            self._violations.extend(violations)
            answer = self._answer_locked(method, params, headers)
            if answer is not None and answer[0] == 429:
                self._ratelimited[method] = self._ratelimited.get(method, 0) + 1
            if answer is not None and answer[1].get("ok") and method not in _READ_ONLY:
                self.changed()
        if violations:
            self._report(violations)
        return answer

    def _report(self, violations: list[Violation]) -> None:
        """Hand calls Slack's reference does not allow on (the tests' fake reports them to the running test)."""

    def _answer_locked(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> Answer | None:
        failure = self._take_failure(method)
        if failure is not None and not failure.apply_effect:
            return self._failure_answer(failure)
        handler = self._methods.get(method)
        if handler is None:
            answer = error("unknown_method")
        else:
            self._request_headers = headers
            refused = None if method in NO_TOKEN_METHODS else self._check_token(params, headers)
            answer = refused or self._over_tier(method, params) or handler(params)
        if failure is not None:
            return self._failure_answer(failure)
        return answer

    def _check_token(self, params: dict[str, Any], headers: dict[str, str]) -> Answer | None:
        auth = headers.get("authorization", "")
        token = str((auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else params.get("token")) or "")
        self._request_token = token
        if not token:
            return error("not_authed")
        if token in self._revoked:
            return error("token_revoked")
        if self.token is not None:
            return None if secrets.compare_digest(token.encode(), self.token.encode()) else error("invalid_auth")
        # Rotating bot tokens look like xoxe.xoxb-…
        return None if token.startswith(("xoxb-", "xoxe.xoxb-")) else error("invalid_auth")

    # -- scripted failures ---------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
        drop: bool = False,
    ) -> None:
        """Make the next `times` calls to `method` fail, with nothing stored.

        retry_after given: HTTP 429, `Retry-After: <n>`, error `ratelimited`. Else a non-200 `status`
        (500, 503…) with an error body. Else HTTP 200 with `{"ok": false, "error": error}`.
        drop=True: the connection closes with no answer at all (a timeout or a reset, to the client).
        """
        self._script(method, error, status, retry_after, times, apply_effect=False, drop=drop)

    def post_then_fail(self, method: str = "chat.postMessage", *, status: int = 500, times: int = 1) -> None:
        """Slack does what was asked (stores the message) but answers HTTP `status`: the lost answer."""
        self._script(method, None, status, None, times, apply_effect=True, drop=False)

    def post_then_drop(self, method: str = "chat.postMessage", *, times: int = 1) -> None:
        """Slack does what was asked, then the connection closes with no answer."""
        self._script(method, None, 200, None, times, apply_effect=True, drop=True)

    def _script(
        self,
        method: str,
        error: str | None,
        status: int,
        retry_after: int | None,
        times: int,
        *,
        apply_effect: bool,
        drop: bool,
    ) -> None:
        if times < 1:
            raise ValueError("times must be at least 1")
        if retry_after is None and status == 200 and error is None and not drop and not apply_effect:
            raise ValueError("fail() needs an error, a non-200 status, retry_after or drop=True")
        with self._lock:
            self._failures.setdefault(method, []).append(Failure(times, status, error, retry_after, apply_effect, drop))

    def _take_failure(self, method: str) -> Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining == 0:
            queue.pop(0)
        return failure

    @staticmethod
    def _failure_answer(failure: Failure) -> Answer | None:
        if failure.drop:
            return None
        if failure.retry_after is not None:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(failure.retry_after)}
        if failure.status != 200:
            return failure.status, {"ok": False, "error": failure.error or "internal_error"}, {}
        return error(failure.error or "internal_error")

    # -- rate tiers ----------------------------------------------------------------------------------

    def enforce_tiers(self, *, strict_history: bool = False) -> None:
        """From now on, answer as Slack does past its published rate limits, per workspace (the token's
        team) and method, in a sliding minute of the clock: HTTP 429, `Retry-After` (whole seconds until the
        window has room) and `{"ok": false, "error": "ratelimited"}`; a refused call uses no room.

        Tier 2: 20 calls a minute, Tier 3: 50, Tier 4: 100 (`rate_limit` in the reference);
        chat.postMessage: one message a second in a conversation and 300 a minute in the workspace.
        `strict_history`: conversations.history as for a commercially distributed app outside the
        Marketplace, one call a minute and at most 15 messages a page (`limit` above 15 is cut to 15).
        """
        with self._lock:
            self.tiers_enforced = True
            self.strict_history = strict_history

    def _over_tier(self, method: str, params: dict[str, Any]) -> Answer | None:
        """429 when `method` has used up its rate limit in the caller's workspace (enforce_tiers); else
        the call takes its place in the windows and None."""
        if not self.tiers_enforced:
            return None
        if method in NO_TOKEN_METHODS:
            team = str(params.get("client_id") or "")  # before a workspace has a token: per app
        else:
            team = self._token_teams.get(self._request_token, self.team.id)
        now = self._now().timestamp()
        windows: list[SlidingWindow] = []
        if method == "chat.postMessage":
            channel = self._channel_for(str(params.get("channel") or "")) or str(params.get("channel") or "")
            windows.append(self._window((team, method, channel), POSTS_PER_CHANNEL_PER_SECOND, 1.0))
            windows.append(self._window((team, method), POSTS_PER_WORKSPACE_PER_MINUTE, 60.0))
        else:
            reference = self._reference() if self._reference is not None else {}
            calls = calls_per_minute(method, reference, strict_history=self.strict_history)
            if calls is not None:
                windows.append(self._window((team, method), calls, 60.0))
        wait = max((window.wait(now) for window in windows), default=0.0)
        if wait > 0:
            # Slack's Retry-After is whole seconds; rounding down would invite a call that is still too early.
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(max(1, math.ceil(wait)))}
        for window in windows:
            window.take(now)
        return None

    def _window(self, key: tuple[str, ...], size: int, seconds: float) -> SlidingWindow:
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = SlidingWindow(size, seconds)
        return window

    # -- auth and OAuth ------------------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> Answer:
        return ok(
            url=f"https://{self.team.domain}.slack.com/",
            team=self.team.name,
            user="baton",
            team_id=self._token_teams.get(self._request_token, self.team.id),
            user_id=self.team.bot_user_id,
            bot_id=self.team.bot_id,
            is_enterprise_install=False,
        )

    def grant_install(
        self,
        code: str,
        *,
        team_id: str,
        bot_token: str,
        installer: str,
        team_name: str = "Other Workspace",
        expires_in: int | None = None,
    ) -> None:
        """What Slack does when an admin approves the install: `code` comes back to the redirect URL and
        oauth.v2.access exchanges it for `bot_token` (rotating when `expires_in` is given)."""
        with self._lock:
            self._grants[code] = Grant(team_id, team_name, bot_token, installer, expires_in)

    def register_token(self, token: str, team_id: str) -> None:
        """A bot token of another workspace (auth.test answers with its team)."""
        with self._lock:
            self._token_teams[token] = team_id

    def revoke(self, token: str) -> None:
        """Calls with this token now answer token_revoked, as after an uninstall."""
        with self._lock:
            self._revoked.add(token)

    def _oauth_v2_access(self, params: dict[str, Any]) -> Answer:
        assert self._oauth_client is not None
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        auth = self._request_headers.get("authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        expected_id, expected_secret = self._oauth_client
        if client_id != expected_id or client_secret != expected_secret:
            return error("invalid_client_id" if client_id != expected_id else "bad_client_secret")
        if params.get("grant_type") == "refresh_token":
            grant = self._refresh_tokens.pop(str(params.get("refresh_token")), None)
            if grant is None:
                return error("invalid_refresh_token")
            self._rotations += 1
            grant = replace(grant, bot_token=f"xoxe.xoxb-{grant.team_id}-{self._rotations}")
        else:
            found = self._grants.pop(str(params.get("code")), None)
            if found is None:
                return error("invalid_code")
            grant = found
        self._token_teams[grant.bot_token] = grant.team_id
        answer: dict[str, Any] = {
            "access_token": grant.bot_token,
            "token_type": "bot",
            "scope": "chat:write,commands,users:read",
            "bot_user_id": self.team.bot_user_id,
            "app_id": self.team.app_id,
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }
        if grant.expires_in is not None:
            refresh = f"xoxe-1-refresh-{grant.team_id}-{self._rotations}"
            self._refresh_tokens[refresh] = grant
            answer.update(refresh_token=refresh, expires_in=grant.expires_in)
        return ok(**answer)

    # -- people --------------------------------------------------------------------------------------

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

    def _users_info(self, params: dict[str, Any]) -> Answer:
        user_id = str(params.get("user") or "")
        user = self.users.get(user_id)
        if user is None and self._bot_user is not None and user_id == self._bot_user.id:
            user = self._bot_user
        if user is None:
            return error("user_not_found")
        return ok(user=user.user_object(self._now(), team_id=self.team.id, expire_status=self._expire_statuses))

    def _conversations_open(self, params: dict[str, Any]) -> Answer:
        users = params.get("users")
        wanted = users if isinstance(users, list) else str(users or "").split(",")
        wanted = [u.strip() for u in wanted if u.strip()]
        if not wanted:
            return error("users_list_not_supplied")
        if len(wanted) > 1:
            return error("not_supported", "group DMs are not played here")
        user = self.users.get(wanted[0])
        if user is None:
            return error("user_not_found")
        if user.deleted:
            return error("user_disabled")
        return ok(channel={"id": dm_channel_id(user.id)})

    # -- messages -----------------------------------------------------------------------------------

    def _conversations_history(self, params: dict[str, Any]) -> Answer:
        channel = str(params.get("channel") or "")
        if not channel or (self.closed_world and channel not in self.channels()):
            return error("channel_not_found")
        inclusive = truthy(params.get("inclusive"))
        oldest, latest = params.get("oldest"), params.get("latest")
        with_metadata = truthy(params.get("include_all_metadata"))
        strict = self.tiers_enforced and self.strict_history
        try:
            limit = int(params.get("limit") or (STRICT_HISTORY_PAGE if strict else DEFAULT_HISTORY_PAGE))
            offset = int(str(params.get("cursor") or "0").removeprefix("offset:") or 0)
        except ValueError:
            return error("invalid_arguments")
        limit = max(1, min(limit, STRICT_HISTORY_PAGE if strict else MAX_HISTORY_PAGE))  # Slack cuts a bigger page
        found = []
        for message in self._messages:
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
        """A stored message as Slack shows it (no `channel` inside)."""
        shown = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel"}
        if not with_metadata:
            shown.pop("metadata", None)
        return shown

    def _chat_post_message(self, params: dict[str, Any]) -> Answer:
        channel = self._channel_for(str(params.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        problem = checks.message_problem(params)
        if problem:
            return problem
        message = self.add_message(
            channel,
            user=self.team.bot_user_id,
            text=str(params.get("text") or ""),
            blocks=params.get("blocks"),
            attachments=params.get("attachments"),
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

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> Answer:
        channel = self._channel_for(str(params.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        user = str(params.get("user") or "")
        if user not in (self._members(channel) if self.closed_world else self.users):
            return error("user_not_in_channel")
        problem = checks.message_problem(params)
        if problem:
            return problem
        shown = self.add_ephemeral(channel, user, text=str(params.get("text") or ""), blocks=params.get("blocks"))
        return ok(message_ts=shown.ts)

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

    def _chat_update(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if self.closed_world and channel not in self.channels():
            return error("channel_not_found")
        message = self.find_message(channel, ts)
        if message is None:
            return error("message_not_found")
        if message.get("bot_id") != self.team.bot_id:
            return error("cant_update_message")
        blocks = params.get("blocks")
        if blocks is not None:
            refused = checks.invalid_blocks(blocks)
            if refused:
                return refused
        for name in ("text", "blocks", "attachments", "metadata"):
            if name in params:
                message[name] = copy.deepcopy(params[name])
        message["edited"] = {"user": self.team.bot_user_id, "ts": self._next_ts()}
        return ok(channel=channel, ts=ts, text=message.get("text", ""), message=self._shown(message))

    def _chat_get_permalink(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        if not channel or not ts:
            return error("invalid_arguments")
        if self.closed_world:
            if channel not in self.channels():
                return error("channel_not_found")
            if self.find_message(channel, ts) is None:
                return error("message_not_found")
        return ok(channel=channel, permalink=self.permalink(channel, ts))

    # -- reactions -----------------------------------------------------------------------------------

    def _reactions_add(self, params: dict[str, Any]) -> Answer:
        channel, ts, name = (str(params.get(k) or "") for k in ("channel", "timestamp", "name"))
        if not (channel and ts and name):
            return error("invalid_arguments")
        added = self.add_reaction(self.team.bot_user_id, channel, ts, name)
        if added is None:
            return error("message_not_found")
        if not added:
            return error("already_reacted")
        self._reactions.append({"channel": channel, "timestamp": ts, "name": name})
        return ok()

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

    # -- views ---------------------------------------------------------------------------------------

    def new_trigger(self, user: str, *, page: str | None = None) -> str:
        """A trigger_id for one interaction by `user` on `page` (the browser page it came from, if any):
        views.open and views.push exchange it once, within 3 s, and the modal opens on that page."""
        trigger = f"{next(self._seq)}.{secrets.token_hex(6)}"
        with self._lock:
            self._triggers[trigger] = (user, time.monotonic(), False, page)
        return trigger

    def _exchange_trigger(self, trigger_id: Any) -> Exchanged | Answer:
        found = self._triggers.get(str(trigger_id or ""))
        if found is None:
            if self.closed_world or not trigger_id:
                return error("invalid_arguments", "invalid `trigger_id`")
            return Exchanged(None, None)
        user, issued, used, page = found
        if used:
            return error("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_SECONDS:
            return error("expired_trigger_id")
        self._triggers[str(trigger_id)] = (user, issued, True, page)
        return Exchanged(user, page)

    def _store_view(self, view: dict[str, Any], owner: str, view_id: str | None = None) -> dict[str, Any]:
        """Keep a view as Slack does: with an id, a hash, and generated block and action ids where missing."""
        view_id = view_id or f"V0{next(self._seq):07d}"
        previous = self.views.get(view_id)
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team.id,
            "app_id": self.team.app_id,
            "bot_id": self.team.bot_id,
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
        view = checks.checked_view(params.get("view"), kind="modal")
        if isinstance(view, tuple):
            return view
        stored = self._store_view(view, exchanged.user or "")
        if exchanged.user is not None:
            self.modals[exchanged.user] = Modal(stack=[stored["id"]], page=exchanged.page)
        return ok(view=copy.deepcopy(stored))

    def _views_push(self, params: dict[str, Any]) -> Answer:
        exchanged = self._exchange_trigger(params.get("trigger_id"))
        if not isinstance(exchanged, Exchanged):
            return exchanged
        view = checks.checked_view(params.get("view"), kind="modal")
        if isinstance(view, tuple):
            return view
        if exchanged.user is None:  # a made-up trigger: no stack to push onto is known
            return ok(view=copy.deepcopy(self._store_view(view, "")))
        modal = self.modals.get(exchanged.user)
        if modal is None or not modal.stack:
            return error("invalid_arguments", "no modal is open to push onto")
        if len(modal.stack) >= MAX_MODAL_STACK:
            return error("push_limit_reached")
        return ok(view=copy.deepcopy(self.push_view(exchanged.user, view)))

    def push_view(self, user: str, view: dict[str, Any]) -> dict[str, Any]:
        """Put a modal on top of `user`'s stack (views.push, or response_action push)."""
        with self._lock:
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
                return error("not_found" if external_id else "invalid_arguments", "view_id or external_id is required")
        current = self.views.get(view_id)
        if current is None and self.closed_world:
            return error("not_found")
        # An open world takes an unknown id as a view it did not see opened (tests make up the modal's id).
        given_hash = params.get("hash")
        if current is not None and given_hash and given_hash != current["hash"]:
            return error("hash_conflict")
        view = checks.checked_view(params.get("view"), kind=current["type"] if current is not None else None)
        if isinstance(view, tuple):
            return view
        return ok(view=copy.deepcopy(self.update_view(view_id, view)))

    def update_view(self, view_id: str, view: dict[str, Any]) -> dict[str, Any]:
        """Replace a view in place (views.update, or response_action update); its errors go."""
        with self._lock:
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
        if user_id not in self.users:
            return error("invalid_arguments", "[ERROR] invalid user_id")
        view = checks.checked_view(params.get("view"), kind="home")
        if isinstance(view, tuple):
            return view
        stored = self._store_view(view, user_id, self.home_views.get(user_id))
        self.home_views[user_id] = stored["id"]
        return ok(view=copy.deepcopy(stored))

    def top_modal(self, user: str, *, page: str | None = None) -> tuple[dict[str, Any], dict[str, str]] | None:
        """The modal `user` sees (top of the stack) and the errors under its inputs. With `page`, only a
        modal opened on that page (or on none): one left open on a page since reloaded or closed is not
        brought back, as Slack does not bring a modal back into a new client."""
        with self._lock:
            modal = self.modals.get(user)
            if modal is None or not modal.stack:
                return None
            if page is not None and modal.page is not None and modal.page != page:
                return None
            return copy.deepcopy(self.views[modal.stack[-1]]), dict(modal.errors)

    def show_errors(self, user: str, errors: dict[str, str]) -> None:
        """response_action errors: messages under the named inputs of the top modal."""
        with self._lock:
            modal = self.modals.get(user)
            if modal is not None:
                modal.errors = {str(k): str(v) for k, v in errors.items()}
            self.changed()

    def close_modal(self, user: str, *, everything: bool) -> None:
        """Close the top modal (its Cancel or a successful submit), or the whole stack."""
        with self._lock:
            modal = self.modals.get(user)
            if modal is not None:
                if everything:
                    modal.stack.clear()
                elif modal.stack:
                    modal.stack.pop()
                modal.errors = {}
            self.changed()

    # -- response_url --------------------------------------------------------------------------------

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

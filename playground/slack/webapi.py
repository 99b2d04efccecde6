"""A fake Slack Web API: the methods an app calls, answered as Slack does, with call recording, checks against
Slack's method reference, scripted failures, rate tiers and OAuth installs (the playground's and the tests')."""

from __future__ import annotations

import base64
import copy
import math
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from playground.slack import checks
from playground.slack.records import (
    Call,
    Failure,
    Grant,
    NowSource,
    SlackUser,
    Team,
    dm_channel_id,
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
from playground.slack.views import ViewsAndModals
from playground.slack.wire import Answer, error, ok, truthy, ts_key

NO_TOKEN_METHODS = frozenset({"oauth.v2.access"})
# Methods that change nothing a page shows (no change is signalled for them).
_READ_ONLY = frozenset({"auth.test", "users.info", "conversations.history"})


class SlackWebApi(ViewsAndModals):
    """The workspace `team` as its Web API answers an app, with Slack's answers and error shapes (the state and
    its closed or open world: see `WorkspaceState`).

    `token`: the one bot token accepted (else any `xoxb-` token not revoked). `bot_user`: what users.info
    says of the app itself. `reference`: Slack's method reference, to record each call it does not allow as
    a `Violation`. `oauth_client` (id, secret): answer oauth.v2.access for installs granted here.
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
        super().__init__(
            team=team,
            users=users,
            clock=clock,
            channels=channels,
            first_ts=first_ts,
            page_url=page_url,
            expire_statuses=expire_statuses,
        )
        self.token = token
        self._bot_user = bot_user
        self._reference = reference
        self._oauth_client = oauth_client
        self._calls: list[Call] = []
        self._violations: list[Violation] = []
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

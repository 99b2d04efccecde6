"""A fake Slack Web API on loopback, so tests see every call Baton makes and can script Slack's failures.

After bolt-python's tests/mock_web_api_server, but bound to port 0 (no fixed port) and with no
sleep-polling: listeners run inline, so a call has been recorded by the time dispatch returns.

Every call is held against Slack's method reference (tests/data/web-api-methods.json): an unknown
method, a missing required argument, an argument Slack does not list and a broken one-of rule are
recorded as `Violation`s (tests/conftest.py fails the test that made one). On request
(`enforce_tiers()`) the fake also answers HTTP 429 as Slack does once a method's rate tier is used up.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import functools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Protocol, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from playground.workspace import decode_params, truthy, ts_key  # the same reading of requests as the playground

T = TypeVar("T")

TEAM_ID = "T0WORKSPACE"
TEAM_DOMAIN = "baton-test"
TEAM_NAME = "Baton Test"
BOT_USER_ID = "U0BATON"
BOT_ID = "B0BATON"
APP_ID = "A0BATON"

U_MANAGER = "U0MANAGER"
U_ALICE = "U0ALICE"
U_BOB = "U0BOB"
U_ADMIN = "U0ADMIN"
C_GENERAL = "C0GENERAL"

FIRST_TS_SECONDS = 1_700_000_000

# Fields Slack takes as JSON text inside a form body (slack_sdk sends them so when it posts a form).
_JSON_FIELDS = ("blocks", "attachments", "view", "metadata")

_MAX_MESSAGE_BLOCKS = 50
_MAX_VIEW_BLOCKS = 100
_MAX_SECTION_TEXT = 3000
_MAX_MESSAGE_TEXT = 40_000

Answer = tuple[int, dict[str, Any], dict[str, str]]


# -- Slack's method reference ---------------------------------------------------------------------

# Slack's method reference for every Web API method Baton calls, copied from ../shared/slack/ (its README
# says how it was compiled): `required` and `known` arguments, `one_of` rules (as prose) and `rate_limit`.
WEB_API_METHODS = Path(__file__).resolve().parents[1] / "data" / "web-api-methods.json"

# The message content arguments of which Slack wants at least one (chat.postMessage, chat.update, chat.postEphemeral).
_MESSAGE_CONTENT = ("text", "blocks", "attachments", "markdown_text")


@dataclass(frozen=True)
class MethodReference:
    """What Slack's reference says about one method."""

    name: str
    required: frozenset[str]
    known: frozenset[str]
    one_of: str | None
    rate_limit: str


@functools.cache
def web_api_reference() -> dict[str, MethodReference]:
    """Slack's reference, by method name (read once per test run)."""
    loaded: dict[str, Any] = json.loads(WEB_API_METHODS.read_text(encoding="utf-8"))
    return {
        name: MethodReference(
            name=name,
            required=frozenset(spec["required"]),
            known=frozenset(spec["known"]),
            one_of=spec["one_of"],
            rate_limit=spec["rate_limit"],
        )
        for name, spec in loaded.items()
        if not name.startswith("_")
    }


@dataclass(frozen=True)
class Violation:
    """A call Slack's reference does not allow: `argument` names the argument at fault (None: the method
    itself, or a one-of rule over several arguments, which `problem` names)."""

    method: str
    argument: str | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.method}({self.argument})" if self.argument else self.method
        return f"{where}: {self.problem}"


def _given(params: dict[str, Any], name: str) -> bool:
    """Slack reads an absent argument, an empty string and an empty list alike: not given."""
    value = params.get(name)
    return value is not None and value != "" and value != [] and value != {}


def _at_least_one(method: str, params: dict[str, Any], names: tuple[str, ...]) -> list[Violation]:
    if any(_given(params, name) for name in names):
        return []
    return [Violation(method, None, f"one of {'|'.join(names)} is required, none was given")]


def _exactly_one(method: str, params: dict[str, Any], names: tuple[str, ...]) -> list[Violation]:
    given = [name for name in names if _given(params, name)]
    if len(given) == 1:
        return []
    found = ", ".join(given) if given else "none"
    return [Violation(method, None, f"exactly one of {'|'.join(names)} is required, got {found}")]


def _post_message_rules(params: dict[str, Any]) -> list[Violation]:
    found = _at_least_one("chat.postMessage", params, _MESSAGE_CONTENT)
    if truthy(params.get("reply_broadcast")) and not _given(params, "thread_ts"):
        found.append(Violation("chat.postMessage", "reply_broadcast", "reply_broadcast=true requires thread_ts"))
    return found


def _oauth_access_rules(params: dict[str, Any]) -> list[Violation]:
    if params.get("grant_type") == "refresh_token":
        if _given(params, "refresh_token"):
            return []
        return [Violation("oauth.v2.access", "refresh_token", "grant_type=refresh_token requires refresh_token")]
    if _given(params, "code"):
        return []
    return [Violation("oauth.v2.access", "code", "code is required unless grant_type=refresh_token")]


# The `one_of` prose of the reference, as checks: one entry per method whose `one_of` is not null (a unit
# test keeps the two in step, so a method added to the JSON cannot go unchecked).
ONE_OF_RULES: dict[str, Callable[[dict[str, Any]], list[Violation]]] = {
    "chat.postMessage": _post_message_rules,
    "chat.update": lambda p: _at_least_one("chat.update", p, _MESSAGE_CONTENT),
    "chat.postEphemeral": lambda p: _at_least_one("chat.postEphemeral", p, _MESSAGE_CONTENT),
    "conversations.open": lambda p: _exactly_one("conversations.open", p, ("channel", "users")),
    "views.open": lambda p: _exactly_one("views.open", p, ("trigger_id", "interactivity_pointer")),
    "views.push": lambda p: _exactly_one("views.push", p, ("trigger_id", "interactivity_pointer")),
    "views.update": lambda p: _exactly_one("views.update", p, ("view_id", "external_id")),
    "oauth.v2.access": _oauth_access_rules,
}


def check_call(method: str, params: dict[str, Any]) -> list[Violation]:
    """Hold one call, with its arguments as Slack reads them (query, form or JSON body; see
    `decode_params`), against Slack's reference; empty when Slack would take it as asked."""
    reference = web_api_reference().get(method)
    if reference is None:
        return [Violation(method, None, "not a method in Slack's reference (tests/data/web-api-methods.json)")]
    found = [
        Violation(method, name, "a required argument is missing")
        for name in sorted(reference.required)
        if not _given(params, name)
    ]
    found += [
        Violation(method, name, "not an argument of this method in Slack's reference")
        for name in sorted(params)
        if name != "token" and name not in reference.known
    ]
    rule = ONE_OF_RULES.get(method)
    if rule is not None:
        found += rule(params)
    return found


# -- Slack's rate tiers ---------------------------------------------------------------------------

# Calls a minute per method per workspace, by tier (https://docs.slack.dev/apis/web-api/rate-limits).
TIER_CALLS_PER_MINUTE = {"Tier 1": 1, "Tier 2": 20, "Tier 3": 50, "Tier 4": 100}
# chat.postMessage: one message a second in a conversation (short bursts aside), and a workspace-wide cap.
POSTS_PER_CHANNEL_PER_SECOND = 1
POSTS_PER_WORKSPACE_PER_MINUTE = 300
# conversations.history for commercially distributed apps outside the Marketplace: 1 call a minute and
# at most (and by default) 15 messages a page (https://docs.slack.dev/changelog/2025/05/29/rate-limit-changes-for-non-marketplace-apps).
STRICT_HISTORY_CALLS_PER_MINUTE = 1
STRICT_HISTORY_PAGE = 15
DEFAULT_HISTORY_PAGE = 100


def calls_per_minute(method: str, *, strict_history: bool = False) -> int | None:
    """The tier's calls a minute for `method` in one workspace; None where the reference gives no tier
    (chat.postMessage has its own limits; auth.test and chat.getPermalink allow "hundreds" a minute)."""
    if method == "conversations.history" and strict_history:
        return STRICT_HISTORY_CALLS_PER_MINUTE
    reference = web_api_reference().get(method)
    if reference is None:
        return None
    for tier, calls in TIER_CALLS_PER_MINUTE.items():
        if reference.rate_limit.startswith(tier):
            return calls
    return None


class _Window:
    """A sliding window: at most `size` calls in any `seconds`; a refused call does not count."""

    def __init__(self, size: int, seconds: float) -> None:
        self.size = size
        self.seconds = seconds
        self._times: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until a call may be made (0: now)."""
        while self._times and self._times[0] + self.seconds <= now:
            self._times.popleft()
        if len(self._times) < self.size:
            return 0.0
        return self._times[0] + self.seconds - now

    def take(self, now: float) -> None:
        self._times.append(now)


class _NowSource(Protocol):
    def now(self) -> datetime: ...


def dm_channel_id(user_id: str) -> str:
    """The id of the bot's DM with a person, as the fake hands it out: U0ALICE -> D0ALICE."""
    return "D" + user_id[1:]


@dataclass(frozen=True)
class Call:
    """One request to the Web API: method, decoded params (JSON fields parsed) and lower-cased headers."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True)
class FakeUser:
    id: str
    name: str
    tz: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    # The person's Slack status, as users.info shows it in `profile`: ":palm_tree:", "Vacation", and when
    # it expires in Unix seconds (0: it does not).
    status_emoji: str = ""
    status_text: str = ""
    status_expiration: int = 0


@dataclass
class _Failure:
    remaining: int
    status: int
    error: str | None
    retry_after: int | None
    apply_effect: bool
    drop: bool


@dataclass
class _Grant:
    team_id: str
    team_name: str
    bot_token: str
    installer: str
    expires_in: int | None  # seconds; None: a token that never expires (no rotation)


OAUTH_CLIENT_ID = "1111.2222"
OAUTH_CLIENT_SECRET = "fake-client-secret"
NO_TOKEN_METHODS = frozenset({"oauth.v2.access"})


@dataclass
class _State:
    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    reactions: list[dict[str, str]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    home_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, FakeUser] = field(default_factory=dict)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    ts_counter: int = 0
    # OAuth: which workspace each bot token belongs to, revoked tokens, codes waiting to be exchanged.
    token_teams: dict[str, str] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    grants: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, _Grant] = field(default_factory=dict)
    rotations: int = 0
    token: str = ""  # of the request being answered (answers are made under the lock)
    headers: dict[str, str] = field(default_factory=dict)
    view_counter: int = 0
    # Calls Slack's reference does not allow, in the order they came.
    violations: list[Violation] = field(default_factory=list)
    # Rate tiers (enforce_tiers): the windows by (workspace, method[, channel]) and 429s answered by method.
    tiers_enforced: bool = False
    strict_history: bool = False
    windows: dict[tuple[str, ...], _Window] = field(default_factory=dict)
    ratelimited: dict[str, int] = field(default_factory=dict)


def _section_too_long(blocks: list[Any]) -> bool:
    for block in blocks:
        if not isinstance(block, dict) or block.get("type") != "section":
            continue
        text = block.get("text")
        if isinstance(text, dict) and len(str(text.get("text", ""))) > _MAX_SECTION_TEXT:
            return True
    return False


def _ok(**fields: Any) -> Answer:
    return 200, {"ok": True, **fields}, {}


def _error(error: str) -> Answer:
    return 200, {"ok": False, "error": error}, {}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlack


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake = self.server.fake
        if url.path.startswith("/api/"):
            params = decode_params(raw, headers.get("content-type", ""), url.query)
            answer = fake._answer(url.path.removeprefix("/api/"), params, headers)
            fake._traffic.answered(Call(url.path.removeprefix("/api/"), params, headers))
        elif url.path.startswith("/response/"):
            answer = fake._respond(url.path.removeprefix("/response/"), raw)
        else:
            answer = 404, {"ok": False, "error": "not_found"}, {}
        if answer is None:  # a dropped connection: the client sees no answer at all
            self.close_connection = True
            return
        status, body, extra_headers = answer
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


DEFAULT_USERS = (
    FakeUser(U_MANAGER, "manager", "America/New_York"),
    FakeUser(U_ALICE, "alice", "Europe/Berlin"),
    FakeUser(U_BOB, "bob", "Asia/Tokyo"),
    FakeUser(U_ADMIN, "admin", "America/New_York", is_admin=True),
)


HOLD_LIMIT_SECONDS = 60.0  # a gate nobody releases must not keep a server thread forever


class Gate:
    """Answers to one method held back after Slack did the work (a post is stored), until the test
    releases them: what a client sees while a slow Slack has not answered yet."""

    def __init__(self, method: str, *, let_through: int) -> None:
        self.method = method
        self._let_through = let_through
        self._cond = threading.Condition()
        self._seen = 0
        self._held: list[Call] = []
        self._open = False

    def wait_held(self, count: int = 1, *, timeout: float = 10.0) -> list[Call]:
        """Block until `count` calls are being held (AssertionError after `timeout` s); returns them."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._held) >= count, timeout=timeout):
                raise AssertionError(f"{len(self._held)} {self.method} calls held after {timeout} s, wanted {count}")
            return list(self._held)

    @property
    def held(self) -> list[Call]:
        with self._cond:
            return list(self._held)

    def release(self) -> None:
        """Answer every held call and let all later ones through."""
        with self._cond:
            self._open = True
            self._cond.notify_all()

    def _pass(self, call: Call) -> None:
        with self._cond:
            self._seen += 1
            if self._open or self._seen <= self._let_through:
                return
            self._held.append(call)
            self._cond.notify_all()
            self._cond.wait_for(lambda: self._open, timeout=HOLD_LIMIT_SECONDS)


class _Traffic:
    """What happens after Slack answered and before the client hears it: latency, gates, waiters."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._latency: dict[str, float] = {}
        self._gates: dict[str, Gate] = {}
        self._counts: dict[str, int] = {}

    def answered(self, call: Call) -> None:
        with self._cond:
            self._counts[call.method] = self._counts.get(call.method, 0) + 1
            self._cond.notify_all()
            latency = self._latency.get(call.method, 0.0)
            gate = self._gates.get(call.method)
        if latency:
            time.sleep(latency)  # the configured latency of a slow Slack, in this server thread only
        if gate is not None:
            gate._pass(call)

    def slow(self, method: str, seconds: float) -> None:
        with self._cond:
            self._latency[method] = seconds

    def gate(self, method: str, *, let_through: int) -> Gate:
        gate = Gate(method, let_through=let_through)
        with self._cond:
            self._gates[method] = gate
        return gate

    def wait_until(self, condition: Callable[[], T | None], *, timeout: float) -> T | None:
        """`condition`'s first answer other than None, asked now and again after each call is answered."""
        found: list[T] = []

        def met() -> bool:
            answer = condition()
            if answer is not None:
                found.append(answer)
            return answer is not None

        with self._cond:
            self._cond.wait_for(met, timeout=timeout)
        return found[0] if found else None

    def wait_for(self, method: str, count: int, *, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self._counts.get(method, 0) >= count, timeout=timeout)
            return self._counts.get(method, 0)

    def release_all(self) -> None:
        with self._cond:
            gates = list(self._gates.values())
        for gate in gates:
            gate.release()


class FakeSlack:
    """A Slack Web API stand-in on 127.0.0.1:<free port>: point WebClient(base_url=...) at `base_url`.

    Answers auth.test, users.info, conversations.open, conversations.history, chat.postMessage,
    chat.postEphemeral, chat.update, chat.getPermalink, views.open/update/push/publish and
    reactions.add like Slack; any other method answers `unknown_method`, so a missing stub fails.
    """

    # Where every FakeSlack also reports its violations (tests/conftest.py collects them per test).
    _violation_sinks: ClassVar[list[Callable[[Violation], None]]] = []
    _sinks_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        clock: _NowSource | None = None,
        default_users: bool = True,
        enforce_tiers: bool = False,
        strict_history: bool = False,
    ) -> None:
        """`enforce_tiers`: answer 429 past Slack's published rate tiers, as `enforce_tiers()` does."""
        self._lock = threading.Lock()
        self._state = _State()
        self._traffic = _Traffic()
        self._clock = clock
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
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
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "reactions.add": self._reactions_add,
            "oauth.v2.access": self._oauth_v2_access,
        }
        if default_users:
            for user in DEFAULT_USERS:
                self._state.users[user.id] = user
        if enforce_tiers:
            self.enforce_tiers(strict_history=strict_history)

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        # A short poll interval only bounds how long stop() waits; requests are served at once.
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="FakeSlack", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        self._traffic.release_all()
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What WebClient(base_url=...) and SLACK_API_URL take."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r1") -> str:
        """A response_url on this server for Bolt's respond(); posts land in `responses`."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # -- what tests read ---------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [call for call in self._state.calls if call.method == method]

    @property
    def violations(self) -> list[Violation]:
        """Every call so far that Slack's reference does not allow (see `check_call`)."""
        with self._lock:
            return list(self._state.violations)

    @classmethod
    @contextlib.contextmanager
    def violations_reported_to(cls, sink: Callable[[Violation], None]) -> Iterator[None]:
        """While inside, every FakeSlack (whoever started it) also hands each violation to `sink`."""
        with cls._sinks_lock:
            cls._violation_sinks.append(sink)
        try:
            yield
        finally:
            with cls._sinks_lock:
                cls._violation_sinks.remove(sink)

    def ratelimited(self, method: str | None = None) -> int:
        """How many HTTP 429 answers `method` got (all methods: None), from the tiers or from `fail()`."""
        with self._lock:
            counts = self._state.ratelimited
            return counts.get(method, 0) if method is not None else sum(counts.values())

    def clear(self) -> None:
        """Forget the recorded calls and response_url posts; stored messages, views and users stay."""
        with self._lock:
            self._state.calls.clear()
            self._state.responses.clear()

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages stored by chat.postMessage (as updated by chat.update), oldest first, with `channel`."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._state.messages if channel is None or m["channel"] == channel]

    def ephemerals(self, channel: str | None = None) -> list[dict[str, Any]]:
        """What chat.postEphemeral showed: dicts with channel, user, text, blocks, message_ts."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._state.ephemerals if channel is None or m["channel"] == channel]

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Decoded JSON bodies posted to any response_url, in order."""
        with self._lock:
            return [copy.deepcopy(body) for _, body in self._state.responses]

    def responses_to(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(body) for n, body in self._state.responses if n == name]

    @property
    def reactions(self) -> list[dict[str, str]]:
        """Reactions Baton added: dicts with channel, timestamp, name."""
        with self._lock:
            return [dict(r) for r in self._state.reactions]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """The modal last opened, pushed or updated under this id."""
        with self._lock:
            found = self._state.views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for this person."""
        with self._lock:
            found = self._state.home_views.get(user_id)
            return copy.deepcopy(found) if found is not None else None

    # -- what tests set up -----------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "alice",
        tz: str = "America/New_York",
        is_admin: bool = False,
        is_bot: bool = False,
        deleted: bool = False,
        status_emoji: str = "",
        status_text: str = "",
        status_expiration: int = 0,
    ) -> FakeUser:
        """Add or replace a person that users.info and conversations.open know."""
        ZoneInfo(tz)  # refuse a zone Slack would never send
        user = FakeUser(
            user_id,
            name,
            tz,
            is_admin=is_admin,
            is_bot=is_bot,
            deleted=deleted,
            status_emoji=status_emoji,
            status_text=status_text,
            status_expiration=status_expiration,
        )
        with self._lock:
            self._state.users[user_id] = user
        return user

    def set_status(self, user_id: str, *, emoji: str, text: str, expiration: int = 0) -> FakeUser:
        """What a person does in Slack's status dialog: `emoji` like ":palm_tree:", `text`, and when it expires
        in Unix seconds (0: never); empty emoji and text clear it. users.info shows it from then on. No
        `user_change` event is sent: the caller dispatches one (with `user_info(user_id)`) if it wants."""
        with self._lock:
            user = self._state.users.get(user_id)
            if user is None:
                raise KeyError(f"no such user {user_id!r}")
            user = dataclasses.replace(user, status_emoji=emoji, status_text=text, status_expiration=expiration)
            self._state.users[user_id] = user
        return user

    def user_info(self, user_id: str) -> dict[str, Any]:
        """The `user` object users.info answers for this person now (e.g. for a `user_change` event)."""
        with self._lock:
            user = self._state.users.get(user_id)
            if user is None:
                raise KeyError(f"no such user {user_id!r}")
            return self._user_object(user)

    def seed_message(
        self,
        channel: str,
        *,
        text: str,
        user: str,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Store a message someone else wrote (no call is recorded); returns its ts."""
        with self._lock:
            ts = self._next_ts()
            message: dict[str, Any] = {"type": "message", "channel": channel, "ts": ts, "user": user}
            message["text"] = text
            message["team"] = TEAM_ID
            if blocks is not None:
                message["blocks"] = copy.deepcopy(blocks)
            if metadata is not None:
                message["metadata"] = copy.deepcopy(metadata)
            self._state.messages.append(message)
        return ts

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

    def slow(self, method: str, seconds: float) -> None:
        """Answer every later call to `method` `seconds` after doing it (0 makes it fast again)."""
        if seconds < 0:
            raise ValueError("seconds must be 0 or more")
        self._traffic.slow(method, seconds)

    def enforce_tiers(self, *, strict_history: bool = False) -> None:
        """From now on, answer as Slack does past its published rate limits, per workspace (the token's
        team) and method, in a sliding minute of the fake's clock: HTTP 429, `Retry-After` (whole seconds
        until the window has room) and `{"ok": false, "error": "ratelimited"}`; a refused call uses no room.

        Tier 2: 20 calls a minute, Tier 3: 50, Tier 4: 100 (`rate_limit` in web-api-methods.json);
        chat.postMessage: one message a second in a conversation and 300 a minute in the workspace.
        `strict_history`: conversations.history as for a commercially distributed app outside the
        Marketplace, one call a minute and at most 15 messages a page (`limit` above 15 is cut to 15).
        """
        with self._lock:
            self._state.tiers_enforced = True
            self._state.strict_history = strict_history

    def hold(self, method: str = "chat.postMessage", *, let_through: int = 0) -> Gate:
        """Answer the first `let_through` calls to `method`, then do each later one (a post is stored)
        but hold its answer until `Gate.release()`: a request in flight when its client dies."""
        if let_through < 0:
            raise ValueError("let_through must be 0 or more")
        return self._traffic.gate(method, let_through=let_through)

    def wait_until(self, what: str, condition: Callable[[], T | None], *, timeout: float = 10.0) -> T:
        """Block until `condition` (read from the calls, say) gives something other than None, asked again each
        time a call is answered; AssertionError after `timeout` s. Returns what it gave."""
        found = self._traffic.wait_until(condition, timeout=timeout)
        if found is None:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what}")
        return found

    def wait_for_calls(self, method: str, count: int, *, timeout: float = 10.0) -> int:
        """Block until `count` calls to `method` have been received since start (clear() does not
        reset this); AssertionError after `timeout` s. Returns how many there were."""
        seen = self._traffic.wait_for(method, count, timeout=timeout)
        if seen < count:
            raise AssertionError(f"{seen} {method} calls after {timeout} s, wanted {count}")
        return seen

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
        failure = _Failure(times, status, error, retry_after, apply_effect, drop)
        with self._lock:
            self._state.failures.setdefault(method, []).append(failure)

    # -- OAuth -----------------------------------------------------------------------------------

    def grant_install(
        self,
        code: str,
        *,
        team_id: str,
        bot_token: str,
        team_name: str = "Other Workspace",
        installer: str = U_ADMIN,
        expires_in: int | None = None,
    ) -> None:
        """What Slack does when an admin approves the install: `code` comes back to the redirect URL and
        oauth.v2.access exchanges it for `bot_token` (rotating when `expires_in` is given)."""
        with self._lock:
            self._state.grants[code] = _Grant(team_id, team_name, bot_token, installer, expires_in)

    def register_token(self, token: str, team_id: str) -> None:
        """A bot token of another workspace (auth.test answers with its team)."""
        with self._lock:
            self._state.token_teams[token] = team_id

    def revoke(self, token: str) -> None:
        """Calls with this token now answer token_revoked, as after an uninstall."""
        with self._lock:
            self._state.revoked.add(token)

    @property
    def rotations(self) -> int:
        with self._lock:
            return self._state.rotations

    def tokens_used(self, method: str) -> list[str]:
        """The bearer token of every call to `method`, in order."""
        return [c.headers.get("authorization", "").removeprefix("Bearer ").strip() for c in self.calls_to(method)]

    # -- the server side -----------------------------------------------------------------------

    def _answer(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> Answer | None:
        violations = check_call(method, params)
        with self._lock:
            self._state.calls.append(Call(method, copy.deepcopy(params), headers))
            self._state.violations.extend(violations)
            answer = self._answer_locked(method, params, headers)
            if answer is not None and answer[0] == 429:
                self._state.ratelimited[method] = self._state.ratelimited.get(method, 0) + 1
        if violations:
            with self._sinks_lock:
                sinks = list(self._violation_sinks)
            for sink in sinks:
                for violation in violations:
                    sink(violation)
        return answer

    def _answer_locked(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> Answer | None:
        failure = self._take_failure(method)
        if failure is not None and not failure.apply_effect:
            return self._failure_answer(failure)
        handler = self._methods.get(method)
        if handler is None:
            answer = _error("unknown_method")
        else:
            self._state.headers = headers
            checked = None if method in NO_TOKEN_METHODS else self._check_token(params, headers)
            answer = checked or self._over_tier(method, params) or handler(params)
        if failure is not None:
            return self._failure_answer(failure)
        return answer

    def _over_tier(self, method: str, params: dict[str, Any]) -> Answer | None:
        """429 when `method` has used up its rate limit in the caller's workspace (enforce_tiers); else
        the call takes its place in the windows and None."""
        if not self._state.tiers_enforced:
            return None
        if method in NO_TOKEN_METHODS:
            team = str(params.get("client_id") or "")  # before a workspace has a token: per app
        else:
            team = self._state.token_teams.get(self._state.token, TEAM_ID)
        now = self._now().timestamp()
        windows: list[_Window] = []
        if method == "chat.postMessage":
            channel = self._channel_for(str(params.get("channel") or "")) or str(params.get("channel") or "")
            windows.append(self._window((team, method, channel), POSTS_PER_CHANNEL_PER_SECOND, 1.0))
            windows.append(self._window((team, method), POSTS_PER_WORKSPACE_PER_MINUTE, 60.0))
        else:
            calls = calls_per_minute(method, strict_history=self._state.strict_history)
            if calls is not None:
                windows.append(self._window((team, method), calls, 60.0))
        wait = max((window.wait(now) for window in windows), default=0.0)
        if wait > 0:
            # Slack's Retry-After is whole seconds; rounding down would invite a call that is still too early.
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(max(1, math.ceil(wait)))}
        for window in windows:
            window.take(now)
        return None

    def _window(self, key: tuple[str, ...], size: int, seconds: float) -> _Window:
        window = self._state.windows.get(key)
        if window is None:
            window = self._state.windows[key] = _Window(size, seconds)
        return window

    def _respond(self, name: str, raw: bytes) -> Answer:
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except json.JSONDecodeError:
            body = {"raw": raw.decode("utf-8", "replace")}
        with self._lock:
            self._state.responses.append((name, body if isinstance(body, dict) else {"raw": body}))
        return _ok()

    def _take_failure(self, method: str) -> _Failure | None:
        queue = self._state.failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining == 0:
            queue.pop(0)
        return failure

    @staticmethod
    def _failure_answer(failure: _Failure) -> Answer | None:
        if failure.drop:
            return None
        if failure.retry_after is not None:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(failure.retry_after)}
        if failure.status != 200:
            return failure.status, {"ok": False, "error": failure.error or "internal_error"}, {}
        return _error(failure.error or "internal_error")

    def _check_token(self, params: dict[str, Any], headers: dict[str, str]) -> Answer | None:
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else params.get("token")
        self._state.token = str(token or "")
        if not token:
            return _error("not_authed")
        if token in self._state.revoked:
            return _error("token_revoked")
        # Rotating bot tokens look like xoxe.xoxb-…
        if not str(token).startswith(("xoxb-", "xoxe.xoxb-")):
            return _error("invalid_auth")
        return None

    def _next_ts(self) -> str:
        self._state.ts_counter += 1
        micros = self._state.ts_counter * 100
        return f"{FIRST_TS_SECONDS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    def _channel_for(self, channel: str) -> str | None:
        """Slack accepts a person's id as a channel and posts to the bot's DM with them."""
        if channel.startswith(("U", "W")):
            user = self._state.users.get(channel)
            return dm_channel_id(channel) if user is not None and not user.deleted else None
        return channel

    def _find_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        for message in self._state.messages:
            if message["channel"] == channel and message["ts"] == ts:
                return message
        return None

    # -- the methods -------------------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> Answer:
        team_id = self._state.token_teams.get(self._state.token, TEAM_ID)
        return _ok(
            url=f"https://{TEAM_DOMAIN}.slack.com/",
            team=TEAM_NAME,
            user="baton",
            team_id=team_id,
            user_id=BOT_USER_ID,
            bot_id=BOT_ID,
            is_enterprise_install=False,
        )

    def _oauth_v2_access(self, params: dict[str, Any]) -> Answer:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        auth = self._state.headers.get("authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        if client_id != OAUTH_CLIENT_ID or client_secret != OAUTH_CLIENT_SECRET:
            return _error("invalid_client_id" if client_id != OAUTH_CLIENT_ID else "bad_client_secret")
        if params.get("grant_type") == "refresh_token":
            grant = self._state.refresh_tokens.pop(str(params.get("refresh_token")), None)
            if grant is None:
                return _error("invalid_refresh_token")
            self._state.rotations += 1
            grant = _Grant(
                grant.team_id,
                grant.team_name,
                f"xoxe.xoxb-{grant.team_id}-{self._state.rotations}",
                grant.installer,
                grant.expires_in,
            )
        else:
            found = self._state.grants.pop(str(params.get("code")), None)
            if found is None:
                return _error("invalid_code")
            grant = found
        self._state.token_teams[grant.bot_token] = grant.team_id
        answer: dict[str, Any] = {
            "access_token": grant.bot_token,
            "token_type": "bot",
            "scope": "chat:write,commands,users:read",
            "bot_user_id": BOT_USER_ID,
            "app_id": APP_ID,
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }
        if grant.expires_in is not None:
            refresh = f"xoxe-1-refresh-{grant.team_id}-{self._state.rotations}"
            self._state.refresh_tokens[refresh] = grant
            answer.update(refresh_token=refresh, expires_in=grant.expires_in)
        return _ok(**answer)

    def _users_info(self, params: dict[str, Any]) -> Answer:
        user = self._state.users.get(str(params.get("user", "")))
        if user is None:
            return _error("user_not_found")
        return _ok(user=self._user_object(user))

    def _user_object(self, user: FakeUser) -> dict[str, Any]:
        offset = self._now().astimezone(ZoneInfo(user.tz)).utcoffset()
        real_name = user.name.capitalize()
        return {
            "id": user.id,
            "team_id": TEAM_ID,
            "name": user.name,
            "real_name": real_name,
            "deleted": user.deleted,
            "tz": user.tz,
            "tz_label": user.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "profile": {
                "display_name": user.name,
                "real_name": real_name,
                "team": TEAM_ID,
                "status_text": user.status_text,
                "status_emoji": user.status_emoji,
                "status_expiration": user.status_expiration,
            },
        }

    def _conversations_open(self, params: dict[str, Any]) -> Answer:
        users = params.get("users")
        ids = users if isinstance(users, list) else str(users or "").split(",")
        ids = [i.strip() for i in ids if i.strip()]
        if not ids:
            return _error("users_list_not_supplied")
        if len(ids) > 1:
            return _error("not_supported")  # Baton only opens one-person DMs; group DMs are not faked
        user = self._state.users.get(ids[0])
        if user is None:
            return _error("user_not_found")
        if user.deleted:
            return _error("user_disabled")
        return _ok(channel={"id": dm_channel_id(user.id)})

    def _conversations_history(self, params: dict[str, Any]) -> Answer:
        channel = params.get("channel")
        if not channel:
            return _error("channel_not_found")
        inclusive = truthy(params.get("inclusive"))
        oldest = params.get("oldest")
        latest = params.get("latest")
        with_metadata = truthy(params.get("include_all_metadata"))
        strict = self._state.tiers_enforced and self._state.strict_history
        limit = int(params.get("limit") or (STRICT_HISTORY_PAGE if strict else DEFAULT_HISTORY_PAGE))
        if strict:
            limit = min(limit, STRICT_HISTORY_PAGE)  # Slack cuts a bigger page; has_more and the cursor go on
        offset = int(str(params.get("cursor") or "0").removeprefix("offset:") or 0)
        found = []
        for message in self._state.messages:
            if message["channel"] != channel:
                continue
            key = ts_key(message["ts"])
            if oldest is not None and (key < ts_key(oldest) or (key == ts_key(oldest) and not inclusive)):
                continue
            if latest is not None and (key > ts_key(latest) or (key == ts_key(latest) and not inclusive)):
                continue
            shown = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel"}
            if not with_metadata:
                shown.pop("metadata", None)
            found.append(shown)
        found.sort(key=lambda m: ts_key(m["ts"]), reverse=True)
        page = found[offset : offset + limit]
        has_more = offset + limit < len(found)
        return _ok(
            messages=page,
            has_more=has_more,
            pin_count=0,
            response_metadata={"next_cursor": f"offset:{offset + limit}" if has_more else ""},
        )

    def _message_problem(self, params: dict[str, Any]) -> str | None:
        blocks = params.get("blocks")
        if not params.get("text") and not blocks and not params.get("attachments"):
            return "no_text"
        if blocks is not None and (
            not isinstance(blocks, list) or len(blocks) > _MAX_MESSAGE_BLOCKS or _section_too_long(blocks)
        ):
            return "invalid_blocks"
        if len(str(params.get("text") or "")) > _MAX_MESSAGE_TEXT:
            return "msg_too_long"
        metadata = params.get("metadata")
        if metadata is not None and (not isinstance(metadata, dict) or "event_type" not in metadata):
            return "invalid_metadata_format"
        return None

    def _chat_post_message(self, params: dict[str, Any]) -> Answer:
        channel = self._channel_for(str(params.get("channel") or ""))
        if not channel:
            return _error("channel_not_found")
        problem = self._message_problem(params)
        if problem:
            return _error(problem)
        message: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "ts": self._next_ts(),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": params.get("text") or "",
        }
        for name in ("blocks", "attachments", "metadata", "thread_ts"):
            if params.get(name) is not None:
                message[name] = copy.deepcopy(params[name])
        self._state.messages.append(message)
        shown = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel"}
        return _ok(channel=channel, ts=message["ts"], message=shown)

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> Answer:
        channel = self._channel_for(str(params.get("channel") or ""))
        if not channel:
            return _error("channel_not_found")
        user = self._state.users.get(str(params.get("user") or ""))
        if user is None:
            return _error("user_not_in_channel")
        problem = self._message_problem(params)
        if problem:
            return _error(problem)
        ts = self._next_ts()
        self._state.ephemerals.append(
            {
                "channel": channel,
                "user": user.id,
                "text": params.get("text") or "",
                "blocks": copy.deepcopy(params.get("blocks")),
                "message_ts": ts,
            }
        )
        return _ok(message_ts=ts)

    def _chat_update(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        message = self._find_message(channel, ts)
        if message is None:
            return _error("message_not_found")
        if message.get("bot_id") != BOT_ID:
            return _error("cant_update_message")
        blocks = params.get("blocks")
        if blocks is not None and (
            not isinstance(blocks, list) or len(blocks) > _MAX_MESSAGE_BLOCKS or _section_too_long(blocks)
        ):
            return _error("invalid_blocks")
        for name in ("text", "blocks", "attachments", "metadata"):
            if name in params:
                message[name] = copy.deepcopy(params[name])
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        shown = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel"}
        return _ok(channel=channel, ts=ts, text=message.get("text", ""), message=shown)

    def _chat_get_permalink(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        if not channel or not ts:
            return _error("invalid_arguments")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return _ok(channel=channel, permalink=link)

    def _stored_view(self, view: Any, view_id: str | None = None) -> dict[str, Any] | str:
        if not isinstance(view, dict) or "type" not in view:
            return "invalid_arguments"
        blocks = view.get("blocks") or []
        if not isinstance(blocks, list) or len(blocks) > _MAX_VIEW_BLOCKS or _section_too_long(blocks):
            return "invalid_arguments"
        if view_id is None:
            self._state.view_counter += 1
            view_id = f"V0VIEW{self._state.view_counter:04d}"
        stored: dict[str, Any] = {
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": f"{FIRST_TS_SECONDS}.{view_id}",
            "previous_view_id": None,
            "root_view_id": view_id,
        }
        stored.update(copy.deepcopy(view))
        stored["id"] = view_id
        self._state.views[view_id] = stored
        return stored

    def _views_open(self, params: dict[str, Any]) -> Answer:
        if not params.get("trigger_id"):
            return _error("invalid_arguments")
        stored = self._stored_view(params.get("view"))
        if isinstance(stored, str):
            return _error(stored)
        return _ok(view=copy.deepcopy(stored))

    def _views_update(self, params: dict[str, Any]) -> Answer:
        # Lenient about unknown ids: the fake does not model a view's lifetime, and tests often make
        # up the id of the modal a submission came from.
        view_id = params.get("view_id") or None
        if view_id is None:
            external_id = params.get("external_id")
            view_id = next(
                (vid for vid, v in self._state.views.items() if external_id and v["external_id"] == external_id),
                None,
            )
            if view_id is None:
                return _error("not_found")
        stored = self._stored_view(params.get("view"), str(view_id))
        if isinstance(stored, str):
            return _error(stored)
        return _ok(view=copy.deepcopy(stored))

    def _views_publish(self, params: dict[str, Any]) -> Answer:
        user_id = str(params.get("user_id") or "")
        if user_id not in self._state.users:
            return _error("invalid_arguments")
        view = params.get("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            return _error("invalid_arguments")
        stored = self._stored_view(view)
        if isinstance(stored, str):
            return _error(stored)
        self._state.home_views[user_id] = stored
        return _ok(view=copy.deepcopy(stored))

    def _reactions_add(self, params: dict[str, Any]) -> Answer:
        reaction = {
            "channel": str(params.get("channel") or ""),
            "timestamp": str(params.get("timestamp") or ""),
            "name": str(params.get("name") or ""),
        }
        if not all(reaction.values()):
            return _error("invalid_arguments")
        if reaction in self._state.reactions:
            return _error("already_reacted")
        self._state.reactions.append(reaction)
        return _ok()

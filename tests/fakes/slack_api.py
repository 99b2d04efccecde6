"""The tests' Slack: the shared stand-in (playground.slack) on loopback port 0, with the tests' ids and people, every
call checked against Slack's method reference (tests/data/web-api-methods.json), gates and latency."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from playground.slack import reference
from playground.slack.records import Call, NowSource, SlackUser, Team, dm_channel_id
from playground.slack.reference import (
    DEFAULT_HISTORY_PAGE,
    ONE_OF_RULES,
    POSTS_PER_CHANNEL_PER_SECOND,
    POSTS_PER_WORKSPACE_PER_MINUTE,
    STRICT_HISTORY_CALLS_PER_MINUTE,
    STRICT_HISTORY_PAGE,
    TIER_CALLS_PER_MINUTE,
    MethodReference,
    Violation,
)
from playground.slack.webapi import NO_TOKEN_METHODS, SlackWebApi
from playground.slack.wire import Answer, decode_params

__all__ = [
    "DEFAULT_HISTORY_PAGE",
    "NO_TOKEN_METHODS",
    "ONE_OF_RULES",
    "POSTS_PER_CHANNEL_PER_SECOND",
    "POSTS_PER_WORKSPACE_PER_MINUTE",
    "STRICT_HISTORY_CALLS_PER_MINUTE",
    "STRICT_HISTORY_PAGE",
    "TIER_CALLS_PER_MINUTE",
    "Answer",
    "Call",
    "MethodReference",
    "Violation",
    "dm_channel_id",
]

T = TypeVar("T")

TEAM_ID = "T0WORKSPACE"
TEAM_DOMAIN = "baton-test"
TEAM_NAME = "Baton Test"
BOT_USER_ID = "U0BATON"
BOT_ID = "B0BATON"
APP_ID = "A0BATON"
TEAM = Team(TEAM_ID, TEAM_DOMAIN, TEAM_NAME, BOT_USER_ID, BOT_ID, APP_ID)

U_MANAGER = "U0MANAGER"
U_ALICE = "U0ALICE"
U_BOB = "U0BOB"
U_ADMIN = "U0ADMIN"
C_GENERAL = "C0GENERAL"

FIRST_TS_SECONDS = 1_700_000_000

OAUTH_CLIENT_ID = "1111.2222"
OAUTH_CLIENT_SECRET = "fake-client-secret"

# Slack's method reference for every Web API method Baton calls, copied from ../shared/slack/ (its README
# says how it was compiled): `required` and `known` arguments, `one_of` rules (as prose) and `rate_limit`.
WEB_API_METHODS = Path(__file__).resolve().parents[1] / "data" / "web-api-methods.json"

FakeUser = SlackUser


def web_api_reference() -> dict[str, MethodReference]:
    """Slack's reference, by method name (read once per test run)."""
    return reference.load_reference(WEB_API_METHODS)


def check_call(method: str, params: dict[str, Any]) -> list[Violation]:
    """Hold one call, with its arguments as Slack reads them, against Slack's reference; empty when Slack
    would take it as asked."""
    return reference.check_call(method, params, web_api_reference())


def calls_per_minute(method: str, *, strict_history: bool = False) -> int | None:
    """The tier's calls a minute for `method` in one workspace (see `reference.calls_per_minute`)."""
    return reference.calls_per_minute(method, web_api_reference(), strict_history=strict_history)


def fake_user(
    user_id: str,
    name: str,
    tz: str,
    *,
    is_admin: bool = False,
    is_bot: bool = False,
    deleted: bool = False,
    status_emoji: str = "",
    status_text: str = "",
    status_expiration: int = 0,
) -> SlackUser:
    """A person as the tests name them: a lower-case handle, shown capitalised."""
    ZoneInfo(tz)  # refuse a zone Slack would never send
    return SlackUser(
        user_id,
        name,
        tz,
        real_name=name.capitalize(),
        display_name=name,
        is_admin=is_admin,
        is_bot=is_bot,
        deleted=deleted,
        status_emoji=status_emoji,
        status_text=status_text,
        status_expiration=status_expiration,
    )


DEFAULT_USERS = (
    fake_user(U_MANAGER, "manager", "America/New_York"),
    fake_user(U_ALICE, "alice", "Europe/Berlin"),
    fake_user(U_BOB, "bob", "Asia/Tokyo"),
    fake_user(U_ADMIN, "admin", "America/New_York", is_admin=True),
)


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
        answer: Answer | None
        if url.path.startswith("/api/"):
            params = decode_params(raw, headers.get("content-type", ""), url.query)
            answer = fake._answer(url.path.removeprefix("/api/"), params, headers)
            fake._traffic.answered(Call(url.path.removeprefix("/api/"), params, headers))
        elif url.path.startswith("/response/"):
            answer = fake.respond(url.path.removeprefix("/response/"), raw)
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


class FakeSlack(SlackWebApi):
    """The shared Slack stand-in on 127.0.0.1:<free port>: point WebClient(base_url=...) at `base_url`.

    An open world (any channel id, made-up trigger and view ids are taken), with deterministic message ts,
    the default people, OAuth installs and every call checked against Slack's reference (a call it does not
    allow is a `Violation`: tests/conftest.py fails the test that made one); any method it does not answer
    answers `unknown_method`, so a missing stub fails. Calls are answered inline (no sleep-polling): a call
    has been recorded by the time dispatch returns.
    """

    # Where every FakeSlack also reports its violations (tests/conftest.py collects them per test).
    _violation_sinks: ClassVar[list[Callable[[Violation], None]]] = []
    _sinks_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        clock: NowSource | None = None,
        default_users: bool = True,
        enforce_tiers: bool = False,
        strict_history: bool = False,
    ) -> None:
        """`enforce_tiers`: answer 429 past Slack's published rate tiers, as `enforce_tiers()` does."""
        super().__init__(
            team=TEAM,
            users=DEFAULT_USERS if default_users else (),
            clock=clock,
            first_ts=FIRST_TS_SECONDS,
            reference=lambda: web_api_reference(),  # looked up at each call, so a test may patch it
            oauth_client=(OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET),
        )
        self._traffic = _Traffic()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
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

    def _answer(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> Answer | None:
        """One call as it came off the wire (a subclass may stamp or script around it)."""
        return self.api(method, params, headers)

    # -- what tests read ---------------------------------------------------------------------------

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

    def _report(self, violations: list[Violation]) -> None:
        with self._sinks_lock:
            sinks = list(self._violation_sinks)
        for sink in sinks:
            for violation in violations:
                sink(violation)

    def ephemerals(self, channel: str | None = None) -> list[dict[str, Any]]:
        """What chat.postEphemeral showed: dicts with channel, user, text, blocks, message_ts."""
        with self._lock:
            return [
                {"channel": e.channel, "user": e.user, "text": e.text, "blocks": e.blocks, "message_ts": e.ts}
                for e in self._ephemerals
                if channel is None or e.channel == channel
            ]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """The modal last opened, pushed or updated under this id."""
        with self._lock:
            found = self.views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for this person."""
        with self._lock:
            view_id = self.home_views.get(user_id)
            return self.view(view_id) if view_id is not None else None

    def tokens_used(self, method: str) -> list[str]:
        """The bearer token of every call to `method`, in order."""
        return [c.headers.get("authorization", "").removeprefix("Bearer ").strip() for c in self.calls_to(method)]

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
    ) -> SlackUser:
        """Add or replace a person that users.info and conversations.open know."""
        user = fake_user(
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
        self.put_user(user)
        return user

    def set_status(self, user_id: str, *, emoji: str, text: str, expiration: int = 0) -> SlackUser:
        """What a person does in Slack's status dialog: `emoji` like ":palm_tree:", `text`, and when it expires
        in Unix seconds (0: never); empty emoji and text clear it. users.info shows it from then on. No
        `user_change` event is sent: the caller dispatches one (with `user_info(user_id)`) if it wants."""
        with self._lock:
            user = self.users.get(user_id)
            if user is None:
                raise KeyError(f"no such user {user_id!r}")
            user = dataclasses.replace(user, status_emoji=emoji, status_text=text, status_expiration=expiration)
            self.put_user(user)
        return user

    def user_info(self, user_id: str) -> dict[str, Any]:
        """The `user` object users.info answers for this person now (e.g. for a `user_change` event)."""
        if user_id not in self.users:
            raise KeyError(f"no such user {user_id!r}")
        return self.user_json(user_id)

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
        return str(self.add_message(channel, text=text, user=user, blocks=blocks, metadata=metadata)["ts"])

    def slow(self, method: str, seconds: float) -> None:
        """Answer every later call to `method` `seconds` after doing it (0 makes it fast again)."""
        if seconds < 0:
            raise ValueError("seconds must be 0 or more")
        self._traffic.slow(method, seconds)

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
        super().grant_install(
            code, team_id=team_id, bot_token=bot_token, installer=installer, team_name=team_name, expires_in=expires_in
        )

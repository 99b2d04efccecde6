"""Slack's rate limits as Baton keeps within them: a budget per (workspace, method) sized from the method's
published tier, and a hold for that method in that workspace when Slack answers 429 with Retry-After.

Tiers: https://api.slack.com/apis/rate-limits (Tier 2 about 20 calls a minute, Tier 3 about 50, Tier 4 about
100, per method per workspace per app; chat.postMessage about one message a second per conversation and several
hundred a minute per workspace). Since 2025 `conversations.history` for apps distributed outside the Slack
Marketplace allows 1 call a minute and returns at most 15 messages (Slack's changelog, 2025-05-29: "Rate limit
changes for non-Marketplace apps").

Each budget is a sliding minute, as Slack counts. The worker processes of one `baton serve` share their budgets
through files in a folder of their own (`SharedCalls`); several replicas each keep their own, so together they
may still meet a 429, and then each holds that method as Slack says. Background
work (Home tab refreshes, redraws, looking for a lost message) may spend a budget only down to a reserve kept
for what people are waiting for.
"""

from __future__ import annotations

import os
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, unquote

from bot.locked_files import locked_file

T = TypeVar("T")

TIER_2, TIER_3, TIER_4 = 20.0, 50.0, 100.0
POST_PER_WORKSPACE = 300.0  # chat.postMessage across a workspace, a minute ("several hundred")
STRICT_HISTORY_PER_MINUTE = 1.0
STRICT_HISTORY_PAGE = 15
HISTORY_PAGE = 100
WINDOW_SECONDS = 60.0  # Slack counts calls a minute
MIN_WAIT_SECONDS = 0.05
FOREGROUND_RESERVE = 0.25  # share of a minute's calls background work leaves for people waiting


class HistoryLimits(StrEnum):
    """Which `conversations.history` limits the app has (`SLACK_HISTORY_LIMITS`)."""

    STRICT = "strict"  # distributed outside the Marketplace: 1 call a minute, 15 messages a page
    TIER3 = "tier3"  # Marketplace or internal (customer-built) apps: Tier 3, 100 messages a page


# Calls a minute for each method Baton calls, from Slack's method reference (tests check the table against
# the published tiers).
PER_MINUTE: dict[str, float] = {
    "chat.postMessage": POST_PER_WORKSPACE,
    "chat.update": TIER_3,
    "chat.postEphemeral": TIER_4,
    "chat.getPermalink": POST_PER_WORKSPACE,  # "Special (hundreds/min)"
    "conversations.history": TIER_3,
    "conversations.open": TIER_3,
    "users.info": TIER_4,
    "views.open": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
    "views.publish": TIER_4,
    "reactions.add": TIER_3,
    "auth.test": POST_PER_WORKSPACE,  # "Special (hundreds/min)"
    "oauth.v2.access": TIER_4,
}


@dataclass
class _Window:
    """The calls of one method in one workspace over the last minute, as Slack counts them."""

    allowed: int  # calls a minute
    calls: deque[float] = field(default_factory=deque)  # monotonic seconds of each call, oldest first
    held_until: float = 0.0  # Slack said 429: nothing before this

    def forget_before(self, now: float) -> None:
        while self.calls and self.calls[0] <= now - WINDOW_SECONDS:
            self.calls.popleft()


class SharedCalls:
    """The calls of every budget as all the processes using one folder make them: a file per (workspace, method)
    holding when Slack's hold ends and the time of each call in the last minute (8-byte floats), read and written
    under `flock`. The processes must count on one clock: the system's (every process of a host shares it)."""

    SUFFIX = ".calls"

    def __init__(self, folder: str | Path) -> None:
        self._folder = Path(folder)

    def locked(self, workspace_id: str, method: str) -> AbstractContextManager[int]:
        """The budget's file, locked against every other process until the block ends."""
        return locked_file(self._folder, workspace_id, self._tail(method))

    @staticmethod
    def read(fd: int, window: _Window) -> None:
        """The file's calls and hold into `window` (an empty file: none)."""
        values = array("d")
        values.frombytes(_read_whole(fd))
        window.held_until = values[0] if values else 0.0
        window.calls = deque(values[1:])

    @staticmethod
    def write(fd: int, window: _Window) -> None:
        data = array("d", [window.held_until, *window.calls]).tobytes()
        os.pwrite(fd, data, 0)
        os.ftruncate(fd, len(data))

    def workspaces(self, method: str) -> list[str]:
        """The workspaces with a file for the method: those any process has called it in."""
        tail = self._tail(method)
        return [unquote(name[: -len(tail)]) for name in os.listdir(self._folder) if name.endswith(tail)]

    @classmethod
    def _tail(cls, method: str) -> str:
        """How the names of the method's files end: `<workspace><tail>`."""
        return quote(f"|{method}", safe="") + cls.SUFFIX


def _read_whole(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    return os.pread(fd, size - size % 8, 0)


class RateLimits:
    """Budgets per (workspace, method), in real (monotonic) time, shared by every thread of the process, and with
    `shared`, by every process using its folder."""

    def __init__(
        self,
        *,
        history: HistoryLimits = HistoryLimits.STRICT,
        monotonic: Callable[[], float] = time.monotonic,
        per_minute: dict[str, float] | None = None,
        shared: SharedCalls | None = None,
    ) -> None:
        self.history = history
        self._monotonic = monotonic
        self._per_minute = dict(per_minute or PER_MINUTE)
        if history is HistoryLimits.STRICT:
            self._per_minute["conversations.history"] = STRICT_HISTORY_PER_MINUTE
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()
        self._shared = shared

    @property
    def history_page(self) -> int:
        """How many messages one `conversations.history` call may return."""
        return STRICT_HISTORY_PAGE if self.history is HistoryLimits.STRICT else HISTORY_PAGE

    @contextmanager
    def _using(self, workspace_id: str, method: str, now: float, *, spending: bool = False) -> Iterator[_Window]:
        """The budget's window as of `now` (this process's thread lock held by the caller). With `shared`, read from
        its file under the file's lock for the whole block, and written back when `spending` or when calls left."""
        key = (workspace_id, method)
        window = self._windows.get(key)
        if window is None:
            window = _Window(allowed=max(1, int(self._per_minute.get(method, TIER_3))))
            self._windows[key] = window
        if self._shared is None:
            window.forget_before(now)
            yield window
            return
        with self._shared.locked(workspace_id, method) as fd:
            SharedCalls.read(fd, window)
            if window.calls and window.calls[-1] > now:  # the clock went back: no call counts as made later
                window.calls = deque(min(call, now) for call in window.calls)
            before = len(window.calls)
            window.forget_before(now)
            yield window
            if spending or len(window.calls) != before:
                SharedCalls.write(fd, window)

    def wait(self, workspace_id: str, method: str, *, background: bool = False) -> float:
        """Like `take`, without spending: 0 when a call may go now, else the seconds to wait."""
        now = self._monotonic()
        with self._lock, self._using(workspace_id, method, now) as window:
            return self._wait(window, now, background=background)

    def _wait(self, window: _Window, now: float, *, background: bool) -> float:
        if window.held_until > now:
            return window.held_until - now
        room = self._room(window, background=background)
        if len(window.calls) < room:
            return 0.0
        # The call that frees a place leaves the window a minute after it was made.
        return max(window.calls[len(window.calls) - room] + WINDOW_SECONDS - now, MIN_WAIT_SECONDS)

    @staticmethod
    def _room(window: _Window, *, background: bool) -> int:
        if background and window.allowed > 1:
            return max(1, int(window.allowed * (1 - FOREGROUND_RESERVE)))
        return window.allowed

    def moments(self, workspace_id: str, method: str, count: int) -> list[float]:
        """Seconds from now when the next `count` calls may go, in order: the places free now, then each place as
        the call holding it leaves the minute, then a minute after each of those, and so on; none before a 429's
        Retry-After."""
        now = self._monotonic()
        with self._lock, self._using(workspace_id, method, now) as window:
            room, calls = window.allowed, list(window.calls)
            held = max(0.0, window.held_until - now)
        holding = calls[max(0, len(calls) - room) :]  # the calls whose leaving frees a place, oldest first
        places = [0.0] * (room - len(holding)) + [call + WINDOW_SECONDS - now for call in holding]
        return [max(held, places[n % room] + WINDOW_SECONDS * (n // room)) for n in range(count)]

    def room(self, method: str) -> dict[str, int]:
        """Calls of the method each workspace with calls in the last minute may still make now (0 while Slack
        holds it); a workspace not listed has its whole budget."""

        def room(window: _Window, now: float) -> int | None:
            if window.held_until > now:
                return 0
            return max(0, window.allowed - len(window.calls)) if window.calls else None

        return self._each(method, room)

    def held(self, method: str) -> set[str]:
        """The workspaces where Slack itself holds the method (a 429 whose Retry-After has not passed)."""
        return set(self._each(method, lambda window, now: True if window.held_until > now else None))

    def waits(self, method: str, *, background: bool = False) -> dict[str, float]:
        """The workspaces where the method must wait now, and for how many seconds."""

        def wait(window: _Window, now: float) -> float | None:
            seconds = self._wait(window, now, background=background)
            return seconds if seconds > 0 else None

        return self._each(method, wait)

    def _each(self, method: str, look: Callable[[_Window, float], T | None]) -> dict[str, T]:
        """`look` at the method's window in each workspace with one (this process's, and with `shared`, every
        process's) as of now: the answers that are not None."""
        now = self._monotonic()
        found: dict[str, T] = {}
        with self._lock:
            mine = [workspace_id for workspace_id, known in list(self._windows) if known == method]
            theirs = self._shared.workspaces(method) if self._shared is not None else []
            for workspace_id in sorted({*mine, *theirs}):
                with self._using(workspace_id, method, now) as window:
                    answer = look(window, now)
                if answer is not None:
                    found[workspace_id] = answer
        return found

    def take(self, workspace_id: str, method: str, *, background: bool = False) -> float:
        """Spend one call of the method's budget: 0 when it may go now (and the call is counted), else the
        seconds to wait before asking again. Background work leaves a reserve for people waiting."""
        with self._lock, self._using(workspace_id, method, self._monotonic(), spending=True) as window:
            now = self._monotonic()  # read with the locks held: each process adds its calls in the order made
            wait = self._wait(window, now, background=background)
            if wait == 0.0:
                window.calls.append(now)
            return wait

    def hold(self, workspace_id: str, method: str, seconds: float) -> None:
        """Slack answered 429 with Retry-After: nothing more of that method in that workspace until then."""
        now = self._monotonic()
        with self._lock, self._using(workspace_id, method, now, spending=True) as window:
            window.held_until = max(window.held_until, now + seconds)

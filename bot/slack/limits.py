"""Slack's rate limits as Baton keeps within them: a budget per (workspace, method) sized from the method's
published tier, and a hold for that method in that workspace when Slack answers 429 with Retry-After.

Tiers: https://api.slack.com/apis/rate-limits (Tier 2 about 20 calls a minute, Tier 3 about 50, Tier 4 about
100, per method per workspace per app; chat.postMessage about one message a second per conversation and several
hundred a minute per workspace). Since 2025 `conversations.history` for apps distributed outside the Slack
Marketplace allows 1 call a minute and returns at most 15 messages (Slack's changelog, 2025-05-29: "Rate limit
changes for non-Marketplace apps").

Each budget is a sliding minute, as Slack counts. Budgets are kept per process; several replicas each keep
their own, so together they may still meet a 429, and then each holds that method as Slack says. Background
work (Home tab refreshes, redraws, looking for a lost message) may spend a budget only down to a reserve kept
for what people are waiting for.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

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


class RateLimits:
    """Budgets per (workspace, method), in real (monotonic) time, shared by every thread of the process."""

    def __init__(
        self,
        *,
        history: HistoryLimits = HistoryLimits.STRICT,
        monotonic: Callable[[], float] = time.monotonic,
        per_minute: dict[str, float] | None = None,
    ) -> None:
        self.history = history
        self._monotonic = monotonic
        self._per_minute = dict(per_minute or PER_MINUTE)
        if history is HistoryLimits.STRICT:
            self._per_minute["conversations.history"] = STRICT_HISTORY_PER_MINUTE
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()

    @property
    def history_page(self) -> int:
        """How many messages one `conversations.history` call may return."""
        return STRICT_HISTORY_PAGE if self.history is HistoryLimits.STRICT else HISTORY_PAGE

    def _window(self, workspace_id: str, method: str, now: float) -> _Window:
        key = (workspace_id, method)
        window = self._windows.get(key)
        if window is None:
            window = _Window(allowed=max(1, int(self._per_minute.get(method, TIER_3))))
            self._windows[key] = window
        window.forget_before(now)
        return window

    def wait(self, workspace_id: str, method: str, *, background: bool = False) -> float:
        """Like `take`, without spending: 0 when a call may go now, else the seconds to wait."""
        now = self._monotonic()
        with self._lock:
            return self._wait(self._window(workspace_id, method, now), now, background=background)

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
        with self._lock:
            window = self._window(workspace_id, method, now)
            room, calls = window.allowed, list(window.calls)
            held = max(0.0, window.held_until - now)
        holding = calls[max(0, len(calls) - room) :]  # the calls whose leaving frees a place, oldest first
        places = [0.0] * (room - len(holding)) + [call + WINDOW_SECONDS - now for call in holding]
        return [max(held, places[n % room] + WINDOW_SECONDS * (n // room)) for n in range(count)]

    def room(self, method: str) -> dict[str, int]:
        """Calls of the method each workspace with calls in the last minute may still make now (0 while Slack
        holds it); a workspace not listed has its whole budget."""
        now = self._monotonic()
        found: dict[str, int] = {}
        with self._lock:
            for workspace_id, window in self._windows_of(method, now):
                if window.held_until > now:
                    found[workspace_id] = 0
                elif window.calls:
                    found[workspace_id] = max(0, window.allowed - len(window.calls))
        return found

    def _windows_of(self, method: str, now: float) -> list[tuple[str, _Window]]:
        """Each workspace's window for the method, its calls older than the minute forgotten (the lock held)."""
        return [(ws, self._window(ws, method, now)) for ws, known in list(self._windows) if known == method]

    def held(self, method: str) -> set[str]:
        """The workspaces where Slack itself holds the method (a 429 whose Retry-After has not passed)."""
        now = self._monotonic()
        with self._lock:
            return {
                workspace_id
                for (workspace_id, known), window in self._windows.items()
                if known == method and window.held_until > now
            }

    def waits(self, method: str, *, background: bool = False) -> dict[str, float]:
        """The workspaces where the method must wait now, and for how many seconds."""
        now = self._monotonic()
        with self._lock:
            found = {
                workspace_id: self._wait(window, now, background=background)
                for workspace_id, window in self._windows_of(method, now)
            }
        return {workspace_id: wait for workspace_id, wait in found.items() if wait > 0}

    def take(self, workspace_id: str, method: str, *, background: bool = False) -> float:
        """Spend one call of the method's budget: 0 when it may go now (and the call is counted), else the
        seconds to wait before asking again. Background work leaves a reserve for people waiting."""
        now = self._monotonic()
        with self._lock:
            window = self._window(workspace_id, method, now)
            wait = self._wait(window, now, background=background)
            if wait == 0.0:
                window.calls.append(now)
            return wait

    def hold(self, workspace_id: str, method: str, seconds: float) -> None:
        """Slack answered 429 with Retry-After: nothing more of that method in that workspace until then."""
        now = self._monotonic()
        with self._lock:
            window = self._window(workspace_id, method, now)
            window.held_until = max(window.held_until, now + seconds)

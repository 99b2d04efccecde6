"""Slack takes about one message a second per conversation: remember when each one last got a message."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

# A little over Slack's one a second, so clock jitter between us and Slack never turns into a 429:
# https://api.slack.com/apis/rate-limits#special
GAP_SECONDS = 1.05
REMEMBERED = 50_000  # conversations; the oldest are forgotten first (they are free again anyway)


class Pacer:
    """Per process, in real (monotonic) time: how long until a conversation may get its next message.

    A batch, a scheduler pass and the post-commit path all ask the same pacer, so a burst of tasks for
    one person is sent one a second instead of being answered with 429s.
    """

    def __init__(self, gap_seconds: float = GAP_SECONDS, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.gap_seconds = gap_seconds
        self._monotonic = monotonic
        self._last: OrderedDict[tuple[str, str], float] = OrderedDict()
        # Messages put back to wait their conversation's turn: the last moment booked, and the newest row booked.
        self._booked: OrderedDict[tuple[str, str], tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_seconds(self, workspace_id: str, conversation: str) -> float:
        """0 when the conversation may get a message now, else the seconds left to wait."""
        with self._lock:
            last = self._last.get((workspace_id, conversation))
        if last is None:
            return 0.0
        return max(0.0, last + self.gap_seconds - self._monotonic())

    def book(self, workspace_id: str, conversation: str, *, row_id: int, earliest: float) -> float:
        """Seconds from now a message put back to wait its conversation's turn is due: `earliest` at the soonest,
        and, for a row queued after those booked before (a higher id), a gap after the last of them. So a message
        queued behind a conversation's backlog is drawn once, at its turn, not by every claim until then (each put
        it back to the first turn, where it met the backlog again); one booked before keeps its place."""
        key = (workspace_id, conversation)
        with self._lock:
            now = self._monotonic()
            at = now + earliest
            last_at, last_id = self._booked.get(key, (at, row_id))
            if row_id > last_id:
                at = max(at, last_at + self.gap_seconds)
            self._booked[key] = (max(at, last_at), max(row_id, last_id))
            self._booked.move_to_end(key)
            while len(self._booked) > REMEMBERED:
                self._booked.popitem(last=False)
        return at - now

    def posted(self, workspace_id: str, conversation: str) -> None:
        key = (workspace_id, conversation)
        with self._lock:
            self._last[key] = max(self._last.get(key, 0.0), self._monotonic())  # a hold (429) outlasts a post
            self._last.move_to_end(key)
            while len(self._last) > REMEMBERED:
                self._last.popitem(last=False)

    def hold(self, workspace_id: str, conversation: str, seconds: float) -> None:
        """Slack answered 429 with Retry-After: nothing more to this conversation for that long."""
        key = (workspace_id, conversation)
        with self._lock:
            self._last[key] = max(self._last.get(key, 0.0), self._monotonic() + seconds - self.gap_seconds)
            self._last.move_to_end(key)

"""Slack takes about one message a second per conversation: remember when each one last got a message."""

from __future__ import annotations

import os
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.locked_files import locked_file

# A little over Slack's one a second, so clock jitter between us and Slack never turns into a 429:
# https://api.slack.com/apis/rate-limits#special
GAP_SECONDS = 1.05
REMEMBERED = 50_000  # conversations; the oldest are forgotten first (they are free again anyway)

_MOMENT = struct.Struct("d")


class SharedTurns:
    """When each conversation last got a message, as every process using one folder sees it: a file per workspace
    of `SLOTS` 8-byte floats (sparse: only the pages written take room), a conversation's moment in the slot its id
    hashes to (CRC-32), read and written under `flock`. Two conversations sharing a slot pace each other, and share a
    429's hold; with 65,536 slots that is rare among the people one workspace messages at once. The processes must
    count on one clock, whose moments are above 0 (an empty slot reads 0): the system's monotonic one is the same
    for every process of a host."""

    SLOTS = 65_536
    SUFFIX = ".turns"

    def __init__(self, folder: str | Path) -> None:
        self._folder = Path(folder)

    @contextmanager
    def slot(self, workspace_id: str, conversation: str) -> Iterator[tuple[int, int]]:
        """The workspace's file, locked against every other process until the block ends, and the conversation's
        offset in it."""
        with locked_file(self._folder, workspace_id, self.SUFFIX) as fd:
            yield fd, (zlib.crc32(conversation.encode()) % self.SLOTS) * _MOMENT.size

    @staticmethod
    def read(fd: int, offset: int) -> float | None:
        """The moment in the slot; None for one never written (a sparse file reads zeros; past its end, nothing)."""
        data = os.pread(fd, _MOMENT.size, offset)
        moment = _MOMENT.unpack(data)[0] if len(data) == _MOMENT.size else 0.0
        return moment or None

    @staticmethod
    def write(fd: int, offset: int, moment: float) -> None:
        os.pwrite(fd, _MOMENT.pack(moment), offset)


class Pacer:
    """In real (monotonic) time: how long until a conversation may get its next message. Per process, or with
    `shared`, across every process using its folder (the workers of one `baton serve`).

    A batch, a scheduler pass and the post-commit path all ask the same pacer, so a burst of tasks for
    one person is sent one a second instead of being answered with 429s.
    """

    def __init__(
        self,
        gap_seconds: float = GAP_SECONDS,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        shared: SharedTurns | None = None,
    ) -> None:
        self.gap_seconds = gap_seconds
        self._monotonic = monotonic
        self._shared = shared
        self._last: OrderedDict[tuple[str, str], float] = OrderedDict()
        # Messages put back to wait their conversation's turn: the last moment booked, and the newest row booked.
        self._booked: OrderedDict[tuple[str, str], tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_seconds(self, workspace_id: str, conversation: str) -> float:
        """0 when the conversation may get a message now, else the seconds left to wait."""
        return self._turn(workspace_id, conversation, lambda last, now: None)

    def take(self, workspace_id: str, conversation: str) -> float:
        """`wait_seconds`, and when it is 0 the turn is this caller's: it counts as a message posted now, so another
        thread or process asking before the post is done waits (`posted` then dates it when it went)."""
        return self._turn(workspace_id, conversation, lambda last, now: now)

    def posted(self, workspace_id: str, conversation: str) -> None:
        self._turn(workspace_id, conversation, lambda last, now: now, always=True)  # a hold (429) outlasts a post

    def hold(self, workspace_id: str, conversation: str, seconds: float) -> None:
        """Slack answered 429 with Retry-After: nothing more to this conversation for that long."""
        self._turn(workspace_id, conversation, lambda last, now: now + seconds - self.gap_seconds, always=True)

    def book(self, workspace_id: str, conversation: str, *, row_id: int, earliest: float) -> float:
        """Seconds from now a message put back to wait its conversation's turn is due: `earliest` at the soonest,
        and, for a row queued after those booked before (a higher id), a gap after the last of them. So a message
        queued behind a conversation's backlog is drawn once, at its turn, not by every claim until then (each put
        it back to the first turn, where it met the backlog again); one booked before keeps its place. Bookings
        are this process's own: another worker's post meanwhile only makes a booked message wait its turn again."""
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

    def _turn(
        self,
        workspace_id: str,
        conversation: str,
        change: Callable[[float | None, float], float | None],
        *,
        always: bool = False,
    ) -> float:
        """The seconds the conversation must still wait, read with the locks held; then its last moment becomes
        `change(last, now)` (None: unchanged), never earlier than it was, when the wait is 0 or `always`."""
        with self._lock, self._stored(workspace_id, conversation) as (last, keep):
            now = self._monotonic()
            wait = self._wait(last, now)
            moment = change(last, now) if wait <= 0 or always else None
            if moment is not None:
                keep(moment if last is None else max(last, moment))
        return wait

    @contextmanager
    def _stored(self, workspace_id: str, conversation: str) -> Iterator[tuple[float | None, Callable[[float], None]]]:
        """The conversation's last moment, and how to keep a new one: in this process's memory (the oldest forgotten
        past `REMEMBERED`), or with `shared`, in its slot, the file locked for the whole block."""
        if self._shared is not None:
            with self._shared.slot(workspace_id, conversation) as (fd, offset):
                yield self._shared.read(fd, offset), lambda moment: SharedTurns.write(fd, offset, moment)
            return
        key = (workspace_id, conversation)

        def keep(moment: float) -> None:
            self._last[key] = moment
            self._last.move_to_end(key)
            while len(self._last) > REMEMBERED:
                self._last.popitem(last=False)

        yield self._last.get(key), keep

    def _wait(self, last: float | None, now: float) -> float:
        return 0.0 if last is None else max(0.0, last + self.gap_seconds - now)

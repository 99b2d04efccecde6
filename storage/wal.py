"""SQLite's WAL checkpoints, taken out of the writers' turns.

A checkpoint copies the pages written to the WAL into the database file and syncs both files: on this project's
machines about half a millisecond of copying and 15-20 ms of waiting for the disk. SQLite runs one inside the
commit that takes the WAL past `wal_autocheckpoint` pages (1,000 by default): that writer keeps the write turn
for the whole of it, every other writer waits, and about one `/task` in 50-100 was answered 13-20 ms late.

Here a thread of each process checkpoints instead, in two steps, after every `EVERY_WRITES` write transactions of
its process:

1. outside any turn, while writers go on: everything written so far is copied and synced;
2. in a write turn of its own (a background writer's: waiting requests go first): what was written since step 1
   began, a few hundred pages under a closed loop of `/task`, copied and synced in about 6 ms (8 ms at the 90th
   percentile). The whole WAL is then in the database file, and the next writer starts it over from its first
   page (SQLite starts the WAL over only when all of it was checkpointed, so with step 1 alone, beside writers
   that never pause, it would grow without end).

SQLite's own checkpoint stays, at `BACKSTOP_PAGES`, for a WAL this thread cannot keep short (a reader holding an
old snapshot, a thread that died). A checkpoint changes no data: crashing in the middle of one loses nothing.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

EVERY_WRITES = 50  # write transactions of a process between its checkpoints (a /task and its delivery: 10-20 pages)
BACKSTOP_PAGES = 10_000  # SQLite's own checkpoint, in a writer's commit, past this many pages (~40 MB)
IDLE_EXIT_SECONDS = 60.0  # the thread ends after this long with nothing to do; the next writes start it again


class Turn(Protocol):
    """The write gate's side the checkpointer uses (storage.db.WriteGate)."""

    def acquire(self, dbapi_connection: object) -> None: ...

    def release(self, dbapi_connection: object) -> None: ...


class Checkpointer:
    """Checkpoints one database file's WAL from a thread of the process (see the module's docstring)."""

    def __init__(
        self,
        path: str,
        turn: Turn,
        *,
        every: int = EVERY_WRITES,
        connect: Callable[[str], sqlite3.Connection] | None = None,
    ) -> None:
        self._path = path
        self._turn = turn
        self._every = every
        self._connect = connect or _connect
        self._lock = threading.Lock()
        self._writes = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.on_checkpoint: Callable[[str, tuple[int, int, int]], None] | None = None  # tests: (step, result)

    def wrote(self) -> None:
        """A write transaction of this process ended (called as its write turn is given back)."""
        with self._lock:
            self._writes += 1
            if self._writes < self._every:
                return
            self._writes = 0
            self._wake.set()
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                # Threads do not survive a fork (gunicorn's workers): each process starts its own.
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="baton-wal-checkpoint", daemon=True)
                try:
                    self._thread.start()
                except RuntimeError:  # no thread to be had: the write that told us is done; SQLite's backstop remains
                    self._thread = None
                    log.warning("wal.checkpointer_not_started", exc_info=True)

    def checkpoint(self, connection: sqlite3.Connection) -> tuple[int, int, int]:
        """Both steps once, on `connection` (in autocommit): SQLite's (busy, WAL pages, pages checkpointed) of
        the second."""
        first = _passive(connection)
        if self.on_checkpoint is not None:
            self.on_checkpoint("outside the turn", first)
        self._turn.acquire(connection)
        try:
            second = _passive(connection)
        finally:
            self._turn.release(connection)
        if self.on_checkpoint is not None:
            self.on_checkpoint("in a turn", second)
        return second

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while self._wake.wait(IDLE_EXIT_SECONDS) or not self._idle_exit():
                self._wake.clear()
                try:
                    connection = connection or self._connect(self._path)
                    self.checkpoint(connection)
                except Exception:  # a database briefly locked or gone: SQLite's own checkpoint is the backstop
                    log.warning("wal.checkpoint_failed", exc_info=True)
                    if connection is not None:
                        connection.close()
                    connection = None
        finally:
            if connection is not None:
                connection.close()

    def _idle_exit(self) -> bool:
        """Nothing to do for a while: the thread ends, unless a wake-up came just now (decided under the lock
        `wrote` starts a thread under, so a wake-up is never left to a thread that is ending)."""
        with self._lock:
            if self._wake.is_set():
                return False
            self._thread = None
            return True


def _connect(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


def _passive(connection: sqlite3.Connection) -> tuple[int, int, int]:
    busy, pages, done = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(busy), int(pages), int(done)

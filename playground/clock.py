"""The playground's clock: Baton reads it through bot.clock's Clock protocol, the clock bar moves it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class PlaygroundClock:
    """A stopped clock that only the playground moves (set or advance), never backwards."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("PlaygroundClock needs an aware datetime")
        self._lock = threading.Lock()
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The simulated moment, aware UTC."""
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        """Move to `moment`; refuses naive times and moving backwards."""
        if moment.tzinfo is None:
            raise ValueError("PlaygroundClock.set needs an aware datetime")
        with self._lock:
            if moment < self._now:
                raise ValueError("the playground clock only moves forward")
            self._now = moment.astimezone(UTC)

    def advance(self, by: timedelta) -> datetime:
        """Move forward by `by` and return the new moment."""
        if by < timedelta(0):
            raise ValueError("the playground clock only moves forward")
        with self._lock:
            self._now += by
            return self._now

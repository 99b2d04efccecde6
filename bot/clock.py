"""The only place Baton reads the real clock; everything else is handed a Clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment as an aware UTC datetime."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock stopped at one moment: `baton tick --at` and tests."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at


class SteppedClock:
    """`baton tick --at`: reads `start`, and moves on only by the seconds the pass waits for Slack's one
    message a second per conversation, so what it plans and records is as of `start` exactly."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SteppedClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def wait(self, seconds: float) -> None:
        """Sleep for real (Slack's limits are real time) and move the clock on by as much."""
        time.sleep(seconds)
        self._now += timedelta(seconds=seconds)

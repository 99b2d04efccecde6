"""A clock tests move by hand, so scheduler, deadline and DST tests never read the real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A Monday morning, so "working day" tests start on one unless they say otherwise.
DEFAULT_START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _aware_utc(dt: datetime) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"FakeClock needs an aware datetime, got naive {dt!r}")
    return dt.astimezone(UTC)


class FakeClock:
    """Satisfies bot.clock.Clock; now() stays put until advance() or set() moves it."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._now = _aware_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, **timedelta_kwargs: float) -> datetime:
        """Move forward, e.g. advance(hours=1, minutes=30); returns the new now. Never moves backward."""
        step = timedelta(**timedelta_kwargs)
        if step < timedelta(0):
            raise ValueError("FakeClock.advance() moves forward only; use set() to go back")
        self._now = self._now + step
        return self._now

    def set(self, dt: datetime) -> datetime:
        """Jump to an aware moment (any zone; kept as UTC); returns it."""
        self._now = _aware_utc(dt)
        return self._now

    def __repr__(self) -> str:
        return f"FakeClock({self._now.isoformat()})"

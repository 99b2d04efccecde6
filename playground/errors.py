"""What the playground raises when the page asks for something it cannot do, or when no demo is running."""

from __future__ import annotations


class PlaygroundError(Exception):
    """Something the page asked for that cannot be done; the message says why, in one line."""


class NotRunning(RuntimeError):
    """No demo is running: before `start()` has built one, or after `stop()`."""

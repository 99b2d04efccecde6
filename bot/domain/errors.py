"""Errors a person can fix: each carries a short reply that says how."""

from __future__ import annotations


class UserError(Exception):
    """Raised before anything is committed; the edge turns `.reply` into an ephemeral answer."""

    def __init__(self, reply: str, *, field: str | None = None) -> None:
        super().__init__(reply)
        self.reply = reply
        # Which input of a modal the error belongs to ("title", "assignee", "due", …), if any.
        self.field = field


class BadInput(UserError):
    """The text typed cannot be read; the reply shows the right form."""


class NotFound(UserError):
    """A task, person or team the text names does not exist in this workspace."""


class NotAllowed(UserError):
    """The caller may not do this; the reply says who may."""


class StorageUnavailable(Exception):
    """The database refused, dropped or timed out: nothing was committed, and trying again later may work."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"storage unavailable ({reason})")
        # The class name of the driver's error, for the log line; never its SQL or parameters.
        self.reason = reason


def is_storage_unavailable(error: BaseException) -> bool:
    """An outage, not a bug: a `StorageUnavailable` here or behind an explicit `from`."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, StorageUnavailable):
            return True
        seen = seen.__cause__
    return False


def failure_reason(error: BaseException) -> str:
    """The class name a log line gives for a failure; for an outage, that of the driver's error behind it."""
    return error.reason if isinstance(error, StorageUnavailable) else type(error).__name__

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

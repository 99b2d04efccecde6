"""A workspace installing or uninstalling Baton: whether anything may be sent there, and its tokens."""

from __future__ import annotations

import logging
from typing import Protocol

from bot.clock import Clock
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

UNINSTALLED = "app_uninstalled"


class Credentials(Protocol):
    def forget(self, workspace_id: str) -> None:
        """Delete the workspace's stored tokens and stop using any cached copy."""
        ...


class InstallService:
    def __init__(self, *, uow: UnitOfWorkFactory, clock: Clock, credentials: Credentials) -> None:
        self._uow = uow
        self._clock = clock
        self._credentials = credentials

    def installed(self, workspace_id: str) -> None:
        """After an OAuth install (or a reinstall): sending there may resume."""
        with self._uow() as uow:
            uow.workspaces.mark_installed(workspace_id, now=self._clock.now())
            uow.commit()
        log.info("workspace.installed", extra={"workspace": workspace_id})

    def uninstalled(self, workspace_id: str) -> int:
        """app_uninstalled, or the bot token revoked: stop all sending there and delete its tokens.

        Returns how many unsent messages were given up. The workspace's data stays until
        `baton purge --workspace` removes it."""
        with self._uow() as uow:
            uow.workspaces.mark_uninstalled(workspace_id, now=self._clock.now())
            dropped = uow.outbox.skip_unsent(workspace_id, reason=UNINSTALLED)
            uow.commit()
        self._credentials.forget(workspace_id)
        log.info("workspace.uninstalled", extra={"workspace": workspace_id, "dropped": dropped})
        return dropped

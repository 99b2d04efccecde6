"""One demo run between two resets: its clock, workspace, database and Baton."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.app import Baton
from playground.clock import PlaygroundClock
from playground.courier import Courier
from playground.httpd import RunningServer
from playground.workspace import Workspace


@dataclass
class Session:
    """One demo run between two resets: its clock, workspace, database and Baton."""

    clock: PlaygroundClock
    workspace: Workspace
    baton: Baton
    baton_server: RunningServer
    courier: Courier
    database: Path

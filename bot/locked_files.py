"""A file per workspace that the processes of one server read and write one at a time (`flock`)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote


@contextmanager
def locked_file(folder: Path, workspace_id: str, tail: str) -> Iterator[int]:
    """`<folder>/<workspace id, quoted><tail>`, made if missing, opened and locked against every other process until
    the block ends, then closed, and with it the lock. Opened per use: a descriptor kept per file would run out with
    many workspaces. `flock` does not keep one process's threads apart: the caller's thread lock does."""
    fd = os.open(folder / (quote(workspace_id, safe="") + tail), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)

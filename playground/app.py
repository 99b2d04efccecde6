"""The playground composed: the runtime with its page, the one module that knows both (what `baton playground` runs)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from playground import demo
from playground.demo import Person
from playground.runtime import Playground
from playground.web import make_page_app


def create_playground(
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    start_at: datetime | None = None,
    people: Sequence[Person] = demo.DEMO_PEOPLE,
    wall_clock: Callable[[], datetime] | None = None,
) -> Playground:
    """A playground that serves its page on `host`:`port` once started (see `Playground` for the rest)."""
    return Playground(
        page_app=make_page_app, host=host, port=port, start_at=start_at, people=people, wall_clock=wall_clock
    )

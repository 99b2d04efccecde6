"""A repeating task's next occurrence is created once when two replicas' passes, or a pass and a "done",
race on one database file (issue 5: never two occurrences for the same moment)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import Baton, create_app
from bot.executors import InlineExecutor
from storage.db import make_engine
from storage.models import Base, Task
from tests.conftest import START, Harness, make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import U_ALICE, U_MANAGER, FakeSlack

MON_7_DEC_0930_NY = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)


@pytest.fixture
def replicas(tmp_path: Path, slack: FakeSlack) -> Iterator[tuple[Harness, Harness]]:
    url = f"sqlite:///{tmp_path / 'baton.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    clock = FakeClock(START)

    def app() -> Baton:
        return create_app(
            make_settings(slack, database_url=url),
            clock=clock,
            listener_executor=InlineExecutor(),
            delivery_executor=InlineExecutor(),
        )

    first, second = Harness(baton=app(), slack=slack, clock=clock), Harness(baton=app(), slack=slack, clock=clock)
    yield first, second
    first.baton.close()
    second.baton.close()


def race(*steps: Callable[[], object]) -> None:
    barrier = threading.Barrier(len(steps))

    def run(step: Callable[[], object]) -> None:
        barrier.wait()
        step()

    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        for future in [pool.submit(run, step) for step in steps]:
            future.result()


def assignment_keys(slack: FakeSlack) -> Counter[str]:
    keys = [str(c.params["metadata"]["event_payload"]["dedupe_key"]) for c in slack.calls_to("chat.postMessage")]
    return Counter(k for k in keys if k.startswith("assign:"))


def test_two_replicas_passing_at_the_moment_create_the_next_occurrence_once(
    replicas: tuple[Harness, Harness],
) -> None:
    first, second = replicas
    first.command(f"<@{U_ALICE}> Send the weekly numbers every mon at 09:30", user=U_MANAGER)
    first.clock.set(MON_7_DEC_0930_NY)

    race(first.baton.run_pass, second.baton.run_pass)

    assert [(t.number, t.due_at) for t in first.tasks()] == [
        (1, MON_7_DEC_0930_NY),
        (2, datetime(2026, 12, 14, 14, 30, tzinfo=UTC)),
    ]
    assert sorted(assignment_keys(first.slack).values()) == [1, 1]


def test_done_racing_a_pass_at_the_moment_creates_the_next_occurrence_once(replicas: tuple[Harness, Harness]) -> None:
    first, second = replicas
    first.command(f"<@{U_ALICE}> Send the weekly numbers every mon at 09:30", user=U_MANAGER)
    first.clock.set(MON_7_DEC_0930_NY)

    race(lambda: first.command("done T-1", user=U_ALICE), second.baton.run_pass)

    assert len(first.rows(Task)) == 2

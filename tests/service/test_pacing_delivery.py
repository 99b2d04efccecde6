"""With a pacer (as `baton serve` runs), a burst for one person is sent one a second, never as 429s:
the rows behind wait in the outbox and a single wake-up delivers them when they are due."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import create_app
from bot.domain.model import OutboxState
from bot.executors import InlineExecutor
from bot.scheduler.pacing import Pacer, SharedTurns
from storage.db import make_engine
from storage.models import Base
from tests.conftest import Harness, make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import U_ALICE, U_MANAGER, FakeSlack
from tests.service.test_background_deliverer import FakeTimers, Ticks


@pytest.fixture
def paced(slack: FakeSlack, clock: FakeClock) -> Iterator[tuple[Harness, FakeTimers, Ticks]]:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    ticks = Ticks()
    baton = create_app(
        make_settings(slack),
        engine=engine,
        clock=clock,
        listener_executor=InlineExecutor(),
        delivery_executor=InlineExecutor(),
        pacer=Pacer(1.0, monotonic=ticks),
    )
    timers = FakeTimers()
    assert baton.deliverer is not None
    baton.deliverer.start_timer = timers
    baton.deliverer.monotonic = ticks
    yield Harness(baton=baton, slack=slack, clock=clock), timers, ticks
    baton.close()


def test_three_tasks_at_once_for_one_person_reach_slack_a_second_apart(
    paced: tuple[Harness, FakeTimers, Ticks], clock: FakeClock
) -> None:
    h, timers, ticks = paced
    for n in range(3):
        assert "Created T-" in h.command(f"<@{U_ALICE}> Task {n} by friday", user=U_MANAGER)
    assert len(h.slack.calls_to("chat.postMessage")) == 1
    waiting = sorted((r.not_before - clock.now()).total_seconds() for r in h.outbox() if r.state == "pending")
    assert waiting == [1.0, 2.0]  # each new task's DM is booked a turn behind the one before it
    assert timers.started and min(s for s, _ in timers.started) == pytest.approx(1.0)

    for expected in (2, 3):
        clock.advance(seconds=1)
        ticks.now += 1.0
        timers.fire_all()
        assert len(h.slack.calls_to("chat.postMessage")) == expected
    assert {r.state for r in h.outbox()} == {OutboxState.SENT.value}
    assert all(r.attempts == 1 for r in h.outbox())  # pacing is not an attempt


def test_other_people_are_not_held_up_by_a_busy_one(paced: tuple[Harness, FakeTimers, Ticks]) -> None:
    h, _, _ = paced
    h.command(f"<@{U_ALICE}> First by friday", user=U_MANAGER)
    h.command(f"<@{U_ALICE}> Second by friday", user=U_MANAGER)
    h.command(f"<@{U_MANAGER}> Mine by friday", user=U_ALICE)
    channels = [c.params["channel"] for c in h.slack.calls_to("chat.postMessage")]
    assert len(channels) == 2 and len(set(channels)) == 2


def test_a_429_holds_every_message_to_that_conversation_for_its_retry_after(
    paced: tuple[Harness, FakeTimers, Ticks], clock: FakeClock
) -> None:
    h, _, ticks = paced
    h.slack.fail("chat.postMessage", retry_after=30, times=1)
    h.command(f"<@{U_ALICE}> First by friday", user=U_MANAGER)
    ticks.now += 2.0  # past the one-second gap, still inside Slack's 30 s
    clock.advance(seconds=2)
    h.command(f"<@{U_ALICE}> Second by friday", user=U_MANAGER)

    assert len(h.slack.calls_to("chat.postMessage")) == 1  # only the 429'd attempt: the second waited
    waiting = sorted((r.not_before - clock.now()).total_seconds() for r in h.outbox() if r.state == "pending")
    assert len(waiting) == 2 and min(waiting) >= 27


def test_tasks_queued_behind_a_persons_waiting_dms_are_booked_after_them_in_order(
    paced: tuple[Harness, FakeTimers, Ticks], clock: FakeClock
) -> None:
    """Each DM waits for a turn of its own, in the order the tasks came: one queued half a second later is not put
    back to the first turn, where it would meet those already waiting and be drawn and put back again."""
    h, timers, ticks = paced
    for n in range(3):
        h.command(f"<@{U_ALICE}> Task {n} by friday", user=U_MANAGER)
    ticks.now += 0.5
    clock.advance(seconds=0.5)
    for n in range(3, 5):
        h.command(f"<@{U_ALICE}> Task {n} by friday", user=U_MANAGER)

    waiting = sorted((r.id, (r.not_before - clock.now()).total_seconds()) for r in h.outbox() if r.state == "pending")
    assert [seconds for _, seconds in waiting] == pytest.approx([0.5, 1.5, 2.5, 3.5])

    for sent in range(2, 6):
        step = 0.5 if sent == 2 else 1.0
        clock.advance(seconds=step)
        ticks.now += step
        timers.fire_all()
        assert len(h.slack.calls_to("chat.postMessage")) == sent
    texts = [c.params["text"] for c in h.slack.calls_to("chat.postMessage")]
    assert [next(n for n in range(5) if f"Task {n}" in text) for text in texts] == [0, 1, 2, 3, 4]


def test_two_workers_sharing_turns_post_to_one_person_a_turn_apart(
    slack: FakeSlack, clock: FakeClock, tmp_path: Path
) -> None:
    """The workers of one `baton serve` each take requests: a task for Alice through one, then one through the other
    in the same second. The second worker's DM waits its turn (each worker's own pacer knew only its own posts, and
    Alice got two messages within the second: what Slack answers with 429)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    Base.metadata.create_all(engine)
    ticks = Ticks()
    turns = SharedTurns(tmp_path)
    workers = [
        create_app(
            make_settings(slack),
            engine=engine,
            clock=clock,
            listener_executor=InlineExecutor(),
            delivery_executor=InlineExecutor(),
            pacer=Pacer(1.0, monotonic=ticks, shared=turns),
        )
        for _ in range(2)
    ]
    timers = FakeTimers()
    for worker in workers:
        assert worker.deliverer is not None
        worker.deliverer.start_timer = timers
        worker.deliverer.monotonic = ticks
    try:
        first, second = (Harness(baton=worker, slack=slack, clock=clock) for worker in workers)
        ticks.now += 100.0  # Alice has had no message for a while
        assert "Created T-" in first.command(f"<@{U_ALICE}> First by friday", user=U_MANAGER)
        ticks.now += 0.25
        assert "Created T-" in second.command(f"<@{U_ALICE}> Second by friday", user=U_MANAGER)
        assert len(slack.calls_to("chat.postMessage")) == 1
        [waiting] = [r for r in second.outbox() if r.state == OutboxState.PENDING.value]
        assert (waiting.not_before - clock.now()).total_seconds() == pytest.approx(0.75)

        clock.advance(seconds=0.75)
        ticks.now += 0.75
        timers.fire_all()
        assert len(slack.calls_to("chat.postMessage")) == 2
        assert {r.state for r in second.outbox()} == {OutboxState.SENT.value}
    finally:
        for worker in workers:
            worker.close()

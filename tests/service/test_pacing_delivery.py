"""With a pacer (as `baton serve` runs), a burst for one person is sent one a second, never as 429s:
the rows behind wait in the outbox and a single wake-up delivers them when they are due."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import create_app
from bot.domain.model import OutboxState
from bot.executors import InlineExecutor
from bot.scheduler.pacing import Pacer
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
    assert waiting == [1.0, 1.0]  # each new task's DM is paced behind the first
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

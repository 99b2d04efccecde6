"""One message a second per conversation, remembered across deliveries in real (monotonic) time."""

from __future__ import annotations

import pytest

from bot.scheduler.pacing import Pacer


class Ticks:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_a_conversation_is_free_until_it_gets_a_message_then_waits_the_gap() -> None:
    ticks = Ticks()
    pacer = Pacer(1.05, monotonic=ticks)
    assert pacer.wait_seconds("T1", "U1") == 0.0
    pacer.posted("T1", "U1")
    ticks.now += 0.25
    assert pacer.wait_seconds("T1", "U1") == pytest.approx(0.8)
    assert pacer.wait_seconds("T1", "U2") == 0.0  # another conversation
    assert pacer.wait_seconds("T2", "U1") == 0.0  # the same id in another workspace
    ticks.now += 0.8
    assert pacer.wait_seconds("T1", "U1") == 0.0


def test_a_retry_after_holds_the_conversation_that_long() -> None:
    ticks = Ticks()
    pacer = Pacer(1.0, monotonic=ticks)
    pacer.hold("T1", "C1", 30.0)
    assert pacer.wait_seconds("T1", "C1") == pytest.approx(30.0)
    assert pacer.wait_seconds("T1", "C2") == 0.0
    ticks.now += 30.0
    assert pacer.wait_seconds("T1", "C1") == 0.0

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


def test_a_message_put_back_behind_a_backlog_is_booked_a_turn_after_the_last_one_booked() -> None:
    ticks = Ticks()
    pacer = Pacer(1.0, monotonic=ticks)
    assert pacer.book("T1", "U1", row_id=10, earliest=1.0) == pytest.approx(1.0)
    assert pacer.book("T1", "U1", row_id=11, earliest=2.0) == pytest.approx(2.0)
    ticks.now += 0.5  # a newer row, drawn by a later claim, whose own turn would be the first one
    assert pacer.book("T1", "U1", row_id=12, earliest=0.5) == pytest.approx(2.5)
    assert pacer.book("T1", "U2", row_id=13, earliest=0.5) == pytest.approx(0.5)  # another conversation
    assert pacer.book("T2", "U1", row_id=14, earliest=0.5) == pytest.approx(0.5)  # the same id in another workspace


def test_a_message_booked_before_keeps_its_place_when_put_back_again() -> None:
    ticks = Ticks()
    pacer = Pacer(1.0, monotonic=ticks)
    pacer.book("T1", "U1", row_id=10, earliest=1.0)
    pacer.book("T1", "U1", row_id=11, earliest=2.0)
    ticks.now += 1.0  # row 10 is due, and its turn was taken meanwhile: it waits that turn, not behind row 11
    assert pacer.book("T1", "U1", row_id=10, earliest=0.3) == pytest.approx(0.3)
    assert pacer.book("T1", "U1", row_id=15, earliest=0.3) == pytest.approx(2.0)  # still behind row 11


def test_bookings_long_past_do_not_hold_a_new_message() -> None:
    ticks = Ticks()
    pacer = Pacer(1.0, monotonic=ticks)
    pacer.book("T1", "U1", row_id=10, earliest=1.0)
    ticks.now += 60.0
    assert pacer.book("T1", "U1", row_id=11, earliest=0.2) == pytest.approx(0.2)

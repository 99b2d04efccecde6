"""The write gate's turn inside a process: a request waiting for it goes before background writers waiting too,
and a background writer waits behind requests for a bounded time only, never starved by a stream of them."""

from __future__ import annotations

import threading

from storage.db import YIELD_SECONDS, _Turn, answering


def _waiting(turn: _Turn) -> threading.Semaphore:
    """A semaphore released each time a thread starts to wait for the turn."""
    started = threading.Semaphore(0)
    turn.on_wait = lambda _request: started.release()
    return started


def test_a_waiting_request_takes_the_turn_before_a_background_writer_that_waited_longer() -> None:
    turn = _Turn(yield_seconds=60.0)  # however slow the machine, the background writer is still yielding
    assert turn.acquire(request=False, timeout=5)
    started = _waiting(turn)
    order: list[str] = []

    def take(name: str, request: bool) -> None:
        assert turn.acquire(request=request, timeout=5)
        order.append(name)
        turn.release()

    background = threading.Thread(target=take, args=("background", False))
    background.start()
    assert started.acquire(timeout=5)  # the background writer waits first
    request = threading.Thread(target=take, args=("request", True))
    request.start()
    assert started.acquire(timeout=5)
    turn.release()
    background.join(5)
    request.join(5)
    assert order == ["request", "background"]


def test_a_background_writer_behind_requests_that_keep_coming_gets_the_turn_after_its_yield() -> None:
    turn = _Turn()
    turn._requests_waiting = 1  # a request always waiting, as under a steady stream of them
    assert turn.acquire(request=False, timeout=YIELD_SECONDS * 20)  # not starved: it queues as one after the yield
    assert not turn.acquire(request=False, timeout=0.0)  # and holds it: one holder at a time
    turn.release()


def test_answering_marks_writes_made_inside_as_a_request_s() -> None:
    from storage.db import _answering

    assert _answering.get() is False
    with answering():
        assert _answering.get() is True
    assert _answering.get() is False

"""The write gate's turn inside a process: a request waiting for it goes before background writers waiting too,
and a background writer waits behind requests for a bounded time only, never starved by a stream of them."""

from __future__ import annotations

import threading

from storage.db import _Turn, answering


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


class _Taker:
    """A thread that takes the turn, says so, and gives it back when told."""

    def __init__(self, turn: _Turn, name: str, *, request: bool, order: list[str], took: threading.Semaphore) -> None:
        self.go = threading.Event()

        def run() -> None:
            assert turn.acquire(request=request, timeout=5)
            order.append(name)
            took.release()
            self.go.wait(5)
            turn.release()

        self.thread = threading.Thread(target=run)
        self.thread.start()


def test_a_background_writer_behind_requests_that_keep_coming_gets_the_turn_after_its_yield() -> None:
    now = [0.0]
    turn = _Turn(yield_seconds=0.05, monotonic=lambda: now[0])
    started, took, order = _waiting(turn), threading.Semaphore(0), []
    assert turn.acquire(request=True, timeout=5)
    background = _Taker(turn, "background", request=False, order=order, took=took)
    assert started.acquire(timeout=5)
    first = _Taker(turn, "request 1", request=True, order=order, took=took)
    assert started.acquire(timeout=5)

    turn.release()  # within the background writer's yield: the request goes first
    assert took.acquire(timeout=5)
    second = _Taker(turn, "request 2", request=True, order=order, took=took)
    assert started.acquire(timeout=5)
    now[0] = 1.0  # past its yield: it goes before the request that came after it
    for taker in (first, background, second):
        taker.go.set()
        taker.thread.join(5)

    assert order == ["request 1", "background", "request 2"]
    assert turn.acquire(request=False, timeout=0), "the last one gave the turn back: free"


def test_a_waiter_whose_time_runs_out_leaves_the_line_and_the_turn_is_free_after_the_holder() -> None:
    turn = _Turn()
    assert turn.acquire(request=True, timeout=5)

    assert not turn.acquire(request=False, timeout=0.01)
    assert not turn.acquire(request=True, timeout=0.0), "one holder at a time"

    turn.release()
    assert turn.acquire(request=False, timeout=0), "nobody was left waiting to hand it to"


def test_a_waiter_interrupted_in_line_leaves_it_so_the_turn_is_not_handed_to_nobody() -> None:
    turn = _Turn()
    assert turn.acquire(request=True, timeout=5)

    def interrupted(_request: bool) -> None:
        raise KeyboardInterrupt

    turn.on_wait = interrupted
    try:
        turn.acquire(request=True, timeout=5)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interruption was swallowed")
    turn.release()

    assert turn.acquire(request=False, timeout=0), "free: the interrupted waiter left the line"


def test_answering_marks_writes_made_inside_as_a_request_s() -> None:
    from storage.db import _answering

    assert _answering.get() is False
    with answering():
        assert _answering.get() is True
    assert _answering.get() is False

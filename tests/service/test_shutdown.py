"""SIGTERM, below gunicorn: a stopped delivery sends what it is sending, hands back what it had claimed but
not sent, claims nothing more, and no outbox row is lost on the way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.app import create_app
from bot.executors import InlineExecutor
from bot.scheduler.delivery.summary import DeliverySummary
from bot.scheduler.runner import start_scheduler
from bot.server import stop_worker
from storage.db import make_engine
from storage.models import Base, OutboxMessage
from tests.conftest import Harness, make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.slack_api import U_ADMIN, U_ALICE, U_BOB, U_MANAGER, FakeSlack

ASSIGNEES = (U_ALICE, U_BOB, U_ADMIN)
WAIT_SECONDS = 10.0  # bounds for threads that must finish; never reached when the code is right


def _file_harness(tmp_path: Path, slack: FakeSlack, clock: FakeClock, *, delivery_executor: object) -> Harness:
    """A harness on a SQLite file: threads get their own connections, and dispose() keeps the data."""
    engine = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    Base.metadata.create_all(engine)
    baton = create_app(
        make_settings(slack),
        engine=engine,
        clock=clock,
        listener_executor=InlineExecutor(),
        delivery_executor=delivery_executor,  # type: ignore[arg-type]
    )
    return Harness(baton=baton, slack=slack, clock=clock)


@pytest.fixture
def harness_on_file(tmp_path: Path, slack: FakeSlack, clock: FakeClock) -> Iterator[Harness]:
    h = _file_harness(tmp_path, slack, clock, delivery_executor=InlineExecutor())
    yield h
    h.baton.close()


def _queue_three_due_dms(h: Harness) -> None:
    """Three tasks whose assignment DMs wait: Slack rate-limited the first, which holds chat.postMessage in the
    workspace for its Retry-After, so Baton held the other two back itself; all pending, due a minute later."""
    h.slack.fail("chat.postMessage", retry_after=1)
    for assignee in ASSIGNEES:
        h.command(f"<@{assignee}> Ship part {assignee}", user=U_MANAGER)
    assert [r.state for r in h.outbox()] == ["pending"] * len(ASSIGNEES)
    h.clock.advance(minutes=1)


def _states(h: Harness) -> list[tuple[str, int, bool]]:
    return [(r.state, r.attempts, r.lease_until is None) for r in h.rows(OutboxMessage)]


def test_stop_lets_the_send_in_flight_finish_and_hands_back_the_rows_claimed_behind_it(
    harness_on_file: Harness,
) -> None:
    h = harness_on_file
    _queue_three_due_dms(h)
    posts_before = len(h.slack.calls_to("chat.postMessage"))
    gate = h.slack.hold("chat.postMessage")
    done: list[DeliverySummary] = []
    pass_thread = threading.Thread(target=lambda: done.append(h.baton.delivery.deliver(limit=10)))
    pass_thread.start()
    gate.wait_held(1)  # the first of three claimed rows is at Slack

    assert h.baton.delivery.stop(timeout=0.05) is False  # its answer is not back: still sending
    gate.release()
    pass_thread.join(WAIT_SECONDS)

    assert not pass_thread.is_alive()
    assert h.baton.delivery.stop(timeout=WAIT_SECONDS) is True
    [summary] = done
    assert (summary.sent, summary.retried, summary.failed) == (1, 0, 0)
    assert len(h.slack.calls_to("chat.postMessage")) == posts_before + 1
    # The sent row is sent; the two behind it are pending again, unleased, their attempt not counted (they
    # never reached Slack: held back by Baton's own budget, then handed back by the stop).
    assert sorted(_states(h)) == [("pending", 0, True), ("pending", 0, True), ("sent", 2, True)]


def test_a_stopped_delivery_claims_nothing_so_the_pass_ends_at_once(harness_on_file: Harness) -> None:
    h = harness_on_file
    _queue_three_due_dms(h)
    before = _states(h)
    assert h.baton.delivery.stop(timeout=WAIT_SECONDS) is True

    summary = h.baton.run_pass()

    assert (summary.sent, summary.retried, summary.failed, summary.skipped) == (0, 0, 0, 0)
    assert _states(h) == before
    assert h.baton.delivery.deliver(ids=[r.id for r in h.outbox()]) == DeliverySummary()


def test_stop_worker_stops_the_scheduler_and_drops_queued_deliveries_which_stay_pending(
    tmp_path: Path, slack: FakeSlack, clock: FakeClock
) -> None:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-delivery")
    h = _file_harness(tmp_path, slack, clock, delivery_executor=pool)
    busy, free = threading.Event(), threading.Event()

    def hold_the_thread() -> None:
        busy.set()
        free.wait(WAIT_SECONDS)

    pool.submit(hold_the_thread)  # the one delivery thread is taken
    busy.wait(WAIT_SECONDS)
    scheduler = start_scheduler(lambda: None, every_seconds=3600)
    try:
        h.command(f"<@{U_ALICE}> Queued at shutdown", user=U_MANAGER)
        [queued] = h.outbox()
        assert queued.state == "pending"  # its delivery waits behind the busy thread

        finished = stop_worker(h.baton, scheduler, seconds=WAIT_SECONDS)
    finally:
        free.set()
        pool.shutdown(wait=True)
        if scheduler.running:
            scheduler.shutdown(wait=False)

    assert finished is True
    assert not scheduler.running
    [row] = h.outbox()
    assert (row.state, row.attempts, row.lease_until) == ("pending", 0, None)  # the next pass anywhere sends it
    assert slack.calls_to("chat.postMessage") == []
    assert slack.calls_to("views.publish") == []  # the queued Home refresh was dropped too, not run late

"""One scheduler pass: plan what is due as of `now` into the outbox, then deliver what is due."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.scheduler.delivery.sending import BATCH, Delivery
from bot.scheduler.delivery.summary import DeliverySummary

log = logging.getLogger(__name__)

MAX_DELIVERY_BATCHES = 20  # a pass claims at most this many batches of conversations; the next pass takes the rest
# A pass that finishes its deliveries (`baton tick`) waits out the one-a-second gap per conversation this long at
# most; what is still waiting then is left for the next pass, and the summary says how many.
DRAIN_SECONDS = 120.0
MIN_PAUSE_SECONDS = 0.05  # never spin when a row held back is not ours to take yet


@dataclass(frozen=True)
class PassSummary:
    planned: int
    sent: int
    retried: int
    failed: int
    skipped: int
    seconds: float
    held: int = 0  # rows held to their reader's next working period
    waiting: int = 0  # rows still waiting their conversation's turn when the pass ended

    def line(self) -> str:
        return (
            f"planned={self.planned} sent={self.sent} retried={self.retried} "
            f"failed={self.failed} skipped={self.skipped} held={self.held} waiting={self.waiting} "
            f"seconds={self.seconds:.3f}"
        )


class PassObserver(Protocol):
    """Told about every finished pass (bot/metrics.py Metrics), so the scheduler never imports prometheus."""

    def pass_finished(self, summary: PassSummary) -> None: ...


def run_pass(
    *,
    delivery: Delivery | None,
    planned: int = 0,
    plan: Callable[[], int] | None = None,
    observer: PassObserver | None = None,
    wait: Callable[[float], None] | None = None,
    max_wait_seconds: float = DRAIN_SECONDS,
) -> PassSummary:
    """Plan (when given `plan`), deliver what is due now in bounded batches and summarise the pass.

    With `wait`, the pass finishes its deliveries: messages held back for their conversation's turn
    (Slack's one a second) are sent after `wait(seconds)`, for at most `max_wait_seconds` in all; without
    it (the in-process scheduler, whose wake-ups send them) they wait for the next delivery.
    A delivery that has been stopped (shutdown) claims nothing more, so the loop ends after the batch in hand.
    """
    started = time.perf_counter()
    if plan is not None:
        planned = plan()
    total = DeliverySummary()
    waited = 0.0
    outstanding: set[int] = set()
    while delivery is not None:
        round_ = DeliverySummary()
        for _ in range(MAX_DELIVERY_BATCHES):
            batch = delivery.deliver(limit=BATCH)
            round_.add(batch)
            if batch.conversations < BATCH:
                break
        total.add(round_)
        if wait is None:
            outstanding = set(round_.paced_ids)
            break
        # Rows put back for their conversation's turn in this pass are this pass's to send: wait for the
        # first of them, within the bound, and deliver again.
        outstanding, pause = delivery.waiting(sorted(outstanding | set(round_.paced_ids)))
        if not outstanding or pause is None:
            break
        pause = max(pause, 0.0 if round_.sent else MIN_PAUSE_SECONDS)
        if waited + pause > max_wait_seconds:
            break
        if pause > 0:
            wait(pause)
            waited += pause
    waiting = len(outstanding)
    summary = PassSummary(
        planned=planned,
        sent=total.sent,
        retried=total.retried,
        failed=total.failed,
        skipped=total.skipped,
        seconds=time.perf_counter() - started,
        held=total.held,
        waiting=waiting,
    )
    log.info("scheduler.pass", extra={"summary": summary.line()})
    if observer is not None:
        observer.pass_finished(summary)
    return summary

"""One scheduler pass: plan what is due as of `now` into the outbox, then deliver what is due."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.scheduler.delivery import BATCH, Delivery, DeliverySummary

log = logging.getLogger(__name__)

MAX_DELIVERY_BATCHES = 20  # a pass sends at most this many batches; the next pass takes the rest


@dataclass(frozen=True)
class PassSummary:
    planned: int
    sent: int
    retried: int
    failed: int
    skipped: int
    seconds: float

    def line(self) -> str:
        return (
            f"planned={self.planned} sent={self.sent} retried={self.retried} "
            f"failed={self.failed} skipped={self.skipped} seconds={self.seconds:.3f}"
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
) -> PassSummary:
    """Plan (when given `plan`), deliver what is due now in bounded batches and summarise the pass.

    A delivery that has been stopped (shutdown) claims nothing more, so the loop ends after the batch in hand.
    """
    started = time.perf_counter()
    if plan is not None:
        planned = plan()
    total = DeliverySummary()
    for _ in range(MAX_DELIVERY_BATCHES if delivery is not None else 0):
        assert delivery is not None
        batch = delivery.deliver(limit=BATCH)
        total.add(batch)
        if batch.sent + batch.retried + batch.failed + batch.skipped + batch.paced < BATCH:
            break
    summary = PassSummary(
        planned=planned,
        sent=total.sent,
        retried=total.retried,
        failed=total.failed,
        skipped=total.skipped,
        seconds=time.perf_counter() - started,
    )
    log.info("scheduler.pass", extra={"summary": summary.line()})
    if observer is not None:
        observer.pass_finished(summary)
    return summary

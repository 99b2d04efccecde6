"""Runs the scheduler pass on an interval inside `baton run` / `baton serve`: one APScheduler job,
an in-memory job store; exactly-once comes from the outbox, not from there being one scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

from bot.domain.errors import failure_reason
from storage.db import is_database_down

log = logging.getLogger(__name__)

JOB_ID = "baton-pass"


def run_guarded(run_pass: Callable[[], object]) -> None:
    """One pass that never kills the scheduler; the next pass retries from the database."""
    try:
        run_pass()
    except Exception as error:
        if is_database_down(error):  # an outage: one line a pass, not a traceback every 30 s
            log.warning("scheduler.database_unavailable", extra={"reason": failure_reason(error)})
        else:
            log.exception("scheduler.pass_failed")


def start_scheduler(run_pass: Callable[[], object], *, every_seconds: float) -> BackgroundScheduler:
    """Start the single interval job; a slow pass is never run twice at once (max_instances=1),
    and passes missed while the process slept collapse into one (coalesce=True)."""
    scheduler = BackgroundScheduler(timezone="UTC")

    def job() -> None:
        run_guarded(run_pass)

    scheduler.add_job(
        job,
        "interval",
        seconds=every_seconds,
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        replace_existing=True,
    )
    scheduler.start()
    log.info("scheduler.started", extra={"every_seconds": every_seconds})
    return scheduler


def stop_scheduler(scheduler: BackgroundScheduler) -> None:
    """Start no new pass (shutdown); a pass already running is cut short by `Delivery.stop()`, not waited for here."""
    if scheduler.running:
        scheduler.shutdown(wait=False)
        log.info("scheduler.stopped")

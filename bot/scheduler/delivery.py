"""Delivery of outbox rows: claim with a lease, render, send through the gateway, mark the result."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain import worktime
from bot.domain.model import Message, OutboxKind, OutboxState, Outgoing, TaskStatus, TaskView
from bot.services.home import HomePublisher
from bot.services.installs import UNINSTALLED
from bot.services.ports import MessageSender, RetryLater, SendOutcome, Sent, SlackUnavailable
from bot.services.views import task_view
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

# 429s and 5xx are retried until then: Slack's outages last minutes to hours, and a message a day
# late is worse than a failure an operator can see in `baton outbox --state failed`.
MAX_RETRY_AGE = timedelta(hours=24)
LEASE = timedelta(minutes=2)
HOUR = timedelta(hours=1)
PACE = timedelta(seconds=1)  # per conversation: https://api.slack.com/apis/rate-limits#special
BATCH = 100


class OutboxRenderer(Protocol):
    def __call__(self, out: Outgoing, *, now: datetime) -> Message: ...


@dataclass
class DeliverySummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    paced: int = 0

    def add(self, other: DeliverySummary) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.paced += other.paced


@dataclass(frozen=True)
class _Claimed:
    id: int
    workspace_id: str
    dedupe_key: str
    kind: OutboxKind
    recipient_id: str
    task_id: int | None
    payload: dict[str, Any]
    attempts: int
    channel_id: str | None
    last_error: str | None
    created_at: datetime
    lease_until: datetime


@dataclass(frozen=True)
class _Facts:
    task: TaskView | None
    assignment_seq: int | None = None
    assignee_away: bool = False
    overdue_sent_today: bool = False  # to this recipient, about this task, on their local today


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … capped at 30 min: 5xx and timeouts are usually short."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 1800))


_NOT_WHILE_AWAY = (OutboxKind.CHECKIN, OutboxKind.WARNING, OutboxKind.OVERDUE)


def still_applies(
    out: Outgoing,
    *,
    assignment_seq: int | None,
    now: datetime,
    assignee_away: bool = False,
    overdue_sent_today: bool = False,
) -> bool:
    """Whether a queued message still says something true when its turn comes: a check-in for a
    finished task, or a warning for a deadline that moved or passed, is skipped, never sent."""
    task = out.task
    if task is None:
        return out.kind in (OutboxKind.KUDOS, OutboxKind.RECOGNITION, OutboxKind.DIGEST)
    if assignee_away and out.recipient_id == task.assignee_id and out.kind in _NOT_WHILE_AWAY:
        return False  # queued before their time off was recorded
    due = task.due_at.isoformat() if task.due_at else None
    tz = str(out.payload.get("tz") or "UTC")
    if out.kind in (OutboxKind.CHECKIN, OutboxKind.WARNING) and out.recipient_id != task.assignee_id:
        return False  # reassigned since: the new assignee gets their own
    if out.kind is OutboxKind.OVERDUE:
        audience = out.payload.get("audience")
        if out.recipient_id != (task.assignee_id if audience == "assignee" else task.delegator_id):
            return False
    if out.kind is OutboxKind.CHECKIN:
        # A check-in held up past the local day it was for is not sent beside the next day's.
        return task.status.is_active and out.payload.get("day") == worktime.local_date(now, tz=tz).isoformat()
    if out.kind is OutboxKind.WARNING:
        if not (task.status.is_active and out.payload.get("due") == due and task.due_at is not None):
            return False
        if out.payload.get("hours_before") == 24 and worktime.warning_moment(task.due_at - HOUR, tz=tz) <= now:
            return False  # the 1-hour warning's turn has come: the 24-hour one is old news
        return now < task.due_at
    if out.kind is OutboxKind.OVERDUE:
        if not (task.status.is_active and out.payload.get("due") == due and task.due_at is not None):
            return False
        latest = worktime.latest_overdue_moment(task.due_at, tz=tz, now=now)
        # A notice held up into the next day (paced, retried, caught up) counts for the day it goes out
        # on, like a check-in: that day's own one is then not sent as well.
        return not overdue_sent_today and (latest is None or latest.isoformat() <= str(out.payload.get("moment") or ""))
    if out.kind is OutboxKind.ASSIGNMENT:
        return (
            task.status is TaskStatus.OPEN
            and task.assignee_id == out.recipient_id
            and out.payload.get("seq") == assignment_seq
        )
    if out.kind is OutboxKind.DUE_CHANGED:
        return not task.status.is_final and (
            out.payload.get("new_due") == (task.due_at.isoformat() if task.due_at else None)
        )
    if out.kind is OutboxKind.CELEBRATION:
        return task.status is TaskStatus.DONE
    return True


class Delivery:
    """Sends what is due in the outbox; a pass and the post-commit path both use it."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        clock: Clock,
        sender: MessageSender,
        render: OutboxRenderer,
        lease: timedelta = LEASE,
        max_retry_age: timedelta = MAX_RETRY_AGE,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._sender = sender
        self._render = render
        self._lease = lease
        self._max_retry_age = max_retry_age
        # Shutdown (SIGTERM): once stopping, nothing more is claimed; `_running` counts deliver() calls.
        self._stopping = False
        self._running = 0
        self._idle = threading.Condition()

    def stop(self, *, timeout: float) -> bool:
        """Shutdown: claim nothing more, put claimed rows not yet sent back to pending, and wait up to
        `timeout` seconds for sends in flight; True when no delivery is still running."""
        with self._idle:
            self._stopping = True
            return self._idle.wait_for(lambda: self._running == 0, timeout=timeout)

    def deliver(self, *, ids: Sequence[int] | None = None, limit: int = BATCH) -> DeliverySummary:
        """Claim up to `limit` due rows (or just `ids`) and send each once.

        Slack allows about one message a second per conversation, so a second row for a recipient
        already sent to in this batch waits a second (without counting an attempt) while the other
        recipients' rows go on.
        """
        summary = DeliverySummary()
        with self._idle:
            if self._stopping:
                return summary
            self._running += 1
        try:
            sent_to: set[str] = set()
            claimed = self._claim(ids=ids, limit=limit)
            for index, row in enumerate(claimed):
                if self._stopping:
                    self._release(claimed[index:])
                    break
                if row.recipient_id in sent_to:
                    self._mark(row, state=OutboxState.PENDING, not_before=self._clock.now() + PACE, uncount=True)
                    summary.paced += 1
                    continue
                held = self._renew(row)
                if held is None:
                    continue  # our lease ran out meanwhile and another deliverer has the row now
                if self._deliver_one(held, summary):
                    sent_to.add(row.recipient_id)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()
        return summary

    def _renew(self, row: _Claimed) -> _Claimed | None:
        """The row with a fresh lease, or None when it is no longer ours: checked just before each send,
        so a batch that outlives its lease (a slow Slack) never posts what another replica took over."""
        until = self._clock.now() + self._lease
        with self._uow() as uow:
            if not uow.outbox.renew_lease(row.id, held_until=row.lease_until, until=until):
                log.warning("outbox.lease_lost", extra={"outbox_id": row.id, "workspace": row.workspace_id})
                return None
            uow.commit()
        return replace(row, lease_until=until)

    def _release(self, rows: Sequence[_Claimed]) -> None:
        """Hand rows claimed but not sent back to pending (attempt not counted), for the next pass anywhere."""
        with self._uow() as uow:
            released = []
            for row in rows:
                stored = uow.outbox.get(row.id)
                if stored is None or stored.state != OutboxState.SENDING or stored.lease_until != row.lease_until:
                    continue  # another deliverer holds it now
                stored.state = OutboxState.PENDING.value
                stored.lease_until = None
                stored.attempts -= 1
                released.append(row.id)
            uow.commit()
        log.info("outbox.released", extra={"count": len(released), "outbox_ids": released[:20]})

    def _claim(self, *, ids: Sequence[int] | None, limit: int) -> list[_Claimed]:
        now = self._clock.now()
        with self._uow() as uow:
            rows = uow.outbox.claim(now=now, limit=limit, lease=self._lease, ids=ids)
            uninstalled = uow.workspaces.uninstalled() if rows else set()
            for r in rows:
                if r.workspace_id in uninstalled:  # app_uninstalled came after this row was planned
                    r.state, r.last_error, r.lease_until = OutboxState.SKIPPED.value, UNINSTALLED, None
            rows = [r for r in rows if r.workspace_id not in uninstalled]
            claimed = [
                _Claimed(
                    id=r.id,
                    workspace_id=r.workspace_id,
                    dedupe_key=r.dedupe_key,
                    kind=OutboxKind(r.kind),
                    recipient_id=r.recipient_id,
                    task_id=r.task_id,
                    payload=dict(r.payload or {}),
                    attempts=r.attempts,
                    channel_id=r.channel_id,
                    last_error=r.last_error,
                    created_at=r.created_at,
                    lease_until=r.lease_until or now,
                )
                for r in rows
            ]
            uow.commit()
        return claimed

    def _facts(self, row: _Claimed) -> _Facts:
        if row.task_id is None:
            return _Facts(task=None)
        with self._uow(read_only=True) as uow:
            task = uow.tasks.get(row.workspace_id, row.task_id)
            if task is None:
                return _Facts(task=None)
            team = uow.teams.get(row.workspace_id, task.team_id) if task.team_id else None
            away = False
            if row.kind in _NOT_WHILE_AWAY:
                now = self._clock.now()
                periods = uow.time_off.of_user(row.workspace_id, task.assignee_id, ending_after=now)
                away = any(p.starts_at <= now for p in periods)
            sent_today = False
            if row.kind is OutboxKind.OVERDUE:
                now = self._clock.now()
                tz = str(row.payload.get("tz") or "UTC")
                midnight = worktime.at_local(worktime.local_date(now, tz=tz), time(0, 0), tz=tz)
                sent_today = uow.outbox.was_sent(
                    row.workspace_id,
                    task_id=task.id,
                    kind=OutboxKind.OVERDUE.value,
                    recipient_id=row.recipient_id,
                    since=midnight,
                )
            return _Facts(
                task=task_view(task, team_channel_id=team.channel_id if team else None),
                assignment_seq=task.assignment_seq,
                assignee_away=away,
                overdue_sent_today=sent_today,
            )

    def _deliver_one(self, row: _Claimed, summary: DeliverySummary) -> bool:
        """Send one claimed row and mark it; True when Slack was asked to post it."""
        now = self._clock.now()
        facts = self._facts(row)
        out = Outgoing(
            kind=row.kind,
            dedupe_key=row.dedupe_key,
            recipient_id=row.recipient_id,
            task=facts.task,
            payload=row.payload,
        )
        if (row.task_id is not None and facts.task is None) or not still_applies(
            out,
            assignment_seq=facts.assignment_seq,
            now=now,
            assignee_away=facts.assignee_away,
            overdue_sent_today=facts.overdue_sent_today,
        ):
            self._mark(row, state=OutboxState.SKIPPED, error="no longer applies")
            summary.skipped += 1
            return False
        outcome, channel = self._send(row, out, now=now)
        if isinstance(outcome, Sent):
            if self._mark(row, state=OutboxState.SENT, channel=outcome.channel, ts=outcome.ts, now=now):
                summary.sent += 1
            log.info("outbox.sent", extra={"outbox_id": row.id, "workspace": row.workspace_id, "kind": row.kind.value})
        elif isinstance(outcome, RetryLater) and now - row.created_at < self._max_retry_age:
            wait = (
                timedelta(seconds=outcome.after_seconds) if outcome.after_seconds is not None else backoff(row.attempts)
            )
            self._mark(row, state=OutboxState.PENDING, channel=channel, error=outcome.reason, not_before=now + wait)
            summary.retried += 1
            log.info(
                "outbox.retry", extra={"outbox_id": row.id, "workspace": row.workspace_id, "reason": outcome.reason}
            )
        else:
            reason = outcome.reason
            if isinstance(outcome, RetryLater):
                reason = f"gave up after {row.attempts} attempts over 24 h: {reason}"
            self._mark(row, state=OutboxState.FAILED, channel=channel, error=reason)
            summary.failed += 1
            log.warning("outbox.failed", extra={"outbox_id": row.id, "workspace": row.workspace_id, "reason": reason})
        return True

    def _send(self, row: _Claimed, out: Outgoing, *, now: datetime) -> tuple[SendOutcome, str | None]:
        channel = row.channel_id
        if channel is None:
            if row.recipient_id[:1] in ("U", "W"):
                opened = self._sender.open_dm(row.workspace_id, row.recipient_id)
                if not isinstance(opened, str):
                    return opened, None
                channel = opened
            else:
                channel = row.recipient_id
        # A previous attempt may have reached Slack with its answer lost: look before posting again.
        if row.attempts > 1 and row.last_error != "ratelimited":
            try:
                ts = self._sender.find_posted(row.workspace_id, channel, dedupe_key=row.dedupe_key)
            except SlackUnavailable as error:
                return RetryLater(str(error)), channel
            if ts is not None:
                return Sent(channel=channel, ts=ts), channel
        message = self._render(out, now=now)
        return self._sender.post_message(row.workspace_id, channel, message, dedupe_key=row.dedupe_key), channel

    def _mark(
        self,
        row: _Claimed,
        *,
        state: OutboxState,
        channel: str | None = None,
        ts: str | None = None,
        error: str | None = None,
        now: datetime | None = None,
        not_before: datetime | None = None,
        uncount: bool = False,
    ) -> bool:
        """Record the row's outcome; False when another deliverer holds it now (its word counts)."""
        with self._uow() as uow:
            stored = uow.outbox.get(row.id)
            # Another deliverer took the row after our lease ran out: its word counts, not ours.
            if stored is None or stored.state != OutboxState.SENDING or stored.lease_until != row.lease_until:
                log.warning("outbox.lease_lost", extra={"outbox_id": row.id})
                return False
            stored.state = state.value
            stored.lease_until = None
            if uncount:
                stored.attempts -= 1
            if channel is not None:
                stored.channel_id = channel
            if ts is not None:
                stored.ts = ts
                stored.sent_at = now
            if error is not None:
                stored.last_error = error[:200]
            if not_before is not None:
                stored.not_before = not_before
            if state is OutboxState.SENT and row.kind is OutboxKind.ASSIGNMENT and row.task_id is not None:
                task = uow.tasks.get(row.workspace_id, row.task_id)
                if task is not None:
                    task.assignment_channel_id = channel
                    task.assignment_ts = ts
            uow.commit()
        return True


@dataclass
class BackgroundDeliverer:
    """The services' Deliverer: after a commit, send and refresh Home tabs off the request path."""

    delivery: Delivery
    home: HomePublisher
    executor: Executor
    on_error: Callable[[BaseException], None] = field(default=lambda e: log.error("delivery.crashed", exc_info=e))

    # Home tabs waiting to be re-published; a refresh already queued for a person serves every
    # change made before it runs, so a burst of changes publishes once, not once per change.
    _pending_homes: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def deliver(self, outbox_ids: Sequence[int], *, workspace_id: str, touched: Sequence[str] = ()) -> None:
        with self._lock:
            homes = [u for u in dict.fromkeys(touched) if (workspace_id, u) not in self._pending_homes]
            self._pending_homes.update((workspace_id, u) for u in homes)
        if not outbox_ids and not homes:
            return
        self.executor.submit(self._run, list(outbox_ids), workspace_id, homes)

    def _run(self, outbox_ids: list[int], workspace_id: str, touched: list[str]) -> None:
        try:
            if outbox_ids:
                self.delivery.deliver(ids=outbox_ids, limit=len(outbox_ids))
            for user_id in touched:
                with self._lock:  # from here on a new change queues a new refresh
                    self._pending_homes.discard((workspace_id, user_id))
                self.home.publish(workspace_id, user_id)
        except Exception as error:  # a bug here must not vanish silently with the thread
            self.on_error(error)
        finally:
            with self._lock:
                self._pending_homes.difference_update((workspace_id, u) for u in touched)

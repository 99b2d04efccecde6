"""Delivery of outbox rows: claim with a lease, render, send through the gateway, mark the result."""

from __future__ import annotations

import heapq
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from time import monotonic
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain import worktime
from bot.domain.model import Message, OutboxKind, OutboxState, Outgoing, TaskStatus, TaskView
from bot.scheduler.pacing import Pacer
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
LOOK_AHEAD_SECONDS = 30.0  # a wake-up delivers rows due this soon; later ones are the scheduler's
MIN_WAKE_SECONDS = 0.1  # never a busy loop when a due row is held by another deliverer


class OutboxRenderer(Protocol):
    def __call__(self, out: Outgoing, *, now: datetime) -> Message: ...


@dataclass
class DeliverySummary:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    paced: int = 0
    wake_in_seconds: float | None = None  # when the first paced row may go (with a pacer)

    def held_back(self, delay_seconds: float) -> None:
        """A row put back to wait its conversation's turn, `delay_seconds` from now."""
        self.paced += 1
        first = self.wake_in_seconds
        self.wake_in_seconds = delay_seconds if first is None else min(first, delay_seconds)

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
        pacer: Pacer | None = None,
    ) -> None:
        self._uow = uow
        # With a pacer, conversations are paced across every delivery of this process (real time);
        # without one, only within a batch. `on_paced(seconds)` asks for a delivery when they are due.
        self._pacer = pacer
        self.on_paced: Callable[[float], None] | None = None
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

        Slack allows about one message a second per conversation, so a row for a conversation that
        had one too recently (in this batch; with a pacer, anywhere in this process) goes back to wait
        its turn, without counting an attempt, while the other recipients' rows go on.
        """
        summary = DeliverySummary()
        with self._idle:
            if self._stopping:
                return summary
            self._running += 1
        try:
            sent_to: set[str] = set()
            claimed = self._claim(ids=ids, limit=limit, summary=summary)
            for index, row in enumerate(claimed):
                if self._stopping:
                    self._release(claimed[index:])
                    break
                # Without a pacer (`baton tick`, tests) a second row for a recipient in this batch waits a
                # second and the next pass sends it. With one, the claim already put busy conversations'
                # rows back in turn; this only catches a post made meanwhile by another thread.
                wait = self._wait_seconds(row, sent_to)
                if wait > 0:
                    self._mark(
                        row,
                        state=OutboxState.PENDING,
                        not_before=self._clock.now() + timedelta(seconds=wait),
                        uncount=True,
                    )
                    summary.held_back(wait)
                    continue
                held = self._renew(row)
                if held is None:
                    continue  # our lease ran out meanwhile and another deliverer has the row now
                if self._deliver_one(held, summary):
                    sent_to.add(row.recipient_id)
                    if self._pacer is not None:
                        self._pacer.posted(row.workspace_id, row.recipient_id)
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()
        if summary.wake_in_seconds is not None and self._pacer is not None and self.on_paced is not None:
            self.on_paced(summary.wake_in_seconds)
        return summary

    def next_due_in(self) -> float | None:
        """Seconds until the next row still to send falls due (negative: overdue), None when none is."""
        with self._uow(read_only=True) as uow:
            due = uow.outbox.next_due()
        return None if due is None else (due - self._clock.now()).total_seconds()

    def _wait_seconds(self, row: _Claimed, sent_to: set[str]) -> float:
        if self._pacer is not None:
            return self._pacer.wait_seconds(row.workspace_id, row.recipient_id)
        return PACE.total_seconds() if row.recipient_id in sent_to else 0.0

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
                stored.not_before = self._clock.now()  # due at once, for any deliverer
                stored.attempts -= 1
                released.append(row.id)
            uow.commit()
        log.info("outbox.released", extra={"count": len(released), "outbox_ids": released[:20]})

    def _pace_at_claim(self, rows: list[Any], *, now: datetime, summary: DeliverySummary) -> list[Any]:
        """Within the claim's own transaction, put back the rows whose conversation is busy, each behind
        the one before it (`gap` apart), and keep one row per free conversation to send now."""
        assert self._pacer is not None
        gap = self._pacer.gap_seconds
        behind: dict[tuple[str, str], int] = {}
        keep = []
        for row in rows:
            key = (row.workspace_id, row.recipient_id)
            queued = behind.get(key, 0)
            behind[key] = queued + 1
            wait = self._pacer.wait_seconds(*key)
            if wait <= 0 and queued == 0:
                keep.append(row)
                continue
            delay = wait + queued * gap
            row.state, row.lease_until = OutboxState.PENDING.value, None
            row.not_before = now + timedelta(seconds=delay)
            row.attempts -= 1  # waiting its turn is not an attempt
            summary.held_back(delay)
        return keep

    def _claim(
        self, *, ids: Sequence[int] | None, limit: int, summary: DeliverySummary | None = None
    ) -> list[_Claimed]:
        summary = summary if summary is not None else DeliverySummary()
        now = self._clock.now()
        with self._uow() as uow:
            rows = uow.outbox.claim(now=now, limit=limit, lease=self._lease, ids=ids)
            uninstalled = uow.workspaces.uninstalled() if rows else set()
            for r in rows:
                if r.workspace_id in uninstalled:  # app_uninstalled came after this row was planned
                    r.state, r.last_error, r.lease_until = OutboxState.SKIPPED.value, UNINSTALLED, None
            rows = [r for r in rows if r.workspace_id not in uninstalled]
            if self._pacer is not None:
                rows = self._pace_at_claim(rows, now=now, summary=summary)
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
            if self._pacer is not None and outcome.after_seconds is not None:
                # Slack's Retry-After holds the whole conversation, not just this row.
                self._pacer.hold(row.workspace_id, row.recipient_id, outcome.after_seconds)
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


class Cancellable(Protocol):
    def cancel(self) -> None: ...


def _thread_timer(seconds: float, run: Callable[[], None]) -> threading.Timer:
    timer = threading.Timer(seconds, run)
    timer.daemon = True  # a refresh still waiting never holds up the process's exit
    timer.start()
    return timer


@dataclass
class BackgroundDeliverer:
    """The services' Deliverer: after a commit, send and refresh Home tabs off the request path."""

    delivery: Delivery
    home: HomePublisher
    executor: Executor
    on_error: Callable[[BaseException], None] = field(default=lambda e: log.error("delivery.crashed", exc_info=e))
    # A person's Home tab is published at most once in this many seconds (0: after every change); the changes
    # in between are gathered into one refresh when the time is up. A burst of tasks then costs one
    # views.publish per person instead of one per task.
    home_interval_seconds: float = 0.0
    monotonic: Callable[[], float] = monotonic
    # Runs a callable after some seconds and returns something with .cancel(); tests fire them by hand.
    start_timer: Callable[[float, Callable[[], None]], Cancellable] = field(default=lambda s, f: _thread_timer(s, f))

    # Home tabs waiting to be re-published; a refresh already queued for a person serves every
    # change made before it runs, so a burst of changes publishes once, not once per change.
    _pending_homes: set[tuple[str, str]] = field(default_factory=set)
    _published_at: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _timers: set[Cancellable] = field(default_factory=set)
    _wakes: list[float] = field(default_factory=list)  # heap: when paced rows fall due (monotonic)
    _wake_timer_at: float | None = None  # when the one wake-up timer fires

    def __post_init__(self) -> None:
        if self.delivery is not None:
            # Rows paced behind another message to the same conversation are delivered when due.
            self.delivery.on_paced = self.wake_after

    def deliver(self, outbox_ids: Sequence[int], *, workspace_id: str, touched: Sequence[str] = ()) -> None:
        now = self.monotonic()
        homes: list[str] = []
        later: list[tuple[str, float]] = []
        with self._lock:
            for user_id in dict.fromkeys(touched):
                key = (workspace_id, user_id)
                if key in self._pending_homes:
                    continue
                self._pending_homes.add(key)
                last = self._published_at.get(key)
                wait = 0.0 if last is None else last + self.home_interval_seconds - now
                if wait > 0:
                    later.append((user_id, wait))
                else:
                    homes.append(user_id)
        for user_id, wait in later:
            self._later(wait, self._submit, [], workspace_id, [user_id])
        if outbox_ids or homes:
            self._submit(list(outbox_ids), workspace_id, homes)

    def wake_after(self, seconds: float) -> None:
        """Deliver again once paced rows are due. The moments wait in a heap behind one timer, set for
        the earliest; each wake-up runs one delivery and sets the timer for the next moment."""
        at = self.monotonic() + seconds
        with self._lock:
            heapq.heappush(self._wakes, at)
            if self._wake_timer_at is not None and self._wake_timer_at <= at:
                return
            self._wake_timer_at = at
        self._later(seconds, self._wake, at)

    def close(self) -> None:
        """Cancel the refreshes and wake-ups still waiting (shutdown); the outbox keeps their rows."""
        with self._lock:
            timers, self._timers = set(self._timers), set()
        for timer in timers:
            timer.cancel()

    def _wake(self, at: float) -> None:
        with self._lock:
            if self._wake_timer_at != at:
                return  # superseded by a timer for an earlier moment, which carries the chain on
            until = max(at, self.monotonic())
            while self._wakes and self._wakes[0] <= until:
                heapq.heappop(self._wakes)
            following = self._wakes[0] if self._wakes else None
            self._wake_timer_at = following
        self.executor.submit(self._drain)
        if following is not None:
            self._later(max(0.0, following - until), self._wake, following)

    def _drain(self) -> None:
        try:
            self.delivery.deliver()  # every due row; what is still paced asks for the next wake-up
            # Rows held back elsewhere (a `baton tick`, another replica that stopped) fall due too:
            # wake for the next one if it is near, else the scheduler's next pass takes it.
            seconds = self.delivery.next_due_in()
            if seconds is not None and seconds <= LOOK_AHEAD_SECONDS:
                self.wake_after(max(seconds, MIN_WAKE_SECONDS))
        except Exception as error:
            self.on_error(error)

    def _submit(self, outbox_ids: list[int], workspace_id: str, touched: list[str]) -> None:
        self.executor.submit(self._run, outbox_ids, workspace_id, touched)

    def _later(self, seconds: float, run: Callable[..., None], *args: Any) -> None:
        timer: Cancellable | None = None

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            try:
                run(*args)
            except RuntimeError:  # the executor was shut down meanwhile: the outbox keeps the rows
                log.info("delivery.timer_after_shutdown")

        with self._lock:
            timer = self.start_timer(seconds, fire)
            self._timers.add(timer)

    def _run(self, outbox_ids: list[int], workspace_id: str, touched: list[str]) -> None:
        try:
            if outbox_ids:
                self.delivery.deliver(ids=outbox_ids, limit=len(outbox_ids))
            for user_id in touched:
                with self._lock:  # from here on a new change queues a new refresh
                    self._pending_homes.discard((workspace_id, user_id))
                    self._published_at[(workspace_id, user_id)] = self.monotonic()
                self.home.publish(workspace_id, user_id)
        except Exception as error:  # a bug here must not vanish silently with the thread
            self.on_error(error)
        finally:
            with self._lock:
                self._pending_homes.difference_update((workspace_id, u) for u in touched)

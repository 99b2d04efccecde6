"""After-commit delivery off the request path: the outbox rows a change queued, Home tab refreshes, wake-ups."""

from __future__ import annotations

import heapq
import logging
import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from time import monotonic
from typing import Any, Generic, Protocol, TypeVar

from bot.scheduler.delivery.sending import BATCH, Delivery
from bot.services.home import HomePublisher
from bot.services.ports import RetryLater

log = logging.getLogger(__name__)
T = TypeVar("T")

# A wake-up delivers rows due this soon; later ones are the scheduler's. Posts waiting for Slack's post budget fall
# due at most a minute apart (places free as calls leave its sliding minute), so a backlog's wake-ups chain.
LOOK_AHEAD_SECONDS = 90.0
MIN_WAKE_SECONDS = 0.1  # never a busy loop when a due row is held by another deliverer
IDLE_WAKE_SECONDS = 1.0  # due rows left by a claim with room, with nothing saying when they could go: look again
HOME_RETRY_SECONDS = 5.0  # a Home tab refresh Slack could not take is tried again this much later at the least
# Wake-ups for paced rows fall on this grid (seconds, rounded up): the rows of many conversations falling due
# within one step are claimed and sent by one delivery, not one delivery (and claim) each.
WAKE_GRID_SECONDS = 0.01  # small: a late wake-up delays every later message of a busy conversation by as much
# While a post budget is too tight for a claim, wake-ups fall on this grid instead: its places free about every 0.2 s,
# and a claim per place, each placing the posts committed since behind the backlog, cost more than the second a post
# may wait on top of its place.
TIGHT_WAKE_GRID_SECONDS = 1.0
TIGHT_LOOK_SECONDS = 0.1  # how long whether a post budget is tight, or spent, is taken as known
ROWS_PER_CLAIM = 200  # outbox rows queued by commits that one delivery claims together


class Cancellable(Protocol):
    def cancel(self) -> None: ...


@dataclass
class _Recent(Generic[T]):
    """A value read again at most once in `TIGHT_LOOK_SECONDS` (monotonic), whichever thread asks."""

    value: T
    at: float = -math.inf
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, now: float, read: Callable[[], T]) -> T:
        with self.lock:
            if 0 <= now - self.at < TIGHT_LOOK_SECONDS:
                return self.value
        value = read()
        with self.lock:
            self.value, self.at = value, now
        return value


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
    # A wake-up's delivery submitted and not started yet: the wake-ups that come meanwhile (the executor busy with a
    # long claim) are served by it, not queued behind it to run back to back and claim nothing.
    _drain_waiting: bool = False
    _tight: _Recent[bool] = field(default_factory=lambda: _Recent(False))  # a post budget too tight for a claim
    _paused: _Recent[dict[str, float]] = field(default_factory=lambda: _Recent({}))  # spent ones: when each frees
    # Outbox rows queued by commits and not yet claimed (each with its workspace when the commit said it is a post),
    # and the deliveries submitted to take them: commits made while a delivery waits for the executor join it, so a
    # burst claims its rows together.
    _queued_ids: dict[int, str | None] = field(default_factory=dict)
    _row_runs: int = 0
    # One delivery at a time takes the rows commits queue: a burst's rows are claimed together, and the
    # executor's other thread stays free for Home tabs and wake-ups.
    max_row_runs: int = 1

    def __post_init__(self) -> None:
        if self.delivery is not None:
            # Rows paced behind another message to the same conversation are delivered when due.
            self.delivery.on_paced = self.wake_after

    def deliver(
        self, outbox_ids: Sequence[int], *, workspace_id: str, touched: Sequence[str] = (), posts: bool = False
    ) -> None:
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
            self._later(wait, self._submit, workspace_id, [user_id])
        if outbox_ids:
            paused = self._posts_paused(workspace_id, now) if posts else 0.0
            if paused > 0:
                # Posts to a workspace whose post budget is spent by Baton's own count cannot go before it frees: they
                # stay due for the delivery that wakes then, with the backlog (as a delivery would leave them, after a
                # hand-over to its thread and two reads of the budget: 0.3 ms of CPU a /task past the budget).
                self.wake_after(paused)
            else:
                self._queue_rows(outbox_ids, workspace_id if posts else None)
        if homes:
            self._submit(workspace_id, homes)

    def deliver_home_later(self, workspace_id: str, user_id: str, seconds: float) -> None:
        """Publish someone's Home tab again after `seconds` (a refresh Slack could not take now). One refresh
        waits per person: the changes made meanwhile are shown by it, so refreshes do not multiply."""
        with self._lock:
            if (workspace_id, user_id) in self._pending_homes:
                return
            self._pending_homes.add((workspace_id, user_id))
        self._later(seconds, self._submit, workspace_id, [user_id])

    def wake_after(self, seconds: float) -> None:
        """Deliver again once paced rows are due. The moments wait in a heap behind one timer, set for
        the earliest; each wake-up runs one delivery and sets the timer for the next moment. While a post budget is
        too tight for a claim, posts go as its places free (about one each 0.2 s), and the wake-ups fall on a coarser
        grid (`TIGHT_WAKE_GRID_SECONDS`): each claim places the posts committed since behind the backlog, which costs
        more than a post waiting for its place may lose to the wait."""
        now = self.monotonic()
        grid = TIGHT_WAKE_GRID_SECONDS if self._budget_tight(now) else WAKE_GRID_SECONDS
        at = max(now, math.ceil((now + seconds) / grid - 1e-9) * grid)
        seconds = at - now
        with self._lock:
            heapq.heappush(self._wakes, at)
            if self._wake_timer_at is not None and self._wake_timer_at <= at:
                return
            self._wake_timer_at = at
        self._later(seconds, self._wake, at)

    def _budget_tight(self, now: float) -> bool:
        """`Delivery.budget_tight`, looked at most once in `TIGHT_LOOK_SECONDS` (every commit asks for a wake-up
        while a budget is spent, and each look reads the budget's shared file)."""
        if self.delivery is None:
            return False
        return self._tight.get(now, self.delivery.budget_tight)

    def _posts_paused(self, workspace_id: str, now: float) -> float:
        """Seconds until the workspace's post budget frees where Baton's own count says it is spent (0: it is not),
        the budgets looked at most once in `TIGHT_LOOK_SECONDS`."""
        if self.delivery is None:
            return 0.0
        delivery = self.delivery
        until = self._paused.get(now, lambda: {ws: now + s for ws, s in delivery.posts_paused().items()})
        return until.get(workspace_id, now) - now

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
            submit, self._drain_waiting = not self._drain_waiting, True
        if submit:
            self.executor.submit(self._drain)
        if following is not None:
            self._later(max(0.0, following - until), self._wake, following)

    def _drain(self) -> None:
        with self._lock:
            self._drain_waiting = False
        try:
            done = self.delivery.deliver()  # every due row; what is still paced asks for the next wake-up
            # Rows held back elsewhere (a `baton tick`, another replica that stopped) fall due too:
            # wake for the next one if it is near, else the scheduler's next pass takes it.
            seconds = self.delivery.next_due_in()
            if seconds is not None and seconds <= 0 and done.conversations < BATCH:
                # Due, yet not taken by a claim that had room: posts that must wait for a place in the post budget
                # (commands queue them due; the next claim gives them places behind those already given), or rows
                # committed since, which their commit delivers. Waking before a place frees or a row falls due
                # would claim nothing, again and again: a stream of /task past the budget kept each worker draining
                # 25 times a second, and with a backlog given places, ten times a second, each drain placing the
                # whole backlog anew (30-80 ms of CPU each).
                seconds = self._next_claim_in()
            if seconds is not None and seconds <= LOOK_AHEAD_SECONDS:
                self.wake_after(max(seconds, MIN_WAKE_SECONDS))
        except Exception as error:
            self.on_error(error)

    def _next_claim_in(self) -> float:
        """When a claim could next take something, the due rows it left aside apart: the soonest of a spent post
        budget freeing and a row not due yet falling due (at most the look-ahead: a long 429 still leaves a
        wake-up); `IDLE_WAKE_SECONDS` when neither says."""
        waits = (self.delivery.post_budget_wait(), self.delivery.next_due_in(not_yet_due=True))
        return min(min((s for s in waits if s is not None and s > 0), default=IDLE_WAKE_SECONDS), LOOK_AHEAD_SECONDS)

    def _submit(self, workspace_id: str, touched: list[str]) -> None:
        self.executor.submit(self._publish, workspace_id, touched)

    def _queue_rows(self, outbox_ids: Sequence[int], posts_in: str | None) -> None:
        """Queue a commit's outbox rows (`posts_in`: the workspace, when every row is a post); a delivery is
        submitted unless one already waits or runs to take them."""
        with self._lock:
            self._queued_ids.update(dict.fromkeys(outbox_ids, posts_in))
            if self._row_runs >= self.max_row_runs:
                return
            self._row_runs += 1
        self._submit_rows()

    def _submit_rows(self) -> None:
        try:
            self.executor.submit(self._send_queued)
        except RuntimeError:  # shut down: the outbox keeps the rows for the next pass
            with self._lock:
                self._row_runs -= 1
            raise

    def _send_queued(self) -> None:
        """Claim and send the rows commits queued until now, together. What is queued meanwhile is taken by
        another delivery submitted behind the work already waiting (Home refreshes, wake-ups), never by a loop
        that would keep the executor's threads to itself under a steady stream of commands."""
        with self._lock:
            ids = list(self._queued_ids)[:ROWS_PER_CLAIM]
            posts = {outbox_id: workspace_id for outbox_id in ids if (workspace_id := self._queued_ids.pop(outbox_id))}
        try:
            if ids:
                self.delivery.deliver(ids=ids, limit=len(ids), posts=posts)
        except Exception as error:  # a bug here must not vanish silently with the thread
            self.on_error(error)
        finally:
            with self._lock:
                again = bool(self._queued_ids)
                if not again:
                    self._row_runs -= 1
            if again:
                self._submit_rows()

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

    def _publish(self, workspace_id: str, touched: list[str]) -> None:
        retry: list[tuple[str, float]] = []
        try:
            for user_id in touched:
                with self._lock:  # from here on a new change queues a new refresh
                    self._pending_homes.discard((workspace_id, user_id))
                    self._published_at[(workspace_id, user_id)] = self.monotonic()
                outcome = self.home.publish(workspace_id, user_id)
                if isinstance(outcome, RetryLater):
                    # Over Slack's budget (or a 429): the refresh waits its turn rather than being dropped,
                    # so the Home tab does not show stale tasks until the next change.
                    retry.append((user_id, outcome.after_seconds or HOME_RETRY_SECONDS))
        except Exception as error:  # a bug here must not vanish silently with the thread
            self.on_error(error)
        finally:
            with self._lock:
                self._pending_homes.difference_update((workspace_id, u) for u in touched)
        for user_id, seconds in retry:
            self.deliver_home_later(workspace_id, user_id, seconds)

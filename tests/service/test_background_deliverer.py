"""After a commit, Home tabs are refreshed off the request path, once per burst of changes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from typing import Any

import pytest

from bot.scheduler.delivery.background import IDLE_WAKE_SECONDS, LOOK_AHEAD_SECONDS, BackgroundDeliverer
from bot.scheduler.delivery.sending import BATCH
from bot.scheduler.delivery.summary import DeliverySummary
from bot.services.ports import RetryLater


class HeldExecutor(Executor):
    """Keeps submitted jobs until the test runs them: a busy thread pool, made visible."""

    def __init__(self) -> None:
        self.jobs: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs.append(lambda: fn(*args, **kwargs))
        return Future()

    def run_all(self) -> None:
        jobs, self.jobs = self.jobs, []
        for job in jobs:
            job()


class RecordingHome:
    def __init__(self) -> None:
        self.published: list[tuple[str, str]] = []

    def publish(self, workspace_id: str, user_id: str) -> bool:
        self.published.append((workspace_id, user_id))
        return True


def _deliverer() -> tuple[BackgroundDeliverer, HeldExecutor, RecordingHome]:
    executor, home = HeldExecutor(), RecordingHome()
    deliverer = BackgroundDeliverer(delivery=None, home=home, executor=executor)  # type: ignore[arg-type]
    return deliverer, executor, home


def test_a_burst_of_changes_publishes_each_home_once() -> None:
    deliverer, executor, home = _deliverer()

    for _ in range(3):
        deliverer.deliver([], workspace_id="T1", touched=["U1", "U2"])
    executor.run_all()

    assert sorted(home.published) == [("T1", "U1"), ("T1", "U2")]


def test_a_change_after_the_refresh_ran_publishes_again() -> None:
    deliverer, executor, home = _deliverer()

    deliverer.deliver([], workspace_id="T1", touched=["U1"])
    executor.run_all()
    deliverer.deliver([], workspace_id="T1", touched=["U1"])
    executor.run_all()

    assert home.published == [("T1", "U1"), ("T1", "U1")]


def test_the_same_person_in_two_workspaces_is_two_homes() -> None:
    deliverer, executor, home = _deliverer()

    deliverer.deliver([], workspace_id="T1", touched=["U1"])
    deliverer.deliver([], workspace_id="T2", touched=["U1"])
    executor.run_all()

    assert sorted(home.published) == [("T1", "U1"), ("T2", "U1")]


class FakeTimers:
    """Timers the test fires by hand: (seconds, callable) in the order they were started."""

    def __init__(self) -> None:
        self.started: list[tuple[float, Callable[[], None]]] = []
        self.cancelled = 0

    def __call__(self, seconds: float, run: Callable[[], None]) -> FakeTimers:
        self.started.append((seconds, run))
        return self

    def cancel(self) -> None:
        self.cancelled += 1

    def fire_all(self) -> None:
        started, self.started = self.started, []
        for _, run in started:
            run()


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_home_tab_is_published_at_most_once_per_interval_and_the_last_change_is_not_lost() -> None:
    executor, home, timers, ticks = HeldExecutor(), RecordingHome(), FakeTimers(), Ticks()
    deliverer = BackgroundDeliverer(
        delivery=None,  # type: ignore[arg-type]
        home=home,
        executor=executor,
        home_interval_seconds=2.0,
        monotonic=ticks,
        start_timer=timers,
    )
    deliverer.deliver([], workspace_id="T1", touched=["U1"])
    executor.run_all()
    assert home.published == [("T1", "U1")]

    ticks.now += 0.5
    for _ in range(5):  # a burst half a second later: one refresh, when the interval is up
        deliverer.deliver([], workspace_id="T1", touched=["U1"])
    executor.run_all()
    assert home.published == [("T1", "U1")]
    assert [seconds for seconds, _ in timers.started] == [1.5]

    ticks.now += 1.5
    timers.fire_all()
    executor.run_all()
    assert home.published == [("T1", "U1"), ("T1", "U1")]


def test_close_cancels_the_refreshes_still_waiting() -> None:
    executor, home, timers, ticks = HeldExecutor(), RecordingHome(), FakeTimers(), Ticks()
    deliverer = BackgroundDeliverer(
        delivery=None,  # type: ignore[arg-type]
        home=home,
        executor=executor,
        home_interval_seconds=2.0,
        monotonic=ticks,
        start_timer=timers,
    )
    deliverer.deliver([], workspace_id="T1", touched=["U1"])
    executor.run_all()
    deliverer.deliver([], workspace_id="T1", touched=["U1"])
    deliverer.close()
    assert timers.cancelled == 1


class RefusingHome(RecordingHome):
    """A Home publisher over Slack's views.publish budget: every refresh is held back for `wait` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__()
        self.wait = wait

    def publish(self, workspace_id: str, user_id: str) -> Any:
        self.published.append((workspace_id, user_id))
        return RetryLater("throttled", after_seconds=self.wait, attempted=False)


def test_refreshes_slack_cannot_take_wait_as_one_per_person_however_many_changes_come() -> None:
    executor, home, timers = HeldExecutor(), RefusingHome(wait=30.0), FakeTimers()
    deliverer = BackgroundDeliverer(delivery=None, home=home, executor=executor, start_timer=timers)  # type: ignore[arg-type]

    deliverer.deliver([], workspace_id="T1", touched=["U1", "U2"])
    executor.run_all()
    assert [seconds for seconds, _ in timers.started] == [30.0, 30.0]  # one retry each

    for _ in range(10):  # changes while the retries wait: the waiting refresh will show them
        deliverer.deliver([], workspace_id="T1", touched=["U1", "U2"])
        executor.run_all()
    assert len(timers.started) == 2
    assert len(home.published) == 2

    for _ in range(3):  # each retry refused again: still one waiting per person, never more
        timers.fire_all()
        executor.run_all()
        assert len(timers.started) == 2
    assert len(home.published) == 2 + 3 * 2

    home.wait = 0.0
    home.publish = RecordingHome.publish.__get__(home)  # type: ignore[method-assign]
    timers.fire_all()
    executor.run_all()
    assert timers.started == []  # published: nothing waits any more
    deliverer.deliver([], workspace_id="T1", touched=["U1"])
    executor.run_all()
    assert home.published[-1] == ("T1", "U1")


class RecordingDelivery:
    """Delivery's surface the deliverer uses: what each delivery was asked to claim."""

    def __init__(self) -> None:
        self.claims: list[list[int]] = []
        self.posts: list[dict[int, str]] = []  # what each delivery was told are posts, with their workspace
        self.on_paced: Callable[[float], None] | None = None

    def deliver(
        self, *, ids: list[int] | None = None, limit: int = 100, posts: Mapping[int, str] | None = None
    ) -> DeliverySummary:
        assert ids is not None and limit == len(ids)
        self.claims.append(list(ids))
        self.posts.append(dict(posts or {}))
        return DeliverySummary()

    def next_due_in(self, *, not_yet_due: bool = False) -> float | None:
        return None

    def post_budget_wait(self) -> float:
        return 0.0

    tight = False  # a post budget too tight for a claim
    paused: dict[str, float] = {}  # noqa: RUF012 - spent post budgets (a test sets its own)

    def posts_paused(self) -> dict[str, float]:
        return self.paused

    def budget_tight(self) -> bool:
        return self.tight


def _with_delivery(**kwargs: Any) -> tuple[BackgroundDeliverer, HeldExecutor, RecordingDelivery]:
    executor, delivery = HeldExecutor(), RecordingDelivery()
    deliverer = BackgroundDeliverer(delivery=delivery, home=RecordingHome(), executor=executor, **kwargs)  # type: ignore[arg-type]
    return deliverer, executor, delivery


def test_rows_committed_while_a_delivery_waits_for_a_thread_are_claimed_with_it() -> None:
    deliverer, executor, delivery = _with_delivery(max_row_runs=1)
    for outbox_id in (11, 12, 13):
        deliverer.deliver([outbox_id], workspace_id="T1")
    assert len(executor.jobs) == 1  # one delivery waits; the later commits joined it
    executor.run_all()
    assert delivery.claims == [[11, 12, 13]]
    assert executor.jobs == []  # nothing was left to take

    deliverer.deliver([14], workspace_id="T1")  # after it ran, a commit gets a delivery of its own
    executor.run_all()
    assert delivery.claims == [[11, 12, 13], [14]]


def test_rows_a_commit_named_as_posts_reach_the_delivery_with_their_workspace() -> None:
    deliverer, executor, delivery = _with_delivery(max_row_runs=1)
    deliverer.deliver([1, 2], workspace_id="T1", posts=True)
    deliverer.deliver([3], workspace_id="T2")  # not said: its kind is read if it matters
    deliverer.deliver([4], workspace_id="T2", posts=True)
    executor.run_all()
    assert delivery.claims == [[1, 2, 3, 4]]
    assert delivery.posts == [{1: "T1", 2: "T1", 4: "T2"}]


def test_deliveries_in_flight_are_bounded_and_rows_queued_meanwhile_go_behind_other_work() -> None:
    deliverer, executor, delivery = _with_delivery(max_row_runs=2)
    deliverer.deliver([1], workspace_id="T1")
    deliverer.deliver([2], workspace_id="T1")
    deliverer.deliver([3], workspace_id="T1", touched=["U1"])  # two deliveries wait: no third
    assert len(executor.jobs) == 3  # two deliveries and a Home refresh
    first, *rest = executor.jobs
    executor.jobs = rest
    first()  # takes every row queued so far
    assert delivery.claims == [[1, 2, 3]]
    deliverer.deliver([4], workspace_id="T1")  # one delivery still waits: this row joins it
    executor.run_all()
    assert delivery.claims == [[1, 2, 3], [4]]
    assert executor.jobs == []


def test_a_burst_larger_than_one_claim_is_split_and_the_rest_resubmitted() -> None:
    from bot.scheduler.delivery.background import ROWS_PER_CLAIM

    deliverer, executor, delivery = _with_delivery(max_row_runs=1)
    deliverer.deliver(list(range(ROWS_PER_CLAIM + 5)), workspace_id="T1")
    executor.run_all()
    assert [len(c) for c in delivery.claims] == [ROWS_PER_CLAIM]
    assert len(executor.jobs) == 1  # the rest waits behind anything submitted meanwhile
    executor.run_all()
    assert [len(c) for c in delivery.claims] == [ROWS_PER_CLAIM, 5]
    assert sorted(i for c in delivery.claims for i in c) == list(range(ROWS_PER_CLAIM + 5))


def _on_timers(delivery: RecordingDelivery) -> tuple[BackgroundDeliverer, FakeTimers, Ticks, HeldExecutor]:
    """A deliverer whose timers and clock the test runs by hand."""
    timers, ticks, executor = FakeTimers(), Ticks(), HeldExecutor()
    deliverer = BackgroundDeliverer(
        delivery=delivery,  # type: ignore[arg-type]
        home=RecordingHome(),  # type: ignore[arg-type]
        executor=executor,
        start_timer=timers,
        monotonic=ticks,
    )
    return deliverer, timers, ticks, executor


def test_paced_wake_ups_falling_in_one_grid_step_share_one_delivery() -> None:
    from bot.scheduler.delivery.background import WAKE_GRID_SECONDS

    delivery = RecordingDelivery()
    deliverer, timers, ticks, executor = _on_timers(delivery)
    drained: list[float] = []
    delivery.deliver = lambda **_: drained.append(ticks.now)  # type: ignore[method-assign]
    step = WAKE_GRID_SECONDS
    for seconds in (1 + step / 5, 1 + step / 2, 1 + step * 4 / 5):  # three moments inside one step of the grid
        deliverer.wake_after(seconds)
    assert [round(s, 6) for s, _ in timers.started] == [round(1 + step, 6)]  # rounded up onto the grid, one timer
    ticks.now += 1 + step
    timers.fire_all()
    executor.run_all()
    assert drained == [ticks.now]
    assert timers.started == []  # every moment was served by that one wake-up


def test_a_wake_up_chains_to_the_next_row_due_within_the_look_ahead_and_leaves_later_ones_to_the_scheduler() -> None:
    """Posts waiting for the post budget fall due up to a minute apart (the budget's sliding minute): each wake-up
    sets the next, so a backlog drains without the scheduler; a row due later than the look-ahead is the pass's."""
    from bot.scheduler.delivery.background import LOOK_AHEAD_SECONDS

    delivery = RecordingDelivery()
    deliverer, timers, ticks, executor = _on_timers(delivery)
    due_in = [60.0, LOOK_AHEAD_SECONDS + 1]
    delivery.deliver = lambda **_: None  # type: ignore[method-assign]
    delivery.next_due_in = lambda: due_in.pop(0)  # type: ignore[method-assign]
    deliverer.wake_after(1.0)
    ticks.now += 1.0
    timers.fire_all()
    executor.run_all()
    assert [round(s, 6) for s, _ in timers.started] == [60.0]  # the next post, a minute on
    ticks.now += 60.0
    timers.fire_all()
    executor.run_all()
    assert timers.started == [] and due_in == []


@pytest.mark.parametrize("tight", [False, True])
def test_wake_ups_fall_on_the_budgets_grid_while_a_post_budget_is_too_tight_for_a_claim(tight: bool) -> None:
    """Places in a tight budget free about every 0.2 s; a wake-up for each would place the posts committed since
    behind the backlog five times a second. While it is tight, wake-ups in one second of the budget's grid share one
    delivery; otherwise they keep the fine grid (a busy conversation's messages a second apart)."""
    delivery = RecordingDelivery()
    delivery.tight = tight
    deliverer, timers, ticks, executor = _on_timers(delivery)
    ticks.now = 100.0
    for seconds in (0.2, 0.4, 0.6):
        deliverer.wake_after(seconds)
    started = [round(s, 6) for s, _ in timers.started]
    assert started == ([1.0] if tight else [0.2])
    ticks.now += started[0]
    timers.fire_all()
    assert len(executor.jobs) == 1
    assert [round(s, 6) for s, _ in timers.started] == ([] if tight else [0.2])  # the next moment: none, or 0.4


def test_posts_committed_while_their_budget_is_spent_wait_for_it_without_a_delivery() -> None:
    """Commands past the post budget: their posts cannot go before it frees, so no delivery is handed them (a thread
    and two reads of the budget a command); the wake-up when it frees takes them. Rows not known to be posts, and
    posts to another workspace, are delivered as ever; so are posts once the budget frees (looked at again a tenth
    of a second on)."""
    from bot.scheduler.delivery.background import TIGHT_LOOK_SECONDS

    delivery = RecordingDelivery()
    delivery.paused = {"T1": 3.0}
    deliverer, timers, ticks, executor = _on_timers(delivery)
    deliverer.deliver([1], workspace_id="T1", posts=True)
    deliverer.deliver([2], workspace_id="T1", posts=True)
    assert executor.jobs == [], "no delivery for posts that cannot go"
    assert [round(s, 6) for s, _ in timers.started] == [3.0], "one wake-up, when the budget frees"
    deliverer.deliver([3], workspace_id="T1")
    deliverer.deliver([4], workspace_id="T2", posts=True)
    executor.run_all()
    assert delivery.claims == [[3, 4]]
    delivery.paused = {}
    ticks.now += 2 * TIGHT_LOOK_SECONDS
    deliverer.deliver([5], workspace_id="T1", posts=True)
    executor.run_all()
    assert delivery.claims == [[3, 4], [5]]


def test_wake_ups_that_come_while_a_delivery_waits_for_the_executor_are_served_by_it() -> None:
    """The executor busy with a long claim: the wake-ups that fire meanwhile do not queue deliveries that would run
    back to back, claiming nothing; the one waiting serves them, and a wake-up after it started submits another."""
    delivery = RecordingDelivery()
    deliverer, timers, ticks, executor = _on_timers(delivery)
    drained: list[float] = []
    delivery.deliver = lambda **_: drained.append(ticks.now) or DeliverySummary()  # type: ignore[method-assign,func-returns-value]
    for seconds in (1.0, 2.0, 3.0):
        deliverer.wake_after(seconds)
    for _ in range(3):
        ticks.now += 1.0
        timers.fire_all()
    assert len(executor.jobs) == 1, "one delivery waiting serves the three wake-ups"
    executor.run_all()
    assert drained == [ticks.now]
    deliverer.wake_after(1.0)
    ticks.now += 1.0
    timers.fire_all()
    executor.run_all()
    assert len(drained) == 2, "a wake-up after the delivery started gets one of its own"


@pytest.mark.parametrize(
    ("claimed", "budget_wait", "coming", "woken_after"),
    [
        (0, 3.0, None, 3.0),  # posts due now, the post budget spent for 3 s: the next wake-up is when a place frees
        (0, 3.0, 1.5, 1.5),  # ... unless a row given a place (or put back for its turn) falls due before
        (0, 0.0, 0.7, 0.7),  # places given to a backlog: its next post's place, not a look every 0.1 s
        (0, 0.0, None, IDLE_WAKE_SECONDS),  # nothing says when: look again in a while
        (BATCH, 3.0, None, None),  # a full claim: more may be waiting behind it, whatever the budget
        (0, 300.0, None, LOOK_AHEAD_SECONDS),  # a long 429: still a wake-up, at the look-ahead's end
    ],
)
def test_a_wake_up_that_left_rows_due_looks_again_when_they_can_go(
    claimed: int, budget_wait: float, coming: float | None, woken_after: float | None
) -> None:
    """A drain that leaves rows due it did not take: when its claim had room, those are posts waiting for a place in
    the post budget (a stream of /task queues them due), and waking before a place frees or a row given a place falls
    due claims nothing, again and again, each drain placing the backlog anew; a full claim left more behind: look
    again soon."""
    from bot.scheduler.delivery.background import MIN_WAKE_SECONDS

    delivery = RecordingDelivery()
    deliverer, timers, ticks, executor = _on_timers(delivery)
    delivery.deliver = lambda **_: DeliverySummary(conversations=claimed)  # type: ignore[method-assign]
    delivery.next_due_in = lambda *, not_yet_due=False: coming if not_yet_due else -0.5  # type: ignore[method-assign]
    delivery.post_budget_wait = lambda: budget_wait  # type: ignore[method-assign]
    deliverer.wake_after(1.0)
    ticks.now += 1.0
    timers.fire_all()
    executor.run_all()
    assert [round(s, 6) for s, _ in timers.started] == [woken_after or MIN_WAKE_SECONDS]

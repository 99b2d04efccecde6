"""A delivery's bookkeeping: how many write transactions a batch takes, and that the next message's try is
counted with the last one's mark only when it goes at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, update

from bot.domain.model import Message, OutboxState, SentMessage
from bot.scheduler.delivery.sending import Delivery
from bot.scheduler.pacing import Pacer
from bot.services.ports import SendOutcome, Sent
from storage.db import make_session_factory
from storage.models import OutboxMessage
from storage.uow import UnitOfWorkFactory
from tests.fakes.clock import FakeClock
from tests.helpers import ensure_workspaces, outbox_in, task_row

WS = "T0TX"
CHANNELS = ("C01", "C02", "C03")
LEASE = timedelta(minutes=2)


class Sender:
    """Posts every message at once; `during_post` runs inside each post (another thread, a SIGTERM)."""

    def __init__(self) -> None:
        self.posted: list[str] = []
        self.during_post: Callable[[str], None] = lambda channel: None

    def post_wait(self, workspace_id: str) -> float:
        return 0.0

    def paused_posts(self) -> dict[str, float]:
        return {}

    def posts_held(self) -> set[str]:
        return set()

    def post_room(self) -> dict[str, int]:
        return {}

    def post_moments(self, workspace_id: str, count: int) -> list[float]:
        return [0.0] * count

    def post_message(
        self, workspace_id: str, channel: str, message: Message, *, dedupe_keys: Sequence[str]
    ) -> SendOutcome:
        self.during_post(channel)
        self.posted.append(channel)
        return Sent(channel=channel, ts=f"{len(self.posted)}.000100")


def _render(message: SentMessage, *, now: datetime) -> Message:
    return Message(text="kudos")


@pytest.fixture
def uow_factory(sqlite_engine: Engine) -> UnitOfWorkFactory:
    """Readers begin deferred, writers IMMEDIATE, as `baton serve` has them."""
    return UnitOfWorkFactory(make_session_factory(sqlite_engine), make_session_factory(sqlite_engine, read_only=True))


@pytest.fixture
def begins(sqlite_engine: Engine) -> list[str]:
    """The write transactions begun (BEGIN IMMEDIATE), from when the test clears it."""
    seen: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            seen.append(statement)

    return seen


def _delivery(uow_factory: UnitOfWorkFactory, sender: Sender, pacer: Pacer | None = None) -> Delivery:
    clock = FakeClock()
    ensure_workspaces(uow_factory, WS, now=clock.now())
    with uow_factory() as uow:
        for channel in CHANNELS:
            uow.outbox.add(WS, dedupe_key=f"kudos:{channel}", kind="kudos", recipient_id=channel, now=clock.now())
        uow.commit()
    return Delivery(uow=uow_factory, clock=clock, sender=sender, render=_render, pacer=pacer)  # type: ignore[arg-type]


def test_a_batch_renews_each_next_message_with_the_last_ones_mark(
    uow_factory: UnitOfWorkFactory, begins: list[str]
) -> None:
    sender = Sender()
    delivery = _delivery(uow_factory, sender)
    begins.clear()

    summary = delivery.deliver()

    assert summary.sent == 3
    assert sender.posted == list(CHANNELS)
    # The claim (renewing the first message), then one mark per message (each but the last renewing the next).
    assert len(begins) == 1 + len(CHANNELS)
    rows = outbox_in(uow_factory)
    assert {(r.state, r.attempts, r.lease_until) for r in rows} == {("sent", 1, None)}
    assert all(r.first_tried_at is not None and r.sent_at is not None for r in rows)


def test_a_commits_message_that_goes_at_once_takes_two_write_transactions(
    uow_factory: UnitOfWorkFactory, begins: list[str]
) -> None:
    """The claim counts its try (renews it) in the claim's own transaction; then the mark."""
    sender = Sender()
    delivery = _delivery(uow_factory, sender, Pacer())
    first = min(r.id for r in outbox_in(uow_factory))
    begins.clear()

    summary = delivery.deliver(ids=[first])

    assert (summary.sent, sender.posted, len(begins)) == (1, ["C01"], 2)
    row = next(r for r in outbox_in(uow_factory) if r.id == first)
    assert (row.state, row.attempts, row.lease_until) == ("sent", 1, None)
    assert row.first_tried_at is not None


def test_a_message_whose_conversation_got_a_post_meanwhile_is_put_back_untried(
    uow_factory: UnitOfWorkFactory,
) -> None:
    sender, pacer = Sender(), Pacer()
    delivery = _delivery(uow_factory, sender, pacer)

    def another_thread_posts_to_c02(channel: str) -> None:
        if channel == "C01":
            pacer.posted(WS, "C02")

    sender.during_post = another_thread_posts_to_c02

    delivery.deliver()

    assert sender.posted == ["C01", "C03"]
    rows = {r.recipient_id: r for r in outbox_in(uow_factory)}
    assert (rows["C02"].state, rows["C02"].attempts, rows["C02"].first_tried_at) == ("pending", 0, None)
    assert (rows["C03"].state, rows["C03"].attempts) == ("sent", 1)


def test_a_stop_during_a_post_releases_the_messages_after_it_untried(uow_factory: UnitOfWorkFactory) -> None:
    sender = Sender()
    delivery = _delivery(uow_factory, sender)

    def sigterm(channel: str) -> None:
        delivery.stop(timeout=0)

    sender.during_post = sigterm
    started = FakeClock().now()

    delivery.deliver()

    assert sender.posted == ["C01"]
    rows = {r.recipient_id: r for r in outbox_in(uow_factory)}
    assert (rows["C01"].state, rows["C01"].attempts) == ("sent", 1)
    for channel in ("C02", "C03"):
        assert (rows[channel].state, rows[channel].attempts, rows[channel].first_tried_at) == ("pending", 0, None)
        assert rows[channel].lease_until is None
        assert rows[channel].not_before - started < timedelta(seconds=1)


def test_marking_rows_sent_records_the_message_once_for_rows_still_held_and_the_tasks_assignment_dm(
    uow_factory: UnitOfWorkFactory,
) -> None:
    now = FakeClock().now()
    ensure_workspaces(uow_factory, WS, now=now)
    with uow_factory() as uow:
        task, other = task_row(WS, 1, now=now), task_row(WS, 2, now=now)
        uow.session.add_all([task, other])
        uow.session.flush()
        task_id, other_id = task.id, other.id
        for n, about in enumerate((task_id, other_id)):
            uow.outbox.add(
                WS, dedupe_key=f"assign:{n}", kind="assignment", recipient_id="U0ALICE", task_id=about, now=now
            )
        uow.commit()
    with uow_factory() as uow:
        claimed = uow.outbox.claim(now=now, limit=10, lease=LEASE)
        uow.commit()
    held = now + LEASE
    assert {row.lease_until for row in claimed} == {held}
    with uow_factory() as uow:  # another deliverer took the second row over after our lease ran out
        uow.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == claimed[1].id).values(lease_until=held + LEASE)
        )
        uow.commit()

    with uow_factory() as uow:
        ours = uow.outbox.settle(
            [row.id for row in claimed],
            held_until=held,
            state=OutboxState.SENT,
            channel="D0ALICE",
            ts="1.000100",
            sent_at=now,
        )
        uow.outbox.remember_assignment_dm(WS, [task_id], channel="D0ALICE", ts="1.000100")
        uow.commit()

    assert ours == {claimed[0].id}
    first, second = outbox_in(uow_factory)
    assert (first.state, first.channel_id, first.ts, first.sent_at, first.lease_until) == (
        "sent",
        "D0ALICE",
        "1.000100",
        now,
        None,
    )
    assert (second.state, second.ts, second.lease_until) == ("sending", None, held + LEASE)
    with uow_factory() as uow:
        stored = {
            t.id: (t.assignment_channel_id, t.assignment_ts) for t in uow.tasks.many(WS, [task_id, other_id]).values()
        }
    assert stored == {task_id: ("D0ALICE", "1.000100"), other_id: (None, None)}


class OverBudget(Sender):
    """Slack's chat.postMessage budget in WS is spent for the next 3 s."""

    def post_wait(self, workspace_id: str) -> float:
        return 3.0 if workspace_id == WS else 0.0

    def paused_posts(self) -> dict[str, float]:
        return {WS: 3.0}

    def post_room(self) -> dict[str, int]:
        return {WS: 0}

    def post_moments(self, workspace_id: str, count: int) -> list[float]:
        """A place every 0.2 s from 3 s on; `asked` keeps the count of each call."""
        self.asked.append(count)
        return [3.0 + 0.2 * n for n in range(count)]

    @property
    def asked(self) -> list[int]:
        return self.__dict__.setdefault("_asked", [])


def test_a_commits_posts_past_the_budget_are_left_due_without_a_write_and_a_wake_up_is_asked_for(
    uow_factory: UnitOfWorkFactory, begins: list[str]
) -> None:
    sender = OverBudget()
    delivery = _delivery(uow_factory, sender, Pacer())
    wakes: list[float] = []
    delivery.on_paced = wakes.append
    before = {r.id: (r.state, r.not_before) for r in outbox_in(uow_factory)}
    begins.clear()

    summary = delivery.deliver(ids=list(before), limit=len(before))

    assert begins == [], "no write transaction for rows that cannot go"
    assert sender.posted == []
    assert {r.id: (r.state, r.not_before) for r in outbox_in(uow_factory)} == before
    assert {(r.attempts, r.lease_until) for r in outbox_in(uow_factory)} == {(0, None)}
    assert (summary.paced, wakes) == (len(CHANNELS), [3.0])


def test_posts_the_commit_named_are_left_due_past_the_budget_without_reading_them(
    uow_factory: UnitOfWorkFactory, sqlite_engine: Engine
) -> None:
    """A /task names its rows as posts: past the budget they wait without a statement; rows not named are read
    for their kind (a refresh is a chat.update and would go)."""
    sender = OverBudget()
    delivery = _delivery(uow_factory, sender, Pacer())
    ids = sorted(r.id for r in outbox_in(uow_factory))
    statements: list[tuple[str, Any]] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement.split()[0], parameters))

    named = delivery.deliver(ids=ids, limit=len(ids), posts=dict.fromkeys(ids, WS))
    after_named, statements[:] = list(statements), []
    mixed = delivery.deliver(ids=ids, limit=len(ids), posts={ids[0]: WS})

    assert after_named == [], "no statement for rows the commit named as posts"
    assert statements == [("BEGIN", ()), ("SELECT", tuple(ids[1:]))], "one read, of the rows not named"
    assert (named.paced, mixed.paced, sender.posted) == (len(ids), len(ids), [])
    assert {(r.state, r.attempts, r.lease_until) for r in outbox_in(uow_factory)} == {(OutboxState.PENDING, 0, None)}


def test_a_delivery_past_the_budget_gives_each_due_post_its_place_in_the_budget_once(
    uow_factory: UnitOfWorkFactory, begins: list[str]
) -> None:
    """Each due post waits for its own place as the budget frees, in order; a second delivery finds nothing due
    to write; another workspace's budget is its own."""
    sender = OverBudget()
    delivery = _delivery(uow_factory, sender, Pacer())
    now = FakeClock().now()
    ensure_workspaces(uow_factory, "T0OTHER", now=now)
    with uow_factory() as uow:
        uow.outbox.add("T0OTHER", dedupe_key="elsewhere", kind="kudos", recipient_id="C01", now=now)
        uow.commit()

    summary = delivery.deliver()

    rows = {r.dedupe_key: r for r in outbox_in(uow_factory)}
    spread = [rows[f"kudos:{channel}"] for channel in CHANNELS]
    assert [r.not_before for r in spread] == [now + timedelta(seconds=s) for s in (3.0, 3.2, 3.4)]
    assert {r.budget_place for r in spread} == {True}, "each holds its place"
    assert {(r.state, r.attempts, r.lease_until) for r in spread} == {("pending", 0, None)}
    assert (rows["elsewhere"].state, sender.posted) == ("sent", ["C01"])
    assert (sender.asked, summary.wake_in_seconds) == ([3], 3.0)
    begins.clear()

    delivery.deliver()

    assert [r.not_before for r in outbox_in(uow_factory) if r.workspace_id == WS] == [r.not_before for r in spread]
    assert sender.asked == [3], "nothing due: nothing deferred again"


class FreePlaces(Sender):
    """`free` places in WS's budget now; the next ones from `first` s on, one every `step` s; once they are spent,
    Slack's budget says to wait `wait` s (what a post put back to wait for it would wait)."""

    def __init__(self, free: int, *, first: float, step: float = 0.2, wait: float | None = None) -> None:
        super().__init__()
        self.free, self.first, self.step = free, first, step
        self.wait = first if wait is None else wait

    def post_room(self) -> dict[str, int]:
        return {WS: max(0, self.free - len(self.posted))}

    def post_wait(self, workspace_id: str) -> float:
        return 0.0 if len(self.posted) < self.free else self.wait

    def paused_posts(self) -> dict[str, float]:
        return {} if len(self.posted) < self.free else {WS: self.wait}

    def post_moments(self, workspace_id: str, count: int) -> list[float]:
        return [0.0 if n < self.free else self.first + self.step * (n - self.free) for n in range(count)]


def one_free() -> FreePlaces:
    """One place free now, the next ones from 5 s on, one every 0.2 s."""
    return FreePlaces(1, first=5.0)


def _deferred_before(uow_factory: UnitOfWorkFactory, waiting: Sequence[tuple[str, float, bool]]) -> None:
    """Rows for (recipient, seconds from now) queued before the test's own, each deferred to a place in the budget
    before (True) or put back to wait its conversation's turn (False)."""
    now = FakeClock().now()
    ensure_workspaces(uow_factory, WS, now=now)
    with uow_factory() as uow:
        for n, (channel, seconds, deferred) in enumerate(waiting):
            row_id = uow.outbox.add(
                WS, dedupe_key=f"waiting:{n}", kind="kudos", recipient_id=channel, now=now,
                not_before=now + timedelta(seconds=seconds),
            )  # fmt: skip
            uow.session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(budget_place=deferred))
        uow.commit()


def test_due_posts_take_the_places_after_those_held_none_before_their_persons_earlier_posts(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Two posts deferred before hold the first two places; a post waiting its conversation's turn holds none. The
    due posts take the places after those, in order; C01's goes no earlier than C01's earlier post waiting (a
    person's messages keep their order), and the others are not held behind it."""
    _deferred_before(uow_factory, [("C09", 3.0, True), ("C01", 3.6, True), ("C03", 3.1, False)])
    sender = OverBudget()
    delivery = _delivery(uow_factory, sender, Pacer())
    now = FakeClock().now()

    delivery.deliver()

    rows = {r.dedupe_key: r for r in outbox_in(uow_factory)}
    assert sender.asked == [3 + 2], "a place for each due person and each one held"
    # Places at 3.0, 3.2, 3.4, ...: 3.0 and 3.2 are held; C01's post goes at 3.6 (its earlier one's moment), C02's and
    # C03's at the places left, 3.4 and 3.8.
    assert [rows[f"kudos:{channel}"].not_before for channel in CHANNELS] == [
        now + timedelta(seconds=3.6),
        now + timedelta(seconds=3.4),
        now + timedelta(seconds=3.8),
    ]
    assert {rows[f"kudos:{channel}"].budget_place for channel in CHANNELS} == {True}
    assert [rows[f"waiting:{n}"].not_before for n in range(3)] == [now + timedelta(seconds=s) for s in (3.0, 3.6, 3.1)]


def test_a_persons_places_go_to_their_posts_in_the_order_they_were_queued(uow_factory: UnitOfWorkFactory) -> None:
    """C01's post queued later holds the first place (3.0); C01's earlier post, due now (it lost its place to its
    conversation's turn, say), takes that place and the later one the place it would have had (3.4): the later one
    does not go first, and falling due it does not find the earlier one ahead of it and leave its place unused."""
    sender = OverBudget()
    delivery = _delivery(uow_factory, sender, Pacer())  # C01, C02, C03's posts, due now, queued first
    _deferred_before(uow_factory, [("C01", 3.0, True), ("C09", 3.2, True)])
    now = FakeClock().now()

    delivery.deliver()

    rows = {r.dedupe_key: r for r in outbox_in(uow_factory)}
    moments = {key: ((row.not_before - now).total_seconds(), row.budget_place) for key, row in rows.items()}
    assert moments == {
        "kudos:C01": (3.0, True),
        "waiting:0": (3.4, True),
        "waiting:1": (3.2, True),
        "kudos:C02": (3.6, True),
        "kudos:C03": (3.8, True),
    }


def test_a_post_whose_place_comes_goes_before_posts_queued_after_it(uow_factory: UnitOfWorkFactory) -> None:
    """A post deferred to a place that has come keeps it, though posts queued after it fell due earlier: the one
    free place is its, and the others take the next ones."""
    _deferred_before(uow_factory, [("C09", 0.0, True)])
    with uow_factory() as uow:
        uow.session.execute(update(OutboxMessage).values(not_before=FakeClock().now() - timedelta(seconds=2)))
        uow.session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "waiting:0").values(
            not_before=FakeClock().now()))  # fmt: skip
        uow.commit()
    sender = one_free()
    delivery = Delivery(uow=uow_factory, clock=FakeClock(), sender=sender, render=_render, pacer=Pacer())  # type: ignore[arg-type]
    ensure_workspaces(uow_factory, WS, now=FakeClock().now())
    with uow_factory() as uow:
        for channel in CHANNELS:
            uow.outbox.add(WS, dedupe_key=f"kudos:{channel}", kind="kudos", recipient_id=channel,
                           now=FakeClock().now() - timedelta(seconds=2))  # fmt: skip
        uow.commit()
    now = FakeClock().now()

    delivery.deliver()

    rows = {r.dedupe_key: r for r in outbox_in(uow_factory)}
    assert sender.posted == ["C09"]
    assert (rows["waiting:0"].state, rows["waiting:0"].budget_place) == (OutboxState.SENT, False)
    assert [rows[f"kudos:{c}"].not_before for c in CHANNELS] == [
        now + timedelta(seconds=5.0 + 0.2 * n) for n in range(3)
    ]


def test_a_persons_later_posts_waiting_their_turn_do_not_hold_back_their_due_one(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """C01's later posts, put back to wait their conversation's turn, are behind its due one: it takes the first
    place left, not one after them."""
    sender = OverBudget()
    delivery = _delivery(uow_factory, sender, Pacer())
    now = FakeClock().now()
    with uow_factory() as uow:
        for n in range(1, 4):
            uow.outbox.add(
                WS, dedupe_key=f"later:{n}", kind="kudos", recipient_id="C01", now=now,
                not_before=now + timedelta(seconds=n + 0.1),
            )  # fmt: skip
        uow.commit()

    delivery.deliver()

    rows = {r.dedupe_key: r.not_before for r in outbox_in(uow_factory)}
    assert [rows[f"kudos:{c}"] for c in CHANNELS] == [now + timedelta(seconds=3.0 + 0.2 * n) for n in range(3)]
    assert [rows[f"later:{n}"] for n in range(1, 4)] == [now + timedelta(seconds=n + 0.1) for n in range(1, 4)]


def test_a_claim_takes_only_the_posts_the_budget_has_places_for_and_gives_the_others_theirs(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Three due posts and two free places: two are claimed and sent; the third is never claimed (and put back to
    wait), it gets its place in the budget, written once."""
    sender = FreePlaces(2, first=5.0, wait=3.0)
    delivery = _delivery(uow_factory, sender, Pacer())
    now = FakeClock().now()

    summary = delivery.deliver()

    rows = {r.recipient_id: r for r in outbox_in(uow_factory)}
    assert (summary.conversations, sender.posted) == (2, list(CHANNELS[:2]))
    third = rows[CHANNELS[2]]
    assert (third.state, third.attempts, third.lease_until) == (OutboxState.PENDING, 0, None)
    assert third.not_before == now + timedelta(seconds=5), "its place in the budget, not a put-back's 3 s wait"
    assert summary.wake_in_seconds == 5.0


def test_a_persons_due_posts_share_one_place_in_the_budget(uow_factory: UnitOfWorkFactory) -> None:
    """Three due rows for C01 (one message where they bundle, paced behind it where not) take one place, not three:
    the places asked for are one per person, and each person's rows wait for theirs together."""
    sender = OverBudget()
    delivery = _delivery(uow_factory, sender, Pacer())
    now = FakeClock().now()
    with uow_factory() as uow:
        for n in range(2):
            uow.outbox.add(WS, dedupe_key=f"more:{n}", kind="kudos", recipient_id="C01", now=now)
        uow.commit()

    delivery.deliver()

    at = {r.dedupe_key: r.not_before for r in outbox_in(uow_factory)}
    assert sender.asked == [len(CHANNELS)], "one place per person"
    assert at["kudos:C01"] == at["more:0"] == at["more:1"] == now + timedelta(seconds=3.0)
    assert [at[f"kudos:{c}"] for c in CHANNELS] == [now + timedelta(seconds=3.0 + 0.2 * n) for n in range(3)]


def test_due_posts_take_the_places_free_now_ahead_of_posts_waiting_for_later_moments(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """After a burst, 50 people each have 20 posts paced a second apart; posts that fall due for three others
    while the budget has places free now go now: a post waiting for a later moment holds a place at or after its
    moment, not one free before it (else every due post waits behind them all, and the free places go unused)."""
    sender = FreePlaces(10, first=30.0, step=0.1)
    delivery = _delivery(uow_factory, sender, Pacer())
    now = FakeClock().now()
    with uow_factory() as uow:
        for person in range(50):
            for n in range(1, 21):
                uow.outbox.add(
                    WS, dedupe_key=f"paced:{person}:{n}", kind="kudos", recipient_id=f"U{person:03}", now=now,
                    not_before=now + timedelta(seconds=n + person / 100),
                )  # fmt: skip
        uow.commit()
    waiting = {r.id: r.not_before for r in outbox_in(uow_factory) if r.dedupe_key.startswith("paced:")}

    delivery.deliver()

    assert sender.posted == list(CHANNELS)
    assert {r.id: r.not_before for r in outbox_in(uow_factory) if r.id in waiting} == waiting


def test_a_post_behind_its_persons_post_held_for_hours_waits_there_without_holding_a_place(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """C01's earlier post waits 8 hours (outside their working time): C01's due post goes after it, at no place
    of the budget, so it does not push everyone else's back for those hours."""
    now = FakeClock().now()
    _deferred_before(uow_factory, [("C01", 8 * 3600.0, False)])
    sender = OverBudget()
    delivery = _delivery(uow_factory, sender, Pacer())

    delivery.deliver()

    rows = {r.dedupe_key: r for r in outbox_in(uow_factory)}
    c01 = rows["kudos:C01"]
    assert (c01.not_before, c01.budget_place) == (now + timedelta(hours=8), False)
    assert [(rows[f"kudos:{c}"].not_before, rows[f"kudos:{c}"].budget_place) for c in CHANNELS[1:]] == [
        (now + timedelta(seconds=3.0), True),
        (now + timedelta(seconds=3.2), True),
    ]


@pytest.mark.parametrize(
    ("free_now", "held", "after", "expected"),
    [
        # More places free now than people: the held ones come after those (this once raised IndexError).
        (2, 2, [30.0], [(62.0, True)]),
        (3, 3, [None, 60.0], [(0.0, True), (63.0, True)]),
        # A person's earlier post waits past every place: that moment, no place.
        (0, 0, [None, 500.0], [(60.0, True), (500.0, False)]),
    ],
)
def test_budget_places_free_now_first_then_after_those_held_none_before_a_persons_earlier_post(
    free_now: int, held: int, after: list[float | None], expected: list[tuple[float, bool]]
) -> None:
    from storage.repositories.outbox import budget_places

    now = FakeClock().now()
    at = [now] * free_now + [now + timedelta(seconds=60 + n) for n in range(len(after) + held)]
    given = budget_places(
        at, free_now=free_now, held=held, after=[None if a is None else now + timedelta(seconds=a) for a in after]
    )
    assert given == [(now + timedelta(seconds=s), placed) for s, placed in expected]


class SpentMeanwhile(Sender):
    """The budget looked free when the commit's rows were handed over, and is spent when the claim draws them."""

    def post_wait(self, workspace_id: str) -> float:
        return 3.0


def test_a_claim_does_not_count_the_try_of_a_post_its_budget_cannot_take_now(
    uow_factory: UnitOfWorkFactory, sqlite_engine: Engine
) -> None:
    """Its try would be taken back at once; a crash between the two would leave it counted, and a message never
    posted would be looked for in the history."""
    sender = SpentMeanwhile()
    delivery = _delivery(uow_factory, sender, Pacer())
    first = min(r.id for r in outbox_in(uow_factory))
    counted: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE outbox") and "attempts=(outbox.attempts +" in statement:
            counted.append(statement)

    summary = delivery.deliver(ids=[first])

    assert (sender.posted, summary.paced, counted) == ([], 1, [])
    row = next(r for r in outbox_in(uow_factory) if r.id == first)
    assert (row.state, row.attempts) == (OutboxState.PENDING, 0)


class LastPlace(Sender):
    """The workspace's budget has one place left: the first post spends it."""

    def post_wait(self, workspace_id: str) -> float:
        return 0.0 if not self.posted else 5.0


def test_a_mark_does_not_count_the_try_of_the_next_post_the_budget_cannot_take_now(
    uow_factory: UnitOfWorkFactory, sqlite_engine: Engine
) -> None:
    sender = LastPlace()
    delivery = _delivery(uow_factory, sender)
    counted: list[str] = []

    @event.listens_for(sqlite_engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE outbox") and "attempts=(outbox.attempts " in statement:
            counted.append(statement)

    delivery.deliver()

    assert sender.posted == ["C01"]
    assert len(counted) == 1, "the first post's try alone: none counted then taken back"
    assert {r.recipient_id: r.attempts for r in outbox_in(uow_factory)} == {"C01": 1, "C02": 0, "C03": 0}


@pytest.mark.parametrize("later_held_for_hours", [False, True])
def test_a_persons_due_post_goes_behind_their_earlier_waiting_one_and_the_one_before_goes_now(
    uow_factory: UnitOfWorkFactory, later_held_for_hours: bool
) -> None:
    """C01: a due (queued first), b deferred to 3.2 s, c due (queued after b), and maybe d, queued after c and
    held 8 hours. a takes the place free now; c goes no earlier than b, at a place of its own after it (not behind
    d), so C01 gets a, b, c in that order."""
    now = FakeClock().now()
    ensure_workspaces(uow_factory, WS, now=now)
    rows_queued = [("a", 0.0), ("b", 3.2), ("c", 0.0)] + ([("d", 8 * 3600.0)] if later_held_for_hours else [])
    with uow_factory() as uow:
        for key, seconds in rows_queued:
            uow.outbox.add(WS, dedupe_key=key, kind="kudos", recipient_id="C01", now=now,
                           not_before=now + timedelta(seconds=seconds))  # fmt: skip
        uow.session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "b").values(budget_place=True))
        uow.commit()
    sender = one_free()
    delivery = Delivery(uow=uow_factory, clock=FakeClock(), sender=sender, render=_render, pacer=Pacer())  # type: ignore[arg-type]

    delivery.deliver()

    rows = {r.dedupe_key: r for r in outbox_in(uow_factory)}
    assert (sender.posted, rows["a"].state) == (["C01"], OutboxState.SENT)
    assert (rows["c"].not_before, rows["c"].budget_place) == (now + timedelta(seconds=5.2), True), (
        "the first place left after b's (5.0 is held)"
    )
    assert (rows["b"].state, rows["b"].not_before) == (OutboxState.PENDING, now + timedelta(seconds=3.2))
    if later_held_for_hours:
        assert rows["d"].not_before == now + timedelta(hours=8)

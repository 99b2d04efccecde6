"""Measures a burst of deadline warnings against a fake Slack that enforces Slack's published rate tiers, and a
message whose answer was lost found again under the 2025 `conversations.history` limits.

Run from the repository root:

    .venv/bin/python bench/burst.py            # 60 x 5 tasks; 300 and 600 x 1; 20 x 5 fast; two lost answers (~1 min)
    .venv/bin/python bench/burst.py --quick    # 12 x 5; 60 and 360 x 1; 20 x 5 fast; the same lost answers (~25 s)
    .venv/bin/python bench/burst.py --json burst.json
    .venv/bin/python bench/burst.py --storm-people 60   # scenario H at 60 people: about 15 minutes, see below

Everything runs in simulated time: one FakeClock drives Baton (its budgets, its Pacer, its timers) and the tests'
FakeSlack, which answers HTTP 429 with Retry-After past Slack's published tiers in a sliding minute of the same
clock (`enforce_tiers(strict_history=True)`: chat.postMessage 1 a second per conversation and 300 a minute per
workspace, Tier 2/3/4 = 20/50/100 a minute, conversations.history 1 a minute and 15 messages a page). Baton is
built as `baton tick` builds it (create_app with inline executors and a Pacer on the app's clock; a temporary
SQLite file migrated with storage.migrate.upgrade), with `home_refresh_seconds` as `baton serve` sets it for the
Home tabs of scenario A's requests. BackgroundDeliverer's timers (wake-ups for paced rows, Home refreshes Slack
could not take) are put on the simulated clock through its `start_timer`/`monotonic` fields, the way tests fire
them by hand; scripted requests are events on the same clock, so they also happen while a pass waits. Nothing in
Baton is patched.

One workspace, everyone in Europe/London (UTC in December, working 08:00-20:00), Tuesday 2026-12-01.
A.  60 people x 5 tasks, every task due 16:00, so every 1-hour warning is due at 15:00:00. The lead creates the
    300 tasks with signed `/task` requests through Baton's Bolt app (one every 2 s from 13:00), then each person
    clicks Accept on their 5 assignment DMs (one click every 2 s); scheduler passes every 30 s with
    `run_pass(wait=...)` deliver what was held back. Then the pass at 15:00:00, and one every 30 s until every
    outbox row is final. Measured: messages, first to last delivery against the floor Slack's limits
    allow for exactly those messages, 429s per method against all calls, calls Baton held back itself
    (`baton_slack_calls_total{outcome="held_back"}`), duplicates (a dedupe key in more than one message, all
    messages of the run), lost (warning rows not sent, or sent but in no message); for the setup, the Home tab
    refreshes (views.publish) and whether every person's last one came after their last change.
V.  Without the advantage of bundling: N people x 1 task (300: as many DMs as the workspace's minute; 600: twice
    that), seeded in the database as the services leave them (open tasks, their assignment rows delivered by
    Baton's passes, then accepted), the same warning pass.
H.  Scenario A's requests ten times as fast (one every 0.2 s, a script or an import) for 20 people x 5 tasks:
    the Home tab refreshes they cause, views.publish being Tier 4 (100 a minute, 75 of them for background work).
    The attempts Baton holds back grow much faster than the people (--storm-people; the wall time with them).
B.  Scenario A's world seeded as in V, where the first person's DM holds 40 messages (5 assignment DMs, 34 typed
    by them as `message.im` events, Baton's help reply); the fake drops the answer to Baton's warning post there
    (`post_then_drop`). The next passes must find it in the history, not post it again.
B2. As B, but other messages FOLLOW the lost one: the person types 20 more (Baton's help answers the first), then
    the lead delegates one more task to them (its assignment DM is a message Baton knows, after the lost one).

The floor: Slack's limits as the fake enforces them. Each message is released at its arrival (the outbox row's
creation; a bundle when its last row exists); per conversation one a second: last >= max(arrival, previous + 1 s);
per workspace any 60 s hold at most 300: the k-th post >= the (k-300)-th + 60 s. Each bound is exact alone; the
floor of the last delivery is the larger of the two, and the span floor is that minus the first arrival.
Tables go to stdout, progress to stderr; --json PATH writes the headline numbers for bench/targets.py.
"""

from __future__ import annotations

import argparse
import heapq
import json
import logging
import math
import sys
import tempfile
import threading
import time as timer
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from tables import Row, print_table, ratio  # noqa: E402

from bot.app import HOME_REFRESH_SECONDS, Baton, create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.model import OutboxKind, OutboxState  # noqa: E402
from bot.executors import InlineExecutor  # noqa: E402
from bot.scheduler.pacing import Pacer  # noqa: E402
from bot.scheduler.tick import PassSummary  # noqa: E402
from bot.services.assignment import queue_assignment  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage, Person, Task  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.posts import dedupe_keys  # noqa: E402
from tests.fakes.requests import (  # noqa: E402
    SIGNING_SECRET,
    action_body,
    block_action_payload,
    bolt_request,
    command_body,
    event_body,
    im_message_event,
)
from tests.fakes.slack_api import (  # noqa: E402
    POSTS_PER_CHANNEL_PER_SECOND,
    POSTS_PER_WORKSPACE_PER_MINUTE,
    STRICT_HISTORY_PAGE,
    TEAM_ID,
    Answer,
    FakeSlack,
    dm_channel_id,
)

ZONE = "Europe/London"  # UTC in December
LEAD = "U0LEAD"
OPS_CHANNEL = "C0OPS"  # where the lead types /task (not a team channel)
SETUP_AT = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # a Tuesday
DUE_AT = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
WARN_AT = DUE_AT - timedelta(hours=1)  # every 1-hour warning; the 24-hour ones fall before the tasks existed
TYPED_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)  # scenario B: the person chats in the DM before the burst
PASS_EVERY = timedelta(seconds=30)  # BATON_TICK_SECONDS
REQUEST_EVERY = timedelta(seconds=2)  # scenario A: the lead's commands, then the people's clicks
STORM_EVERY = timedelta(seconds=0.2)  # scenario H: the same requests ten times as fast
STORM_PEOPLE = 20  # scenario H's people: the Home refreshes' cost grows much faster than the people
CLICKS_AFTER = timedelta(seconds=90)
SETUP_DEADLINE = timedelta(minutes=45)
BURST_DEADLINE = timedelta(minutes=15)
LOST_DEADLINE = timedelta(minutes=30)
TASKS_EACH = 5
BACKLOG = (50, 26)  # scenario D: people x assignment DMs each, queued at once
DM_BEFORE_LOSS = 40  # messages in the person's DM when the answer to Baton's post is lost
TYPED_AFTER_LOSS = 20
FLOOR_RATIO, MAX_429_SHARE = 1.2, 0.01
SECOND = POSTS_PER_CHANNEL_PER_SECOND  # one message a second per conversation
WORKSPACE_MINUTE = POSTS_PER_WORKSPACE_PER_MINUTE
POST = "chat.postMessage"
HISTORY = "conversations.history"
PUBLISH = "views.publish"


def log(message: str) -> None:
    print(f"[burst] {message}", file=sys.stderr, flush=True)


# -- simulated time ------------------------------------------------------------------------------------------


@dataclass(eq=False)  # hashable by identity: BackgroundDeliverer keeps its timers in a set
class Event:
    at: datetime
    run: Callable[[], None]
    baton: bool  # one of Baton's timers (else a scripted request)
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class Events:
    """Baton's timers and the scripted requests on the simulated clock, fired in time order as it moves on."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._heap: list[tuple[datetime, int, Event]] = []
        self._seq = 0
        self.fired = Counter[bool]()

    def at(self, moment: datetime, run: Callable[[], None], *, baton: bool = False) -> Event:
        event = Event(moment, run, baton)
        self._seq += 1
        heapq.heappush(self._heap, (moment, self._seq, event))
        return event

    def after(self, seconds: float, run: Callable[[], None]) -> Event:
        """BackgroundDeliverer.start_timer: run `run` `seconds` of simulated time from now."""
        return self.at(self.clock.now() + timedelta(seconds=max(seconds, 0.0)), run, baton=True)

    def pending(self, *, baton: bool | None = None) -> int:
        return sum(1 for _, _, e in self._heap if not e.cancelled and (baton is None or e.baton == baton))

    def advance_to(self, moment: datetime) -> None:
        """Fire everything due up to `moment` (each at its own time), then set the clock there."""
        while self._heap and self._heap[0][0] <= moment:
            at, _, event = heapq.heappop(self._heap)
            if event.cancelled:
                continue
            if at > self.clock.now():
                self.clock.set(at)
            self.fired[event.baton] += 1
            event.run()
        if moment > self.clock.now():
            self.clock.set(moment)

    def wait(self, seconds: float) -> None:
        """`run_pass(wait=...)`: the pass sleeps; timers and requests due meanwhile happen."""
        self.advance_to(self.clock.now() + timedelta(seconds=seconds))


# -- the fake Slack, with a record of when each call came ------------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    at: datetime  # the fake's (simulated) clock when it answered
    method: str
    status: int | None  # HTTP status; None: the connection closed with no answer
    ok: bool
    channel: str = ""  # chat.postMessage: the conversation as Slack resolved it
    keys: tuple[str, ...] = ()  # chat.postMessage: the dedupe keys in its metadata
    user: str = ""  # views.publish: whose Home tab
    first_page: bool = False  # conversations.history: no cursor (a look starting over)


class TierSlack(FakeSlack):
    """FakeSlack enforcing Slack's tiers (strict history), stamping each call with the simulated time, and able to
    lose the answer to the next post to one conversation (post_then_drop, armed when that post comes)."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock, default_users=False, enforce_tiers=True, strict_history=True)
        self.stamps: list[Stamp] = []
        self._drop_for: set[str] = set()
        self._stamps_lock = threading.Lock()

    def lose_answer_to_next_post(self, channel: str) -> None:
        self._drop_for.add(channel)

    def _answer(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> Answer | None:
        channel = user = ""
        if method == POST:
            with self._lock:
                channel = self._channel_for(str(params.get("channel") or "")) or ""
            if channel in self._drop_for:
                self._drop_for.discard(channel)
                self.post_then_drop()
        elif method == PUBLISH:
            user = str(params.get("user_id") or "")
        answer = super()._answer(method, params, headers)
        stamp = Stamp(
            at=self._now(),
            method=method,
            status=None if answer is None else answer[0],
            ok=answer is None or bool(answer[1].get("ok")),  # a dropped answer: Slack did the work
            channel=channel,
            keys=tuple(dedupe_keys(params)) if method == POST else (),
            user=user,
            first_page=method == HISTORY and not params.get("cursor"),
        )
        with self._stamps_lock:
            self.stamps.append(stamp)
        return answer

    def since(self, mark: int) -> list[Stamp]:
        with self._stamps_lock:
            return list(self.stamps[mark:])

    def mark(self) -> int:
        with self._stamps_lock:
            return len(self.stamps)


# -- Baton in a simulated world ------------------------------------------------------------------------------


@dataclass
class World:
    baton: Baton
    slack: TierSlack
    clock: FakeClock
    events: Events
    agents: list[str]
    passes: list[PassSummary] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)  # kind -> count
    refused: list[str] = field(default_factory=list)  # answers to requests that did not do what was asked
    changed_at: dict[str, datetime] = field(default_factory=dict)  # person -> last change to their tasks
    event_ids: int = 0

    # requests through Baton's Bolt app, signed as Slack signs them
    def dispatch(self, kind: str, body: str) -> int:
        self.requests[kind] += 1
        response = self.baton.bolt.dispatch(bolt_request(body))
        if response.status != 200:
            self.refused.append(f"{kind}: HTTP {response.status} {str(response.body)[:80]}")
        return response.status

    def command(self, text: str, *, user: str, channel: str) -> str:
        body = command_body("/task", text, user_id=user, channel_id=channel, response_url=self.slack.response_url())
        self.requests["/task"] += 1
        response = self.baton.bolt.dispatch(bolt_request(body))
        answer = str(response.body or "")
        if response.status != 200 or "Created" not in answer:
            self.refused.append(f"/task {text[:40]}: HTTP {response.status} {answer[:80]}")
        return answer

    def accept(self, person: str, task_id: str) -> None:
        """The person clicks Accept on the assignment DM of `task_id`, as it stands in their DM."""
        message = next((m for m in self.slack.messages(dm_channel_id(person)) if task_id in accept_values(m)), None)
        if message is None:
            self.refused.append(f"accept {person} {task_id}: no assignment DM with that button")
            return
        payload = block_action_payload(
            "baton_accept",
            task_id,
            user_id=person,
            channel_id=dm_channel_id(person),
            message=message,
            response_url=self.slack.response_url("click"),
        )
        self.dispatch("accept", action_body(payload))

    def type_in_dm(self, person: str, text: str) -> None:
        """The person writes in their DM with Baton: Slack stores it and sends Baton the `message.im` event."""
        ts = self.slack.seed_message(dm_channel_id(person), text=text, user=person)
        self.event_ids += 1
        self.dispatch("message.im", event_body(im_message_event(person, text, ts=ts), event_id=f"Ev0B{self.event_ids}"))

    # the scheduler
    def run_pass(self) -> PassSummary:
        summary = self.baton.run_pass(wait=self.events.wait)
        self.passes.append(summary)
        return summary

    def open_rows(self) -> int:
        open_states = (OutboxState.PENDING.value, OutboxState.SENDING.value)
        with self.baton.uow(read_only=True) as uow:
            stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state.in_(open_states))
            return int(uow.session.execute(stmt).scalar_one())

    def run_until_settled(self, start: datetime, deadline: timedelta, *, settled: Callable[[], bool]) -> bool:
        """A pass at `start`, then one every PASS_EVERY (each waiting out what it held back), with the scripted
        requests and Baton's timers in between, until `settled()` and nothing is scheduled; False at the deadline."""
        at, end = start, start + deadline
        while True:
            self.events.advance_to(max(at, self.clock.now()))
            self.run_pass()
            if self.events.pending() == 0 and settled():
                return True
            if self.clock.now() >= end:
                return False
            at = start + PASS_EVERY * (math.floor((self.clock.now() - start) / PASS_EVERY) + 1)

    def outbox(self) -> list[OutboxMessage]:
        with self.baton.uow(read_only=True) as uow:
            rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
            uow.session.expunge_all()
            return rows

    def held_back(self) -> Counter[str]:
        """Calls Baton did not make, over its own budget, by method (baton_slack_calls_total{outcome=held_back})."""
        found: Counter[str] = Counter()
        for metric in self.baton.metrics.registry.collect():
            if metric.name != "baton_slack_calls":
                continue
            for sample in metric.samples:
                if sample.name == "baton_slack_calls_total" and sample.labels.get("outcome") == "held_back":
                    found[sample.labels["method"]] += int(sample.value)
        return found


def accept_values(message: dict[str, Any]) -> list[str]:
    """The task ids on the message's Accept buttons."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("action_id") == "baton_accept" and isinstance(node.get("value"), str):
                found.append(node["value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return found


def agent_ids(count: int) -> list[str]:
    return [f"U0AGENT{i:03d}" for i in range(count)]


def title(person: int, k: int) -> str:
    return f"Burst task {person:03d}-{k}"


@contextmanager
def world(people: int, *, home_refresh_seconds: float = HOME_REFRESH_SECONDS) -> Iterator[World]:
    clock = FakeClock(SETUP_AT)
    events = Events(clock)
    agents = agent_ids(people)
    slack = TierSlack(clock)
    with tempfile.TemporaryDirectory(prefix="baton-burst-") as folder, slack:
        url = f"sqlite:///{folder}/baton.db"
        upgrade(url)
        slack.add_user(LEAD, name="lead", tz=ZONE)
        for agent in agents:
            slack.add_user(agent, name=agent.lower(), tz=ZONE)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=SecretStr("xoxb-bench-token"),
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_api_url=slack.base_url,
            database_url=url,
        )
        on_clock = lambda: clock.now().timestamp()  # noqa: E731 - Baton's clock, as seconds
        baton = create_app(
            settings,
            clock=clock,
            listener_executor=InlineExecutor(),
            delivery_executor=InlineExecutor(),
            pacer=Pacer(monotonic=on_clock),
            home_refresh_seconds=home_refresh_seconds,
        )
        assert baton.deliverer is not None
        baton.deliverer.monotonic = on_clock
        baton.deliverer.start_timer = events.after
        try:
            yield World(baton=baton, slack=slack, clock=clock, events=events, agents=agents)
        finally:
            baton.close()


# -- setting the tasks up ------------------------------------------------------------------------------------


def setup_through_bolt(w: World, tasks_each: int, every: timedelta) -> None:
    """The lead's `/task` requests, one every `every`, then each person's Accept clicks, the passes every 30 s
    delivering what waited, until every row is final and no Home refresh is left to retry."""
    due = DUE_AT.strftime("%Y-%m-%d %H:%M")
    n = 0
    for k in range(tasks_each):
        for i, agent in enumerate(w.agents):
            text = f"<@{agent}> {title(i, k)} by {due}"

            def create(text: str = text, agent: str = agent) -> None:
                w.command(text, user=LEAD, channel=OPS_CHANNEL)
                w.changed_at[agent] = w.changed_at[LEAD] = w.clock.now()

            w.events.at(SETUP_AT + every * n, create)
            n += 1
    clicks_at = SETUP_AT + every * n + CLICKS_AFTER
    clicked: dict[str, set[str]] = {agent: set() for agent in w.agents}
    m = 0
    for agent in w.agents:
        for k in range(tasks_each):

            def click(agent: str = agent, k: int = k) -> None:
                """The first Accept button in their DM they have not clicked yet."""
                shown = [v for msg in w.slack.messages(dm_channel_id(agent)) for v in accept_values(msg)]
                waiting = [v for v in dict.fromkeys(shown) if v not in clicked[agent]]
                if not waiting:
                    w.refused.append(f"accept {agent} #{k}: no assignment DM left to accept")
                    return
                clicked[agent].add(waiting[0])
                w.accept(agent, waiting[0])
                w.changed_at[agent] = w.changed_at[LEAD] = w.clock.now()

            w.events.at(clicks_at + every * m, click)
            m += 1
    done = w.run_until_settled(SETUP_AT, SETUP_DEADLINE, settled=lambda: w.open_rows() == 0)
    if not done:
        log(f"setup: deadline hit with {w.open_rows()} rows open, {w.events.pending()} timers")
    with w.baton.uow(read_only=True) as uow:
        statuses = Counter(uow.session.scalars(select(Task.status)))
    if statuses != Counter({"accepted": tasks_each * len(w.agents)}):
        w.refused.append(f"tasks after the setup: {dict(statuses)}, not all {tasks_each * len(w.agents)} accepted")


def setup_in_database(w: World, tasks_each: int) -> None:
    """Tasks written as the services leave them (open, numbered, the assignment row queued), their assignment DMs
    delivered by Baton's passes, then accepted (in the database: no accepted notices, no Home refreshes)."""
    now = w.clock.now()
    with w.baton.uow() as uow:
        uow.workspaces.ensure(TEAM_ID, now=now)
        for user in [LEAD, *w.agents]:
            uow.session.add(Person(workspace_id=TEAM_ID, user_id=user, display_name=user.lower(), tz=ZONE,
                                   fetched_at=now))  # fmt: skip
        for k in range(tasks_each):
            for i, agent in enumerate(w.agents):
                task = Task(
                    workspace_id=TEAM_ID,
                    number=uow.workspaces.next_task_number(TEAM_ID),
                    title=title(i, k),
                    details="",
                    assignee_id=agent,
                    delegator_id=LEAD,
                    priority="normal",
                    status="open",
                    due_at=DUE_AT,
                    created_at=now,
                    updated_at=now,
                    created_channel_id=OPS_CHANNEL,
                    assignment_seq=1,
                    assigned_at=now,
                    next_check_at=now,
                )
                uow.tasks.add(task)
                uow.session.flush()
                queue_assignment(uow, task, now=now)
        uow.commit()
    if not w.run_until_settled(now, SETUP_DEADLINE, settled=lambda: w.open_rows() == 0):
        log(f"setup: deadline hit with {w.open_rows()} rows open")
    with w.baton.uow() as uow:
        accepted = w.clock.now()
        for task in uow.session.scalars(select(Task)):
            task.status, task.accepted_at, task.updated_at = "accepted", accepted, accepted
        uow.commit()


# -- what happened ---------------------------------------------------------------------------------------------


@dataclass
class Methods:
    """Calls per method in a phase: made, answered 429, and not made (held back by Baton's own budget)."""

    calls: Counter[str] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)
    held_back: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, stamps: list[Stamp], held_before: Counter[str], held_after: Counter[str]) -> Methods:
        found = cls()
        for s in stamps:
            found.calls[s.method] += 1
            found.limited[s.method] += s.status == 429
        found.held_back = Counter(
            {m: held_after[m] - held_before[m] for m in held_after if held_after[m] - held_before[m]}
        )
        return found

    def total(self) -> tuple[int, int]:
        return sum(self.calls.values()), sum(self.limited.values())

    def json(self) -> dict[str, Any]:
        methods = sorted(set(self.calls) | set(self.held_back))
        return {m: {"calls": self.calls[m], "ratelimited": self.limited[m], "held_back": self.held_back[m]}
                for m in methods}  # fmt: skip


def floor_of_last(messages: Iterable[tuple[datetime, str]]) -> datetime | None:
    """The earliest moment the last of these (arrival, conversation) messages could be delivered within Slack's
    limits: each bound (one a second per conversation; 300 in any 60 s per workspace) computed exactly alone."""
    ordered = sorted(messages)
    if not ordered:
        return None
    last_in: dict[str, datetime] = {}
    for arrival, channel in ordered:
        before = last_in.get(channel)
        last_in[channel] = arrival if before is None else max(arrival, before + timedelta(seconds=1 / SECOND))
    posted: list[datetime] = []
    for arrival, _ in ordered:
        moment = max(arrival, posted[-1]) if posted else arrival
        if len(posted) >= WORKSPACE_MINUTE:
            moment = max(moment, posted[-WORKSPACE_MINUTE] + timedelta(seconds=60))
        posted.append(moment)
    return max(max(last_in.values()), posted[-1])


@dataclass
class Delivered:
    """The messages Slack took in a phase: posts answered ok (or whose answer was lost: Slack took them)."""

    posts: list[Stamp]
    arrivals: dict[str, datetime]  # dedupe key -> its row's creation

    @property
    def first(self) -> datetime | None:
        return min((p.at for p in self.posts), default=None)

    @property
    def last(self) -> datetime | None:
        return max((p.at for p in self.posts), default=None)

    def arrival(self, post: Stamp) -> datetime:
        known = [self.arrivals[k] for k in post.keys if k in self.arrivals]
        return max(known) if known else post.at

    def floor(self) -> tuple[float, datetime | None]:
        """Seconds from the first arrival to the earliest possible last delivery, and that first arrival."""
        pairs = [(self.arrival(p), p.channel) for p in self.posts]
        last = floor_of_last(pairs)
        if last is None:
            return 0.0, None
        begin = min(a for a, _ in pairs)
        return (last - begin).total_seconds(), begin


def delivered(stamps: list[Stamp], rows: list[OutboxMessage], *, keys: set[str] | None = None) -> Delivered:
    posts = [s for s in stamps if s.method == POST and s.ok and s.status in (200, None)]
    if keys is not None:
        posts = [p for p in posts if set(p.keys) & keys]
    arrivals = {r.dedupe_key: aware(r.created_at) for r in rows}
    return Delivered(posts=posts, arrivals=arrivals)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class Audit:
    twice: int  # dedupe keys carried by more than one stored message (the whole run)
    not_sent: int  # of the rows audited: pending, sending, failed or skipped
    sent_missing: int  # of the rows audited: sent, but their key is in no stored message
    states: dict[str, int]

    @property
    def lost(self) -> int:
        return self.not_sent + self.sent_missing


def audit(w: World, rows: list[OutboxMessage]) -> Audit:
    in_messages: Counter[str] = Counter()
    for message in w.slack.messages():
        for key in dedupe_keys(message):
            in_messages[key] += 1
    states = Counter(r.state for r in rows)
    return Audit(
        twice=sum(1 for count in in_messages.values() if count > 1),
        not_sent=sum(1 for r in rows if r.state != OutboxState.SENT.value),
        sent_missing=sum(1 for r in rows if r.state == OutboxState.SENT.value and not in_messages[r.dedupe_key]),
        states=dict(sorted(states.items())),
    )


def seconds(a: datetime | None, b: datetime | None) -> float | None:
    return None if a is None or b is None else (b - a).total_seconds()


# -- the scenarios -------------------------------------------------------------------------------------------


@dataclass
class Phase:
    """One measured stretch of a run: what Slack took, the calls, the outbox rows it was about."""

    name: str
    start: datetime
    end: datetime
    methods: Methods
    messages: Delivered
    audit: Audit
    settled: bool
    rows: int
    per_person: Counter[str]
    wall_s: float = 0.0  # the passes' wall time

    def json(self) -> dict[str, Any]:
        floor_s, begin = self.messages.floor()
        calls, limited = self.methods.total()
        return {
            "messages": len(self.messages.posts),
            "recipients": len(self.per_person),
            "max_per_person": max(self.per_person.values(), default=0),
            "rows": self.rows,
            "first_s": seconds(self.start, self.messages.first),
            "span_s": seconds(self.messages.first, self.messages.last),
            "last_after_due_s": seconds(begin, self.messages.last),
            "floor_s": floor_s,
            "calls": calls,
            "ratelimited": limited,
            "held_back": sum(self.methods.held_back.values()),
            "methods": self.methods.json(),
            "duplicates": self.audit.twice,
            "lost": self.audit.lost,
            "states": self.audit.states,
            "settled": self.settled,
            "pass_wall_s": round(self.wall_s, 2),
        }


def measure(
    w: World,
    name: str,
    *,
    mark: int,
    held_before: Counter[str],
    start: datetime,
    settled: bool,
    kinds: set[str] | None,
    since: datetime,
) -> Phase:
    """The phase since `mark`: every post Slack took, the rows of `kinds` created since `since` (None: all)."""
    stamps = w.slack.since(mark)
    rows = [
        r
        for r in w.outbox()
        if aware(r.created_at) >= since and r.kind != OutboxKind.REFRESH.value and (kinds is None or r.kind in kinds)
    ]
    keys = {r.dedupe_key for r in rows}
    messages = delivered(stamps, rows, keys=keys)
    per_person = Counter(p.channel for p in messages.posts)
    return Phase(
        name=name,
        start=start,
        end=w.clock.now(),
        methods=Methods.of(stamps, held_before, w.held_back()),
        messages=messages,
        audit=audit(w, rows),
        settled=settled,
        rows=len(rows),
        per_person=per_person,
    )


def warning_burst(
    w: World, name: str, *, before: Callable[[], None] | None = None, deadline: timedelta = BURST_DEADLINE
) -> Phase:
    """The pass at WARN_AT and the passes after it until every row is final (or the deadline)."""
    w.events.advance_to(WARN_AT - timedelta(seconds=1))
    if before is not None:
        before()
    mark, held = w.slack.mark(), w.held_back()
    began = timer.monotonic()
    settled = w.run_until_settled(WARN_AT, deadline, settled=lambda: w.open_rows() == 0)
    phase = measure(w, name, mark=mark, held_before=held, start=WARN_AT, settled=settled,
                    kinds={OutboxKind.WARNING.value}, since=WARN_AT)  # fmt: skip
    phase.wall_s = timer.monotonic() - began
    span = seconds(phase.messages.first, phase.messages.last)
    log(f"{name}: {len(phase.messages.posts)} warning messages, first to last {span} s, "
        f"{phase.methods.total()[1]} 429s ({phase.wall_s:.1f} s wall)")  # fmt: skip
    return phase


@dataclass
class HomeCheck:
    people: int
    publishes: int
    ok: int
    limited: int
    held_back: int
    stale: list[str]  # people whose last published Home came before their last change (or never)
    missing_tasks: int  # (person, task) pairs whose task title is not on the person's last Home tab

    def json(self) -> dict[str, Any]:
        return {"people": self.people, "publishes": self.publishes, "ok": self.ok, "ratelimited": self.limited,
                "held_back": self.held_back, "stale": len(self.stale), "stale_people": self.stale[:10],
                "missing_tasks": self.missing_tasks}  # fmt: skip


def home_check(w: World, stamps: list[Stamp], held: Counter[str], tasks_each: int) -> HomeCheck:
    publishes = [s for s in stamps if s.method == PUBLISH]
    last_ok: dict[str, datetime] = {}
    for s in publishes:
        if s.ok and s.status == 200:
            last_ok[s.user] = max(last_ok.get(s.user, s.at), s.at)
    stale = sorted(p for p, changed in w.changed_at.items() if last_ok.get(p) is None or last_ok[p] < changed)
    missing = 0
    for i, agent in enumerate(w.agents):
        view = w.slack.home_view(agent)
        shown = json.dumps(view) if view is not None else ""
        missing += sum(1 for k in range(tasks_each) if title(i, k) not in shown)
    return HomeCheck(
        people=len(w.changed_at),
        publishes=len(publishes),
        ok=sum(1 for s in publishes if s.ok and s.status == 200),
        limited=sum(1 for s in publishes if s.status == 429),
        held_back=held[PUBLISH],
        stale=stale,
        missing_tasks=missing,
    )


@dataclass
class Setup:
    """Tasks created and accepted through the Bolt app: the messages, calls and Home tabs it cost."""

    people: int
    every: timedelta
    phase: Phase
    homes: HomeCheck
    requests: int
    refused: list[str]
    timers: int  # Baton's timers fired (paced rows' wake-ups, Home refreshes tried again)
    settled_at: datetime
    wall_s: float

    def json(self) -> dict[str, Any]:
        return {"people": self.people, "tasks_each": TASKS_EACH, "request_every_s": self.every.total_seconds(),
                **self.phase.json(), "homes": self.homes.json(), "requests": self.requests,
                "refused": len(self.refused), "timers": self.timers,
                "settled_after_s": seconds(SETUP_AT, self.settled_at), "wall_s": round(self.wall_s, 1)}  # fmt: skip


def bolt_setup(w: World, name: str, every: timedelta) -> Setup:
    began = timer.monotonic()
    log(f"{name}: {len(w.agents)} people x {TASKS_EACH} tasks through Baton's Bolt app, a signed /task then an "
        f"Accept click every {every.total_seconds():g} s")  # fmt: skip
    mark, held = w.slack.mark(), w.held_back()
    setup_through_bolt(w, TASKS_EACH, every)
    phase = measure(w, name, mark=mark, held_before=held, start=SETUP_AT, settled=w.open_rows() == 0,
                    kinds=None, since=SETUP_AT)  # fmt: skip
    homes = home_check(w, w.slack.since(mark), w.held_back() - held, TASKS_EACH)
    result = Setup(
        people=len(w.agents),
        every=every,
        phase=phase,
        homes=homes,
        requests=sum(w.requests.values()),
        refused=list(w.refused),
        timers=w.events.fired[True],
        settled_at=w.clock.now(),
        wall_s=timer.monotonic() - began,
    )
    log(f"{name}: {dict(w.requests)} requests, {len(w.refused)} refused, {len(phase.messages.posts)} messages, "
        f"{homes.publishes} views.publish and {homes.held_back} held back, {result.timers} Baton timers fired, "
        f"settled at {result.settled_at:%H:%M:%S} ({result.wall_s:.1f} s wall)")  # fmt: skip
    for refusal in w.refused[:5]:
        log(f"  refused: {refusal}")
    return result


@dataclass
class Burst:
    people: int
    tasks_each: int
    setup: Setup
    warnings: Phase
    wall_s: float


def scenario_a(people: int) -> Burst:
    began = timer.monotonic()
    with world(people) as w:
        setup = bolt_setup(w, "A setup", REQUEST_EVERY)
        warnings = warning_burst(w, "A warnings")
    return Burst(people, TASKS_EACH, setup, warnings, timer.monotonic() - began)


def scenario_h(people: int) -> Setup:
    """The same requests ten times as fast (a script, an import): the Home tab refreshes they cause."""
    with world(people) as w:
        return bolt_setup(w, "H setup", STORM_EVERY)


@dataclass
class Variant:
    people: int
    setup_wall_s: float
    warnings: Phase
    wall_s: float


@dataclass
class Backlog:
    people: int
    tasks_each: int
    phase: Phase
    per_minute: list[int]  # assignment DMs Slack took in each minute from the first
    wall_s: float

    def json(self) -> dict[str, Any]:
        return {"people": self.people, "tasks_each": self.tasks_each, **self.phase.json(),
                "per_minute": self.per_minute, "wall_s": round(self.wall_s, 1)}  # fmt: skip


def scenario_d(people: int, tasks_each: int) -> Backlog:
    """Many DMs a person at once (an import, a re-plan): every assignment row queued in one commit, delivered by
    the passes and Baton's wake-ups, paced one a second per person and within the workspace's minute."""
    began = timer.monotonic()
    with world(people) as w:
        log(f"D: {people} people x {tasks_each} tasks queued at once, their assignment DMs")
        mark, held, start = w.slack.mark(), w.held_back(), w.clock.now()
        passes_began = timer.monotonic()
        setup_in_database(w, tasks_each)
        passes_wall = timer.monotonic() - passes_began
        phase = measure(w, f"D {people} x {tasks_each}", mark=mark, held_before=held, start=start,
                        settled=w.open_rows() == 0, kinds={OutboxKind.ASSIGNMENT.value}, since=start)  # fmt: skip
        phase.wall_s = passes_wall
    minutes: Counter[int] = Counter()
    first = phase.messages.first
    for post in phase.messages.posts:
        minutes[int((post.at - first).total_seconds() // 60) if first else 0] += 1
    per_minute = [minutes[m] for m in range(max(minutes, default=-1) + 1)]
    log(f"D: {len(phase.messages.posts)} DMs, a minute: {per_minute}")
    return Backlog(people, tasks_each, phase, per_minute, timer.monotonic() - began)


def scenario_v(people: int) -> Variant:
    began = timer.monotonic()
    with world(people) as w:
        log(f"V: {people} people x 1 task, seeded in the database, assignment DMs through Baton's delivery")
        setup_in_database(w, 1)
        setup_wall = timer.monotonic() - began
        warnings = warning_burst(w, f"V{people} warnings")
    return Variant(people, setup_wall, warnings, timer.monotonic() - began)


@dataclass
class Lost:
    name: str
    dm_before: int  # messages in the DM when the answer was lost (the lost one not counted)
    position: int  # the lost message's place, newest first, in the window Baton reads
    window: int  # messages in that window
    pages: int
    floor_s: float
    reconciled_s: float | None  # lost post to the rows marked sent (found in the history)
    posts_with_keys: int  # stored messages carrying the lost message's keys
    history_calls: int
    first_pages: int  # history calls with no cursor: looks (re)starting from the newest page
    history_429: int
    duplicates: int
    lost_rows: int
    warnings: Phase
    wall_s: float
    row_errors: list[str]

    def json(self) -> dict[str, Any]:
        return {"dm_before": self.dm_before, "position": self.position, "window": self.window, "pages": self.pages,
                "floor_s": self.floor_s, "reconciled_s": self.reconciled_s, "found": self.reconciled_s is not None,
                "posts_with_keys": self.posts_with_keys, "history_calls": self.history_calls,
                "first_pages": self.first_pages, "history_429": self.history_429, "duplicates": self.duplicates,
                "lost_rows": self.lost_rows, "row_errors": self.row_errors, "wall_s": round(self.wall_s, 1),
                "burst": self.warnings.json()}  # fmt: skip


def typing(w: World, person: str, text: str) -> Callable[[], None]:
    return lambda: w.type_in_dm(person, text)


def scenario_b(people: int, *, followed: bool) -> Lost:
    name = "B2 lost answer, then 20 typed + a new assignment DM" if followed else "B lost answer"
    began = timer.monotonic()
    with world(people) as w:
        person = w.agents[0]
        channel = dm_channel_id(person)
        log(f"{name}: {people} people x {TASKS_EACH} tasks seeded; {person}'s DM gets {DM_BEFORE_LOSS} messages")
        setup_in_database(w, TASKS_EACH)
        have = len(w.slack.messages(channel))
        typed = DM_BEFORE_LOSS - have - 1  # Baton answers the first message typed in an hour with its help
        for j in range(typed):
            w.events.at(TYPED_AT + timedelta(seconds=10 * j), typing(w, person, f"note to self {j}"))
        w.events.advance_to(TYPED_AT + timedelta(seconds=10 * typed))
        dm_before = len(w.slack.messages(channel))

        def arm() -> None:
            w.slack.lose_answer_to_next_post(channel)
            if not followed:
                return
            for j in range(TYPED_AFTER_LOSS):
                w.events.at(WARN_AT + timedelta(seconds=2 + j), typing(w, person, f"where is the list? {j}"))

            def delegate() -> None:
                w.command(f"<@{person}> One more thing for today", user=LEAD, channel=OPS_CHANNEL)

            w.events.at(WARN_AT + timedelta(seconds=25), delegate)

        mark = w.slack.mark()
        warnings = warning_burst(w, name, before=arm, deadline=LOST_DEADLINE)
        stamps = w.slack.since(mark)
        rows = [r for r in w.outbox() if r.recipient_id == person and r.kind == OutboxKind.WARNING.value]
        keys = {r.dedupe_key for r in rows}
        messages = w.slack.messages(channel)
        carrying = [m for m in messages if set(dedupe_keys(m)) & keys]
        lost_post = next((s for s in stamps if s.method == POST and s.channel == channel and s.status is None), None)
        position = window = 0
        if carrying:
            known = {r.ts for r in w.outbox() if r.ts and r.channel_id == channel and r.state == "sent"}
            known -= {carrying[0]["ts"]}
            index = next(i for i, m in enumerate(messages) if m["ts"] == carrying[0]["ts"])
            later = []
            for m in messages[index + 1 :]:
                if m["ts"] in known:
                    break
                later.append(m)
            before = []
            for m in reversed(messages[:index]):
                if m["ts"] in known:
                    break
                before.append(m)
            position, window = len(later) + 1, len(later) + 1 + len(before)
        pages = max(1, math.ceil(position / STRICT_HISTORY_PAGE))
        sent_at = [aware(r.sent_at) for r in rows if r.state == "sent" and r.sent_at is not None]
        found = (
            lost_post is not None
            and len(sent_at) == len(rows) > 0
            and all(r.ts == (carrying[0]["ts"] if carrying else None) for r in rows)
        )
        history = [s for s in stamps if s.method == HISTORY]
        result = Lost(
            name=name,
            dm_before=dm_before,
            position=position,
            window=window,
            pages=pages,
            floor_s=(pages - 1) * 60.0,
            reconciled_s=seconds(lost_post.at, max(sent_at)) if found and lost_post is not None else None,
            posts_with_keys=len(carrying),
            history_calls=len(history),
            first_pages=sum(1 for s in history if s.first_page),
            history_429=sum(1 for s in history if s.status == 429),
            duplicates=warnings.audit.twice,
            lost_rows=warnings.audit.lost,
            warnings=warnings,
            wall_s=timer.monotonic() - began,
            row_errors=sorted({f"{r.state}: {r.last_error}" for r in rows if r.state != "sent"}),
        )
    log(f"{name}: found={result.reconciled_s is not None} after {result.reconciled_s} s, {result.history_calls} "
        f"history calls, {result.posts_with_keys} message(s) with its keys ({result.wall_s:.1f} s wall)")  # fmt: skip
    return result


# -- printing ------------------------------------------------------------------------------------------------


def print_markdown(title_line: str, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    print(f"{title_line}\n")
    print("| " + " | ".join(header) + " |")
    print("| " + " | ".join("---" for _ in header) + " |")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    print()


def fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} s"


def share(limited: int, calls: int) -> str:
    return f"{limited / calls:.2%} ({limited} of {calls})" if calls else "0 calls"


def unbundled_floor(phase: Phase) -> float:
    """The floor for the same warning rows sent one message each (no bundling), all due at WARN_AT."""
    per_person: Counter[str] = Counter()
    for post in phase.messages.posts:
        per_person[post.channel] += sum(1 for k in post.keys if k.startswith("warn"))
    pairs = [(WARN_AT, channel) for channel, count in per_person.items() for _ in range(count)]
    last = floor_of_last(pairs)
    return 0.0 if last is None else (last - WARN_AT).total_seconds()


def burst_rows(tag: str, phase: Phase, *, bundles: bool) -> list[Row]:
    j = phase.json()
    floor_s, span = j["floor_s"], j["span_s"]
    calls, limited = phase.methods.total()
    people = f"{j['recipients']} people, at most {j['max_per_person']} each"
    rows = [
        Row(f"{tag} warning messages posted", f"{j['messages']} ({people}; {j['rows']} warning rows)",
            f"{j['recipients']} (one per person per pass)" if bundles else f"{j['rows']} (one task each)",
            ratio(j["messages"], j["recipients"])),
        Row(f"{tag} first to last delivered (simulated)",
            f"{fmt_s(span)} (first {fmt_s(j['first_s'])} after it was due; the passes took {phase.wall_s:.1f} s wall)",
            f"{fmt_s(floor_s)} floor from Slack's limits for these {j['messages']} messages",
            ratio(span or 0.0, floor_s) if floor_s else ("n/a (both 0)" if not span else "n/a (floor 0)")),
        Row(f"{tag} 429s among all calls", share(limited, calls), "0 (a client that paces perfectly)", "n/a"),
        Row(f"{tag} calls Baton held back itself (its own budget)",
            ", ".join(f"{m} {n}" for m, n in sorted(phase.methods.held_back.items())) or "0", "-", "n/a"),
        Row(f"{tag} duplicates / lost", f"{j['duplicates']} / {j['lost']} (rows {j['states']})"
            + ("" if phase.settled else " DEADLINE HIT"), "0 / 0", "n/a"),
    ]  # fmt: skip
    if bundles:
        rows.insert(2, Row(f"{tag} the same warnings unbundled: floor", f"{fmt_s(unbundled_floor(phase))}",
                           f"{j['rows']} DMs, {TASKS_EACH} a person at one a second", "n/a"))  # fmt: skip
    return rows


def setup_rows(tag: str, setup: Setup) -> list[Row]:
    j = setup.phase.json()
    h = setup.homes
    every = setup.every.total_seconds()
    return [
        Row(f"{tag} {j['messages']} messages (assignment DMs, accepted notices to the lead) for "
            f"{setup.requests} requests, one every {every:g} s: last delivered after the first arose",
            fmt_s(j["last_after_due_s"]), f"{fmt_s(j['floor_s'])} floor for these messages as they arose",
            ratio(j["last_after_due_s"] or 0.0, j["floor_s"])),
        Row(f"{tag} 429s among all calls", share(j["ratelimited"], j["calls"]), "0", "n/a"),
        Row(f"{tag} duplicates / lost", f"{j['duplicates']} / {j['lost']} (rows {j['states']})"
            + ("" if setup.phase.settled else " DEADLINE HIT"), "0 / 0", "n/a"),
        Row(f"{tag} Home tabs: views.publish calls (ok / 429); attempts Baton held back (its own budget)",
            f"{h.publishes} ({h.ok} / {h.limited}); {h.held_back} held back "
            f"({h.held_back / max(h.publishes, 1):.1f} per call made; {setup.timers} timers fired; "
            f"{setup.wall_s:.0f} s wall)", f"{h.people} people touched", ratio(h.publishes, h.people)),
        Row(f"{tag} Home tabs last published before the person's last change (dropped)",
            f"{len(h.stale)}" + (f" ({', '.join(h.stale[:3])}…)" if h.stale else "")
            + f"; {h.missing_tasks} tasks missing from their assignee's last Home", "0", "n/a"),
    ]  # fmt: skip


def lost_rows(b: Lost) -> list[Row]:
    tag = f"({b.name.split()[0]})"
    found = fmt_s(b.reconciled_s)
    if b.reconciled_s is None:
        found = f"NOT FOUND within {LOST_DEADLINE.total_seconds() / 60:.0f} min ({'; '.join(b.row_errors)})"
    return [
        Row(f"{tag} {b.name.split(' ', 1)[1]}, DM of {b.dm_before} messages: time to find it in the history",
            found, f"{fmt_s(b.floor_s)} floor: {b.pages} page(s) of {STRICT_HISTORY_PAGE} at 1 call a minute",
            "n/a" if b.reconciled_s is None or not b.floor_s else ratio(b.reconciled_s, b.floor_s)),
        Row(f"{tag} history calls (of which first pages) / 429s; messages carrying its keys",
            f"{b.history_calls} ({b.first_pages}) / {b.history_429}; {b.posts_with_keys}",
            f"{b.pages} call(s); 1 message", ratio(b.history_calls, b.pages)),
        Row(f"{tag} duplicates / rows never settled (the whole burst)", f"{b.duplicates} / {b.lost_rows}", "0 / 0",
            "n/a"),
    ]  # fmt: skip


def backlog_rows(d: Backlog) -> list[Row]:
    j = d.phase.json()
    tag = f"(D) {d.people} x {d.tasks_each} at once:"
    return [
        Row(f"{tag} {j['messages']} assignment DMs, first to last delivered (simulated)",
            f"{fmt_s(j['span_s'])} (a minute: {', '.join(map(str, d.per_minute))}; {d.phase.wall_s:.1f} s wall)",
            f"{fmt_s(j['floor_s'])} floor from Slack's limits ({POSTS_PER_WORKSPACE_PER_MINUTE} a minute)",
            ratio(j["span_s"] or 0.0, j["floor_s"])),
        Row(f"{tag} 429s among all calls", share(j["ratelimited"], j["calls"]), "0", "n/a"),
        Row(f"{tag} duplicates / lost", f"{j['duplicates']} / {j['lost']} (rows {j['states']})"
            + ("" if d.phase.settled else " DEADLINE HIT"), "0 / 0", "n/a"),
    ]  # fmt: skip


def report(a: Burst, variants: list[Variant], backlog: Backlog, storm: Setup, lost: list[Lost], wall: float) -> None:
    rows: list[Row] = []
    rows += burst_rows(f"(A) {a.people} x {a.tasks_each}:", a.warnings, bundles=True)
    for v in variants:
        rows += burst_rows(f"(V) {v.people} x 1:", v.warnings, bundles=False)
    rows += backlog_rows(backlog)
    rows += setup_rows("(A setup)", a.setup)
    rows += setup_rows(f"(H) {storm.people} x {TASKS_EACH}:", storm)
    for b in lost:
        rows += lost_rows(b)
    import sqlite3

    print_table(
        f"Burst benchmark (Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}; simulated time, one "
        f"workspace, FakeSlack enforcing Slack's tiers with the 2025 history limits; {wall:.0f} s wall)",
        rows,
    )
    print()
    phases = [a.setup.phase, a.warnings, *(v.warnings for v in variants), backlog.phase, storm.phase,
              *(b.warnings for b in lost)]  # fmt: skip
    method_rows = []
    for phase in phases:
        for method in sorted(set(phase.methods.calls) | set(phase.methods.held_back)):
            calls, limited = phase.methods.calls[method], phase.methods.limited[method]
            method_rows.append([phase.name, method, calls, limited, f"{limited / calls:.1%}" if calls else "-",
                                phase.methods.held_back[method]])  # fmt: skip
    print_markdown("Calls per method (429: answered by the fake; held back: not made, over Baton's own budget)",
                   ["phase", "method", "calls", "429", "429 share", "held back"], method_rows)  # fmt: skip
    print_markdown(
        f"Lost answers under the 2025 history limits (1 call a minute, {STRICT_HISTORY_PAGE} messages a page)",
        ["scenario", "DM messages before", "lost one, newest first, in the window read", "pages", "floor",
         "found after", "history calls", "of which first pages", "messages with its keys", "duplicates"],
        [[b.name, b.dm_before, f"{b.position} of {b.window}", b.pages, fmt_s(b.floor_s),
          fmt_s(b.reconciled_s) if b.reconciled_s is not None else "not found", b.history_calls, b.first_pages,
          b.posts_with_keys, b.duplicates] for b in lost],
    )  # fmt: skip
    walls = [["A: Bolt setup, then the burst", f"{a.wall_s:.1f} s"]]
    walls += [[f"V{v.people}: seeded, then the burst", f"{v.wall_s:.1f} s"] for v in variants]
    walls += [[f"D: {backlog.people} x {backlog.tasks_each} seeded at once", f"{backlog.wall_s:.1f} s"]]
    walls += [[f"H: Bolt setup of {storm.people} x {TASKS_EACH}, fast", f"{storm.wall_s:.1f} s"]]
    walls += [[b.name, f"{b.wall_s:.1f} s"] for b in lost]
    print_markdown("Wall time", ["run", "seconds"], walls)


def headline(
    a: Burst,
    variants: list[Variant],
    backlog: Backlog,
    storm: Setup,
    lost: list[Lost],
    args: argparse.Namespace,
    wall: float,
) -> dict[str, Any]:
    return {
        "bench": "burst",
        "quick": args.quick,
        "wall_s": round(wall, 1),
        "floor_ratio": FLOOR_RATIO,
        "max_429_share": MAX_429_SHARE,
        "burst": {"people": a.people, "tasks_each": a.tasks_each, **a.warnings.json(),
                  "unbundled_floor_s": unbundled_floor(a.warnings), "wall_s": round(a.wall_s, 1)},
        "setup": a.setup.json(),
        "storm": storm.json(),
        "variants": [{"people": v.people, **v.warnings.json(), "wall_s": round(v.wall_s, 1)} for v in variants],
        "backlog": backlog.json(),
        "lost": lost[0].json(),
        "lost_followed": lost[1].json(),
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12 people x 5; 60 and 360 people x 1 (smoke)")
    parser.add_argument("--json", metavar="PATH", help="also write the headline numbers here as JSON")
    parser.add_argument("--storm-people", type=int, default=STORM_PEOPLE,
                        help=f"people of scenario H (default {STORM_PEOPLE}; 60 takes about 15 minutes)")  # fmt: skip
    args = parser.parse_args()
    # Baton's own warnings (slack.ratelimited, slack.views_publish_failed…) are counted, not printed; slack_sdk's
    # error for the answer the fake drops on purpose neither.
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("slack_sdk").setLevel(logging.CRITICAL)
    people, variant_sizes = (12, (60, 360)) if args.quick else (60, (300, 600))
    started = timer.monotonic()
    a = scenario_a(people)
    variants = [scenario_v(n) for n in variant_sizes]
    backlog = scenario_d(*((20, 15) if args.quick else BACKLOG))
    storm = scenario_h(args.storm_people)
    lost = [scenario_b(people, followed=False), scenario_b(people, followed=True)]
    wall = timer.monotonic() - started
    report(a, variants, backlog, storm, lost, wall)
    if args.json:
        data = headline(a, variants, backlog, storm, lost, args, wall)
        Path(args.json).write_text(json.dumps(data, indent=2, default=str) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

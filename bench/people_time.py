"""Measures how many DMs Baton's scheduler sends each person a working day, and whether any reach people outside
their working hours, on their public holidays or while their Slack status says they are away.

Run from the repository root:

    .venv/bin/python bench/people_time.py            # 30 agents, 4 simulated weeks (about 80 s)
    .venv/bin/python bench/people_time.py --quick    # 10 agents, 1 simulated week (smoke)
    .venv/bin/python bench/people_time.py --weeks 2 --agents 20 --json people_time.json

A behaviour benchmark, not a timed one: one workspace, deterministic (random.Random(7)). Baton is built the way
the tests build it (create_app with an in-memory SQLite engine, a FakeClock, inline executors) against the tests'
FakeSlack, and only driven through Slack's side: signed slash commands, button clicks and events dispatched to
its Bolt app, and `run_pass()` every 15 simulated minutes. It needs the `holidays` package in .venv.

The scenario: Maya (America/New_York) sets up a team channel (`/team setup`, check-ins `weekdays 10:00`) and, on
Monday 2027-01-11 14:00 UTC, delegates 0-12 tasks to each of 30 agents in New York, Berlin, Tokyo and Kolkata
(at least 4 get 12), due over the 4 weeks to Sunday 2027-02-07. Half the agents are responsive (accept and
answer each check-in with On track at their first working-hours pass after it arrives, finish between 2 days
early and 1 day late), 30 % quiet (accept, never answer, finish 0-3 days late), 20 % silent. Everyone works
08:00-20:00 Monday-Friday in their zone except three who ask for other hours with `/task hours`; one Tokyo and one
New York agent name their public-holiday calendar with `/task holidays IN|US`; three set a Slack status (a
week's vacation, two sick days, two days OOO), each change sent to Baton as a `user_change` event. Commands that
Baton does not know yet are refused and ignored: every agent is measured against the hours, holidays and
status they gave, whether Baton understood them or not.

Each chat.postMessage to an agent's DM is classified by when it happened: during `run_pass()` (the scheduler's
DMs, the ones measured) or during a dispatched command or click (caused by a person: assignments, notices).
Printed on stdout, as Markdown tables:
1. scheduler DMs per person and working day (their own working days, local dates, less holidays and days away
   all day, and less the first or last day when less than half its hours fall inside the simulation):
   p50 / p95 / max over all agents and over those with 12 open tasks at the start (goal: p95 <= 3);
2. scheduler DMs outside the person's working hours (local time; 20:00 itself is inside 08:00-20:00, as in Baton's
   contract), on a non-working weekday, on their public holidays, or while away by status (goal: all 0);
3. follow-ups lost, from the outbox table at the end against the dedupe keys in the posted messages' metadata;
4. the busiest agent's days.
Progress goes to stderr; --json PATH also writes the headline numbers.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import sys
import time as timer
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import holidays  # noqa: E402
from slack_bolt.response import BoltResponse  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.app import Baton, create_app  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.executors import InlineExecutor  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import Base, OutboxMessage  # noqa: E402
from tests.fakes.clock import FakeClock  # noqa: E402
from tests.fakes.requests import (  # noqa: E402
    SIGNING_SECRET,
    action_body,
    block_action_payload,
    bolt_request,
    command_body,
    event_body,
)
from tests.fakes.slack_api import FakeSlack  # noqa: E402

SEED = 7
SPAN_START = datetime(2027, 1, 11, 0, 0, tzinfo=UTC)  # Monday
START = datetime(2027, 1, 11, 14, 0, tzinfo=UTC)  # 09:00 in New York: tasks are created, passes begin
STEP = timedelta(minutes=15)
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo", "Asia/Kolkata")
MANAGER = "U0MAYA"
MANAGER_TZ = "America/New_York"
TEAM_CHANNEL = "C0TEAM"
FULL_LOAD = 12  # open tasks at the start of the most loaded agents
GOAL_P95 = 3

ACCEPT = "baton_accept"
ON_TRACK = "baton_checkin_on_track"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_DAYS = frozenset(range(5))
PRIORITIES = ("", " !low", " !normal", " !high", " !urgent")
PRIORITY_WEIGHTS = (35, 15, 15, 25, 10)
VERBS = ("Review", "Update", "Draft", "Check", "Fix", "Answer", "Sort", "Plan", "Clean up", "Test")
NOUNS = ("refund macro", "billing FAQ", "escalation notes", "invoice queue", "onboarding guide", "SLA report",
         "saved replies", "churn survey", "release notes", "VIP tickets")  # fmt: skip
REFUSED = re.compile(r"\bunknown\b|not understood|didn't understand|can't read", re.I)  # "Unknown sub-command"


def log(message: str) -> None:
    print(f"[people_time] {message}", file=sys.stderr, flush=True)


# -- the people ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hours:
    """Working hours in the person's zone: start to end, both included (as Baton's own 08:00-20:00 window), on the
    given weekdays (0 = Monday)."""

    start: time = time(8, 0)
    end: time = time(20, 0)
    days: frozenset[int] = DEFAULT_DAYS
    typed: str = ""  # what they typed after `/task hours`; "" for the default, never typed

    def covers(self, local: datetime) -> bool:
        return local.weekday() in self.days and self.start <= local.time() <= self.end

    def just_after(self, local: datetime) -> bool:
        """Within the hour after their working day ended: a batch that spilled over, one DM a pass."""
        end = datetime.combine(local.date(), self.end, local.tzinfo)
        return local.weekday() in self.days and end < local <= end + timedelta(hours=1)


CUSTOM_HOURS = (
    Hours(time(9, 0), time(17, 30), DEFAULT_DAYS, "09:00-17:30"),
    Hours(time(12, 0), time(20, 0), DEFAULT_DAYS, "12:00-20:00"),
    Hours(time(7, 0), time(15, 0), frozenset(range(4)), "07:00-15:00 mon,tue,wed,thu"),
)


@dataclass(frozen=True)
class StatusChange:
    at: datetime  # UTC; applied after the pass at that moment
    emoji: str
    text: str
    expires: datetime | None  # None: no expiration


@dataclass
class TaskPlan:
    title: str
    text: str  # what Maya types after `/task`
    due: datetime
    number: int | None = None  # T-<n> as Baton answered
    done_at: datetime | None = None  # when the agent types `/task done`; None: never


@dataclass
class Agent:
    id: str
    name: str
    tz: str
    behaviour: str  # responsive, quiet or silent
    hours: Hours = field(default_factory=Hours)
    holiday_country: str = ""
    holiday_dates: frozenset[date] = frozenset()
    status_plan: list[StatusChange] = field(default_factory=list)
    away_periods: list[tuple[datetime, datetime]] = field(default_factory=list)  # [from, until) UTC
    tasks: list[TaskPlan] = field(default_factory=list)
    # simulation state
    status: StatusChange | None = None
    seen: int = 0  # messages of their DM channel already looked at
    unseen: bool = False
    accepted: set[str] = field(default_factory=set)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def channel(self) -> str:
        return "D" + self.id[1:]

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.zone)

    def away_at(self, at: datetime) -> bool:
        return any(start <= at < end for start, end in self.away_periods)

    def away_now(self, at: datetime) -> str:
        """The text of their Slack status as it is set at this moment of the simulation and not expired, or ""."""
        s = self.status
        set_now = s is not None and bool(s.emoji or s.text) and (s.expires is None or at < s.expires)
        return f"{s.emoji} {s.text}" if s is not None and set_now else ""

    def available(self, at: datetime) -> bool:
        local = self.local(at)
        return self.hours.covers(local) and local.date() not in self.holiday_dates and not self.away_at(at)

    def next_available(self, at: datetime, end: datetime) -> datetime | None:
        """The first pass moment at or after `at` inside their working hours, or None before `end`."""
        moment = START + max(0, math.ceil((at - START) / STEP)) * STEP
        while moment < end:
            if self.available(moment):
                return moment
            moment += STEP
        return None

    def away_all_day(self, day: date) -> bool:
        begin = datetime.combine(day, time(0), self.zone).astimezone(UTC)
        finish = datetime.combine(day + timedelta(days=1), time(0), self.zone).astimezone(UTC)
        return any(start <= begin and finish <= end for start, end in self.away_periods)

    def counted_days(self, start: datetime, end: datetime) -> list[date]:
        """Their working days in [start, end): a working weekday, not a holiday nor away all day, with at least
        half of its working hours inside the simulation."""
        days = []
        day = self.local(start).date()
        while day <= self.local(end - timedelta(seconds=1)).date():
            if day.weekday() in self.hours.days and day not in self.holiday_dates and not self.away_all_day(day):
                opens = datetime.combine(day, self.hours.start, self.zone).astimezone(UTC)
                closes = datetime.combine(day, self.hours.end, self.zone).astimezone(UTC)
                inside = min(closes, end) - max(opens, start)
                if inside * 2 >= closes - opens:
                    days.append(day)
            day += timedelta(days=1)
        return days


def local_midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(tz)).astimezone(UTC)


def make_agents(rng: random.Random, count: int, weeks: int) -> list[Agent]:
    """30 agents by default: zones in turn, loads and behaviours shuffled, then the special people picked."""
    full = min(4, max(1, count // 4))
    empty = min(3, max(1, count // 10))
    loads = [FULL_LOAD] * full + [0] * empty + [rng.randint(1, FULL_LOAD - 1) for _ in range(count - full - empty)]
    rng.shuffle(loads)
    responsive, quiet = round(count * 0.5), round(count * 0.3)
    behaviours = ["responsive"] * responsive + ["quiet"] * quiet + ["silent"] * (count - responsive - quiet)
    rng.shuffle(behaviours)
    agents = [
        Agent(id=f"U0AGENT{i:02d}", name=f"agent{i:02d}", tz=ZONES[i % len(ZONES)], behaviour=behaviours[i])
        for i in range(count)
    ]
    load = {a.id: loads[i] for i, a in enumerate(agents)}
    taken: set[str] = set()

    def pick(zone: str | None = None) -> Agent | None:
        candidates = [a for a in agents if a.id not in taken and load[a.id] > 0 and zone in (None, a.tz)]
        if not candidates:
            return None
        chosen = rng.choice(candidates)
        taken.add(chosen.id)
        return chosen

    for hours in CUSTOM_HOURS:
        if (agent := pick()) is not None:
            agent.hours = hours
    first, last = SPAN_START.date(), SPAN_START.date() + timedelta(weeks=weeks) - timedelta(days=1)
    # Martin Luther King Jr. Day (Monday 18 January) and India's Republic Day (Tuesday 26 January).
    for country, zone in (("IN", "Asia/Kolkata"), ("US", "America/New_York")):
        if (agent := pick(zone)) is not None:
            agent.holiday_country = country
            calendar = holidays.country_holidays(country, years=range(first.year, last.year + 1))
            agent.holiday_dates = frozenset(d for d in calendar if first <= d <= last)
    statuses = (
        # (week, first day, last day + 1 as weekday numbers, emoji, text, expires)
        (2, 0, 5, ":palm_tree:", "Vacation", True),
        (3, 2, 4, ":face_with_thermometer:", "Sick", True),
        (4, 0, 2, ":airplane:", "OOO", False),
    )
    for week, begin, finish, emoji, text, expires in statuses:
        if (agent := pick()) is None:
            continue
        monday = SPAN_START.date() + timedelta(weeks=min(week, weeks) - 1)
        at = local_midnight(monday + timedelta(days=begin), agent.tz)
        until = local_midnight(monday + timedelta(days=finish), agent.tz)
        agent.status_plan.append(StatusChange(at, emoji, text, until if expires else None))
        if not expires:
            agent.status_plan.append(StatusChange(until, "", "", None))  # they clear it by hand
        agent.away_periods.append((at, until))
    for agent in agents:
        agent.tasks = [TaskPlan("", "", START) for _ in range(load[agent.id])]
    return agents


def plan_tasks(rng: random.Random, agents: list[Agent], weeks: int) -> list[tuple[Agent, TaskPlan]]:
    """Every task, in the order Maya types them: due dates uniform over the span, 60 % a date alone."""
    zone = ZoneInfo(MANAGER_TZ)
    days = [SPAN_START.date() + timedelta(days=n) for n in range(weeks * 7)]
    times = [time(h, m) for h in range(8, 19) for m in (0, 30)]
    order: list[tuple[Agent, TaskPlan]] = []
    for agent in agents:
        for k, task in enumerate(agent.tasks, start=1):
            task.title = f"{rng.choice(VERBS)} {rng.choice(NOUNS)} {agent.name[-2:]}-{k}"
            day = rng.choice(days)
            if rng.random() < 0.6:
                when, task.due = day.isoformat(), datetime.combine(day, time(17, 0), zone).astimezone(UTC)
            else:
                wall = rng.choice([t for t in times if datetime.combine(day, t, zone) > START + timedelta(hours=1)])
                when = f"{day.isoformat()} {wall.strftime('%H:%M')}"
                task.due = datetime.combine(day, wall, zone).astimezone(UTC)
            task.text = f"<@{agent.id}> {task.title} by {when}{rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]}"
            order.append((agent, task))
    rng.shuffle(order)
    return order


def plan_done(rng: random.Random, agent: Agent, task: TaskPlan, end: datetime) -> None:
    if agent.behaviour == "responsive":
        moment = task.due + timedelta(seconds=rng.uniform(-2 * 86400, 86400))
    elif agent.behaviour == "quiet":
        moment = task.due + timedelta(seconds=rng.uniform(0, 3 * 86400))
    else:
        return
    task.done_at = agent.next_available(max(moment, START), end)


# -- what Baton posted ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dm:
    person: str
    at: datetime
    scheduler: bool
    keys: tuple[str, ...]
    local: datetime
    outside_hours: bool = False
    holiday: bool = False
    away: str = ""  # the status text they had set, when away

    @property
    def kind(self) -> str:
        kinds = sorted({key.split(":", 1)[0] for key in self.keys}) or ["(no key)"]
        return "+".join(kinds) if len(self.keys) <= 1 else f"bundle({'+'.join(kinds)})"


def dedupe_keys(metadata: Any) -> tuple[str, ...]:
    """The outbox keys a message carries: `dedupe_key`, or the list `dedupe_keys` of a bundled message."""
    payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
    if not isinstance(payload, dict):
        return ()
    keys = [payload["dedupe_key"]] if isinstance(payload.get("dedupe_key"), str) else []
    listed = payload.get("dedupe_keys")
    if isinstance(listed, list):
        keys += [k for k in listed if isinstance(k, str) and k not in keys]
    return tuple(keys)


def buttons(message: dict[str, Any], action_id: str) -> list[str]:
    """The value of every element with this action_id anywhere in the message's blocks, in order."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("action_id") == action_id and isinstance(node.get("value"), str):
                found.append(node["value"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks") or [])
    return found


def flatten(node: Any) -> str:
    if isinstance(node, dict):
        return "\n".join(v if k == "text" and isinstance(v, str) else flatten(v) for k, v in node.items())
    if isinstance(node, list):
        return "\n".join(flatten(v) for v in node)
    return ""


class Recorder:
    """Reads FakeSlack's recorded calls from where it stopped last time and keeps every chat.postMessage."""

    def __init__(self, slack: FakeSlack, agents: dict[str, Agent]) -> None:
        self.slack, self.agents = slack, agents
        self.index = 0
        self.dms: list[Dm] = []
        self.manager_dms = Counter[bool]()
        self.channel_posts = 0
        self.posts = 0

    def collect(self, at: datetime, *, scheduler: bool) -> None:
        calls = self.slack.calls
        fresh, self.index = calls[self.index :], len(calls)
        for call in fresh:
            if call.method != "chat.postMessage":
                continue
            self.posts += 1
            channel = str(call.params.get("channel") or "")
            person = "U" + channel[1:] if channel.startswith("D") else channel
            agent = self.agents.get(person)
            if person == MANAGER:
                self.manager_dms[scheduler] += 1
            if agent is None:
                self.channel_posts += person != MANAGER
                continue
            local = agent.local(at)
            self.dms.append(
                Dm(
                    person=agent.id,
                    at=at,
                    scheduler=scheduler,
                    keys=dedupe_keys(call.params.get("metadata")),
                    local=local,
                    outside_hours=not agent.hours.covers(local),
                    holiday=local.date() in agent.holiday_dates,
                    away=agent.away_now(at),
                )
            )
            agent.unseen = True


# -- driving Baton -------------------------------------------------------------------------------------------


@dataclass
class Simulation:
    baton: Baton
    slack: FakeSlack
    clock: FakeClock
    recorder: Recorder
    events: int = 0
    answers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # command kind -> answers
    statuses: Counter[int] = field(default_factory=Counter)  # HTTP status of each dispatch that was not a 200
    status_events: Counter[int] = field(default_factory=Counter)  # HTTP status of each user_change
    clicks: Counter[str] = field(default_factory=Counter)
    done: int = 0

    def dispatch(self, body: str) -> BoltResponse:
        response = self.baton.bolt.dispatch(bolt_request(body))
        self.recorder.collect(self.clock.now(), scheduler=False)
        return response

    def command(self, command: str, text: str, *, user: str, channel: str) -> str:
        body = command_body(
            command, text, user_id=user, channel_id=channel, response_url=self.slack.response_url("command")
        )
        response = self.dispatch(body)
        if response.status != 200:
            self.statuses[response.status] += 1
            return ""
        try:
            return flatten(json.loads(response.body)) if response.body else ""
        except json.JSONDecodeError:
            return response.body

    def feature(self, name: str, command: str, text: str, *, user: str, channel: str) -> bool:
        """A command that may not exist yet: sent, its answer kept; True when Baton did not refuse it."""
        answer = self.command(command, text, user=user, channel=channel)
        understood = bool(answer) and REFUSED.search(answer) is None
        self.answers[name].append(("understood: " if understood else "refused: ") + answer.splitlines()[0][:90])
        return understood

    def click(self, agent: Agent, action_id: str, value: str, message: dict[str, Any]) -> None:
        payload = block_action_payload(
            action_id,
            value,
            user_id=agent.id,
            channel_id=agent.channel,
            message=message,
            response_url=self.slack.response_url("click"),
        )
        response = self.dispatch(action_body(payload))
        if response.status != 200:
            self.statuses[response.status] += 1
        self.clicks[action_id] += 1

    def change_status(self, agent: Agent, change: StatusChange) -> None:
        expiration = int(change.expires.timestamp()) if change.expires else 0
        self.slack.set_status(agent.id, emoji=change.emoji, text=change.text, expiration=expiration)
        agent.status = change
        self.events += 1
        event = {
            "type": "user_change",
            "user": self.slack.user_info(agent.id),
            "cache_ts": int(change.at.timestamp()),
            "event_ts": f"{change.at.timestamp():.6f}",
        }
        response = self.dispatch(event_body(event, event_id=f"Ev0STATUS{self.events:04d}"))
        self.status_events[response.status] += 1

    def act(self, agent: Agent, now: datetime) -> None:
        """What an agent does at a pass moment inside their working hours: read new DMs, click, finish tasks."""
        if agent.unseen and agent.behaviour != "silent":
            agent.unseen = False
            fresh = self.slack.messages(agent.channel)[agent.seen :]
            agent.seen += len(fresh)
            for message in fresh:
                for value in buttons(message, ACCEPT):
                    if value not in agent.accepted:
                        agent.accepted.add(value)
                        self.click(agent, ACCEPT, value, message)
                if agent.behaviour == "responsive":
                    for value in dict.fromkeys(buttons(message, ON_TRACK)):
                        self.click(agent, ON_TRACK, value, message)
        for task in agent.tasks:
            if task.number is not None and task.done_at is not None and task.done_at <= now:
                task.done_at = None
                self.command("/task", f"done T-{task.number}", user=agent.id, channel=agent.channel)
                self.done += 1


@dataclass
class Result:
    agents: list[Agent]
    dms: list[Dm]
    recorder: Recorder
    sim: Simulation
    start: datetime
    end: datetime
    outbox: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    created: int
    refused_tasks: int
    passes: int
    pass_seconds: float


def build(slack: FakeSlack, clock: FakeClock) -> tuple[Baton, Any]:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        slack_bot_token="xoxb-bench-token",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.base_url,
        database_url="sqlite://",
    )
    baton = create_app(
        settings, engine=engine, clock=clock, listener_executor=InlineExecutor(), delivery_executor=InlineExecutor()
    )
    return baton, engine


def moments(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start
    while at < end:
        yield at
        at += STEP


def simulate(agent_count: int, weeks: int) -> Result:
    rng = random.Random(SEED)
    end = SPAN_START + timedelta(weeks=weeks)
    agents = make_agents(rng, agent_count, weeks)
    order = plan_tasks(rng, agents, weeks)
    by_id = {a.id: a for a in agents}
    clock = FakeClock(START)
    with FakeSlack(clock=clock, default_users=False) as slack:
        slack.add_user(MANAGER, name="maya", tz=MANAGER_TZ)
        for agent in agents:
            slack.add_user(agent.id, name=agent.name, tz=agent.tz)
        baton, engine = build(slack, clock)
        try:
            recorder = Recorder(slack, by_id)
            sim = Simulation(baton=baton, slack=slack, clock=clock, recorder=recorder)
            sim.command("/team", "setup", user=MANAGER, channel=TEAM_CHANNEL)
            sim.command("/team", "checkins weekdays 10:00", user=MANAGER, channel=TEAM_CHANNEL)
            for agent in agents:
                if agent.hours.typed:
                    sim.feature(
                        "/task hours", "/task", f"hours {agent.hours.typed}", user=agent.id, channel=agent.channel
                    )
                if agent.holiday_country:
                    text = f"holidays {agent.holiday_country}"
                    sim.feature("/task holidays", "/task", text, user=agent.id, channel=agent.channel)
            created = refused = 0
            for agent, task in order:
                answer = sim.command("/task", task.text, user=MANAGER, channel=TEAM_CHANNEL)
                found = re.search(r"\bT-(\d+)\b", answer)
                if found is None:
                    refused += 1
                    log(f"task refused: /task {task.text} -> {answer[:120]!r}")
                    continue
                created += 1
                task.number = int(found.group(1))
                plan_done(rng, agent, task, end)
            log(f"{len(agents)} agents, {created} tasks created ({refused} refused); passes to {end:%Y-%m-%d %H:%M}")
            changes = sorted(((c.at, a.id, c) for a in agents for c in a.status_plan), key=lambda x: (x[0], x[1]))
            passes, pass_seconds, began = 0, 0.0, timer.monotonic()
            for now in moments(START, end):
                clock.set(now)
                t0 = timer.monotonic()
                baton.run_pass()
                pass_seconds += timer.monotonic() - t0
                passes += 1
                recorder.collect(now, scheduler=True)
                while changes and changes[0][0] <= now:
                    _, person, change = changes.pop(0)
                    sim.change_status(by_id[person], change)
                for agent in agents:
                    if agent.available(now):
                        sim.act(agent, now)
                if now.hour == 0 and now.minute == 0:
                    scheduled = sum(dm.scheduler for dm in recorder.dms)
                    log(f"{now:%a %Y-%m-%d}: {scheduled} scheduler DMs so far ({timer.monotonic() - began:.0f} s)")
            messages = slack.messages()
            with Session(engine) as session:
                rows = session.execute(
                    select(
                        OutboxMessage.dedupe_key,
                        OutboxMessage.kind,
                        OutboxMessage.recipient_id,
                        OutboxMessage.state,
                        OutboxMessage.last_error,
                        OutboxMessage.not_before,
                    )
                ).all()
            outbox = [row._asdict() for row in rows]
        finally:
            baton.close()
    return Result(
        agents=agents,
        dms=recorder.dms,
        recorder=recorder,
        sim=sim,
        start=START,
        end=end,
        outbox=outbox,
        messages=messages,
        created=created,
        refused_tasks=refused,
        passes=passes,
        pass_seconds=pass_seconds,
    )


# -- what is printed -----------------------------------------------------------------------------------------


def print_markdown(title: str, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """bench/tables.py's layout with columns of our own: the title, a blank line, the table, a blank line."""
    columns = list(header)
    print(f"{title}\n")
    print("| " + " | ".join(columns) + " |")
    print("| " + " | ".join("---" for _ in columns) + " |")
    for row in rows:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    print()


def percentile(values: list[int], q: float) -> int:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def per_day(result: Result, agents: list[Agent]) -> list[int]:
    counts: Counter[tuple[str, date]] = Counter((dm.person, dm.local.date()) for dm in result.dms if dm.scheduler)
    return [counts[(a.id, day)] for a in agents for day in a.counted_days(result.start, result.end)]


def spread(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"days": 0, "dms": 0, "p50": None, "p95": None, "max": None}
    return {"days": len(values), "dms": sum(values), "p50": percentile(values, 0.5),
            "p95": percentile(values, 0.95), "max": max(values)}  # fmt: skip


def by_kind(dms: list[Dm]) -> dict[str, list[str]]:
    kinds: dict[str, list[str]] = defaultdict(list)
    for dm in sorted(dms, key=lambda d: d.at):
        kinds[dm.kind].append(f"{dm.local:%H:%M}")
    return dict(sorted(kinds.items(), key=lambda item: item[1][0]))


def times_of(times: list[str]) -> str:
    """ "10:00, 10:15, 20:00" for a few; "10:00-12:45" for more."""
    return ", ".join(times) if len(times) <= 3 else f"{times[0]}-{times[-1]}"


def top(counter: Counter[str], n: int = 6) -> str:
    return ", ".join(f"{name} {count}" for name, count in counter.most_common(n)) or "-"


def audit(result: Result) -> dict[str, Any]:
    """The outbox at the end against the dedupe keys of every posted message."""
    in_messages: Counter[str] = Counter()
    for message in result.messages:
        for key in dedupe_keys(message.get("metadata")):
            in_messages[key] += 1
    cutoff = result.end - timedelta(days=1)
    states: Counter[str] = Counter(row["state"] for row in result.outbox)
    sent_missing = stuck = failed = skipped_bare = 0
    for row in result.outbox:
        not_before = row["not_before"]
        if not_before is not None and not_before.tzinfo is None:
            not_before = not_before.replace(tzinfo=UTC)
        if row["kind"] == "refresh":
            continue  # not a message: it redraws one Baton sent (chat.update), and carries no key of its own
        if row["state"] == "sent" and in_messages[row["dedupe_key"]] == 0:
            sent_missing += 1
        elif row["state"] in ("pending", "sending") and not_before is not None and not_before < cutoff:
            stuck += 1
        elif row["state"] == "failed":
            failed += 1
        elif row["state"] == "skipped" and not row["last_error"]:
            skipped_bare += 1
    return {
        "twice": sum(1 for count in in_messages.values() if count > 1),
        "sent_missing": sent_missing,
        "stuck": stuck,
        "failed": failed,
        "lost": sent_missing + stuck + failed,
        "skipped": states.get("skipped", 0),
        "skipped_without_reason": skipped_bare,
        "states": dict(sorted(states.items())),
        "planned_by_kind": dict(Counter(row["kind"] for row in result.outbox).most_common()),
        "messages": len(result.messages),
        "errors": dict(Counter(row["last_error"] for row in result.outbox if row["last_error"]).most_common(5)),
    }


def fmt_spread(s: dict[str, Any]) -> list[Any]:
    return [s["days"], s["dms"], s["p50"], s["p95"], s["max"]]


def report(result: Result, seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    agents = result.agents
    scheduler = [dm for dm in result.dms if dm.scheduler]
    person = [dm for dm in result.dms if not dm.scheduler]
    full = [a for a in agents if len(a.tasks) == FULL_LOAD]
    groups = [(f"all {len(agents)} agents", agents), (f"{len(full)} agents with {FULL_LOAD} open tasks", full)]
    groups += [
        (f"{len(members)} {behaviour} agents", members)
        for behaviour in ("responsive", "quiet", "silent")
        if (members := [a for a in agents if a.behaviour == behaviour])
    ]
    spreads = {name: spread(per_day(result, members)) for name, members in groups}
    sim = result.sim

    print(
        f"People's time benchmark: {len(agents)} agents, {result.created} tasks, {args.weeks} week(s) from "
        f"{result.start:%Y-%m-%d %H:%M} UTC, {result.passes} passes every {STEP.seconds // 60} min "
        f"(seed {SEED}; {seconds:.0f} s, of which passes {result.pass_seconds:.0f} s)\n"
    )
    setup = [
        (name, len(answers), sum(a.startswith("understood") for a in answers), answers[0]) for name, answers in
        sorted(sim.answers.items())
    ]  # fmt: skip
    codes = ", ".join(f"{code} x{n}" for code, n in sorted(sim.status_events.items())) or "-"
    understood = sum(n for code, n in sim.status_events.items() if code == 200)
    setup.append(("user_change events", sum(sim.status_events.values()), understood, f"HTTP {codes}"))
    print_markdown("0. What Baton was told", ["feature", "sent", "understood", "first answer"], setup)

    print_markdown(
        "1. Scheduler DMs per person and working day (own working days, local dates; less holidays and days away)",
        ["agents", "person-days", "DMs", "p50", "p95", "max", "goal"],
        [[name, *fmt_spread(s), f"p95 <= {GOAL_P95}"] for name, s in spreads.items()],
    )

    def affected(flag: str) -> list[Dm]:
        return [dm for dm in scheduler if getattr(dm, flag)]

    outside, on_holiday, away = affected("outside_hours"), affected("holiday"), affected("away")
    hours_seen = Counter(f"{dm.local:%H}:00" for dm in outside)
    weekend = sum(dm.local.weekday() not in result.recorder.agents[dm.person].hours.days for dm in outside)
    spilled = sum(result.recorder.agents[dm.person].hours.just_after(dm.local) for dm in outside)
    rows = [
        ["outside working hours", len(outside), len({dm.person for dm in outside}),
         f"{weekend} on a non-working day, {spilled} in the hour after theirs ends; local hours: {top(hours_seen)}; "
         f"kinds: {top(Counter(d.kind for d in outside))}", 0],
        ["on their public holidays", len(on_holiday), len({dm.person for dm in on_holiday}),
         top(Counter(f"{dm.local:%Y-%m-%d} {result.recorder.agents[dm.person].holiday_country}" for dm in on_holiday)),
         0],
        ["while away by Slack status", len(away), len({dm.person for dm in away}),
         f"statuses: {top(Counter(d.away for d in away))}; kinds: {top(Counter(d.kind for d in away))}", 0],
    ]  # fmt: skip
    print_markdown("2. Scheduler DMs at the wrong time", ["measure", "DMs", "people", "detail", "goal"], rows)

    lost = audit(result)
    sent_dms = Counter(dm.kind for dm in scheduler)
    rows = [
        ["keys sent twice (in more than one message)", lost["twice"], 0],
        ["rows sent whose key is in no message", lost["sent_missing"], 0],
        [f"rows pending/sending due before {result.end - timedelta(days=1):%Y-%m-%d %H:%M}", lost["stuck"], 0],
        ["rows failed", lost["failed"], 0],
        ["**lost** (the last three)", lost["lost"], 0],
        ["rows skipped (with a reason / without)", f"{lost['skipped']} / {lost['skipped_without_reason']}", "- / 0"],
        ["outbox rows by state", ", ".join(f"{k} {v}" for k, v in lost["states"].items()), ""],
        ["outbox rows planned by kind", ", ".join(f"{k} {v}" for k, v in lost["planned_by_kind"].items()), ""],
        ["messages posted", f"{lost['messages']} ({len(result.dms)} to agents, "
         f"{sum(result.recorder.manager_dms.values())} to Maya, {result.recorder.channel_posts} to channels)", ""],
        ["scheduler DMs to agents, by kind", f"{len(scheduler)}: {top(sent_dms, 10)}", ""],
        ["DMs to agents caused by people (commands, clicks)",
         f"{len(person)}: {top(Counter(dm.kind for dm in person))}", ""],
        ["DMs to Maya: scheduler / caused by people",
         f"{result.recorder.manager_dms[True]} / {result.recorder.manager_dms[False]}", ""],
        ["agents' clicks, `/task done`, non-200 answers",
         f"{top(sim.clicks)}; {sim.done} done; {dict(sim.statuses) or 'none'}", ""],
    ]  # fmt: skip
    if lost["errors"]:
        rows.append(["most common last_error", top(Counter(lost["errors"])), ""])
    print_markdown("3. Follow-ups lost (outbox at the end against posted messages' metadata)",
                   ["measure", "value", "goal"], rows)  # fmt: skip

    totals = Counter(dm.person for dm in scheduler)
    busiest = max(agents, key=lambda a: (totals[a.id], a.id)) if totals else agents[0]
    counted = set(busiest.counted_days(result.start, result.end))
    days: dict[date, list[Dm]] = defaultdict(list)
    for dm in scheduler:
        if dm.person == busiest.id:
            days[dm.local.date()].append(dm)
    first, last = busiest.local(result.start).date(), busiest.local(result.end - timedelta(seconds=1)).date()
    rows = []
    day = first
    while day <= last:
        note = "counted" if day in counted else (
            "holiday" if day in busiest.holiday_dates else "away" if busiest.away_all_day(day)
            else "not working" if day.weekday() not in busiest.hours.days else "partial")  # fmt: skip
        shown = (
            "; ".join(f"{kind} x{len(times)} at {times_of(times)}" for kind, times in by_kind(days[day]).items()) or "-"
        )
        rows.append([day.isoformat(), WEEKDAYS[day.weekday()], note, len(days[day]), shown])
        day += timedelta(days=1)
    print_markdown(
        f"4. The busiest agent: {busiest.name} ({busiest.tz}, {busiest.behaviour}, {len(busiest.tasks)} tasks, "
        f"hours {busiest.hours.typed or '08:00-20:00 mon-fri'}), {totals[busiest.id]} scheduler DMs",
        ["date", "day", "", "DMs", "kinds at local times"],
        rows,
    )
    return {
        "bench": "people_time",
        "quick": args.quick,
        "agents": len(agents),
        "weeks": args.weeks,
        "tasks": result.created,
        "seconds": round(seconds, 1),
        "per_day": {"all": spreads[groups[0][0]], "full_load": spreads[groups[1][0]]},
        "scheduler_dms": len(scheduler),
        "person_dms": len(person),
        "outside_hours": len(outside),
        "on_holidays": len(on_holiday),
        "while_away": len(away),
        "outbox": {k: lost[k] for k in ("twice", "sent_missing", "stuck", "failed", "lost", "messages")},
        "scheduler_dms_by_kind": dict(sent_dms.most_common()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 agents, 1 week (smoke)")
    parser.add_argument("--json", metavar="PATH", help="also write the headline numbers here as JSON")
    parser.add_argument("--weeks", type=int, help="simulated weeks from Monday 2027-01-11 (default 4)")
    parser.add_argument("--agents", type=int, help="agents (default 30)")
    args = parser.parse_args()
    args.weeks = args.weeks or (1 if args.quick else 4)
    args.agents = args.agents or (10 if args.quick else 30)
    if args.weeks < 1 or args.agents < 1:
        parser.error("--weeks and --agents must be at least 1")
    # Baton's and Bolt's own logs (e.g. Bolt's warning for a user_change it has no listener for) stay quiet.
    logging.basicConfig(level=logging.ERROR)
    started = timer.monotonic()
    result = simulate(args.agents, args.weeks)
    headline = report(result, timer.monotonic() - started, args)
    if args.json:
        Path(args.json).write_text(json.dumps(headline, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

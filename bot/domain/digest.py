"""The weekly manager digest: which tasks and people a manager should look at on Monday morning.

Pure rules on plain facts, so they are tested on hand-made data; the planner gathers the facts
(bounded, indexed queries) and the renderer turns the result into Block Kit.

- overdue: active tasks whose deadline has passed;
- at risk: active tasks due within the next 48 hours that had a check-in with no answer since, or
  whose latest check-in answer was Blocked;
- load imbalance (per team, among the people with a task in it that is active or finished in the
  period): people whose weighted open load (`Priority.weight`) is at least twice the team's median
  (and 3 or more: one normal task beside an idle colleague is not news), or who carry none while
  someone else in the team carries 3 or more;
- may need support: people with 2 or more overdue tasks, or who answered Blocked twice in the period;
- to recognise: people whose tasks of the period (finished in it, or due in it) were all done on
  time, or who received kudos in it.

A week with nothing in any section gives no digest at all.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from bot.domain import worktime
from bot.domain.model import Priority

AT_RISK_WINDOW = timedelta(hours=48)
PERIOD = timedelta(days=7)
IMBALANCE_FACTOR = 2
IDLE_WHEN_OTHERS_CARRY = 3
SUPPORT_OVERDUE = 2
SUPPORT_BLOCKED = 2
DIGEST_WEEKDAY = 0  # Monday
DIGEST_TIME = time(9, 0)


def latest_digest(now: datetime, *, tz: str) -> datetime:
    """The latest Monday 09:00 in the manager's zone at or before `now` (catch-up sends only it)."""
    today = worktime.local_date(now, tz=tz)
    monday = today - timedelta(days=(today.weekday() - DIGEST_WEEKDAY) % 7)
    moment = worktime.at_local(monday, DIGEST_TIME, tz=tz)
    return moment if moment <= now else worktime.at_local(monday - timedelta(days=7), DIGEST_TIME, tz=tz)


def next_digest(after: datetime, *, tz: str) -> datetime:
    """The first Monday 09:00 in the manager's zone strictly after `after`."""
    latest = latest_digest(after, tz=tz)
    monday = worktime.local_date(latest, tz=tz) + timedelta(days=7)
    return worktime.at_local(monday, DIGEST_TIME, tz=tz)


@dataclass(frozen=True)
class DigestTask:
    """One task of a managed team as the digest sees it."""

    number: int
    title: str
    team_id: int
    assignee_id: str
    priority: Priority
    active: bool  # open or accepted
    due_at: datetime | None = None
    done_at: datetime | None = None
    # The scheduled moment of the last check-in sent about it (None: none yet).
    last_checkin_at: datetime | None = None
    # Its latest check-in answer: "on_track" or "blocked", and when.
    last_answer: str | None = None
    last_answer_at: datetime | None = None


@dataclass(frozen=True)
class TaskLine:
    number: int
    title: str
    assignee_id: str
    due_at: datetime | None
    reason: str = ""


@dataclass(frozen=True)
class LoadLine:
    team_id: int
    user_id: str
    load: int
    median: float
    reason: str  # "heavy" or "idle"


@dataclass(frozen=True)
class PersonLine:
    user_id: str
    reason: str


@dataclass(frozen=True)
class Digest:
    overdue: list[TaskLine] = field(default_factory=list)
    at_risk: list[TaskLine] = field(default_factory=list)
    imbalance: list[LoadLine] = field(default_factory=list)
    support: list[PersonLine] = field(default_factory=list)
    recognise: list[PersonLine] = field(default_factory=list)

    @property
    def is_quiet(self) -> bool:
        return not (self.overdue or self.at_risk or self.imbalance or self.support or self.recognise)


def _line(task: DigestTask, reason: str = "") -> TaskLine:
    return TaskLine(task.number, task.title, task.assignee_id, task.due_at, reason)


def _at_risk_reason(task: DigestTask, now: datetime) -> str | None:
    if task.last_answer == "blocked":
        return "blocked"
    if task.due_at is None or not (now <= task.due_at <= now + AT_RISK_WINDOW):
        return None
    checked = task.last_checkin_at
    if checked is not None and checked <= now and (task.last_answer_at is None or task.last_answer_at < checked):
        return "no answer to the last check-in"
    return None


def imbalance(team_id: int, loads: dict[str, int]) -> list[LoadLine]:
    """Load imbalance in one team, from each considered person's weighted open load."""
    if len(loads) < 2:
        return []
    median = statistics.median(loads.values())
    lines: list[LoadLine] = []
    for user, load in sorted(loads.items(), key=lambda item: (-item[1], item[0])):
        others = [v for u, v in loads.items() if u != user]
        if median > 0 and load >= IMBALANCE_FACTOR * median and load >= IDLE_WHEN_OTHERS_CARRY:
            lines.append(LoadLine(team_id, user, load, float(median), "heavy"))
        elif load == 0 and any(v >= IDLE_WHEN_OTHERS_CARRY for v in others):
            lines.append(LoadLine(team_id, user, load, float(median), "idle"))
    return lines


def build(
    tasks: Sequence[DigestTask],
    *,
    now: datetime,
    since: datetime,
    blocked_answers: Sequence[tuple[str, datetime]] = (),
    kudos_received: Sequence[tuple[str, datetime]] = (),
) -> Digest:
    """The digest as of `now` for the period (since, now].

    `tasks`: the managed teams' active tasks and those finished in the period; `blocked_answers`:
    (assignee, when) for each Blocked check-in answer; `kudos_received`: (recipient, when)."""
    active = [t for t in tasks if t.active]
    overdue = sorted((t for t in active if t.due_at is not None and t.due_at < now), key=_sort_key)
    at_risk: list[TaskLine] = []
    for task in sorted(active, key=_sort_key):
        if task.due_at is not None and task.due_at < now:
            continue  # already in overdue
        reason = _at_risk_reason(task, now)
        if reason is not None:
            at_risk.append(_line(task, reason))

    # Load: everyone with a task in the team (active, or finished in the period) is considered.
    loads: dict[int, dict[str, int]] = defaultdict(dict)
    for task in tasks:
        team = loads[task.team_id]
        team.setdefault(task.assignee_id, 0)
        if task.active:
            team[task.assignee_id] += task.priority.weight
    lines = [line for team_id in sorted(loads) for line in imbalance(team_id, loads[team_id])]

    overdue_count = Counter(t.assignee_id for t in overdue)
    blocked_count = Counter(user for user, at in blocked_answers if since < at <= now)
    support: list[PersonLine] = []
    for user in sorted(set(overdue_count) | set(blocked_count)):
        reasons = []
        if overdue_count[user] >= SUPPORT_OVERDUE:
            reasons.append(f"{overdue_count[user]} overdue tasks")
        if blocked_count[user] >= SUPPORT_BLOCKED:
            reasons.append(f"blocked {blocked_count[user]} times this week")
        if reasons:
            support.append(PersonLine(user, ", ".join(reasons)))

    # Recognition: the tasks of the period are those finished in it and the active ones due in it.
    of_period: dict[str, list[DigestTask]] = defaultdict(list)
    for task in tasks:
        finished = not task.active and task.done_at is not None and since < task.done_at <= now
        missed = task.active and task.due_at is not None and since < task.due_at <= now
        if finished or missed:
            of_period[task.assignee_id].append(task)
    kudos = Counter(user for user, at in kudos_received if since < at <= now)
    recognise: list[PersonLine] = []
    for user in sorted(set(of_period) | set(kudos)):
        reasons = []
        done = of_period.get(user, [])
        if done and all(
            not t.active and (t.due_at is None or (t.done_at is not None and t.done_at <= t.due_at)) for t in done
        ):
            reasons.append(f"all {len(done)} tasks of the week done on time" if len(done) > 1 else "done on time")
        if kudos[user]:
            reasons.append(f"{kudos[user]} kudos")
        if reasons:
            recognise.append(PersonLine(user, ", ".join(reasons)))

    return Digest(
        overdue=[_line(t) for t in overdue],
        at_risk=at_risk,
        imbalance=lines,
        support=support,
        recognise=recognise,
    )


def _sort_key(task: DigestTask) -> tuple[int, float, int]:
    """Soonest due first; tasks without a deadline last."""
    if task.due_at is None:
        return (1, 0.0, task.number)
    return (0, task.due_at.timestamp(), task.number)

"""Team insight: the figures of `/team report`, worked out from plain rows with no I/O.

The service gathers rows (tasks, check-ins sent, answers, kudos) for the period and the one before;
`team_report` turns them into a frozen `TeamReport`. A figure with nothing to measure (no task with a
due date done, no check-in sent) is `None`, never a division by zero: the edges show it as "—".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from bot.domain.model import Priority, TaskStatus

# An answer counts for a check-in when it comes within this long, and before the next check-in
# about the same task: a status a day late is no longer an answer to that day's question.
ANSWER_WINDOW = timedelta(hours=24)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Period:
    """A stretch of time ending at `end` (the moment the report is made); `start` is excluded."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime, *, days: int) -> Period:
        if days <= 0:
            raise ValueError("a period lasts at least one day")
        return cls(start=end - timedelta(days=days), end=end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same length just before this one, for the trend."""
        return Period(start=self.start - (self.end - self.start), end=self.start)

    def holds(self, moment: datetime) -> bool:
        return self.start < moment <= self.end


@dataclass(frozen=True)
class TaskRow:
    """A team task: open or accepted now, or done in one of the two periods."""

    assignee_id: str
    priority: Priority
    status: TaskStatus
    created_at: datetime
    due_at: datetime | None = None
    done_at: datetime | None = None


@dataclass(frozen=True)
class CheckinRow:
    """A check-in DM Baton really sent (an outbox row of kind check-in, state sent)."""

    task_id: int
    recipient_id: str
    sent_at: datetime


@dataclass(frozen=True)
class AnswerRow:
    """A history event that answers a check-in: on track, blocked, or done."""

    task_id: int
    actor_id: str
    at: datetime


@dataclass(frozen=True)
class KudosRow:
    """One person thanked by one kudos in the team."""

    recipient_id: str
    at: datetime


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Ratio:
    """`hits` out of `total`; no percentage when there is nothing to count."""

    hits: int = 0
    total: int = 0

    @property
    def percent(self) -> int | None:
        """Whole percent, halves rounded up (2/3 is 67, 1/8 is 13)."""
        if self.total == 0:
            return None
        return (200 * self.hits + self.total) // (2 * self.total)

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.hits + other.hits, self.total + other.total)


@dataclass(frozen=True)
class Stats:
    """What a person, or the whole team, got done over one period."""

    done: int = 0
    on_time: Ratio = Ratio()  # done by the due date, of those done that had one
    time_to_done: timedelta | None = None  # mean, creation to done
    checkins: Ratio = Ratio()  # answered, of those sent whose answer window has closed or was used
    response: timedelta | None = None  # median time from a check-in to its answer
    kudos: int = 0


@dataclass(frozen=True)
class Load:
    """Open work now: open and accepted tasks, weighted by priority (low 1 … urgent 4)."""

    open_tasks: int = 0
    weighted: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class PersonReport:
    user_id: str
    stats: Stats
    load: Load


@dataclass(frozen=True)
class Trend:
    """This period less the previous one; `None` where either side has nothing to measure."""

    done: int
    on_time_pts: int | None
    time_to_done: timedelta | None
    answered_pts: int | None
    response: timedelta | None
    kudos: int


@dataclass(frozen=True)
class TeamReport:
    period: Period
    people: tuple[PersonReport, ...]
    team: Stats
    previous: Stats
    load: Load

    @property
    def trend(self) -> Trend:
        now, before = self.team, self.previous
        return Trend(
            done=now.done - before.done,
            on_time_pts=_difference(now.on_time.percent, before.on_time.percent),
            time_to_done=_difference(now.time_to_done, before.time_to_done),
            answered_pts=_difference(now.checkins.percent, before.checkins.percent),
            response=_difference(now.response, before.response),
            kudos=now.kudos - before.kudos,
        )


_Amount = TypeVar("_Amount", int, timedelta)


def _difference(now: _Amount | None, before: _Amount | None) -> _Amount | None:
    if now is None or before is None:
        return None
    return now - before


# --------------------------------------------------------------------------- the maths


@dataclass(frozen=True)
class _Answered:
    """One check-in's outcome: answered after `gap`, unanswered, or still waiting (`counts` False)."""

    recipient_id: str
    sent_at: datetime
    gap: timedelta | None
    counts: bool


def _mean(spans: Sequence[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return sum(spans, timedelta()) / len(spans)


def _median(spans: Sequence[timedelta]) -> timedelta | None:
    if not spans:
        return None
    ordered = sorted(spans)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _answers(answer: AnswerRow, checkin: CheckinRow, following: datetime | None) -> bool:
    return (
        answer.actor_id == checkin.recipient_id
        and checkin.sent_at < answer.at <= checkin.sent_at + ANSWER_WINDOW
        and (following is None or answer.at < following)
    )


def _match_answers(checkins: Iterable[CheckinRow], answers: Iterable[AnswerRow], *, now: datetime) -> list[_Answered]:
    """Pair each check-in with its answer: the recipient's first answer after it was sent, within
    `ANSWER_WINDOW` and before the next check-in about the same task.

    An unanswered check-in whose window is still open at `now` does not count yet: it may still be
    answered.
    """
    by_task: dict[int, list[CheckinRow]] = defaultdict(list)
    for checkin in checkins:
        by_task[checkin.task_id].append(checkin)
    answers_by_task: dict[int, list[AnswerRow]] = defaultdict(list)
    for answer in answers:
        answers_by_task[answer.task_id].append(answer)

    matched: list[_Answered] = []
    for task_id, rows in by_task.items():
        rows.sort(key=lambda row: row.sent_at)
        task_answers = sorted(answers_by_task.get(task_id, ()), key=lambda answer: answer.at)
        for index, checkin in enumerate(rows):
            following = rows[index + 1].sent_at if index + 1 < len(rows) else None
            closes = checkin.sent_at + ANSWER_WINDOW
            if following is not None:
                closes = min(closes, following)

            gap = next((a.at - checkin.sent_at for a in task_answers if _answers(a, checkin, following)), None)
            counts = gap is not None or closes <= now
            matched.append(_Answered(checkin.recipient_id, checkin.sent_at, gap, counts))
    return matched


def _stats(
    period: Period,
    tasks: Iterable[TaskRow],
    answered: Iterable[_Answered],
    kudos: Iterable[KudosRow],
) -> Stats:
    done = [t for t in tasks if t.status is TaskStatus.DONE and t.done_at is not None and period.holds(t.done_at)]
    with_due = [t for t in done if t.due_at is not None]
    on_time = sum(1 for t in with_due if t.done_at is not None and t.due_at is not None and t.done_at <= t.due_at)
    spans = [t.done_at - t.created_at for t in done if t.done_at is not None]
    sent = [a for a in answered if period.holds(a.sent_at) and a.counts]
    gaps = [a.gap for a in sent if a.gap is not None]
    return Stats(
        done=len(done),
        on_time=Ratio(on_time, len(with_due)),
        time_to_done=_mean(spans),
        checkins=Ratio(len(gaps), len(sent)),
        response=_median(gaps),
        kudos=sum(1 for k in kudos if period.holds(k.at)),
    )


def _load(tasks: Iterable[TaskRow], *, now: datetime) -> Load:
    active = [t for t in tasks if t.status.is_active]
    return Load(
        open_tasks=len(active),
        weighted=sum(t.priority.weight for t in active),
        overdue=sum(1 for t in active if t.due_at is not None and t.due_at <= now),
    )


def team_report(
    *,
    period: Period,
    tasks: Sequence[TaskRow],
    checkins: Sequence[CheckinRow],
    answers: Sequence[AnswerRow],
    kudos: Sequence[KudosRow],
) -> TeamReport:
    """The report for `period`, with the period before it for the trend.

    `tasks` are the team's tasks open or accepted now and those done in either period. A person is
    in the report when they have one open now, finished one in the period, or got a check-in in
    it. The team's kudos count everyone thanked in the team channel, in each period alike, so the
    trend compares like with like (a person thanked but otherwise idle has no row of their own).
    """
    now = period.end
    answered = _match_answers(checkins, answers, now=now)
    people = {t.assignee_id for t in tasks if t.status.is_active or (t.done_at is not None and period.holds(t.done_at))}
    people.update(a.recipient_id for a in answered if period.holds(a.sent_at))
    kept_kudos = [k for k in kudos if k.recipient_id in people]

    tasks_of: dict[str, list[TaskRow]] = defaultdict(list)
    for task in tasks:
        tasks_of[task.assignee_id].append(task)
    answered_of: dict[str, list[_Answered]] = defaultdict(list)
    for item in answered:
        answered_of[item.recipient_id].append(item)
    kudos_of: dict[str, list[KudosRow]] = defaultdict(list)
    for row in kept_kudos:
        kudos_of[row.recipient_id].append(row)

    reports = [
        PersonReport(
            user_id=user_id,
            stats=_stats(period, tasks_of[user_id], answered_of[user_id], kudos_of[user_id]),
            load=_load(tasks_of[user_id], now=now),
        )
        for user_id in people
    ]
    # Who needs a look first: most overdue, then the heaviest load.
    reports.sort(key=lambda r: (-r.load.overdue, -r.load.weighted, r.user_id))
    return TeamReport(
        period=period,
        people=tuple(reports),
        team=_stats(period, tasks, answered, kudos),
        previous=_stats(period.previous(), tasks, answered, kudos),
        load=_load(tasks, now=now),
    )

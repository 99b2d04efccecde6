"""The planner: as of `now`, write every follow-up that is due into the outbox, exactly once.

Each task carries `next_check_at`, the next moment anything could be due for it; a pass reads only
tasks whose moment has come (an indexed scan in bounded batches), asks `domain/worktime.py` what is
due, inserts outbox rows whose unique dedupe keys make a second plan of the same moment a no-op, and
moves `next_check_at` on. Teams carry `next_recognition_at` the same way for the weekly recognition.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from bot.domain import worktime
from bot.domain.model import CheckinSchedule, OutboxKind, TaskStatus
from bot.domain.payloads import (
    CheckinPayload,
    EscalationPayload,
    FinishedLine,
    KudosLine,
    OverduePayload,
    Payload,
    RecognitionPayload,
    ReminderPayload,
    StreakLine,
    UnansweredPayload,
    WarningPayload,
)
from bot.services.availability import AvailabilityReader
from bot.services.digests import plan_digests
from bot.services.read_models import schedule_of
from bot.services.series import plan_occurrences
from storage.models import Task, Team
from storage.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

PLAN_BATCH = 500
MAX_PLAN_BATCHES = 40  # 20 000 tasks a pass at most; the next pass goes on where this one stopped
RECOGNITION_BATCH = 100
STREAK_LOOKBACK = 50
DEFAULT_ESCALATION = 2  # a task with no team: its delegator hears after two unanswered check-ins

_Add = Callable[[str, OutboxKind, str, Payload], None]


@dataclass
class _Cache:
    """Per-batch lookups, so a batch of tasks reads each team and person once."""

    teams: dict[int, Team | None]
    people: AvailabilityReader
    managers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # The batch's outbox rows, written together before its commit (nothing in a pass reads them back before).
    rows: list[dict[str, Any]] = field(default_factory=list)


def _is_on_time(task: Task) -> bool:
    return task.due_at is None or (task.done_at is not None and task.done_at <= task.due_at)


class Planner:
    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def plan_due(self, now: datetime) -> int:
        """Plan everything due at `now`; returns how many outbox rows were written."""
        with self._uow(read_only=True) as uow:
            due = uow.probe.due_work(now)  # an idle pass opens no write transaction
        planned = plan_occurrences(self._uow, now) if due.series else 0  # first: a new occurrence plans too
        for _ in range(MAX_PLAN_BATCHES if due.tasks or due.series else 0):
            with self._uow() as uow:
                due_ids = uow.tasks.ids_due_for_planning(now=now, limit=PLAN_BATCH)
                tasks = uow.tasks.for_planning(due_ids)
                cache = _Cache(teams={}, people=AvailabilityReader(uow, now=now))
                # The batch's teams, assignees and delegators, read together rather than a statement or two each.
                cache.teams.update(uow.teams.many(t.team_id for t in tasks if t.team_id is not None))
                cache.people.read_ahead((t.workspace_id, u) for t in tasks for u in (t.assignee_id, t.delegator_id))
                # No autoflush: the batch's task updates are written once, together, rather than one UPDATE before
                # each lookup (none of which reads them back).
                with uow.session.no_autoflush:
                    for task in tasks:
                        self._plan_task(uow, task, now=now, cache=cache)
                    uow.tasks.write_changes(tasks)  # one executemany, not an UPDATE per set of changed columns
                planned += uow.outbox.add_many(cache.rows)
                uow.commit()
            if len(due_ids) < PLAN_BATCH:
                break
        if due.recognitions:
            planned += self._plan_recognitions(now)
        if due.digests:
            planned += plan_digests(self._uow, now)
        return planned

    # tasks -------------------------------------------------------------------------------------
    def _team(self, uow: UnitOfWork, task: Task, cache: _Cache) -> Team | None:
        if task.team_id is None:
            return None
        if task.team_id not in cache.teams:
            cache.teams[task.team_id] = uow.teams.get(task.workspace_id, task.team_id, with_managers=False)
        team = cache.teams[task.team_id]
        return team if team is not None and team.workspace_id == task.workspace_id else None

    def _managers(self, task: Task, team: Team | None, cache: _Cache) -> tuple[str, ...]:
        """Who hears of a task's silence: its team's managers, else its delegator; never the assignee."""
        if team is None:
            found: tuple[str, ...] = (task.delegator_id,)
        else:
            if team.id not in cache.managers:
                cache.managers[team.id] = tuple(m.user_id for m in team.managers)
            found = cache.managers[team.id] or (task.delegator_id,)
        return tuple(u for u in found if u != task.assignee_id)

    def _plan_task(self, uow: UnitOfWork, task: Task, *, now: datetime, cache: _Cache) -> None:
        """Queue what is due for the task into `cache.rows`, and move its `next_check_at` on."""
        team = self._team(uow, task, cache)
        calendar = team.calendar if team else None
        who = cache.people.of(
            task.workspace_id, task.assignee_id, team_calendar=calendar, fallback_tz=team.tz if team else "UTC"
        )
        tz = who.tz
        away = worktime.covering(who.away, now)  # away: no check-ins or warnings until it ends
        schedule = schedule_of(team) if team else CheckinSchedule()
        upcoming: list[datetime] = []

        def add(key: str, kind: OutboxKind, to: str, payload: Payload) -> None:
            """Queue one DM, held to the start of the recipient's next working period (CONTRACT)."""
            reader = who if to == task.assignee_id else cache.people.of(task.workspace_id, to, team_calendar=calendar)
            row = uow.outbox.queued(
                task.workspace_id,
                dedupe_key=key,
                kind=kind,
                recipient_id=to,
                task_id=task.id,
                payload=payload,
                now=now,
                not_before=worktime.next_working_start(now, reader),
            )
            cache.rows.append(row)

        if TaskStatus(task.status) is TaskStatus.OPEN:
            upcoming += self._plan_answer_reminders(task, now=now, who=who, schedule=schedule, away=away, add=add)
        else:
            upcoming += self._plan_checkins(
                uow, task, team, now=now, who=who, schedule=schedule, away=away, add=add, cache=cache
            )

        if task.due_at is not None:
            due = task.due_at
            due_key = due.isoformat()
            if now < due:
                # Deadline warnings, moved earlier into the assignee's working time; after an outage only
                # the latest one that is due goes out (a 24 h warning an hour before the deadline is noise).
                moments = worktime.warning_moments(due, who)
                ready = [
                    (at, name)
                    for name, at in moments.items()
                    if task.created_at < at <= now and worktime.covering(who.away, at) is None
                ]
                if ready and away is None:
                    # The latest due; when both moved to the same moment (a Monday 07:00 deadline: Friday's
                    # end of day), the 1-hour warning, which says how close it is.
                    _, name = max(ready, key=lambda item: (item[0], item[1] == "warn1"))
                    hours = 24 if name == "warn24" else 1
                    add(
                        f"{name}:{task.id}:{due_key}",
                        OutboxKind.WARNING,
                        task.assignee_id,
                        WarningPayload(hours_before=hours, due=due, tz=tz),
                    )
                upcoming += [at for at in moments.values() if at > now]
                upcoming.append(due)
            else:
                # Overdue: at the due time, then once each working day of the assignee. Each moment is notified
                # once (`overdue_after`), after an outage only the latest, and at most one notice a local
                # day: the key names the day it goes out on. Each copy waits for its reader's working time.
                latest = worktime.latest_overdue_moment(due, who=who, now=now)
                if latest is not None and (task.overdue_after is None or latest > task.overdue_after):
                    task.overdue_after = latest
                    day = worktime.local_date(now, tz=tz).isoformat()
                    for audience, to in (("assignee", task.assignee_id), ("delegator", task.delegator_id)):
                        if audience == "delegator" and to == task.assignee_id:
                            continue
                        if audience == "assignee" and away is not None:
                            continue  # away: only the delegator hears of it
                        add(
                            f"overdue:{task.id}:{due_key}:{day}:{audience}",
                            OutboxKind.OVERDUE,
                            to,
                            OverduePayload(audience=audience, due=due, moment=latest, tz=tz),
                        )
                upcoming.append(worktime.next_overdue_moment(due, who=who, after=now))

        later = [at for at in upcoming if at > now]
        task.next_check_at = min(later) if later else None

    def _plan_checkins(
        self,
        uow: UnitOfWork,
        task: Task,
        team: Team | None,
        *,
        now: datetime,
        who: worktime.Availability,
        schedule: CheckinSchedule,
        away: worktime.Period | None,
        add: _Add,
        cache: _Cache,
    ) -> list[datetime]:
        """An accepted task's check-in (at most one per local day, caught up once) and, when its last
        check-ins went unanswered, the managers' escalation; returns when to look again."""
        upcoming: list[datetime] = []
        last = task.checkin_after or task.created_at
        moment = worktime.due_checkin(last_pass=last, now=now, who=who, schedule=schedule)
        if away is not None:
            # Check-ins missed while away are not caught up afterwards; a snooze ending inside it lapses.
            moment = None
            task.checkin_after = max(last, away.ends_at)
            if task.snoozed_until is not None and task.snoozed_until <= away.ends_at:
                task.snoozed_until = None
            upcoming.append(away.ends_at)
        elif task.snoozed_until is not None:
            # "Later": the regular check-ins until then are skipped, and one goes out at that moment.
            if moment is not None:
                task.checkin_after = moment
                moment = None
            if task.snoozed_until <= now and worktime.is_working(now, who):
                moment = now
                task.snoozed_until = None
            else:
                upcoming.append(max(task.snoozed_until, worktime.next_working_start(now, who)))
        if moment is not None:
            self._escalate_if_silent(uow, task, team, now=now, add=add, cache=cache)
            # Keyed by the local day it goes out on: a caught-up check-in and that day's own share it.
            day = worktime.local_date(now, tz=who.tz)
            add(
                f"checkin:{task.id}:{day.isoformat()}",
                OutboxKind.CHECKIN,
                task.assignee_id,
                CheckinPayload(scheduled=moment, day=day, tz=who.tz),
            )
            task.checkin_after = moment
            # Counted when planned, so `/team preview` (the planner run ahead) sees escalations as they will
            # come; an answer resets it.
            task.checkins_unanswered += 1
        next_checkin = worktime.next_checkin_pass(
            last_pass=task.checkin_after or task.created_at, now=now, who=who, schedule=schedule
        )
        if next_checkin is not None and away is None:
            upcoming.append(next_checkin)
        return upcoming

    def _escalate_if_silent(
        self, uow: UnitOfWork, task: Task, team: Team | None, *, now: datetime, add: _Add, cache: _Cache
    ) -> None:
        """When the task's last n check-ins all went unanswered (`/team escalation`, 2 by default), its team's
        managers hear of it once; not again until the assignee answers (which resets the count)."""
        after = team.escalation_after if team is not None else DEFAULT_ESCALATION
        if after <= 0 or task.checkins_unanswered < after or task.escalated_at is not None:
            return
        silent_since = task.last_answer_at or task.accepted_at or task.created_at
        task.escalated_at = now
        for manager in self._managers(task, team, cache):
            add(
                f"escalation:{task.id}:{silent_since.isoformat()}:{manager}",
                OutboxKind.ESCALATION,
                manager,
                EscalationPayload(silent_since=silent_since, unanswered=task.checkins_unanswered),
            )

    def _plan_answer_reminders(
        self,
        task: Task,
        *,
        now: datetime,
        who: worktime.Availability,
        schedule: CheckinSchedule,
        away: worktime.Period | None,
        add: _Add,
    ) -> list[datetime]:
        """A task not accepted yet gets no check-ins: at its first check-in moment after the day it was
        handed over, one reminder to accept or decline; a working day after that, if still unanswered,
        the delegator is told once. Returns when to look again."""
        seq = task.assignment_seq
        if task.reminded_at is None:
            # Not on the day it was handed over: the assignment DM itself is that day's word.
            handed_at = task.assigned_at or task.created_at
            last = worktime.at_local(
                worktime.local_date(handed_at, tz=who.tz) + timedelta(days=1), time(0, 0), tz=who.tz
            )
            moment = (
                None if away is not None else worktime.due_checkin(last_pass=last, now=now, who=who, schedule=schedule)
            )
            if moment is None:
                wake = worktime.next_checkin_pass(last_pass=last, now=now, who=who, schedule=schedule)
                if away is not None:
                    return [away.ends_at]
                return [wake] if wake is not None else [worktime.next_working_morning(now, who)]
            add(f"reminder:{task.id}:{seq}", OutboxKind.REMINDER, task.assignee_id, ReminderPayload(tz=who.tz))
            task.reminded_at = now
            task.checkin_after = moment
        if task.unanswered_told_at is not None or task.delegator_id == task.assignee_id:
            return []
        tell_at = worktime.one_working_day_after(task.reminded_at, who)
        if now < tell_at:
            return [tell_at]
        add(
            f"unanswered:{task.id}:{seq}:{task.delegator_id}",
            OutboxKind.UNANSWERED,
            task.delegator_id,
            UnansweredPayload(since=task.assigned_at or task.created_at),
        )
        task.unanswered_told_at = now
        return []

    # weekly recognition --------------------------------------------------------------------------
    def _plan_recognitions(self, now: datetime) -> int:
        planned = 0
        with self._uow() as uow:
            for team in uow.teams.due_for_recognition(now=now, limit=RECOGNITION_BATCH):
                planned += self._plan_recognition(uow, team, now=now)
            uow.commit()
        return planned

    def _plan_recognition(self, uow: UnitOfWork, team: Team, *, now: datetime) -> int:
        scheduled = team.next_recognition_at or now
        since = team.last_recognition_at or team.created_at
        done = uow.tasks.done_in_team(team.workspace_id, team.id, after=since, until=now)
        kudos = uow.kudos.since(team.workspace_id, team_id=team.id, since=since, until=now)
        team.last_recognition_at = now
        team.next_recognition_at = worktime.next_recognition(now, tz=team.tz)
        if not done and not kudos:
            return 0  # a quiet week: nothing to celebrate, no message
        by_person: dict[str, list[Task]] = defaultdict(list)
        for task in done:
            by_person[task.assignee_id].append(task)
        finished = tuple(
            FinishedLine(
                user_id=user,
                count=len(tasks),
                on_time=sum(_is_on_time(t) for t in tasks),
                titles=tuple(t.title for t in tasks[:5]),
            )
            for user, tasks in sorted(by_person.items(), key=lambda item: -len(item[1]))
        )
        streaks: list[StreakLine] = []
        for user in by_person:
            streak = 0
            for task in uow.tasks.recent_done_by(team.workspace_id, team.id, user, limit=STREAK_LOOKBACK):
                if not _is_on_time(task):
                    break
                streak += 1
            if streak >= 2:
                streaks.append(StreakLine(user_id=user, streak=streak))
        counts: Counter[str] = Counter(r.user_id for k in kudos for r in k.recipients)
        payload = RecognitionPayload(
            team_channel_id=team.channel_id,
            since=since,
            finished=finished,
            streaks=tuple(sorted(streaks, key=lambda s: -s.streak)),
            kudos=tuple(KudosLine(user_id=u, count=c) for u, c in counts.most_common(10)),
        )
        day = worktime.local_date(scheduled, tz=team.tz).isoformat()
        row = uow.outbox.add(
            team.workspace_id,
            dedupe_key=f"recognition:{team.id}:{day}",
            kind=OutboxKind.RECOGNITION,
            recipient_id=team.channel_id,
            payload=payload,
            now=now,
        )
        return int(row is not None)

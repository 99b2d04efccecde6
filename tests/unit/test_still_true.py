"""Whether a queued message is still true at its turn: every kind against the task's states and facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.model import OutboxKind, Outgoing, Priority, TaskStatus, TaskView
from bot.domain.payloads import from_json
from bot.domain.still_true import NOT_WHILE_AWAY, TaskFacts, still_true

NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)
TODAY = "2026-12-01"
ASSIGNEE, DELEGATOR, OTHER, CHANNEL = "UASSIGNEE", "UDELEGATOR", "UOTHER", "CTEAM"
DUE = NOW + timedelta(hours=5)
SEQ = 2
ACTIVE = (TaskStatus.OPEN, TaskStatus.ACCEPTED)
ALL = tuple(TaskStatus)


def task(status: TaskStatus = TaskStatus.ACCEPTED, *, due: datetime | None = DUE) -> TaskView:
    return TaskView(
        id=7,
        workspace_id="T1",
        number=7,
        title="Ship the report",
        details="",
        assignee_id=ASSIGNEE,
        delegator_id=DELEGATOR,
        priority=Priority.NORMAL,
        status=status,
        created_at=NOW - timedelta(days=2),
        due_at=due,
    )


# What each kind's row carries when it was planned for the task as it stands (`task()` above).
PLANNED: dict[OutboxKind, tuple[str, str, dict[str, Any]]] = {
    OutboxKind.ASSIGNMENT: (f"assignment:7:{SEQ}", ASSIGNEE, {"seq": SEQ}),
    OutboxKind.ACCEPTED: ("accepted:7", DELEGATOR, {"actor_id": ASSIGNEE}),
    OutboxKind.DECLINED: ("declined:7", DELEGATOR, {"actor_id": ASSIGNEE, "reason": "busy"}),
    OutboxKind.UNASSIGNED: ("unassigned:7", OTHER, {"actor_id": DELEGATOR, "new_assignee_id": ASSIGNEE}),
    OutboxKind.DUE_CHANGED: ("due_changed:7", ASSIGNEE, {"actor_id": DELEGATOR, "new_due": DUE.isoformat()}),
    OutboxKind.CANCELLED: ("cancelled:7", ASSIGNEE, {"actor_id": DELEGATOR, "reason": ""}),
    OutboxKind.CELEBRATION: ("celebration:7", CHANNEL, {"actor_id": ASSIGNEE, "note": ""}),
    OutboxKind.KUDOS: ("kudos:7", CHANNEL, {"giver_id": DELEGATOR, "recipient_ids": [ASSIGNEE], "message": "x"}),
    OutboxKind.CHECKIN: (f"checkin:7:{TODAY}", ASSIGNEE, {"tz": "UTC", "day": TODAY}),
    OutboxKind.WARNING: ("warning:7:1", ASSIGNEE, {"tz": "UTC", "due": DUE.isoformat(), "hours_before": 1}),
    OutboxKind.DIGEST: ("digest:U1:2026-11-30", DELEGATOR, {}),
    OutboxKind.OVERDUE: ("overdue:7:a", ASSIGNEE, {"tz": "UTC", "due": DUE.isoformat(), "audience": "assignee"}),
    OutboxKind.BLOCKED: ("blocked:7", DELEGATOR, {"reason": "waiting"}),
    OutboxKind.RECOGNITION: ("recognition:1:2026-11-30", CHANNEL, {}),
    OutboxKind.AWAY_FLAG: ("away_flag:7", DELEGATOR, {}),
    OutboxKind.ESCALATION: ("escalation:7:1", "UMANAGER", {}),
    OutboxKind.REMINDER: (f"reminder:7:{SEQ}", ASSIGNEE, {"tz": "UTC"}),
    OutboxKind.UNANSWERED: (f"unanswered:7:{SEQ}:{DELEGATOR}", DELEGATOR, {"tz": "UTC"}),
    OutboxKind.REFRESH: ("refresh:C1:1.2:1", "C1", {"channel": "C1", "ts": "1.2"}),
}
PLAIN_FACTS = TaskFacts(assignment_seq=SEQ, silent=True)


def queued(kind: OutboxKind, about: TaskView | None = None, **payload: Any) -> Outgoing:
    key, recipient, planned = PLANNED[kind]
    return Outgoing(
        kind=kind, dedupe_key=key, recipient_id=recipient, task=about, payload=from_json(kind, {**planned, **payload})
    )


def test_every_kind_has_a_planned_row() -> None:
    assert set(PLANNED) == set(OutboxKind)


# The task's states in which each kind, as planned, is still sent (with the task due in five hours).
STILL_SENT_IN: dict[OutboxKind, tuple[TaskStatus, ...]] = {
    OutboxKind.ASSIGNMENT: (TaskStatus.OPEN,),
    OutboxKind.ACCEPTED: ALL,
    OutboxKind.DECLINED: ALL,
    OutboxKind.UNASSIGNED: ALL,
    OutboxKind.DUE_CHANGED: (TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.DECLINED),
    OutboxKind.CANCELLED: ALL,
    OutboxKind.CELEBRATION: (TaskStatus.DONE,),
    OutboxKind.KUDOS: ALL,
    OutboxKind.CHECKIN: (TaskStatus.ACCEPTED,),
    OutboxKind.WARNING: ACTIVE,
    OutboxKind.DIGEST: ALL,
    OutboxKind.OVERDUE: ACTIVE,
    OutboxKind.BLOCKED: ALL,
    OutboxKind.RECOGNITION: ALL,
    OutboxKind.AWAY_FLAG: ALL,
    OutboxKind.ESCALATION: (TaskStatus.ACCEPTED,),
    OutboxKind.REMINDER: (TaskStatus.OPEN,),
    OutboxKind.UNANSWERED: (TaskStatus.OPEN,),
    OutboxKind.REFRESH: ALL,
}


@pytest.mark.parametrize("status", list(TaskStatus), ids=str)
@pytest.mark.parametrize("kind", list(OutboxKind), ids=str)
def test_each_kind_is_sent_only_while_its_task_is_in_a_state_it_speaks_of(kind: OutboxKind, status: TaskStatus) -> None:
    assert still_true(queued(kind, task(status)), PLAIN_FACTS, now=NOW) is (status in STILL_SENT_IN[kind])


@pytest.mark.parametrize("kind", list(OutboxKind), ids=str)
def test_a_message_about_a_task_no_longer_stored_is_never_sent(kind: OutboxKind) -> None:
    assert still_true(queued(kind), TaskFacts(task_gone=True), now=NOW) is False


@pytest.mark.parametrize(
    ("kind", "sent"),
    [(kind, kind in (OutboxKind.KUDOS, OutboxKind.RECOGNITION, OutboxKind.DIGEST)) for kind in OutboxKind],
    ids=str,
)
def test_without_a_task_only_kudos_recognition_and_digests_are_sent(kind: OutboxKind, sent: bool) -> None:
    assert still_true(queued(kind), TaskFacts(), now=NOW) is sent


@pytest.mark.parametrize("kind", list(OutboxKind), ids=str)
def test_nothing_that_asks_the_assignee_for_something_reaches_them_while_away(kind: OutboxKind) -> None:
    out = replace(queued(kind, task()), recipient_id=ASSIGNEE)
    away = replace(PLAIN_FACTS, assignee_away=True)

    if kind in NOT_WHILE_AWAY:
        assert still_true(out, away, now=NOW) is False
    else:
        assert still_true(out, away, now=NOW) is still_true(out, PLAIN_FACTS, now=NOW)


def test_the_delegator_still_hears_of_an_overdue_task_while_its_assignee_is_away() -> None:
    out = queued(OutboxKind.OVERDUE, task(), audience="delegator")
    out = replace(out, recipient_id=DELEGATOR)

    assert still_true(out, replace(PLAIN_FACTS, assignee_away=True), now=NOW) is True


@pytest.mark.parametrize("kind", [OutboxKind.CHECKIN, OutboxKind.WARNING, OutboxKind.REMINDER], ids=str)
def test_what_was_queued_for_a_previous_assignee_is_not_sent_to_them(kind: OutboxKind) -> None:
    out = queued(kind, task(TaskStatus.OPEN if kind is OutboxKind.REMINDER else TaskStatus.ACCEPTED))

    assert still_true(out, PLAIN_FACTS, now=NOW) is True
    assert still_true(replace(out, recipient_id=OTHER), PLAIN_FACTS, now=NOW) is False


@pytest.mark.parametrize(
    ("audience", "recipient", "sent"),
    [
        ("assignee", ASSIGNEE, True),
        ("assignee", DELEGATOR, False),
        ("delegator", DELEGATOR, True),
        ("delegator", ASSIGNEE, False),
        (None, DELEGATOR, True),  # no audience: the delegator's
        (None, ASSIGNEE, False),
    ],
)
def test_an_overdue_notice_goes_only_to_the_side_it_was_written_for(
    audience: str | None, recipient: str, sent: bool
) -> None:
    out = replace(queued(OutboxKind.OVERDUE, task(), audience=audience), recipient_id=recipient)

    assert still_true(out, PLAIN_FACTS, now=NOW) is sent


@pytest.mark.parametrize(
    ("day", "tz", "sent"),
    [
        (TODAY, "UTC", True),
        ("2026-11-30", "UTC", False),  # held up past the day it was for
        ("2026-12-02", "Pacific/Auckland", True),  # 04:00 on the 2nd there
        (TODAY, "Pacific/Auckland", False),
        (TODAY, None, True),  # no zone: UTC
    ],
)
def test_a_checkin_goes_only_on_the_local_day_it_was_for(day: str, tz: str | None, sent: bool) -> None:
    assert still_true(queued(OutboxKind.CHECKIN, task(), day=day, tz=tz), PLAIN_FACTS, now=NOW) is sent


@pytest.mark.parametrize(
    ("key_seq", "current_seq", "sent"),
    [(SEQ, SEQ, True), (SEQ - 1, SEQ, False), (SEQ, None, False)],
)
@pytest.mark.parametrize("kind", [OutboxKind.REMINDER, OutboxKind.UNANSWERED], ids=str)
def test_a_reminder_speaks_only_of_the_current_hand_over(
    kind: OutboxKind, key_seq: int, current_seq: int | None, sent: bool
) -> None:
    out = queued(kind, task(TaskStatus.OPEN))
    out = replace(out, dedupe_key=out.dedupe_key.replace(f":{SEQ}", f":{key_seq}", 1))

    assert still_true(out, TaskFacts(assignment_seq=current_seq), now=NOW) is sent


@pytest.mark.parametrize(("silent", "sent"), [(True, True), (False, False)])
def test_an_escalation_goes_only_while_the_check_ins_are_still_unanswered(silent: bool, sent: bool) -> None:
    assert still_true(queued(OutboxKind.ESCALATION, task()), TaskFacts(silent=silent), now=NOW) is sent


@pytest.mark.parametrize(
    ("due", "planned_due", "hours_before", "sent"),
    [
        (DUE, DUE, 1, True),
        (DUE, DUE, 24, True),  # five hours left: the 1-hour warning's turn has not come
        (NOW + timedelta(hours=1), NOW + timedelta(hours=1), 24, False),  # it has: the 24-hour one is old news
        (NOW + timedelta(minutes=59), NOW + timedelta(minutes=59), 24, False),
        (NOW + timedelta(minutes=59), NOW + timedelta(minutes=59), 1, True),
        (NOW, NOW, 1, False),  # the deadline is here
        (NOW - timedelta(minutes=1), NOW - timedelta(minutes=1), 1, False),
        (DUE + timedelta(days=1), DUE, 1, False),  # the deadline moved
        (None, DUE, 1, False),  # the deadline was removed
        (None, None, 1, False),
    ],
)
def test_a_warning_goes_only_for_the_deadline_it_was_planned_for_and_before_it(
    due: datetime | None, planned_due: datetime | None, hours_before: int, sent: bool
) -> None:
    out = queued(
        OutboxKind.WARNING,
        task(due=due),
        due=planned_due.isoformat() if planned_due else None,
        hours_before=hours_before,
    )

    assert still_true(out, PLAIN_FACTS, now=NOW) is sent


@pytest.mark.parametrize(
    ("due", "planned_due", "sent_today", "overtaken", "sent"),
    [
        (NOW - timedelta(hours=2), NOW - timedelta(hours=2), False, False, True),
        (DUE, DUE, False, False, True),  # whether it is overdue yet is the planner's word, not this rule's
        (NOW - timedelta(hours=2), NOW - timedelta(hours=2), True, False, False),  # today's went already
        (NOW - timedelta(hours=2), NOW - timedelta(hours=2), False, True, False),  # a later moment came
        (NOW - timedelta(hours=1), NOW - timedelta(hours=2), False, False, False),  # the deadline moved
        (None, NOW - timedelta(hours=2), False, False, False),
    ],
)
def test_an_overdue_notice_goes_once_a_day_for_the_deadline_it_was_planned_for(
    due: datetime | None, planned_due: datetime | None, sent_today: bool, overtaken: bool, sent: bool
) -> None:
    out = queued(OutboxKind.OVERDUE, task(due=due), due=planned_due.isoformat() if planned_due else None)
    facts = replace(PLAIN_FACTS, overdue_sent_today=sent_today, overdue_overtaken=overtaken)

    assert still_true(out, facts, now=NOW) is sent


@pytest.mark.parametrize(
    ("recipient", "planned_seq", "sent"),
    [(ASSIGNEE, SEQ, True), (OTHER, SEQ, False), (ASSIGNEE, SEQ - 1, False), (ASSIGNEE, None, False)],
)
def test_an_assignment_goes_only_to_the_current_assignee_for_the_current_hand_over(
    recipient: str, planned_seq: int | None, sent: bool
) -> None:
    out = replace(queued(OutboxKind.ASSIGNMENT, task(TaskStatus.OPEN), seq=planned_seq), recipient_id=recipient)

    assert still_true(out, PLAIN_FACTS, now=NOW) is sent


@pytest.mark.parametrize(
    ("due", "new_due", "sent"),
    [(DUE, DUE, True), (DUE, DUE - timedelta(hours=1), False), (None, None, True), (None, DUE, False)],
)
def test_a_due_change_notice_goes_only_while_the_deadline_is_still_the_one_it_tells_of(
    due: datetime | None, new_due: datetime | None, sent: bool
) -> None:
    out = queued(OutboxKind.DUE_CHANGED, task(due=due), new_due=new_due.isoformat() if new_due else None)

    assert still_true(out, PLAIN_FACTS, now=NOW) is sent

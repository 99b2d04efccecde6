"""Task state changes as pure functions: who may, no-ops, the task after, its history line and notices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import transitions
from bot.domain.errors import BadInput, NotAllowed
from bot.domain.model import HistoryEntry, OutboxKind, PersonView, TaskAction, TaskStatus
from bot.domain.payloads import (
    AcceptedPayload,
    AssignmentPayload,
    CancelledPayload,
    CelebrationPayload,
    DeclinedPayload,
    DueChangedPayload,
    UnassignedPayload,
    payload_as,
)
from bot.domain.transitions import Notice, TaskState

CREATED = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
NOW = CREATED + timedelta(hours=3)
DUE = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
ASSIGNEE, DELEGATOR, MANAGER, OTHER = "UASSIGNEE", "UDELEGATOR", "UMANAGER", "UOTHER"


def person(user_id: str, *, admin: bool = False) -> PersonView:
    return PersonView(user_id=user_id, display_name=user_id, tz="UTC", is_admin=admin)


def state(status: TaskStatus = TaskStatus.ACCEPTED, **changes: object) -> TaskState:
    task = TaskState(
        id=41,
        number=7,
        delegator_id=DELEGATOR,
        created_channel_id="D0DM",
        assignee_id=ASSIGNEE,
        status=status,
        assignment_seq=1,
        due_at=DUE,
        updated_at=CREATED,
        accepted_at=CREATED if status is TaskStatus.ACCEPTED else None,
        next_check_at=CREATED,
        assigned_at=CREATED,
    )
    return replace(task, **changes)  # type: ignore[arg-type]


def complete(task: TaskState, by: str = ASSIGNEE, **kwargs: object) -> transitions.Transition:
    kwargs.setdefault("managers", ())
    kwargs.setdefault("team_channel_id", None)
    kwargs.setdefault("note", "")
    return transitions.complete(task, actor=person(by), now=NOW, **kwargs)  # type: ignore[arg-type]


# a new task ----------------------------------------------------------------------------------------
def test_a_task_for_someone_else_waits_for_their_answer_and_one_for_oneself_is_accepted() -> None:
    assert transitions.opening(assignee_id=ASSIGNEE, delegator_id=DELEGATOR, now=NOW) == transitions.Opening(
        status=TaskStatus.OPEN, accepted_at=None, asks_assignee=True
    )
    assert transitions.opening(assignee_id=DELEGATOR, delegator_id=DELEGATOR, now=NOW) == transitions.Opening(
        status=TaskStatus.ACCEPTED, accepted_at=NOW, asks_assignee=False
    )


def test_the_assignment_dm_is_keyed_by_the_assignment() -> None:
    assert transitions.assignment_notice(task_id=41, assignee_id=ASSIGNEE, assignment_seq=3) == Notice(
        OutboxKind.ASSIGNMENT, ASSIGNEE, "assign:41:3", AssignmentPayload(seq=3)
    )


def test_notices_go_once_to_each_and_not_to_whoever_did_it() -> None:
    sent = transitions.notices(
        OutboxKind.CANCELLED,
        to=[ASSIGNEE, DELEGATOR, ASSIGNEE],
        actor_id=DELEGATOR,
        key="cancelled:41",
        payload=CancelledPayload(),
    )

    assert [(n.recipient_id, n.dedupe_key) for n in sent] == [(ASSIGNEE, f"cancelled:41:{ASSIGNEE}")]
    kept = transitions.notices(
        OutboxKind.CELEBRATION, to=[OTHER], actor_id=OTHER, key="k", payload=CelebrationPayload(), skip_self=False
    )
    assert [n.recipient_id for n in kept] == [OTHER]


@pytest.mark.parametrize(
    ("conversation", "is_channel"), [("C1", True), ("G1", True), ("D1", False), ("", False), (None, False)]
)
def test_channels_are_told_from_dms(conversation: str | None, is_channel: bool) -> None:
    assert transitions.is_channel(conversation) is is_channel


# answers -------------------------------------------------------------------------------------------
def test_accepting_an_open_task() -> None:
    change = transitions.accept(state(TaskStatus.OPEN), actor_id=ASSIGNEE, now=NOW)

    assert change.changed
    assert (change.task.status, change.task.accepted_at, change.task.updated_at) == (TaskStatus.ACCEPTED, NOW, NOW)
    assert change.history == HistoryEntry(at=NOW, actor_id=ASSIGNEE, action=TaskAction.ACCEPTED)
    assert change.notices == (
        Notice(OutboxKind.ACCEPTED, DELEGATOR, f"accepted:41:1:{DELEGATOR}", AcceptedPayload(actor_id=ASSIGNEE)),
    )


def test_accepting_again_is_a_no_op_and_a_finished_task_refuses() -> None:
    accepted = state(TaskStatus.ACCEPTED)
    again = transitions.accept(accepted, actor_id=ASSIGNEE, now=NOW)

    assert (again.changed, again.task, again.history, again.notices) == (False, accepted, None, ())
    with pytest.raises(BadInput, match=r"^T-7 is already done\.$"):
        transitions.accept(state(TaskStatus.DONE), actor_id=ASSIGNEE, now=NOW)


def test_only_the_assignee_answers() -> None:
    with pytest.raises(NotAllowed, match="Only <@UASSIGNEE>, who T-7 is assigned to, can answer this."):
        transitions.accept(state(TaskStatus.OPEN), actor_id=DELEGATOR, now=NOW)
    with pytest.raises(NotAllowed):
        transitions.decline(state(TaskStatus.OPEN), actor_id=DELEGATOR, reason="", now=NOW)


def test_declining_keeps_a_trimmed_reason_and_stops_the_follow_ups() -> None:
    change = transitions.decline(state(TaskStatus.OPEN), actor_id=ASSIGNEE, reason="  " + "x" * 600, now=NOW)

    assert (change.task.status, change.task.decline_reason, change.task.next_check_at) == (
        TaskStatus.DECLINED,
        "x" * 500,
        None,
    )
    assert change.history is not None and change.history.detail == "x" * 500
    assert change.notices[0].payload == DeclinedPayload(actor_id=ASSIGNEE, reason="x" * 500)
    blank = transitions.decline(state(TaskStatus.OPEN), actor_id=ASSIGNEE, reason="  ", now=NOW)
    assert blank.task.decline_reason is None


# done ----------------------------------------------------------------------------------------------
def test_done_ends_the_follow_ups_and_is_celebrated() -> None:
    change = complete(state(checkins_unanswered=3, escalated_at=CREATED), note=" shipped ")

    after = change.task
    assert (after.status, after.done_at, after.updated_at, after.next_check_at) == (TaskStatus.DONE, NOW, NOW, None)
    assert (after.checkins_unanswered, after.escalated_at) == (0, None)
    assert change.history == HistoryEntry(at=NOW, actor_id=ASSIGNEE, action=TaskAction.DONE, detail="shipped")
    assert change.notices == (
        Notice(
            OutboxKind.CELEBRATION,
            DELEGATOR,
            f"celebrate:41:{DELEGATOR}",
            CelebrationPayload(actor_id=ASSIGNEE, note="shipped"),
        ),
    )


@pytest.mark.parametrize(
    ("team_channel_id", "created_channel_id", "where"),
    [
        ("CTEAM", "CRANDOM", "CTEAM"),
        (None, "CRANDOM", "CRANDOM"),
        (None, "GPRIVATE", "GPRIVATE"),
        (None, "D0DM", DELEGATOR),
    ],
)
def test_done_is_celebrated_with_the_team_else_where_the_task_was_made_else_its_delegator(
    team_channel_id: str | None, created_channel_id: str, where: str
) -> None:
    change = complete(state(created_channel_id=created_channel_id), team_channel_id=team_channel_id)

    assert [n.recipient_id for n in change.notices] == [where]


def test_a_delegator_finishing_their_own_task_still_gets_the_celebration() -> None:
    change = complete(state(), by=DELEGATOR)

    assert [n.recipient_id for n in change.notices] == [DELEGATOR]


@pytest.mark.parametrize("status", [TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.DECLINED])
def test_any_active_task_can_be_done(status: TaskStatus) -> None:
    assert complete(state(status)).task.status is TaskStatus.DONE


def test_done_twice_is_a_no_op_and_a_cancelled_task_is_not_done() -> None:
    assert not complete(state(TaskStatus.DONE)).changed
    with pytest.raises(BadInput, match=r"^T-7 was cancelled\.$"):
        complete(state(TaskStatus.CANCELLED))


# who may change a task -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actor", "managers", "allowed"),
    [
        (person(ASSIGNEE), (), True),
        (person(DELEGATOR), (), True),
        (person(MANAGER), (MANAGER,), True),
        (person(OTHER, admin=True), (), True),
        (person(OTHER), (MANAGER,), False),
        (person(MANAGER), (), False),
    ],
)
def test_the_assignee_the_delegator_a_team_manager_or_an_admin_may_change_a_task(
    actor: PersonView, managers: tuple[str, ...], allowed: bool
) -> None:
    changes: list[Callable[[], transitions.Transition]] = [
        lambda: transitions.complete(state(), actor=actor, managers=managers, team_channel_id=None, note="", now=NOW),
        lambda: transitions.cancel(state(), actor=actor, managers=managers, reason="", now=NOW),
        lambda: transitions.reassign(state(), actor=actor, managers=managers, assignee_id=OTHER, now=NOW),
        lambda: transitions.change_due(
            state(), actor=actor, managers=managers, due_at=NOW + timedelta(days=9), now=NOW
        ),
    ]
    for change in changes:
        if allowed:
            assert change().changed
        else:
            with pytest.raises(NotAllowed, match=r"^Only T-7's assignee \(<@UASSIGNEE>\)"):
                change()


def test_permission_is_checked_before_the_state() -> None:
    with pytest.raises(NotAllowed):
        transitions.cancel(state(TaskStatus.CANCELLED), actor=person(OTHER), managers=(), reason="", now=NOW)


# cancel --------------------------------------------------------------------------------------------
def test_cancelling_tells_assignee_and_delegator_but_not_whoever_cancelled() -> None:
    change = transitions.cancel(state(), actor=person(DELEGATOR), managers=(), reason=" not needed ", now=NOW)

    assert (change.task.status, change.task.cancelled_at, change.task.next_check_at) == (
        TaskStatus.CANCELLED,
        NOW,
        None,
    )
    assert change.history == HistoryEntry(at=NOW, actor_id=DELEGATOR, action=TaskAction.CANCELLED, detail="not needed")
    assert change.notices == (
        Notice(
            OutboxKind.CANCELLED,
            ASSIGNEE,
            f"cancelled:41:{ASSIGNEE}",
            CancelledPayload(actor_id=DELEGATOR, reason="not needed"),
        ),
    )
    by_admin = transitions.cancel(state(), actor=person(OTHER, admin=True), managers=(), reason="", now=NOW)
    assert [n.recipient_id for n in by_admin.notices] == [ASSIGNEE, DELEGATOR]


def test_cancelling_twice_is_a_no_op_and_a_done_task_stays_done() -> None:
    assert not transitions.cancel(
        state(TaskStatus.CANCELLED), actor=person(DELEGATOR), managers=(), reason="", now=NOW
    ).changed
    with pytest.raises(BadInput, match=r"^T-7 is already done\.$"):
        transitions.cancel(state(TaskStatus.DONE), actor=person(DELEGATOR), managers=(), reason="", now=NOW)


# reassign ------------------------------------------------------------------------------------------
def test_a_new_assignee_starts_afresh() -> None:
    before = state(
        assignment_channel_id="D0DM",
        assignment_ts="1.1",
        reminded_at=CREATED,
        unanswered_told_at=CREATED,
        escalated_at=CREATED,
        last_answer_at=CREATED,
        checkins_unanswered=2,
        decline_reason="busy",
    )

    change = transitions.reassign(before, actor=person(DELEGATOR), managers=(), assignee_id=OTHER, now=NOW)

    assert change.task == replace(
        before,
        status=TaskStatus.OPEN,
        assignee_id=OTHER,
        assignment_seq=2,
        accepted_at=None,
        decline_reason=None,
        assignment_channel_id=None,
        assignment_ts=None,
        updated_at=NOW,
        next_check_at=NOW,
        assigned_at=NOW,
        reminded_at=None,
        unanswered_told_at=None,
        escalated_at=None,
        last_answer_at=None,
        checkins_unanswered=0,
    )
    assert change.history == HistoryEntry(
        at=NOW, actor_id=DELEGATOR, action=TaskAction.REASSIGNED, detail=f"{ASSIGNEE}>{OTHER}"
    )
    assert change.notices == (
        Notice(OutboxKind.ASSIGNMENT, OTHER, "assign:41:2", AssignmentPayload(seq=2)),
        Notice(
            OutboxKind.UNASSIGNED,
            ASSIGNEE,
            f"unassigned:41:2:{ASSIGNEE}",
            UnassignedPayload(actor_id=DELEGATOR, new_assignee_id=OTHER),
        ),
    )


def test_giving_a_task_to_whoever_has_it_is_refused_unless_they_declined_it() -> None:
    with pytest.raises(BadInput, match=r"^T-7 is already assigned to <@UASSIGNEE>\.$"):
        transitions.reassign(state(), actor=person(DELEGATOR), managers=(), assignee_id=ASSIGNEE, now=NOW)

    change = transitions.reassign(
        state(TaskStatus.DECLINED), actor=person(DELEGATOR), managers=(), assignee_id=ASSIGNEE, now=NOW
    )

    assert change.task.status is TaskStatus.OPEN
    assert [n.kind for n in change.notices] == [OutboxKind.ASSIGNMENT]  # nobody was unassigned


@pytest.mark.parametrize("status", [TaskStatus.DONE, TaskStatus.CANCELLED])
def test_a_finished_task_is_not_reassigned(status: TaskStatus) -> None:
    with pytest.raises(BadInput, match="T-7"):
        transitions.reassign(state(status), actor=person(DELEGATOR), managers=(), assignee_id=OTHER, now=NOW)


# a new deadline ------------------------------------------------------------------------------------
def test_a_new_deadline_is_planned_afresh_and_told() -> None:
    new_due = DUE + timedelta(days=3)

    change = transitions.change_due(
        state(overdue_after=DUE), actor=person(DELEGATOR), managers=(), due_at=new_due, now=NOW
    )

    assert (change.task.due_at, change.task.overdue_after, change.task.next_check_at) == (new_due, None, NOW)
    assert change.task.status is TaskStatus.ACCEPTED
    assert change.history == HistoryEntry(
        at=NOW, actor_id=DELEGATOR, action=TaskAction.DUE_CHANGED, detail=new_due.isoformat()
    )
    assert change.notices == (
        Notice(
            OutboxKind.DUE_CHANGED,
            ASSIGNEE,
            f"due:41:{new_due.isoformat()}:{ASSIGNEE}",
            DueChangedPayload(actor_id=DELEGATOR, old_due=DUE, new_due=new_due),
        ),
    )


def test_a_first_deadline_has_no_old_one_and_the_same_deadline_is_a_no_op() -> None:
    first = transitions.change_due(state(due_at=None), actor=person(ASSIGNEE), managers=(), due_at=DUE, now=NOW)

    assert payload_as(first.notices[0].payload, DueChangedPayload).old_due is None
    assert first.notices[0].recipient_id == DELEGATOR
    assert not transitions.change_due(state(), actor=person(ASSIGNEE), managers=(), due_at=DUE, now=NOW).changed


def test_a_finished_task_keeps_its_deadline_even_when_the_same_one_is_given() -> None:
    with pytest.raises(BadInput, match=r"^T-7 is already done\.$"):
        transitions.change_due(state(TaskStatus.DONE), actor=person(DELEGATOR), managers=(), due_at=DUE, now=NOW)

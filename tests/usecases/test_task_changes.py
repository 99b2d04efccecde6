"""Task use cases called directly: new task, answers, done, cancel, reassign and a new deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.domain.errors import BadInput, NotAllowed, NotFound
from bot.domain.model import Priority, TaskStatus
from bot.services.tasks import NewTask
from storage.models import Task, TimeOff
from tests.conftest import START
from tests.usecases.conftest import (
    ADMIN,
    ALICE,
    BOB,
    BOT,
    GONE,
    MANAGER,
    STRANGER,
    TEAM_CHANNEL,
    WORKSPACE,
    UseCases,
)

# "fri 5pm" typed by the manager in New York on Tuesday 1 December 2026.
FRIDAY_5PM_NEW_YORK = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


def delegate(app: UseCases, assignee: str = ALICE, *, by: str = MANAGER, **kwargs: Any) -> int:
    """A new task for `assignee`; returns its number."""
    kwargs.setdefault("title", "Ship the report")
    return app.tasks.delegate(WORKSPACE, by, NewTask(assignee_id=assignee, **kwargs)).number


def accepted(app: UseCases, assignee: str = ALICE, **kwargs: Any) -> int:
    number = delegate(app, assignee, **kwargs)
    app.tasks.accept(WORKSPACE, assignee, app.task(number).id)
    return number


# new task ------------------------------------------------------------------------------------------
def test_a_new_task_is_stored_open_numbered_and_queues_the_assignees_dm(app: UseCases) -> None:
    view = app.tasks.delegate(
        WORKSPACE,
        MANAGER,
        NewTask(assignee_id=ALICE, title="  Ship   the report ", when_text="fri 5pm", priority=Priority.HIGH),
    )

    assert (view.ref, view.title, view.status, view.due_at) == (
        "T-1",
        "Ship the report",
        TaskStatus.OPEN,
        FRIDAY_5PM_NEW_YORK,
    )
    task = app.task(1)
    assert (task.status, task.priority, task.assignment_seq) == ("open", "high", 1)
    assert (task.created_at, task.assigned_at, task.next_check_at, task.accepted_at) == (START, START, START, None)
    assert app.history(1) == [(MANAGER, "created", "")]
    assert app.queued() == [("assignment", ALICE, f"assign:{task.id}:1")]
    (row,) = app.outbox()
    assert row.payload == {"seq": 1}
    assert app.deliverer.last.outbox_ids == (row.id,)
    assert app.deliverer.last.touched == (ALICE, MANAGER)
    assert app.deliverer.last.posts  # a DM to post: past the budget it waits without its kind being read


def test_numbers_count_up_per_workspace(app: UseCases) -> None:
    assert [delegate(app), delegate(app, BOB), delegate(app)] == [1, 2, 3]


def test_a_task_for_oneself_starts_accepted_and_asks_nobody(app: UseCases) -> None:
    number = delegate(app, MANAGER)

    task = app.task(number)
    assert (task.status, task.accepted_at) == ("accepted", START)
    assert app.queued() == []
    assert app.deliverer.last.outbox_ids == ()


def test_a_new_task_typed_in_a_team_channel_belongs_to_the_team(app: UseCases) -> None:
    team_id = app.team(managers=(BOB,))

    view = app.tasks.delegate(WORKSPACE, MANAGER, NewTask(assignee_id=ALICE, title="Plan", channel_id=TEAM_CHANNEL))

    assert (view.team_id, view.team_channel_id) == (team_id, TEAM_CHANNEL)
    assert app.deliverer.last.touched == (ALICE, MANAGER, BOB)


def test_a_deadline_from_the_modals_pickers_is_read_in_the_delegators_zone(app: UseCases) -> None:
    view = app.tasks.delegate(WORKSPACE, MANAGER, NewTask(assignee_id=ALICE, title="Plan", due_date=date(2026, 12, 3)))

    assert view.due_at == datetime(2026, 12, 3, 22, 0, tzinfo=UTC)  # 17:00 in New York


@pytest.mark.parametrize(
    ("new", "field", "says"),
    [
        (NewTask(assignee_id=ALICE, title="   "), "title", "Give the task a title."),
        (NewTask(assignee_id=ALICE, title="x" * 201), "title", "keep it to"),
        (NewTask(assignee_id=ALICE, title="Plan", details="x" * 2001), "details", "Details are limited"),
        (NewTask(assignee_id=BOT, title="Plan"), "assignee", "is a bot"),
        (NewTask(assignee_id=GONE, title="Plan"), "assignee", "deactivated"),
        (NewTask(assignee_id="UNOBODY", title="Plan"), "assignee", "couldn't find"),
        (NewTask(assignee_id=ALICE, title="Plan", due_date=date(2026, 11, 30)), "due", "in the past"),
        (NewTask(assignee_id=ALICE, title="Plan", team_id=999), "team", "no longer exists"),
    ],
)
def test_a_new_task_that_cannot_be_made_is_refused_and_nothing_is_stored(
    app: UseCases, new: NewTask, field: str, says: str
) -> None:
    with pytest.raises((BadInput, NotFound)) as refused:
        app.tasks.delegate(WORKSPACE, MANAGER, new)

    assert refused.value.field == field
    assert says in refused.value.reply
    assert app.rows(Task) == [] and app.queued() == []
    assert app.deliverer.calls == []


def test_a_deadline_in_the_assignees_time_off_tells_the_delegator(app: UseCases) -> None:
    with app.uow() as uow:
        uow.workspaces.ensure(WORKSPACE, now=START)
        uow.time_off.add(
            TimeOff(
                workspace_id=WORKSPACE,
                user_id=ALICE,
                starts_at=START + timedelta(days=2),
                ends_at=START + timedelta(days=9),
                created_by=ALICE,
                created_at=START,
            )
        )
        uow.commit()

    delegate(app, when_text="fri 5pm")

    assert [(kind, to) for kind, to, _ in app.queued()] == [("assignment", ALICE), ("away_flag", MANAGER)]


# answers from the assignee -------------------------------------------------------------------------
def test_accepting_tells_the_delegator_once(app: UseCases) -> None:
    number = delegate(app)
    task_id = app.task(number).id
    app.clock.advance(minutes=5)

    outcome = app.tasks.accept(WORKSPACE, ALICE, task_id)

    assert (outcome.changed, outcome.task.status) == (True, TaskStatus.ACCEPTED)
    assert app.task(number).accepted_at == app.clock.now()
    assert app.history(number)[-1] == (ALICE, "accepted", "")
    assert app.queued()[-1] == ("accepted", MANAGER, f"accepted:{task_id}:1:{MANAGER}")
    calls = len(app.deliverer.calls)

    again = app.tasks.accept(WORKSPACE, ALICE, task_id)

    assert (again.changed, again.task.status) == (False, TaskStatus.ACCEPTED)
    assert len(app.history(number)) == 2 and len(app.queued()) == 2
    assert len(app.deliverer.calls) == calls  # nothing to send, nobody's Home to refresh


def test_only_the_assignee_answers(app: UseCases) -> None:
    number = delegate(app)

    with pytest.raises(NotAllowed, match="who T-1 is assigned to"):
        app.tasks.accept(WORKSPACE, MANAGER, app.task(number).id)

    assert app.task(number).status == "open"


def test_declining_keeps_the_reason_and_stops_the_follow_ups(app: UseCases) -> None:
    number = delegate(app)
    task_id = app.task(number).id

    outcome = app.tasks.decline(WORKSPACE, ALICE, task_id, "  no time this week  ")

    assert outcome.task.decline_reason == "no time this week"
    task = app.task(number)
    assert (task.status, task.next_check_at) == ("declined", None)
    assert app.history(number)[-1] == (ALICE, "declined", "no time this week")
    (row,) = app.outbox(*app.deliverer.last.outbox_ids)
    assert (row.kind, row.recipient_id, row.payload) == (
        "declined",
        MANAGER,
        {"actor_id": ALICE, "reason": "no time this week"},
    )
    assert app.tasks.decline(WORKSPACE, ALICE, task_id, "again").changed is False


def test_an_answer_from_a_message_writes_it_there_and_redraws_the_others(app: UseCases) -> None:
    number = delegate(app)
    task = app.task(number)
    (assignment,) = app.outbox()
    app.sent(assignment.id, channel_id="DALICE", ts="100.1")
    reminder = app.checkin(task.id, channel_id="DALICE", ts="200.2")

    app.tasks.accept(WORKSPACE, ALICE, task.id, message=("DALICE", "200.2"))

    # The clicked message says how it was answered; the assignment DM, which still shows buttons, is drawn again.
    assert app.outbox(reminder)[0].answer == "Accepted"
    assert [(k, to) for k, to, _ in app.queued(*app.deliverer.last.outbox_ids)] == [
        ("refresh", "DALICE"),
        ("accepted", MANAGER),
    ]
    assert not app.deliverer.last.posts  # a refresh among them: not all are posts


# done ----------------------------------------------------------------------------------------------
def test_done_is_celebrated_with_the_delegator_when_there_is_no_team(app: UseCases) -> None:
    number = accepted(app)
    app.clock.advance(hours=1)

    outcome = app.tasks.complete(WORKSPACE, ALICE, number=number, note=" shipped ")

    assert (outcome.changed, outcome.task.status, outcome.task.done_at) == (True, TaskStatus.DONE, app.clock.now())
    task = app.task(number)
    assert (task.status, task.next_check_at, task.checkins_unanswered) == ("done", None, 0)
    assert app.history(number)[-1] == (ALICE, "done", "shipped")
    (row,) = app.outbox(*app.deliverer.last.outbox_ids)
    assert (row.kind, row.recipient_id, row.dedupe_key) == ("celebration", MANAGER, f"celebrate:{task.id}:{MANAGER}")
    assert row.payload == {"actor_id": ALICE, "note": "shipped"}


def test_done_is_celebrated_in_the_team_channel_else_where_the_task_was_made(app: UseCases) -> None:
    app.team(managers=(BOB,))
    in_team = accepted(app, channel_id=TEAM_CHANNEL)
    in_channel = accepted(app, channel_id="CRANDOM")

    app.tasks.complete(WORKSPACE, ALICE, number=in_team)
    app.tasks.complete(WORKSPACE, ALICE, number=in_channel)

    celebrations = [to for kind, to, _ in app.queued() if kind == "celebration"]
    assert celebrations == [TEAM_CHANNEL, "CRANDOM"]
    assert BOB in app.deliverer.calls[-2].touched  # the team's manager sees it leave their Home


def test_a_second_done_changes_and_sends_nothing(app: UseCases) -> None:
    number = accepted(app)
    app.tasks.complete(WORKSPACE, ALICE, number=number)
    before = (app.queued(), app.history(number), len(app.deliverer.calls))

    again = app.tasks.complete(WORKSPACE, MANAGER, number=number)

    assert (again.changed, again.task.status) == (False, TaskStatus.DONE)
    assert (app.queued(), app.history(number), len(app.deliverer.calls)) == before


def test_done_ends_a_run_of_unanswered_check_ins_and_its_escalation(app: UseCases) -> None:
    number = accepted(app)
    with app.uow() as uow:
        task = uow.tasks.by_number(WORKSPACE, number)
        assert task is not None
        task.checkins_unanswered, task.escalated_at = 3, START
        uow.commit()

    app.tasks.complete(WORKSPACE, ALICE, number=number)

    task = app.task(number)
    assert (task.checkins_unanswered, task.escalated_at) == (0, None)


# cancel --------------------------------------------------------------------------------------------
def test_cancelling_tells_everyone_concerned_but_whoever_cancelled(app: UseCases) -> None:
    number = accepted(app)
    task_id = app.task(number).id

    outcome = app.tasks.cancel(WORKSPACE, MANAGER, number=number, reason="not needed")

    assert (outcome.changed, outcome.task.status) == (True, TaskStatus.CANCELLED)
    task = app.task(number)
    assert (task.status, task.cancelled_at, task.next_check_at) == ("cancelled", START, None)
    assert app.history(number)[-1] == (MANAGER, "cancelled", "not needed")
    assert app.queued(*app.deliverer.last.outbox_ids) == [("cancelled", ALICE, f"cancelled:{task_id}:{ALICE}")]


def test_an_admin_cancelling_tells_both_assignee_and_delegator(app: UseCases) -> None:
    number = accepted(app)

    app.tasks.cancel(WORKSPACE, ADMIN, number=number)

    assert [to for _, to, _ in app.queued(*app.deliverer.last.outbox_ids)] == [ALICE, MANAGER]


def test_a_second_cancel_is_a_no_op_and_a_cancelled_task_is_not_done(app: UseCases) -> None:
    number = accepted(app)
    app.tasks.cancel(WORKSPACE, MANAGER, number=number)
    before = app.queued()

    assert app.tasks.cancel(WORKSPACE, ALICE, number=number).changed is False
    with pytest.raises(BadInput, match="T-1 was cancelled."):
        app.tasks.complete(WORKSPACE, ALICE, number=number)
    assert app.queued() == before
    assert app.task(number).status == "cancelled"


def test_cancelling_redraws_the_assignment_dm_that_still_shows_buttons(app: UseCases) -> None:
    number = delegate(app)
    (assignment,) = app.outbox()
    app.sent(assignment.id, channel_id="DALICE", ts="100.1")

    app.tasks.cancel(WORKSPACE, MANAGER, number=number)

    (refresh,) = [r for r in app.outbox() if r.kind == "refresh"]
    assert (refresh.recipient_id, refresh.payload) == ("DALICE", {"channel": "DALICE", "ts": "100.1"})


# reassign ------------------------------------------------------------------------------------------
def test_reassigning_asks_the_new_assignee_afresh_and_tells_the_previous_one(app: UseCases) -> None:
    number = accepted(app)
    task_id = app.task(number).id
    app.clock.advance(hours=2)

    outcome = app.tasks.reassign(WORKSPACE, MANAGER, number=number, assignee_id=BOB)

    assert (outcome.task.assignee_id, outcome.task.status) == (BOB, TaskStatus.OPEN)
    task = app.task(number)
    assert (task.assignment_seq, task.accepted_at, task.assigned_at) == (2, None, app.clock.now())
    assert app.history(number)[-1] == (MANAGER, "reassigned", f"{ALICE}>{BOB}")
    assert app.queued(*app.deliverer.last.outbox_ids) == [
        ("assignment", BOB, f"assign:{task_id}:2"),
        ("unassigned", ALICE, f"unassigned:{task_id}:2:{ALICE}"),
    ]
    assert set(app.deliverer.last.touched) == {BOB, MANAGER, ALICE}


def test_reassigning_to_the_same_person_is_refused_unless_they_declined(app: UseCases) -> None:
    number = delegate(app)
    task_id = app.task(number).id

    with pytest.raises(BadInput, match=f"T-1 is already assigned to <@{ALICE}>"):
        app.tasks.reassign(WORKSPACE, MANAGER, number=number, assignee_id=ALICE)

    app.tasks.decline(WORKSPACE, ALICE, task_id, "busy")
    app.tasks.reassign(WORKSPACE, MANAGER, number=number, assignee_id=ALICE)

    assert app.task(number).status == "open"
    assert app.queued(*app.deliverer.last.outbox_ids) == [("assignment", ALICE, f"assign:{task_id}:2")]


def test_a_done_task_is_not_reassigned(app: UseCases) -> None:
    number = accepted(app)
    app.tasks.complete(WORKSPACE, ALICE, number=number)

    with pytest.raises(BadInput, match="T-1 is already done."):
        app.tasks.reassign(WORKSPACE, MANAGER, number=number, assignee_id=BOB)


# new deadline --------------------------------------------------------------------------------------
def test_a_new_deadline_is_planned_afresh_and_told_to_the_assignee(app: UseCases) -> None:
    number = accepted(app, when_text="fri 5pm")
    task_id = app.task(number).id

    outcome = app.tasks.change_due(WORKSPACE, MANAGER, number=number, when_text="dec 10 5pm")

    new_due = datetime(2026, 12, 10, 22, 0, tzinfo=UTC)
    assert outcome.task.due_at == new_due
    task = app.task(number)
    assert (task.next_check_at, task.overdue_after) == (START, None)
    assert app.history(number)[-1] == (MANAGER, "due_changed", new_due.isoformat())
    (row,) = app.outbox(*app.deliverer.last.outbox_ids)
    assert (row.kind, row.recipient_id, row.dedupe_key) == (
        "due_changed",
        ALICE,
        f"due:{task_id}:{new_due.isoformat()}:{ALICE}",
    )
    assert row.payload == {
        "actor_id": MANAGER,
        "old_due": FRIDAY_5PM_NEW_YORK.isoformat(),
        "new_due": new_due.isoformat(),
    }

    calls = len(app.deliverer.calls)
    assert app.tasks.change_due(WORKSPACE, MANAGER, number=number, when_text="dec 10 5pm").changed is False
    assert len(app.deliverer.calls) == calls


def test_a_finished_task_keeps_its_deadline(app: UseCases) -> None:
    number = accepted(app)
    app.tasks.cancel(WORKSPACE, MANAGER, number=number)

    with pytest.raises(BadInput, match="T-1 was cancelled."):
        app.tasks.change_due(WORKSPACE, MANAGER, number=number, when_text="fri 5pm")


# who may change a task -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    ["complete", "cancel", "reassign", "change_due"],
)
def test_someone_unrelated_to_a_task_may_not_change_it(app: UseCases, change: str) -> None:
    number = accepted(app, when_text="fri 5pm")
    before = (app.task(number).status, app.queued(), app.history(number))
    calls = {
        "complete": lambda: app.tasks.complete(WORKSPACE, STRANGER, number=number),
        "cancel": lambda: app.tasks.cancel(WORKSPACE, STRANGER, number=number),
        "reassign": lambda: app.tasks.reassign(WORKSPACE, STRANGER, number=number, assignee_id=BOB),
        "change_due": lambda: app.tasks.change_due(WORKSPACE, STRANGER, number=number, when_text="dec 10 5pm"),
    }

    with pytest.raises(NotAllowed, match="Only T-1's assignee"):
        calls[change]()

    assert (app.task(number).status, app.queued(), app.history(number)) == before


def test_a_manager_of_the_tasks_team_may_change_it(app: UseCases) -> None:
    app.team(managers=(BOB,))
    number = accepted(app, channel_id=TEAM_CHANNEL)

    assert app.tasks.cancel(WORKSPACE, BOB, number=number).changed is True


def test_a_task_that_does_not_exist_is_named_in_the_refusal(app: UseCases) -> None:
    with pytest.raises(NotFound, match="T-7 doesn't exist in this workspace"):
        app.tasks.complete(WORKSPACE, ALICE, number=7)

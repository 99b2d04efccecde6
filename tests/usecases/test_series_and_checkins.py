"""Recurring tasks and check-in answers, called directly: the next occurrence, stop, and each answer."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.domain.errors import BadInput, NotAllowed
from bot.domain.model import TaskStatus
from bot.domain.recurrence import Every, Rule
from bot.services.checkins import SNOOZED, Answer
from bot.services.series import plan_occurrences
from bot.services.tasks import NewTask
from storage.models import Task, TaskSeries
from tests.usecases.conftest import ALICE, MANAGER, STRANGER, WORKSPACE, UseCases

WEEKLY = Rule(every=Every.WEEK, day=0, at=time(9, 30))  # every Monday at 09:30, in the delegator's zone
MON_7_DEC_0930_NY = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
MON_14_DEC_0930_NY = datetime(2026, 12, 14, 14, 30, tzinfo=UTC)
MON_21_DEC_0930_NY = datetime(2026, 12, 21, 14, 30, tzinfo=UTC)


def dues(app: UseCases) -> list[tuple[int, datetime | None, str]]:
    return [(t.number, t.due_at, t.status) for t in app.rows(Task)]


def start_weekly(app: UseCases) -> int:
    """The manager asks Alice for the weekly numbers every Monday; returns the first occurrence's number."""
    return app.series.delegate(WORKSPACE, MANAGER, assignee_id=ALICE, title="Send the numbers", rule=WEEKLY).task.number


# recurring tasks -----------------------------------------------------------------------------------
def test_a_series_starts_with_its_first_occurrence_asked_like_any_task(app: UseCases) -> None:
    outcome = app.series.delegate(WORKSPACE, MANAGER, assignee_id=ALICE, title=" Send  the numbers ", rule=WEEKLY)

    assert (outcome.task.ref, outcome.task.title, outcome.task.due_at) == ("T-1", "Send the numbers", MON_7_DEC_0930_NY)
    assert (outcome.series.tz, outcome.series.next_due_at) == ("America/New_York", MON_14_DEC_0930_NY)
    task = app.task(1)
    (series,) = app.rows(TaskSeries)
    assert (task.series_id, task.status, task.assigned_at) == (series.id, "open", app.clock.now())
    assert app.history(1) == [(MANAGER, "created", "")]
    assert app.queued() == [("assignment", ALICE, f"assign:{task.id}:1")]
    assert app.deliverer.last.outbox_ids == (app.outbox()[0].id,)


def test_done_opens_the_next_occurrence_in_the_same_transaction(app: UseCases) -> None:
    number = start_weekly(app)

    app.tasks.complete(WORKSPACE, ALICE, number=number)

    assert dues(app) == [(1, MON_7_DEC_0930_NY, "done"), (2, MON_14_DEC_0930_NY, "open")]
    next_id = app.task(2).id
    assert [(kind, to) for kind, to, _ in app.queued(*app.deliverer.last.outbox_ids)] == [
        ("celebration", MANAGER),
        ("assignment", ALICE),
    ]
    assert app.queued()[-1][2] == f"assign:{next_id}:1"
    (series,) = app.rows(TaskSeries)
    assert (series.last_due_at, series.next_due_at) == (MON_14_DEC_0930_NY, MON_21_DEC_0930_NY)


def test_the_next_occurrence_comes_when_its_moment_does_and_once_only(app: UseCases) -> None:
    number = start_weekly(app)

    assert plan_occurrences(app.uow, app.clock.now()) == 0  # Monday has not come yet
    planned = plan_occurrences(app.uow, app.clock.set(MON_7_DEC_0930_NY))
    app.tasks.complete(WORKSPACE, ALICE, number=number)  # done after the planner made the next one

    assert planned == 1
    assert dues(app) == [(1, MON_7_DEC_0930_NY, "done"), (2, MON_14_DEC_0930_NY, "open")]


def test_a_stopped_series_opens_nothing_more(app: UseCases) -> None:
    number = start_weekly(app)

    stopped = app.series.stop(WORKSPACE, MANAGER, number=number)
    again = app.series.stop(WORKSPACE, MANAGER, number=number)
    app.tasks.complete(WORKSPACE, ALICE, number=number)

    assert (stopped.changed, stopped.series.is_active, again.changed) == (True, False, False)
    assert dues(app) == [(1, MON_7_DEC_0930_NY, "done")]
    assert plan_occurrences(app.uow, app.clock.set(MON_14_DEC_0930_NY)) == 0


def test_only_someone_who_may_change_the_task_stops_its_series(app: UseCases) -> None:
    number = start_weekly(app)

    with pytest.raises(NotAllowed, match="Only T-1's assignee"):
        app.series.stop(WORKSPACE, STRANGER, number=number)
    with pytest.raises(BadInput, match="doesn't repeat"):
        app.series.stop(
            WORKSPACE,
            MANAGER,
            number=app.tasks.delegate(WORKSPACE, MANAGER, NewTask(assignee_id=ALICE, title="Once")).number,
        )


# check-in answers ----------------------------------------------------------------------------------
def accepted_with_checkin(app: UseCases) -> tuple[int, int]:
    """An accepted task of Alice's and a check-in about it in her DM at ts 300.3: (task id, outbox id)."""
    view = app.tasks.delegate(WORKSPACE, MANAGER, NewTask(assignee_id=ALICE, title="Ship the report"))
    app.tasks.accept(WORKSPACE, ALICE, view.id)
    with app.uow() as uow:
        task = uow.tasks.get(WORKSPACE, view.id)
        assert task is not None
        task.checkins_unanswered = 2
        uow.commit()
    return view.id, app.checkin(view.id, channel_id="DALICE", ts="300.3")


def test_on_track_is_written_on_the_check_in_and_ends_the_unanswered_run(app: UseCases) -> None:
    task_id, checkin = accepted_with_checkin(app)
    app.clock.advance(minutes=10)

    outcome = app.checkins.answer(WORKSPACE, ALICE, task_id, Answer.ON_TRACK, channel_id="DALICE", message_ts="300.3")

    assert outcome.changed is True
    task = app.task(1)
    assert (task.checkins_unanswered, task.last_answer_at) == (0, app.clock.now())
    assert app.history(1)[-1] == (ALICE, "checkin_on_track", "")
    assert app.outbox(checkin)[0].answer == "On track 👍"
    assert app.deliverer.last.outbox_ids == ()

    again = app.checkins.answer(WORKSPACE, ALICE, task_id, Answer.ON_TRACK, channel_id="DALICE", message_ts="300.3")

    assert again.changed is False
    assert len(app.history(1)) == 3


def test_blocked_tells_the_delegator_why(app: UseCases) -> None:
    task_id, checkin = accepted_with_checkin(app)

    app.checkins.answer(
        WORKSPACE, ALICE, task_id, Answer.BLOCKED, channel_id="DALICE", message_ts="300.3", reason=" waiting on billing"
    )

    assert app.outbox(checkin)[0].answer == "Blocked 🚧: waiting on billing"
    (row,) = app.outbox(*app.deliverer.last.outbox_ids)
    assert (row.kind, row.recipient_id, row.dedupe_key) == ("blocked", MANAGER, f"blocked:{task_id}:300.3:{MANAGER}")
    assert row.payload == {"reason": "waiting on billing", "actor_id": ALICE}


def test_done_from_a_check_in_completes_the_task_and_says_so_on_the_message(app: UseCases) -> None:
    task_id, checkin = accepted_with_checkin(app)

    outcome = app.checkins.answer(WORKSPACE, ALICE, task_id, Answer.DONE, channel_id="DALICE", message_ts="300.3")

    assert outcome.task.status is TaskStatus.DONE
    assert app.outbox(checkin)[0].answer == "Done 🎉"
    assert [kind for kind, _, _ in app.queued(*app.deliverer.last.outbox_ids)] == ["celebration"]


def test_check_ins_are_the_assignees_to_answer(app: UseCases) -> None:
    task_id, _ = accepted_with_checkin(app)

    for answer in Answer:
        with pytest.raises(NotAllowed, match="who T-1 is assigned to"):
            app.checkins.answer(WORKSPACE, MANAGER, task_id, answer, channel_id="DALICE", message_ts="300.3")

    assert app.task(1).status == "accepted"


def test_a_finished_task_takes_no_check_in_answer(app: UseCases) -> None:
    task_id, _ = accepted_with_checkin(app)
    app.tasks.cancel(WORKSPACE, MANAGER, number=1)

    with pytest.raises(BadInput, match="T-1 is cancelled; there is nothing to check in on"):
        app.checkins.answer(WORKSPACE, ALICE, task_id, Answer.ON_TRACK, channel_id="DALICE", message_ts="300.3")


def test_later_moves_the_next_check_in_to_the_next_working_morning_once_a_day(app: UseCases) -> None:
    task_id, checkin = accepted_with_checkin(app)

    snoozed = app.checkins.snooze(WORKSPACE, ALICE, task_id, channel_id="DALICE", ts="300.3")

    # Tuesday 15:00 in Berlin: Alice's next working morning is Wednesday 08:00 there, when her hours start.
    assert snoozed.until == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    task = app.task(1)
    assert (task.snoozed_until, task.snoozed_at, task.checkins_unanswered) == (snoozed.until, app.clock.now(), 0)
    assert app.history(1)[-1] == (ALICE, "checkin_snoozed", "")
    assert app.outbox(checkin)[0].answer == SNOOZED
    with pytest.raises(BadInput, match="already snoozed today"):
        app.checkins.snooze(WORKSPACE, ALICE, task_id)

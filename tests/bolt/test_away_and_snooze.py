"""Time off (`/task away`, `/team away`) and the check-in's **Later** button, through signed requests and
scheduler passes at chosen moments. Alice is in Berlin (CET, UTC+1); the manager in New York."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from handlers import ids
from storage.models import OutboxMessage, Task, TaskEvent, TimeOff
from tests.conftest import Harness
from tests.fakes.posts import dedupe_key
from tests.fakes.slack_api import U_ADMIN, U_ALICE, U_BOB, U_MANAGER, dm_channel_id
from tests.helpers import shown, utc

D_ALICE = dm_channel_id(U_ALICE)
D_MANAGER = dm_channel_id(U_MANAGER)
# The harness starts on Tuesday 1 December 2026, 14:00 UTC (15:00 in Berlin).
WED_CHECKIN = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00 Berlin, the default check-in time
THU_0800 = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 08:00 Berlin
THU_CHECKIN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
FRI_0800 = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
FRI_CHECKIN = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def delegate(h: Harness, title: str = "Fix the refund macro", when: str = "fri 5pm") -> Task:
    """A task Alice has accepted (a task not accepted gets a reminder, not check-ins)."""
    h.command(f"<@{U_ALICE}> {title} by {when}", user=U_MANAGER)
    h.accept(U_ALICE)
    return h.tasks()[-1]


def sent_to_alice(h: Harness, prefix: str) -> list[dict[str, Any]]:
    return [m for m in h.slack.messages(D_ALICE) if dedupe_key(m).startswith(prefix)]


def pass_at(h: Harness, moment: datetime) -> None:
    h.clock.set(moment)
    h.baton.run_pass()


def later(h: Harness, task_id: int, message: dict[str, Any], *, user: str = U_ALICE) -> dict[str, Any]:
    h.slack.clear()
    h.click(ids.ACTION_CHECKIN_LATER, str(task_id), user=user, channel_id=D_ALICE, message=message)
    [response] = h.slack.responses
    return response


def first_checkin(h: Harness) -> tuple[Task, dict[str, Any]]:
    task = delegate(h)
    pass_at(h, WED_CHECKIN)
    [message] = sent_to_alice(h, "checkin:")
    return task, message


# -- Later ---------------------------------------------------------------------------------------------------


def test_the_checkin_has_a_later_button(harness: Harness) -> None:
    _, message = first_checkin(harness)

    buttons = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids.ACTION_CHECKIN_LATER in buttons


def test_later_snoozes_to_the_next_working_morning_and_says_so(harness: Harness) -> None:
    task, message = first_checkin(harness)

    response = later(harness, task.id, message)

    assert response.get("replace_original") is True
    assert "Snoozed until" in shown(response)
    [row] = harness.tasks()
    assert row.snoozed_until == THU_0800
    assert len(harness.rows(TaskEvent, TaskEvent.action == "checkin_snoozed")) == 1


def test_a_second_later_the_same_day_is_refused_and_changes_nothing(harness: Harness) -> None:
    task, message = first_checkin(harness)
    later(harness, task.id, message)
    harness.clock.set(WED_CHECKIN + timedelta(hours=5))

    response = later(harness, task.id, message)

    assert response.get("replace_original") is False
    assert "already snoozed today" in shown(response)
    assert harness.tasks()[0].snoozed_until == THU_0800
    assert len(harness.rows(TaskEvent, TaskEvent.action == "checkin_snoozed")) == 1


def test_only_the_assignee_may_press_later(harness: Harness) -> None:
    task, message = first_checkin(harness)

    response = later(harness, task.id, message, user=U_BOB)

    assert response.get("replace_original") is False
    assert harness.tasks()[0].snoozed_until is None


def test_a_snoozed_checkin_comes_back_at_eight_and_only_once_that_day(harness: Harness) -> None:
    task, message = first_checkin(harness)
    later(harness, task.id, message)
    harness.slack.clear()

    thursday = f"checkin:{task.id}:2026-12-03"
    pass_at(harness, THU_0800 - timedelta(minutes=1))
    assert sent_to_alice(harness, thursday) == []
    pass_at(harness, THU_0800)
    assert len(sent_to_alice(harness, thursday)) == 1
    pass_at(harness, THU_CHECKIN)  # Thursday's own check-in time: not a second one

    assert len(sent_to_alice(harness, "checkin:")) == 2, "Wednesday's and the snoozed one"
    assert harness.tasks()[0].snoozed_until is None


def test_a_snooze_goes_out_even_on_a_day_without_checkins(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team")
    harness.command("checkins wed 10:00", user=U_MANAGER, command="/team")
    task, message = first_checkin(harness)
    later(harness, task.id, message)
    harness.slack.clear()

    pass_at(harness, THU_0800)  # Thursday is not one of the team's check-in days

    assert len(sent_to_alice(harness, f"checkin:{task.id}:2026-12-03")) == 1


def test_later_on_friday_skips_the_weekend(harness: Harness) -> None:
    task = delegate(harness, when="2026-12-10 17:00")
    pass_at(harness, FRI_CHECKIN)
    [message] = sent_to_alice(harness, "checkin:")
    later(harness, task.id, message)
    harness.slack.clear()

    pass_at(harness, utc(2026, 12, 5, 7, 0))  # Saturday 08:00
    pass_at(harness, utc(2026, 12, 6, 7, 0))  # Sunday 08:00
    assert len(sent_to_alice(harness, "checkin:")) == 1, "only Friday's"
    pass_at(harness, utc(2026, 12, 7, 7, 0))  # Monday 08:00

    assert len(sent_to_alice(harness, f"checkin:{task.id}:2026-12-07")) == 1


# -- /task away ----------------------------------------------------------------------------------------------


def test_task_away_records_whole_local_days(harness: Harness) -> None:
    reply = harness.command("away today thu", user=U_ALICE)

    assert "You are away" in reply
    [period] = harness.rows(TimeOff)
    # Tuesday 00:00 Berlin to the end of Thursday (Friday 00:00 Berlin).
    assert (period.user_id, period.created_by) == (U_ALICE, U_ALICE)
    assert (period.starts_at, period.ends_at) == (utc(2026, 11, 30, 23, 0), utc(2026, 12, 3, 23, 0))


def test_an_unreadable_away_changes_nothing_and_says_how(harness: Harness) -> None:
    reply = harness.command("away someday", user=U_ALICE)

    assert "/task away" in reply
    assert harness.rows(TimeOff) == []


def test_no_checkins_or_warnings_while_away_and_none_caught_up_after(harness: Harness) -> None:
    delegate(harness)  # due Fri 4 Dec 17:00 New York = 23:00 Berlin
    harness.command("away today thu", user=U_ALICE)

    for moment in (WED_CHECKIN, THU_CHECKIN, utc(2026, 12, 3, 19, 0), utc(2026, 12, 3, 23, 0), FRI_0800):
        pass_at(harness, moment)
    assert sent_to_alice(harness, "checkin:") == []
    assert sent_to_alice(harness, "warn") == [], "the 24 h warning fell inside the absence"
    assert {m.kind for m in harness.outbox()} == {"assignment", "accepted"}, "nothing even planned"

    pass_at(harness, FRI_CHECKIN)
    assert len(sent_to_alice(harness, "checkin:")) == 1
    pass_at(harness, utc(2026, 12, 4, 19, 0))  # the 1 h warning, moved to 20:00 Berlin
    assert len(sent_to_alice(harness, "warn1:")) == 1


def test_the_planner_moves_next_check_to_the_end_of_the_absence(harness: Harness) -> None:
    delegate(harness, when="2026-12-20 17:00")
    harness.command("away today thu", user=U_ALICE)

    pass_at(harness, WED_CHECKIN)

    assert harness.tasks()[0].next_check_at == utc(2026, 12, 3, 23, 0)


def test_task_away_off_ends_it_and_checkins_resume(harness: Harness) -> None:
    delegate(harness)
    harness.command("away today thu", user=U_ALICE)
    pass_at(harness, WED_CHECKIN)
    harness.clock.set(WED_CHECKIN + timedelta(hours=1))

    reply = harness.command("away off", user=U_ALICE)

    assert "back" in reply
    pass_at(harness, THU_CHECKIN)
    assert len(sent_to_alice(harness, "checkin:")) == 1


def test_a_checkin_queued_before_the_absence_was_recorded_is_skipped(harness: Harness) -> None:
    delegate(harness)
    harness.slack.fail("chat.postMessage", status=500)
    pass_at(harness, WED_CHECKIN)  # planned, but Slack failed: it waits for a retry
    harness.clock.set(WED_CHECKIN + timedelta(minutes=1))
    harness.command("away today fri", user=U_ALICE)

    pass_at(harness, WED_CHECKIN + timedelta(minutes=5))

    [row] = harness.rows(OutboxMessage, OutboxMessage.kind == "checkin")
    assert row.state == "skipped"
    assert sent_to_alice(harness, "checkin:") == []


def test_overdue_during_an_absence_goes_to_the_delegator_only(harness: Harness) -> None:
    delegate(harness, when="wed 5pm")  # Wed 2 Dec 17:00 New York = 22:00 UTC
    harness.command("away today fri", user=U_ALICE)

    pass_at(harness, utc(2026, 12, 2, 22, 0))

    overdue = [m for m in harness.slack.messages() if dedupe_key(m).startswith("overdue:")]
    assert [m["channel"] for m in overdue] == [D_MANAGER]
    assert [r.recipient_id for r in harness.rows(OutboxMessage, OutboxMessage.kind == "overdue")] == [U_MANAGER]


# -- delegating to someone away, and flags to delegators ---------------------------------------------------------


def test_delegating_to_someone_away_creates_the_task_and_warns(harness: Harness) -> None:
    harness.command("away today fri", user=U_ALICE)

    reply = harness.command(f"<@{U_ALICE}> Fix the refund macro by 2026-12-10", user=U_MANAGER)

    assert "T-1" in reply
    assert f"<@{U_ALICE}> is away until" in reply
    assert len(harness.tasks()) == 1


def test_delegating_to_someone_present_has_no_away_line(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}> Fix the refund macro by 2026-12-10", user=U_MANAGER)

    assert "is away" not in reply


def test_a_deadline_inside_the_absence_is_flagged_to_the_delegator_once(harness: Harness) -> None:
    delegate(harness, title="Inside", when="thu 5pm")
    delegate(harness, title="After", when="2026-12-10 17:00")

    harness.command("away today fri", user=U_ALICE)
    pass_at(harness, harness.clock.now() + timedelta(minutes=1))

    flags = [m for m in harness.slack.messages(D_MANAGER) if dedupe_key(m).startswith("away:")]
    assert len(flags) == 1
    assert "Inside" in shown(flags[0]) and "is away" in shown(flags[0])
    assert len(harness.rows(OutboxMessage, OutboxMessage.kind == "away_flag")) == 1


def test_a_task_created_or_moved_into_a_recorded_absence_is_flagged_once(harness: Harness) -> None:
    harness.command("away 2026-12-07 2026-12-09", user=U_ALICE)  # Monday to Wednesday next week
    delegate(harness, title="Created inside", when="2026-12-08 17:00")
    moved = delegate(harness, title="Moved inside", when="2026-12-11 17:00")
    harness.command(f"due T-{moved.number} 2026-12-09 12:00", user=U_MANAGER)
    harness.command(f"due T-{moved.number} 2026-12-09 13:00", user=U_MANAGER)  # moved again: no second flag

    flags = [m for m in harness.slack.messages(D_MANAGER) if dedupe_key(m).startswith("away:")]
    assert len(flags) == 2
    assert sorted(("Created inside" in shown(f), "Moved inside" in shown(f)) for f in flags) == [
        (False, True),
        (True, False),
    ]


# -- /team away --------------------------------------------------------------------------------------------------


def test_team_away_by_a_manager_records_it_and_lists_it(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team")

    reply = harness.command(f"away <@{U_ALICE}> today fri", user=U_MANAGER, command="/team")

    assert f"<@{U_ALICE}> is away" in reply
    [period] = harness.rows(TimeOff)
    assert (period.user_id, period.created_by) == (U_ALICE, U_MANAGER)
    listing = harness.command("away", user=U_BOB, command="/team")
    assert f"<@{U_ALICE}>" in listing


def test_team_away_by_someone_else_is_refused(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team")

    reply = harness.command(f"away <@{U_ALICE}> today fri", user=U_BOB, command="/team")

    assert "managers" in reply
    assert harness.rows(TimeOff) == []


def test_a_workspace_admin_may_record_anyones_time_off(harness: Harness) -> None:
    harness.command(f"away <@{U_ALICE}> today fri", user=U_ADMIN, command="/team")

    assert len(harness.rows(TimeOff)) == 1


def test_team_away_off_ends_someones_absence(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team")
    harness.command(f"away <@{U_ALICE}> today fri", user=U_MANAGER, command="/team")
    harness.clock.set(harness.clock.now() + timedelta(hours=1))

    harness.command(f"away <@{U_ALICE}> off", user=U_MANAGER, command="/team")

    assert "No one is away" in harness.command("away", user=U_MANAGER, command="/team")


def test_suggest_ranks_someone_away_last(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team")
    harness.command(f"skills <@{U_ALICE}> billing", user=U_MANAGER, command="/team")
    harness.command(f"skills <@{U_BOB}> spanish", user=U_MANAGER, command="/team")
    before = harness.command("suggest Fix a wrong invoice #billing", user=U_MANAGER)
    assert before.index(f"1. <@{U_ALICE}>") < before.index(f"2. <@{U_BOB}>")

    harness.command("away today fri", user=U_ALICE)
    after = harness.command("suggest Fix a wrong invoice #billing", user=U_MANAGER)

    assert after.index(f"1. <@{U_BOB}>") < after.index(f"2. <@{U_ALICE}>")
    assert "away" in after

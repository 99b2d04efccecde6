"""Recurring tasks through signed `/task` requests and scheduler passes at chosen moments.

The manager is in New York; the harness starts on Tuesday 1 December 2026, 14:00 UTC (09:00 EST).
"""

from __future__ import annotations

from datetime import UTC, datetime

from storage.models import Task, TaskSeries
from tests.conftest import Harness
from tests.fakes.slack_api import U_ALICE, U_BOB, U_MANAGER, dm_channel_id

D_ALICE = dm_channel_id(U_ALICE)
MON_7_DEC_0930_NY = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
MON_14_DEC_0930_NY = datetime(2026, 12, 14, 14, 30, tzinfo=UTC)


def assignment_dms(h: Harness) -> list[str]:
    """The tasks Alice was asked to accept, by their `T-n` in the DM text."""
    return [m["text"] for m in h.slack.messages(D_ALICE) if "delegated a task to you" in str(m.get("blocks"))]


def dues(h: Harness) -> list[tuple[int, datetime | None, str]]:
    return [(t.number, t.due_at, t.status) for t in h.rows(Task)]


def start_weekly(h: Harness) -> str:
    return h.command(f"<@{U_ALICE}> Send the weekly numbers every mon at 09:30", user=U_MANAGER)


def test_every_monday_creates_the_first_occurrence_due_next_monday_in_the_delegators_zone(harness: Harness) -> None:
    reply = start_weekly(harness)

    assert "T-1" in reply
    assert "every Monday at 09:30 (America/New_York time)" in reply
    assert "/task stop T-1" in reply
    [task] = harness.rows(Task)
    assert (task.title, task.due_at, task.status) == ("Send the weekly numbers", MON_7_DEC_0930_NY, "open")
    [series] = harness.rows(TaskSeries)
    assert task.series_id == series.id
    assert (series.rule, series.at, series.tz, series.active) == ("week:0", "09:30", "America/New_York", True)
    assert series.next_due_at == MON_14_DEC_0930_NY
    assert len(assignment_dms(harness)) == 1


def test_without_a_time_the_occurrence_is_due_at_five_in_the_afternoon(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}> Close the till every day", user=U_MANAGER)

    assert "every day at 17:00" in reply
    # Tuesday 09:00 in New York: today's 17:00 EST (22:00 UTC) is still ahead.
    assert dues(harness) == [(1, datetime(2026, 12, 1, 22, 0, tzinfo=UTC), "open")]


def test_done_creates_the_next_occurrence_and_its_moment_then_adds_nothing(harness: Harness) -> None:
    start_weekly(harness)
    harness.command("done T-1", user=U_ALICE)

    assert dues(harness) == [(1, MON_7_DEC_0930_NY, "done"), (2, MON_14_DEC_0930_NY, "open")]
    assert len(assignment_dms(harness)) == 2

    harness.clock.set(MON_7_DEC_0930_NY)
    harness.baton.run_pass()
    harness.baton.run_pass()
    assert [number for number, _, _ in dues(harness)] == [1, 2]


def test_the_planner_creates_the_next_occurrence_at_the_moment_once_over_two_passes(harness: Harness) -> None:
    start_weekly(harness)
    harness.clock.set(MON_7_DEC_0930_NY)

    harness.baton.run_pass()
    harness.baton.run_pass()

    assert dues(harness) == [(1, MON_7_DEC_0930_NY, "open"), (2, MON_14_DEC_0930_NY, "open")]
    assert len(assignment_dms(harness)) == 2
    # Finishing the late one now does not add a third: the next one already exists.
    harness.command("done T-1", user=U_ALICE)
    assert len(harness.rows(Task)) == 2


def test_a_pass_just_before_the_moment_creates_nothing(harness: Harness) -> None:
    start_weekly(harness)
    harness.clock.set(datetime(2026, 12, 7, 14, 29, tzinfo=UTC))

    harness.baton.run_pass()

    assert len(harness.rows(Task)) == 1


def test_after_downtime_only_the_next_future_occurrence_is_created(harness: Harness) -> None:
    start_weekly(harness)
    # Nothing ran from Monday 7th until Wednesday 16th: the 14th's occurrence is skipped, not created late.
    harness.clock.set(datetime(2026, 12, 16, 12, 0, tzinfo=UTC))

    harness.baton.run_pass()

    assert dues(harness) == [(1, MON_7_DEC_0930_NY, "open"), (2, datetime(2026, 12, 21, 14, 30, tzinfo=UTC), "open")]


def test_month_day_past_the_months_end_falls_on_its_last_day(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}> Close the books every 31st at 18:00", user=U_MANAGER)
    assert "every month on the 31st (the last day in shorter months) at 18:00" in reply

    harness.command("done T-1", user=U_ALICE)
    harness.command("done T-2", user=U_ALICE)

    # 18:00 EST is 23:00 UTC: 31 Dec, 31 Jan, then February's last day, the 28th.
    assert [due for _, due, _ in dues(harness)] == [
        datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
        datetime(2027, 1, 31, 23, 0, tzinfo=UTC),
        datetime(2027, 2, 28, 23, 0, tzinfo=UTC),
    ]


def test_stop_ends_the_series_and_the_open_occurrence_stays(harness: Harness) -> None:
    start_weekly(harness)

    reply = harness.command("stop t-1", user=U_MANAGER)

    assert "Stopped the series of T-1 (every Monday at 09:30)" in reply
    harness.clock.set(MON_14_DEC_0930_NY)
    harness.baton.run_pass()
    harness.command("done 1", user=U_ALICE)
    assert dues(harness) == [(1, MON_7_DEC_0930_NY, "done")]
    [series] = harness.rows(TaskSeries)
    assert not series.active
    assert "already stopped; nothing changed" in harness.command("stop T-1", user=U_ALICE)


def test_stop_by_someone_who_may_not_change_the_task_is_refused(harness: Harness) -> None:
    start_weekly(harness)

    reply = harness.command("stop T-1", user=U_BOB)

    assert "can change it" in reply
    [series] = harness.rows(TaskSeries)
    assert series.active


def test_stop_of_a_one_off_task_says_it_does_not_repeat(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Fix the refund macro by fri 5pm", user=U_MANAGER)

    assert "doesn't repeat" in harness.command("stop T-1", user=U_MANAGER)
    assert "T-9 doesn't exist" in harness.command("stop T-9", user=U_MANAGER)
    assert "`/task stop` needs a task id" in harness.command("stop", user=U_MANAGER)


def test_every_that_is_not_a_rule_stays_in_the_title(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Water the plants every other day", user=U_MANAGER)

    [task] = harness.rows(Task)
    assert (task.title, task.due_at, task.series_id) == ("Water the plants every other day", None, None)
    assert harness.rows(TaskSeries) == []


def test_a_rule_and_a_deadline_together_are_refused(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}> Report by fri every monday", user=U_MANAGER)

    assert "drop the `by …` part" in reply
    assert harness.rows(Task) == []


def test_the_title_is_escaped_in_the_reply(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}> Ping &lt;!here&gt; every weekday", user=U_MANAGER)

    assert "&lt;!here&gt;" in reply
    assert "<!here>" not in reply
    [task] = harness.rows(Task)
    assert task.title == "Ping <!here>"
    # Tuesday 09:00 in New York: today 17:00 EST.
    assert task.due_at == datetime(2026, 12, 1, 22, 0, tzinfo=UTC)

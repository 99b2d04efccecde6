"""`/team report [7d|30d]` through signed requests: a scripted week of tasks, check-ins and answers,
who may see it, and where it can be typed (CONTRACT "Slash commands")."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from handlers import ids
from storage.models import OutboxMessage
from tests.conftest import Harness, answer_text
from tests.fakes.requests import command_body, reaction_added_event
from tests.fakes.slack_api import C_GENERAL, U_ADMIN, U_ALICE, U_BOB, U_MANAGER, dm_channel_id

C_TEAM = "C0TEAM"
C_OTHER = "C0OTHER"
D_ALICE = dm_channel_id(U_ALICE)
# Alice is in Berlin, Bob in Tokyo: the team checks in at 10:00 their time on weekdays. The scheduler
# runs at 09:00 UTC (10:00 in Berlin, 18:00 in Tokyo, so Bob's missed 10:00 is caught up then).
WED_PASS = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
THU_PASS = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
BOB_DONE = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)  # 3 h after T-2 was due: late
ALICE_DONE = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # 7 h before T-1 is due: on time
REPORT_AT = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # Friday 11:00 in New York


def team(h: Harness, text: str, *, user: str = U_MANAGER, channel: str = C_TEAM) -> str:
    return h.command(text, user=user, command="/team", channel=channel)


def run_passes_at(h: Harness, moment: datetime) -> None:
    """One scheduler pass at `moment`, then a few seconds more until each paced DM has gone out."""
    h.clock.set(moment)
    h.baton.run_pass()
    for _ in range(10):
        h.clock.advance(seconds=2)
        summary = h.baton.run_pass()
        if not (summary.planned or summary.sent or summary.retried):
            return


def checkin_to(h: Harness, user: str, number: int, *, sent_on: int) -> OutboxMessage:
    """The check-in about T-<number> sent to `user` on that day of December."""
    [task] = [t for t in h.tasks() if t.number == number]
    found = [
        row
        for row in h.rows(OutboxMessage, OutboxMessage.kind == "checkin", OutboxMessage.task_id == task.id)
        if row.recipient_id == user and row.state == "sent" and row.sent_at and row.sent_at.day == sent_on
    ]
    assert len(found) == 1, found
    return found[0]


def script_a_week(h: Harness) -> None:
    """Tuesday to Friday of one week in #team, as the report below reads it."""
    team(h, "setup")
    h.command(f"<@{U_ALICE}> Fix the refund macro by fri 5pm !high", user=U_MANAGER, channel=C_TEAM)  # T-1
    h.command(f"<@{U_BOB}> Sort the invoices by wed 5pm", user=U_MANAGER, channel=C_TEAM)  # T-2
    h.command(f"<@{U_BOB}> Plan the offsite !urgent", user=U_MANAGER, channel=C_TEAM)  # T-3
    h.command(f"<@{U_ALICE}> Not this team's task", user=U_MANAGER, channel=C_GENERAL)  # T-4
    h.command(f"<@{U_ALICE}> thanks for the macro notes", user=U_MANAGER, command="/kudos", channel=C_TEAM)
    h.accept(U_ALICE, 1)  # T-4 stays unanswered: Alice gets a reminder about it, not check-ins
    h.accept(U_BOB)

    # Wednesday: check-ins go out; Alice clicks On track half an hour later.
    run_passes_at(h, WED_PASS)
    wednesday = checkin_to(h, U_ALICE, 1, sent_on=2)
    assert wednesday.sent_at == WED_PASS
    h.clock.set(WED_PASS.replace(minute=30))
    [task_1] = [t for t in h.tasks() if t.number == 1]
    h.click(
        ids.ACTION_CHECKIN_ON_TRACK,
        str(task_1.id),
        user=U_ALICE,
        channel_id=D_ALICE,
        message={"ts": wednesday.ts, "blocks": []},
    )

    # Thursday 01:00: Bob finishes T-2, three hours late (that also answers his T-2 check-in).
    h.clock.set(BOB_DONE)
    assert "is done" in h.command("done T-2", user=U_BOB, channel=dm_channel_id(U_BOB))

    # Thursday: check-ins again; Alice reacts 🚧 three and a half hours later, Bob never answers.
    run_passes_at(h, THU_PASS)
    thursday = checkin_to(h, U_ALICE, 1, sent_on=3)
    h.clock.set(THU_PASS.replace(hour=12, minute=30))
    event = reaction_added_event("construction", user_id=U_ALICE, channel=D_ALICE, ts=str(thursday.ts))
    assert h.event(event, event_id="EvBlocked").status == 200

    # Friday 15:00: Alice finishes T-1 on time.
    h.clock.set(ALICE_DONE)
    assert "is done" in h.command("done T-1", user=U_ALICE, channel=D_ALICE)


@pytest.fixture
def week(harness: Harness) -> Harness:
    script_a_week(harness)
    harness.clock.set(REPORT_AT)
    return harness


def table_row(reply: str, user: str) -> list[str]:
    """The figures of one person's line: the inline-code part of the line that mentions them."""
    [line] = [line for line in reply.splitlines() if line.endswith(f"<@{user}>")]
    return line.split("`")[1].split()


# -- what a manager sees -----------------------------------------------------------------------------


def test_manager_sees_the_weeks_totals_with_trends(week: Harness) -> None:
    reply = team(week, "report")

    assert "Team report · last 7 days" in reply
    assert "*Done*\n2 (▲ 2)" in reply
    assert "*On time*\n`▇▇▇▁▁` 50 % (was —)" in reply
    assert "*Open load*\n4 (1 open task)" in reply  # T-3, urgent
    assert "*Overdue now*\n0" in reply
    # T-1 took 73 h, T-2 35 h: 54 h on average.
    assert "*Avg time to done*\n2.3d (was —)" in reply
    # Alice 2 of 2 (30 min, 3.5 h); Bob 1 of 3 (T-2's, by finishing it 16 h later).
    assert "*Check-ins answered*\n60 % · 3 of 5 (was —)" in reply
    assert "*Median reply*\n3.5h (was —)" in reply
    assert "*Kudos*\n1 (▲ 1)" in reply


def test_manager_sees_one_line_per_person_heaviest_load_first(week: Harness) -> None:
    reply = team(week, "report")

    bob = table_row(reply, U_BOB)
    alice = table_row(reply, U_ALICE)
    #                 on time        done load overdue to done check-ins    reply  kudos
    assert bob == ["▁▁▁▁▁", "0", "%", "1", "4", "0", "35h", "1/3", "33", "%", "16h", "0"]
    assert alice == ["▇▇▇▇▇", "100", "%", "1", "0", "0", "3d", "2/2", "100", "%", "2h", "1"]
    assert reply.index(f"<@{U_BOB}>") < reply.index(f"<@{U_ALICE}>")
    assert f"<@{U_MANAGER}>`" not in reply and not reply.rstrip().endswith(f"<@{U_MANAGER}>")


def test_the_report_is_an_ephemeral_answer_and_sends_nothing(week: Harness) -> None:
    week.slack.clear()
    response = week.dispatch(
        command_body("/team", "report", user_id=U_MANAGER, channel_id=C_TEAM, response_url=week.slack.response_url())
    )

    assert response.status == 200
    assert json.loads(response.body)["response_type"] == "ephemeral"
    assert week.slack.calls_to("chat.postMessage") == []


def test_thirty_days_reach_further_back_than_seven(week: Harness) -> None:
    week.clock.set(datetime(2026, 12, 12, 16, 0, tzinfo=UTC))  # eight days after the report above

    seven = team(week, "report 7d")
    thirty = team(week, "report 30d")

    assert "last 7 days" in seven
    assert "*Done*\n0 (▼ 2)" in seven  # the two tasks were done in the 7 days before
    assert f"<@{U_ALICE}>" not in seven, "Alice has nothing open and did nothing in these 7 days"
    assert table_row(seven, U_BOB) == ["—", "0", "4", "0", "—", "—", "—", "0"]  # only T-3's load
    assert "last 30 days" in thirty
    assert "*Done*\n2 (▲ 2)" in thirty
    assert table_row(thirty, U_ALICE)[3] == "1"


def test_a_workspace_admin_may_see_the_report(week: Harness) -> None:
    reply = team(week, "report", user=U_ADMIN)

    assert "*Done*\n2 (▲ 2)" in reply


def test_a_team_with_nothing_yet_shows_dashes_and_how_to_start(harness: Harness) -> None:
    team(harness, "setup")

    reply = team(harness, "report")

    assert "*On time*\n—" in reply
    assert "*Check-ins answered*\n—" in reply
    assert "`/task @person <title>` here delegates" in reply


# -- refusals -------------------------------------------------------------------------------------------


def test_a_team_member_who_is_not_a_manager_is_refused(week: Harness) -> None:
    reply = team(week, "report", user=U_ALICE)

    assert "Only this team's managers" in reply
    assert f"<@{U_MANAGER}>" in reply
    assert "*Done*" not in reply


def test_a_manager_of_another_team_is_refused_here(week: Harness) -> None:
    team(week, "setup", user=U_BOB, channel=C_OTHER)

    reply = team(week, "report", user=U_BOB)

    assert "Only this team's managers" in reply
    assert "*Done*" not in reply


@pytest.mark.parametrize("channel", [C_GENERAL, dm_channel_id(U_MANAGER)])
def test_outside_a_team_channel_it_points_to_team_setup(week: Harness, channel: str) -> None:
    reply = team(week, "report", channel=channel)

    assert "type it in the team's channel" in reply
    assert "`/team setup`" in reply
    assert "*Done*" not in reply


@pytest.mark.parametrize("text", ["report 90d", "report week", "report 7d 30d"])
def test_another_period_is_refused_with_the_forms_that_work(week: Harness, text: str) -> None:
    reply = team(week, text)

    assert reply == "`/team report` covers `7d` (the default) or `30d`, like `/team report 30d`."


def test_another_workspace_with_the_same_channel_sees_none_of_this_team(week: Harness) -> None:
    def in_other_workspace(text: str) -> str:
        body = command_body(
            "/team",
            text,
            user_id=U_MANAGER,
            channel_id=C_TEAM,
            team_id="T0OTHERWS",
            response_url=week.slack.response_url(),
        )
        response = week.dispatch(body)
        assert response.status == 200
        return answer_text(response)

    in_other_workspace("setup")
    reply = in_other_workspace("report")

    assert "*Done*\n0 (no change)" in reply
    assert f"<@{U_ALICE}>" not in reply and f"<@{U_BOB}>" not in reply

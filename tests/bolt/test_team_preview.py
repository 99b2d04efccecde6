"""`/team preview [days]` through signed requests: what Baton will send for the channel's team and
when, who may see it, bad input, and that looking changes nothing (CONTRACT "Slash commands")."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.models import OutboxMessage, Task
from tests.conftest import Harness
from tests.fakes.slack_api import C_GENERAL, U_ADMIN, U_ALICE, U_BOB, U_MANAGER

C_TEAM = "C0TEAM"
C_OTHER = "C0OTHER"
WEDNESDAY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def team(h: Harness, text: str, *, user: str = U_MANAGER, channel: str = C_TEAM) -> str:
    return h.command(text, user=user, command="/team", channel=channel)


def a_team_with_a_task(h: Harness) -> None:
    h.clock.set(WEDNESDAY)
    team(h, "setup")
    answer = h.command(f"<@{U_ALICE}> Fix the <refund> macro by 2026-12-04 17:00", user=U_MANAGER, channel=C_TEAM)
    assert "Created T-1" in answer, answer
    h.command(f"<@{U_BOB}> Elsewhere by 2026-12-04 17:00", user=U_MANAGER, channel=C_GENERAL)  # no team
    h.accept(U_ALICE)
    h.baton.run_pass()


def test_preview_lists_checkins_warnings_overdue_and_the_digest_in_order(harness: Harness) -> None:
    a_team_with_a_task(harness)

    answer = team(harness, "preview")

    assert "next 7 days" in answer
    for kind in ("check-in", "deadline warning", "overdue notice", "weekly digest"):
        assert kind in answer, kind
    assert "T-1" in answer and "Fix the &lt;refund&gt; macro" in answer
    assert "Elsewhere" not in answer and "T-2" not in answer  # another team's (no team's) task
    assert "their time" in answer
    assert answer.index("check-in") < answer.index("overdue notice") < answer.index("weekly digest")


def test_preview_changes_nothing(harness: Harness) -> None:
    a_team_with_a_task(harness)
    tasks_before = [(t.id, t.next_check_at, t.checkin_after, t.overdue_after) for t in harness.rows(Task)]
    outbox_before = [(r.id, r.state) for r in harness.rows(OutboxMessage)]

    team(harness, "preview 30")

    assert [(t.id, t.next_check_at, t.checkin_after, t.overdue_after) for t in harness.rows(Task)] == tasks_before
    assert [(r.id, r.state) for r in harness.rows(OutboxMessage)] == outbox_before


def test_preview_of_one_day_shows_only_that_day(harness: Harness) -> None:
    a_team_with_a_task(harness)

    answer = team(harness, "preview 1")

    assert "next 1 day" in answer and "check-in" in answer
    assert "overdue notice" not in answer and "weekly digest" not in answer


def test_an_admin_may_preview_but_not_a_team_member(harness: Harness) -> None:
    a_team_with_a_task(harness)

    assert "check-in" in team(harness, "preview", user=U_ADMIN)
    refused = team(harness, "preview", user=U_ALICE)
    assert "Only this team's managers or a workspace admin" in refused and "check-in" not in refused


def test_preview_outside_a_team_channel_says_where_to_type_it(harness: Harness) -> None:
    harness.clock.set(WEDNESDAY)
    answer = team(harness, "preview", channel=C_OTHER)
    assert "team channel" in answer and "/team setup" in answer


def test_preview_refuses_days_out_of_range_and_says_the_form(harness: Harness) -> None:
    a_team_with_a_task(harness)
    for text in ("preview 0", "preview 31", "preview soon"):
        answer = team(harness, text)
        assert "from 1 to 30" in answer and "/team preview 14" in answer, text


def test_a_quiet_team_previews_nothing_scheduled(harness: Harness) -> None:
    harness.clock.set(WEDNESDAY)
    team(harness, "setup")
    team(harness, "checkins off")
    answer = team(harness, "preview 3")
    assert "Nothing is scheduled" in answer

"""The Home tab says when Baton may message the person and what it will send them next (CONTRACT, People's
time): their hours, holiday calendar, time away (typed or from a Slack status), and the coming messages."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Harness, flatten
from tests.fakes.requests import app_home_opened_event, user_change_event
from tests.fakes.slack_api import U_ALICE, U_MANAGER

C_TEAM = "C0TEAM"


def home_text(h: Harness, user: str = U_ALICE) -> str:
    assert h.event(app_home_opened_event(user), event_id=f"EvHome{h.clock.now().timestamp()}").status == 200
    view = h.slack.home_view(user)
    assert view is not None
    assert len(view["blocks"]) <= 100
    return flatten(view)


def test_the_home_tab_shows_hours_calendar_and_coming_checkins_as_one_message(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    for n in range(3):
        harness.command(f"<@{U_ALICE}> Task {n}", user=U_MANAGER, channel=C_TEAM)
    harness.accept(U_ALICE)
    harness.command("holidays de-by", user=U_MANAGER, command="/team", channel=C_TEAM)
    harness.command("hours 09:00-17:30", user=U_ALICE)

    shown = home_text(harness)

    assert "09:00-17:30 Monday to Friday (Europe/Berlin)" in shown
    assert "`DE-BY` (your team's)" in shown and "Christmas Day" in shown
    assert "Coming up" in shown
    # Wednesday's 10:00 check-ins for the three tasks: one message.
    assert "3 check-ins · T-1, T-2, T-3" in shown


def test_the_home_tab_shows_an_away_status_and_what_is_held(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Close the books by 2026-12-01 17:00", user=U_MANAGER)  # 23:00 in Berlin
    harness.accept(U_ALICE)
    harness.clock.set(datetime(2026, 12, 1, 22, 0, tzinfo=UTC))
    harness.baton.run_pass()  # the overdue notice is queued and held for Wednesday 08:00
    harness.slack.set_status(U_ALICE, emoji=":face_with_thermometer:", text="Sick", expiration=0)
    harness.event(user_change_event(harness.slack.user_info(U_ALICE)), event_id="EvSick")

    shown = home_text(harness)

    assert "your Slack status :face_with_thermometer: Sick says you are away" in shown
    assert "held to your working hours" in shown and "overdue notice" in shown

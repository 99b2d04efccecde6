"""People's time through Slack: `/task hours`, `/task holidays`, `/team holidays`, `/team escalation`, and what
the scheduler then sends (CONTRACT, People's time)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from storage.models import Person, Team
from tests.conftest import Harness
from tests.fakes.posts import dedupe_keys
from tests.fakes.slack_api import U_ALICE, U_BOB, U_MANAGER, dm_channel_id
from tests.helpers import every

C_TEAM = "C0TEAM"
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN).astimezone(UTC)


@dataclass(frozen=True)
class Post:
    at: datetime
    channel: str
    keys: tuple[str, ...]


def run_passes(h: Harness, moments: Iterable[datetime]) -> list[Post]:
    """A pass at each moment; every chat.postMessage they made, with the keys it carries."""
    posts = []
    for moment in sorted(moments):
        before = len(h.slack.calls_to("chat.postMessage"))
        h.clock.set(moment)
        h.baton.run_pass()
        for call in h.slack.calls_to("chat.postMessage")[before:]:
            posts.append(Post(moment, str(call.params["channel"]), tuple(dedupe_keys(call.params))))
    return posts


def keyed(posts: Iterable[Post], prefix: str) -> list[tuple[datetime, str]]:
    return [(p.at, key) for p in posts for key in p.keys if key.startswith(prefix)]


def team_with_alice_task(h: Harness, text: str = "Fix the refund macro") -> None:
    h.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    answer = h.command(f"<@{U_ALICE}> {text}", user=U_MANAGER, channel=C_TEAM)
    assert "Created T-" in answer, answer
    h.accept(U_ALICE)


def person(h: Harness, user: str) -> Person:
    [found] = h.rows(Person, Person.user_id == user)
    return found


# -- /task hours ---------------------------------------------------------------------------------------------


def test_task_hours_alone_shows_the_default_in_the_persons_zone(harness: Harness) -> None:
    reply = harness.command("hours", user=U_ALICE)

    assert "08:00-20:00 Monday to Friday (Europe/Berlin)" in reply
    assert "/task hours 09:00-17:30" in reply


def test_task_hours_sets_them_and_says_so(harness: Harness) -> None:
    reply = harness.command("hours 09:00-17:30 mon,tue,wed,thu", user=U_ALICE)

    assert "Saved" in reply and "09:00-17:30 Monday, Tuesday, Wednesday, Thursday (Europe/Berlin)" in reply
    alice = person(harness, U_ALICE)
    assert (alice.work_start, alice.work_end, alice.work_days) == ("09:00", "17:30", "0,1,2,3")
    assert "09:00-17:30" in harness.command("hours", user=U_ALICE)


def test_task_hours_default_goes_back_to_eight_to_eight_weekdays(harness: Harness) -> None:
    harness.command("hours 09:00-17:30", user=U_ALICE)

    reply = harness.command("hours default", user=U_ALICE)

    assert "08:00-20:00 Monday to Friday" in reply
    alice = person(harness, U_ALICE)
    assert (alice.work_start, alice.work_end, alice.work_days) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("hours 25:00-26:00", '"25:00" is not a time of day'),
        ("hours 17:00-09:00", "end (09:00) before they start (17:00)"),
        ("hours 09:00-09:30", "at least an hour"),
        ("hours 09:00-17:00 someday", '"someday" is not a day'),
        ("hours nine to five", '"nine" is not a time of day'),
        ("hours 9am", "is not a range of hours"),
    ],
)
def test_bad_hours_are_refused_with_the_form_and_change_nothing(harness: Harness, text: str, said: str) -> None:
    harness.command("hours 10:00-16:00", user=U_ALICE)

    reply = harness.command(text, user=U_ALICE)

    assert said in reply and "/task hours 09:00-17:30" in reply
    alice = person(harness, U_ALICE)
    assert (alice.work_start, alice.work_end, alice.work_days) == ("10:00", "16:00", "0,1,2,3,4")


def test_a_checkin_outside_someones_hours_waits_for_the_start_of_them(harness: Harness) -> None:
    """Alice works 12:00-18:00: the team's 10:00 check-in reaches her at 12:00, once."""
    team_with_alice_task(harness)
    harness.command("hours 12:00-18:00", user=U_ALICE)

    posts = run_passes(harness, every(berlin(2026, 12, 2, 9), berlin(2026, 12, 2, 19)))

    assert keyed(posts, "checkin:") == [(berlin(2026, 12, 2, 12), "checkin:1:2026-12-02")]


def test_hours_that_end_before_the_checkin_time_get_it_at_the_start_of_the_next_working_day(
    harness: Harness,
) -> None:
    """Alice works 06:00-09:00: Wednesday's 10:00 check-in comes Thursday 06:00, and Thursday has no second."""
    team_with_alice_task(harness)
    harness.command("hours 06:00-09:00", user=U_ALICE)

    posts = run_passes(harness, every(berlin(2026, 12, 2, 5), berlin(2026, 12, 3, 20)))

    assert keyed(posts, "checkin:") == [(berlin(2026, 12, 3, 6), "checkin:1:2026-12-03")]


def test_an_overdue_notice_at_night_comes_at_the_start_of_the_next_working_day(harness: Harness) -> None:
    """Due 17:00 in New York is 23:00 for Alice in Berlin: her copy waits for 08:00, the manager's does not."""
    team_with_alice_task(harness, "Close the books by 2026-12-02 17:00")

    posts = run_passes(harness, every(berlin(2026, 12, 2, 22, 45), berlin(2026, 12, 3, 9)))

    overdue = [(p.at, p.channel) for p in posts if any(k.startswith("overdue:") for k in p.keys)]
    assert overdue == [
        (berlin(2026, 12, 2, 23), dm_channel_id(U_MANAGER)),
        (berlin(2026, 12, 3, 8), dm_channel_id(U_ALICE)),
    ]


def test_changing_hours_brings_a_checkin_that_waited_for_the_old_ones(harness: Harness) -> None:
    team_with_alice_task(harness)
    harness.command("hours 14:00-18:00", user=U_ALICE)
    assert run_passes(harness, [berlin(2026, 12, 2, 10)]) == []

    harness.clock.set(berlin(2026, 12, 2, 10, 5))
    harness.command("hours 09:00-17:00", user=U_ALICE)
    posts = run_passes(harness, [berlin(2026, 12, 2, 10, 10)])

    assert keyed(posts, "checkin:") == [(berlin(2026, 12, 2, 10, 10), "checkin:1:2026-12-02")]


def test_an_overdue_notice_held_for_someones_hours_goes_at_once_when_they_change_them(harness: Harness) -> None:
    team_with_alice_task(harness, "Close the books by 2026-12-02 17:00")  # 23:00 for Alice in Berlin
    run_passes(harness, [berlin(2026, 12, 2, 23)])
    [held] = [r for r in harness.outbox() if r.kind == "overdue" and r.recipient_id == U_ALICE]
    assert (held.state, held.not_before) == ("pending", berlin(2026, 12, 3, 8))

    harness.clock.set(berlin(2026, 12, 2, 23, 5))
    harness.command("hours 07:00-23:30 daily", user=U_ALICE)
    posts = run_passes(harness, [berlin(2026, 12, 2, 23, 10)])

    assert [(p.at, p.channel) for p in posts] == [(berlin(2026, 12, 2, 23, 10), dm_channel_id(U_ALICE))]


# -- holidays ------------------------------------------------------------------------------------------------


def test_team_holidays_sets_the_calendar_and_lists_the_next_sixty_days(harness: Harness) -> None:
    harness.clock.set(berlin(2026, 12, 14, 9))
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)

    reply = harness.command("holidays de-by", user=U_MANAGER, command="/team", channel=C_TEAM)

    assert "`DE-BY`" in reply and "Christmas Day" in reply and "Epiphany" in reply  # 25 Dec, 6 Jan
    [team] = harness.rows(Team)
    assert team.calendar == "DE-BY"
    assert "`DE-BY`" in harness.command("holidays", user=U_ALICE, command="/team", channel=C_TEAM)


def test_team_holidays_off_removes_it(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    harness.command("holidays US", user=U_MANAGER, command="/team", channel=C_TEAM)

    reply = harness.command("holidays off", user=U_MANAGER, command="/team", channel=C_TEAM)

    assert "follows no public-holiday calendar" in reply
    assert [t.calendar for t in harness.rows(Team)] == [None]


def test_only_managers_set_the_team_calendar(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)

    reply = harness.command("holidays US", user=U_ALICE, command="/team", channel=C_TEAM)

    assert "Only this team's managers or a workspace admin" in reply
    assert [t.calendar for t in harness.rows(Team)] == [None]


@pytest.mark.parametrize("code", ["XX", "DE-ZZ"])
def test_an_unknown_calendar_is_refused_with_an_example(harness: Harness, code: str) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)

    team_reply = harness.command(f"holidays {code}", user=U_MANAGER, command="/team", channel=C_TEAM)
    own_reply = harness.command(f"holidays {code}", user=U_ALICE)

    assert "/team holidays DE-BY" in team_reply and "/task holidays JP" in own_reply
    assert [t.calendar for t in harness.rows(Team)] == [None]
    assert [p.calendar for p in harness.rows(Person, Person.user_id == U_ALICE)] in ([], [None])


def test_task_holidays_sets_and_clears_the_persons_own_calendar(harness: Harness) -> None:
    reply = harness.command("holidays jp", user=U_ALICE)

    assert "`JP`" in reply
    assert person(harness, U_ALICE).calendar == "JP"
    assert "no public-holiday calendar" in harness.command("holidays off", user=U_ALICE)
    assert person(harness, U_ALICE).calendar is None


def test_a_holiday_monday_after_a_weekend_gets_no_checkin_and_holds_fridays_notice_to_tuesday(
    harness: Harness,
) -> None:
    """Whit Monday 2027-05-17 is a holiday in Bavaria: no check-in that day, and the overdue notice due Friday
    23:00 Berlin waits over the weekend and the holiday for Tuesday 08:00."""
    harness.clock.set(berlin(2027, 5, 12, 9))
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    harness.command("holidays DE-BY", user=U_MANAGER, command="/team", channel=C_TEAM)
    harness.command(f"<@{U_ALICE}> Ship it by 2027-05-14 17:00", user=U_MANAGER, channel=C_TEAM)
    harness.accept(U_ALICE)

    run_passes(harness, every(berlin(2027, 5, 12, 9, 15), berlin(2027, 5, 14, 8)))
    posts = run_passes(harness, every(berlin(2027, 5, 14, 8, 15), berlin(2027, 5, 18, 11)))

    to_alice = [(p.at, k.split(":")[0]) for p in posts if p.channel == dm_channel_id(U_ALICE) for k in p.keys]
    assert to_alice == [
        (berlin(2027, 5, 14, 10), "checkin"),
        (berlin(2027, 5, 14, 20), "warn1"),  # 22:00 moved back to the end of her day
        (berlin(2027, 5, 18, 8), "overdue"),  # Friday's, held to Tuesday (the weekend, then Whit Monday)
        (berlin(2027, 5, 18, 10), "checkin"),
    ]


def test_a_warning_before_a_holiday_moves_to_the_working_day_before(harness: Harness) -> None:
    """Due Monday 26 Oct 2026 10:00 for Alice, who follows Austria's calendar (its national day): both warnings
    fall on days she does not work and move back to Friday 20:00, where she gets the 1-hour one, the closer."""
    harness.clock.set(berlin(2026, 10, 21, 9))
    harness.command("holidays AT", user=U_ALICE)
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    harness.command(f"<@{U_ALICE}> Prepare the report by 2026-10-26 05:00", user=U_MANAGER, channel=C_TEAM)
    harness.accept(U_ALICE)

    posts = run_passes(harness, every(berlin(2026, 10, 23, 19), berlin(2026, 10, 27, 10)))

    assert [(at, key.split(":")[0]) for at, key in keyed(posts, "warn")] == [(berlin(2026, 10, 23, 20), "warn1")]
    overdue = [(p.at, p.channel) for p in posts if any(k.startswith("overdue:") for k in p.keys)]
    assert (berlin(2026, 10, 27, 8), dm_channel_id(U_ALICE)) in overdue  # held over the holiday


# -- escalation ----------------------------------------------------------------------------------------------


def test_team_escalation_sets_shows_and_turns_off(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)

    assert "last 2 check-ins" in harness.command("escalation", user=U_MANAGER, command="/team", channel=C_TEAM)
    assert "last 3 check-ins" in harness.command("escalation 3", user=U_MANAGER, command="/team", channel=C_TEAM)
    assert [t.escalation_after for t in harness.rows(Team)] == [3]
    assert "no escalations" in harness.command("escalation off", user=U_MANAGER, command="/team", channel=C_TEAM)
    assert [t.escalation_after for t in harness.rows(Team)] == [0]


@pytest.mark.parametrize("text", ["escalation 0", "escalation 11", "escalation often"])
def test_a_bad_escalation_count_is_refused_and_changes_nothing(harness: Harness, text: str) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)

    reply = harness.command(text, user=U_MANAGER, command="/team", channel=C_TEAM)

    assert "/team escalation 2" in reply
    assert [t.escalation_after for t in harness.rows(Team)] == [2]


def test_bob_cannot_change_escalations(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)

    reply = harness.command("escalation off", user=U_BOB, command="/team", channel=C_TEAM)

    assert "Only this team's managers" in reply
    assert [t.escalation_after for t in harness.rows(Team)] == [2]

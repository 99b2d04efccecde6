"""`/team setup`, `/team checkins`, `/team help` and `/kudos` through signed requests."""

from __future__ import annotations

import json

import pytest

from storage.models import Kudos, KudosRecipient, Task, Team, TeamManager
from tests.conftest import Harness, flatten
from tests.fakes.slack_api import C_GENERAL, U_ADMIN, U_ALICE, U_BOB, U_MANAGER, dm_channel_id

C_TEAM = "C0TEAM"
G_PRIVATE = "G0PRIVATE"


def team(h: Harness, text: str, *, user: str, channel: str = C_TEAM) -> str:
    return h.command(text, user=user, command="/team", channel=channel)


def kudos(h: Harness, text: str, *, user: str = U_MANAGER, channel: str = C_GENERAL) -> str:
    return h.command(text, user=user, command="/kudos", channel=channel)


def managers(h: Harness) -> set[str]:
    return {m.user_id for m in h.rows(TeamManager)}


def the_team(h: Harness) -> Team:
    [found] = h.rows(Team)
    return found


# -- /team setup ---------------------------------------------------------------------------------------


def test_setup_in_a_channel_makes_a_team_with_the_caller_as_manager(harness: Harness) -> None:
    reply = team(harness, "setup", user=U_MANAGER)

    assert f"<#{C_TEAM}> is now a team channel" in reply
    created = the_team(harness)
    assert created.channel_id == C_TEAM
    assert created.tz == "America/New_York"
    assert (created.checkin_days, created.checkin_time) == ("0,1,2,3,4", "10:00")
    assert managers(harness) == {U_MANAGER}


def test_setup_in_a_private_channel_works_too(harness: Harness) -> None:
    team(harness, "setup", user=U_MANAGER, channel=G_PRIVATE)

    assert the_team(harness).channel_id == G_PRIVATE


def test_tasks_created_in_a_team_channel_belong_to_the_team(harness: Harness) -> None:
    team(harness, "setup", user=U_MANAGER)

    harness.command(f"<@{U_ALICE}> Team task", user=U_MANAGER, channel=C_TEAM)
    harness.command(f"<@{U_ALICE}> Other task", user=U_MANAGER, channel=C_GENERAL)

    by_title = {t.title: t.team_id for t in harness.rows(Task)}
    assert by_title == {"Team task": the_team(harness).id, "Other task": None}


def test_setup_in_a_dm_is_refused(harness: Harness) -> None:
    reply = team(harness, "setup", user=U_MANAGER, channel=dm_channel_id(U_MANAGER))

    assert "in the channel" in reply
    assert harness.rows(Team) == []


def test_a_second_person_may_not_take_over_a_team(harness: Harness) -> None:
    team(harness, "setup", user=U_MANAGER)

    reply = team(harness, "setup", user=U_BOB)

    assert "already a team" in reply
    assert f"<@{U_MANAGER}>" in reply
    assert managers(harness) == {U_MANAGER}


def test_an_admin_running_setup_becomes_a_manager_too(harness: Harness) -> None:
    team(harness, "setup", user=U_MANAGER)

    reply = team(harness, "setup", user=U_ADMIN)

    assert "You are now a manager" in reply
    assert managers(harness) == {U_MANAGER, U_ADMIN}
    assert len(harness.rows(Team)) == 1


def test_setup_again_by_its_manager_changes_nothing(harness: Harness) -> None:
    team(harness, "setup", user=U_MANAGER)

    reply = team(harness, "setup", user=U_MANAGER)

    assert "already a team channel, and you manage it" in reply
    assert managers(harness) == {U_MANAGER}
    assert len(harness.rows(Team)) == 1


def test_setup_with_extra_words_is_refused(harness: Harness) -> None:
    reply = team(harness, "setup now please", user=U_MANAGER)

    assert "/team setup" in reply
    assert harness.rows(Team) == []


# -- /team checkins ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days", "at", "says"),
    [
        ("checkins weekdays 10:00", "0,1,2,3,4", "10:00", "weekdays at 10:00"),
        ("checkins mon,wed 09:30", "0,2", "09:30", "Mon, Wed at 09:30"),
        ("checkins daily 8:15", "0,1,2,3,4,5,6", "08:15", "daily at 08:15"),
        ("checkins off", "", None, "off"),
    ],
    ids=["weekdays", "some-days", "daily", "off"],
)
def test_a_manager_sets_the_checkin_schedule(harness: Harness, text: str, days: str, at: str | None, says: str) -> None:
    team(harness, "setup", user=U_MANAGER)
    team(harness, "checkins mon 07:45", user=U_MANAGER)

    reply = team(harness, text, user=U_MANAGER)

    assert says in reply
    changed = the_team(harness)
    assert changed.checkin_days == days
    if at is not None:
        assert changed.checkin_time == at


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("checkins sometimes", "Use `/team checkins weekdays 10:00`"),
        ("checkins weekdays 25:00", '"25:00" is not a time'),
        ("checkins funday 10:00", '"funday" is not a day'),
        ("checkins mon,,wed 10:00", "A day is missing"),
        ("checkins", "Use `/team checkins weekdays 10:00`"),
        ("frobnicate", 'Unknown sub-command "frobnicate"'),
    ],
    ids=["no-time", "bad-time", "bad-day", "empty-day", "nothing", "unknown-sub-command"],
)
def test_bad_checkin_forms_are_answered_and_change_nothing(harness: Harness, text: str, says: str) -> None:
    team(harness, "setup", user=U_MANAGER)

    reply = team(harness, text, user=U_MANAGER)

    assert says in reply
    unchanged = the_team(harness)
    assert (unchanged.checkin_days, unchanged.checkin_time) == ("0,1,2,3,4", "10:00")


def test_someone_not_managing_the_team_may_not_change_checkins(harness: Harness) -> None:
    team(harness, "setup", user=U_MANAGER)

    reply = team(harness, "checkins daily 08:00", user=U_BOB)

    assert "Only this team's managers or a workspace admin" in reply
    unchanged = the_team(harness)
    assert (unchanged.checkin_days, unchanged.checkin_time) == ("0,1,2,3,4", "10:00")


def test_a_workspace_admin_may_change_checkins(harness: Harness) -> None:
    team(harness, "setup", user=U_MANAGER)

    reply = team(harness, "checkins mon,fri 11:00", user=U_ADMIN)

    assert "Mon, Fri at 11:00" in reply
    changed = the_team(harness)
    assert (changed.checkin_days, changed.checkin_time) == ("0,4", "11:00")


def test_checkins_outside_a_team_channel_point_to_setup(harness: Harness) -> None:
    reply = team(harness, "checkins weekdays 10:00", user=U_MANAGER, channel=C_GENERAL)

    assert "/team setup" in reply
    assert harness.rows(Team) == []


def test_team_help_shows_the_usage(harness: Harness) -> None:
    for text in ("help", ""):
        reply = team(harness, text, user=U_BOB)
        assert "/team setup" in reply
        assert "/team checkins weekdays 10:00" in reply
        assert "/team checkins off" in reply
    assert harness.rows(Team) == []


# -- /kudos ----------------------------------------------------------------------------------------------------


def test_kudos_are_posted_in_the_channel_and_recorded(harness: Harness) -> None:
    reply = kudos(harness, f"<@{U_ALICE}> <@{U_BOB}|bob> great work on the &lt;launch&gt; &amp; docs")

    assert f"<@{U_ALICE}>" in reply
    [posted] = harness.slack.messages(C_GENERAL)
    said = posted["text"] + "\n" + flatten(posted.get("blocks") or [])
    assert f"<@{U_ALICE}>" in said
    assert f"<@{U_BOB}>" in said
    assert f"<@{U_MANAGER}>" in said
    assert "great work on the &lt;launch&gt; &amp; docs" in said
    assert "<launch>" not in json.dumps(posted)
    [row] = harness.rows(Kudos)
    assert row.giver_id == U_MANAGER
    assert row.channel_id == C_GENERAL
    assert row.message == "great work on the <launch> & docs"
    assert [r.user_id for r in harness.rows(KudosRecipient)] == [U_ALICE, U_BOB]


def test_kudos_in_a_team_channel_count_for_that_team(harness: Harness) -> None:
    team(harness, "setup", user=U_MANAGER)

    kudos(harness, f"<@{U_ALICE}> thanks for the cover", user=U_BOB, channel=C_TEAM)

    [row] = harness.rows(Kudos)
    assert row.team_id == the_team(harness).id
    assert len(harness.slack.messages(C_TEAM)) == 1


def test_kudos_never_ping_a_channel(harness: Harness) -> None:
    kudos(harness, f"<@{U_ALICE}> you saved us <!channel> look")

    for call in harness.slack.calls_to("chat.postMessage"):
        assert "<!channel>" not in json.dumps({"text": call.params.get("text"), "blocks": call.params.get("blocks")})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (f"<@{U_MANAGER}> I did great", "Kudos are for others"),
        (f"<@{U_ALICE}> <@{U_MANAGER}> we did great", "Kudos are for others"),
        (f"<@{U_ALICE}>", "Add a message"),
        ("great work everyone", "Start with the people"),
        ("<!here> great work", "not a group"),
        (f"<@{U_ALICE}> {'x' * 501}", "501 characters"),
    ],
    ids=["self", "self-among-others", "no-message", "no-people", "a-group", "too-long"],
)
def test_bad_kudos_are_refused_and_post_nothing(harness: Harness, text: str, says: str) -> None:
    reply = kudos(harness, text)

    assert says in reply
    assert harness.rows(Kudos) == []
    assert harness.outbox() == []
    assert harness.slack.calls_to("chat.postMessage") == []

"""`/team skills`, `/task suggest` and the New task modal's suggestions, through signed requests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from handlers import ids
from storage.models import Person, Skill
from tests.conftest import Harness, answer_text, flatten
from tests.fakes.requests import action_body, command_body, message_shortcut_payload
from tests.fakes.slack_api import C_GENERAL, U_ADMIN, U_ALICE, U_BOB, U_MANAGER, dm_channel_id
from tests.helpers import opened_views

C_TEAM = "C0TEAM"
U_CAROL = "U0CAROL"


def team(h: Harness, text: str, *, user: str = U_MANAGER, channel: str = C_TEAM) -> str:
    return h.command(text, user=user, command="/team", channel=channel)


def task(h: Harness, text: str, *, user: str = U_MANAGER, channel: str = C_TEAM) -> str:
    return h.command(text, user=user, command="/task", channel=channel)


def skills(h: Harness) -> set[tuple[str, str]]:
    return {(row.user_id, row.skill) for row in h.rows(Skill)}


def suggestion_hint(view: dict[str, Any]) -> str | None:
    """The context block right under the assignee picker, if there is one."""
    kinds = [block.get("block_id") for block in view["blocks"]]
    after = view["blocks"][kinds.index(ids.BLOCK_ASSIGNEE) + 1]
    return str(after["elements"][0]["text"]) if after["type"] == "context" else None


def with_carol(h: Harness) -> None:
    h.slack.add_user(U_CAROL, name="carol", tz="Europe/London")


# -- /team skills @person … ----------------------------------------------------------------------------------


def test_a_manager_sets_a_persons_skills_in_the_team(harness: Harness) -> None:
    team(harness, "setup")

    reply = team(harness, f"skills <@{U_ALICE}> Billing, refunds ,SPANISH, billing")

    assert f"<@{U_ALICE}>'s skills in <#{C_TEAM}>: billing, refunds, spanish." in reply
    assert skills(harness) == {(U_ALICE, "billing"), (U_ALICE, "refunds"), (U_ALICE, "spanish")}


def test_setting_skills_again_replaces_the_list_and_a_dash_clears_it(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing, refunds")
    team(harness, f"skills <@{U_BOB}> apis")

    team(harness, f"skills <@{U_ALICE}> spanish")
    assert skills(harness) == {(U_ALICE, "spanish"), (U_BOB, "apis")}

    reply = team(harness, f"skills <@{U_ALICE}> -")
    assert f"Cleared <@{U_ALICE}>'s skills" in reply
    assert skills(harness) == {(U_BOB, "apis")}


def test_a_workspace_admin_may_set_skills_in_a_team_they_do_not_manage(harness: Harness) -> None:
    team(harness, "setup")

    team(harness, f"skills <@{U_ALICE}> billing", user=U_ADMIN)

    assert skills(harness) == {(U_ALICE, "billing")}


def test_someone_who_does_not_manage_the_team_is_refused_and_nothing_changes(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")

    by_bob = team(harness, f"skills <@{U_ALICE}> -", user=U_BOB)
    by_alice = team(harness, f"skills <@{U_ALICE}> management", user=U_ALICE)

    for reply in (by_bob, by_alice):
        assert "Only this team's managers or a workspace admin can set skills" in reply
    assert skills(harness) == {(U_ALICE, "billing")}


def test_skills_outside_a_team_channel_say_how_to_make_one(harness: Harness) -> None:
    set_reply = team(harness, f"skills <@{U_ALICE}> billing", channel=C_GENERAL)
    list_reply = team(harness, "skills", channel=C_GENERAL)

    for reply in (set_reply, list_reply):
        assert "This channel isn't a team yet" in reply
        assert "/team setup" in reply
    assert skills(harness) == set()


def test_a_bot_cannot_be_given_skills(harness: Harness) -> None:
    harness.slack.add_user("U0ROBOT", name="robot", is_bot=True)
    team(harness, "setup")

    reply = team(harness, "skills <@U0ROBOT> billing")

    assert "is a bot" in reply
    assert skills(harness) == set()


def test_bad_skills_are_answered_with_the_rules_and_change_nothing(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")

    reply = team(harness, f"skills <@{U_ALICE}> refunds, &lt;b&gt;")

    assert '"&lt;b&gt;" is not a skill' in reply
    assert "letters, digits, spaces or dashes" in reply
    assert skills(harness) == {(U_ALICE, "billing")}


# -- /team skills alone -----------------------------------------------------------------------------------


def test_skills_alone_lists_the_teams_people_with_and_without_skills(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing, refunds")
    task(harness, f"<@{U_BOB}> Restock the shelf")  # a team task: Bob is one of its people
    task(harness, f"<@{U_ADMIN}> Elsewhere", channel=C_GENERAL)  # not a team task

    reply = team(harness, "skills", user=U_BOB)

    assert f"Skills in <#{C_TEAM}>" in reply
    assert f"<@{U_ALICE}>: billing, refunds" in reply
    assert f"<@{U_BOB}>: _no skills yet_" in reply
    assert U_ADMIN not in reply


def test_another_workspace_never_sees_these_skills(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")

    def in_other_workspace(text: str) -> str:
        body = command_body(
            "/team", text, user_id=U_MANAGER, channel_id=C_TEAM, team_id="T0OTHER", response_url="http://x/r"
        )
        return answer_text(harness.dispatch(body))

    in_other_workspace("setup")  # the same channel id, in another workspace
    reply = in_other_workspace("skills")

    assert f"<@{U_ALICE}>" not in reply
    assert "No one in" in reply


# -- /task suggest ---------------------------------------------------------------------------------------


def test_suggest_ranks_the_person_with_the_matching_skill_first_then_by_load(harness: Harness) -> None:
    with_carol(harness)
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing, apis")
    team(harness, f"skills <@{U_CAROL}> billing")
    team(harness, f"skills <@{U_BOB}> spanish")
    task(harness, f"<@{U_ALICE}> Rotate the keys !urgent")  # Alice's load: 4
    task(harness, f"<@{U_CAROL}> Tidy the wiki !low")  # Carol's load: 1

    reply = task(harness, "suggest Fix a wrong invoice #billing")

    assert "Fix a wrong invoice" in reply
    assert reply.index(f"1. <@{U_CAROL}>") < reply.index(f"2. <@{U_ALICE}>") < reply.index(f"3. <@{U_BOB}>")
    assert f"1. <@{U_CAROL}> — skills: billing · open load 1 (1 open task)" in reply
    assert f"2. <@{U_ALICE}> — skills: billing · open load 4 (1 open task)" in reply
    assert f"3. <@{U_BOB}> — no matching skills · no open tasks" in reply


def test_suggest_counts_skills_named_in_the_text(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")
    team(harness, f"skills <@{U_BOB}> spanish")

    reply = task(harness, "suggest Call back the Spanish customer")

    assert reply.index(f"1. <@{U_BOB}> — skills: spanish") < reply.index(f"2. <@{U_ALICE}> — no matching skills")


def test_suggest_prefers_the_better_on_time_record_when_skills_and_load_are_equal(harness: Harness) -> None:
    team(harness, "setup")
    task(harness, f"<@{U_BOB}> Early bird by fri 5pm")  # T-1
    task(harness, f"<@{U_ALICE}> Slow coach by wed 5pm")  # T-2
    task(harness, "done T-1", user=U_BOB)
    harness.clock.advance(days=3)
    task(harness, "done T-2", user=U_ALICE)  # finished after its deadline

    reply = task(harness, "suggest Anything at all")

    # Bob first although user ids alone would put Alice first.
    assert f"1. <@{U_BOB}> — no matching skills · no open tasks · 100% on time (last 1 task with a deadline)" in reply
    assert f"2. <@{U_ALICE}> — no matching skills · no open tasks · 0% on time (last 1 task with a deadline)" in reply


def test_a_deactivated_account_is_left_out_of_the_list_and_the_suggestions(harness: Harness) -> None:
    with_carol(harness)
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")
    team(harness, f"skills <@{U_CAROL}> billing")
    with harness.baton.uow() as uow:  # Slack said so the last time Baton asked
        uow.session.execute(update(Person).where(Person.user_id == U_CAROL).values(is_deleted=True))
        uow.commit()

    listed = team(harness, "skills")
    suggested = task(harness, "suggest Fix an invoice #billing")

    for reply in (listed, suggested):
        assert f"<@{U_ALICE}>" in reply
        assert U_CAROL not in reply


def test_suggest_says_which_skills_nobody_in_the_team_has(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")

    reply = task(harness, "suggest Translate the docs #german #billing")

    assert f"No one in <#{C_TEAM}> has #german on record" in reply


def test_suggest_outside_a_team_channel_uses_the_teams_the_caller_manages(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")

    for channel in (C_GENERAL, dm_channel_id(U_MANAGER)):
        reply = task(harness, "suggest Chase an unpaid invoice #billing", channel=channel)

        assert f"(from <#{C_TEAM}>)" in reply
        assert f"1. <@{U_ALICE}> — skills: billing" in reply


def test_suggest_outside_a_team_channel_for_someone_managing_no_team_says_how_to_set_one_up(
    harness: Harness,
) -> None:
    team(harness, "setup")  # the manager's team, not Bob's

    reply = task(harness, "suggest Chase an unpaid invoice", user=U_BOB, channel=C_GENERAL)

    assert "/team setup" in reply
    assert "/team skills @person" in reply


def test_suggest_in_a_team_with_nobody_on_record_says_how_to_record_skills(harness: Harness) -> None:
    team(harness, "setup")

    reply = task(harness, "suggest Chase an unpaid invoice")

    assert "No one to suggest yet" in reply
    assert "/team skills @person" in reply


def test_suggest_without_a_description_is_refused_with_an_example(harness: Harness) -> None:
    team(harness, "setup")

    reply = task(harness, "suggest #billing")

    assert "Say what needs doing" in reply
    assert "/task suggest Refund a Spanish customer #billing" in reply


def test_suggest_shows_the_typed_text_escaped(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")

    reply = task(harness, "suggest Ping &lt;!channel&gt; about billing")

    assert "Ping &lt;!channel&gt; about billing" in reply
    assert "<!channel>" not in reply


# -- the New task modal ---------------------------------------------------------------------------------


def test_the_new_task_modal_in_a_team_channel_suggests_people_by_load(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")
    team(harness, f"skills <@{U_BOB}> spanish")
    task(harness, f"<@{U_ALICE}> Rotate the keys !high")  # Alice's load: 3

    task(harness, "")

    [view] = opened_views(harness)
    assert suggestion_hint(view) == (
        f"Suggested: <@{U_BOB}> (no open tasks, no on-time record yet), "
        f"<@{U_ALICE}> (light load, no on-time record yet)"
    )


def test_the_new_task_modal_outside_a_team_channel_suggests_no_one(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")

    task(harness, "", channel=C_GENERAL)

    [view] = opened_views(harness)
    assert suggestion_hint(view) is None
    assert "Suggested" not in flatten(view)


def test_the_message_shortcut_in_a_team_channel_shows_suggestions(harness: Harness) -> None:
    team(harness, "setup")
    team(harness, f"skills <@{U_ALICE}> billing")
    payload = message_shortcut_payload(
        ids.SHORTCUT_TASK_FROM_MESSAGE,
        user_id=U_MANAGER,
        channel_id=C_TEAM,
        message_ts="1700000000.000100",
        text="The invoice total is wrong",
        message_user=U_BOB,
        response_url=harness.slack.response_url("shortcut"),
    )

    response = harness.dispatch(action_body(payload))

    assert response.status == 200
    [view] = opened_views(harness)
    assert suggestion_hint(view) == f"Suggested: <@{U_ALICE}> (no open tasks, no on-time record yet)"

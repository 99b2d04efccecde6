"""`/task` through signed requests: delegate, list, show, done, reassign, due, cancel, and who is told."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from handlers import ids
from storage.models import OutboxMessage, Task, TaskEvent
from tests.conftest import Harness, answer_text
from tests.fakes.requests import command_body
from tests.fakes.slack_api import C_GENERAL, U_ADMIN, U_ALICE, U_BOB, U_MANAGER, dm_channel_id
from tests.helpers import action_ids, shown

C_TEAM = "C0TEAM"
OTHER_WORKSPACE = "T0OTHERWS"


# -- helpers -----------------------------------------------------------------------------------------


def delegate(h: Harness, text: str, *, to: str = U_ALICE, by: str = U_MANAGER, channel: str = C_GENERAL) -> str:
    return h.command(f"<@{to}> {text}", user=by, channel=channel)


def task(h: Harness, number: int) -> Task:
    [found] = [t for t in h.tasks() if t.number == number]
    return found


def dms(h: Harness, user: str) -> list[dict[str, Any]]:
    return h.slack.messages(dm_channel_id(user))


def posted_params(h: Harness) -> list[str]:
    """The text and blocks of every chat.postMessage Baton made, as JSON text."""
    return [
        json.dumps({"text": c.params.get("text"), "blocks": c.params.get("blocks")})
        for c in h.slack.calls_to("chat.postMessage")
    ]


def command_in(h: Harness, text: str, *, user: str, team_id: str, channel: str = C_GENERAL) -> str:
    response = h.dispatch(
        command_body(
            "/task", text, user_id=user, team_id=team_id, channel_id=channel, response_url=h.slack.response_url()
        )
    )
    assert response.status == 200, response.body
    return answer_text(response)


def line_of(reply: str, needle: str) -> int:
    """Where in the reply a task shows, to compare orders."""
    at = reply.find(needle)
    assert at >= 0, f"{needle!r} not in {reply!r}"
    return at


# -- delegating ----------------------------------------------------------------------------------------


def test_delegating_answers_ephemerally_with_the_new_task_id(harness: Harness) -> None:
    response = harness.dispatch(
        command_body(
            "/task",
            f"<@{U_ALICE}> Fix the refund macro",
            user_id=U_MANAGER,
            response_url=harness.slack.response_url(),
        )
    )

    body = json.loads(response.body)
    assert body["response_type"] == "ephemeral"
    assert "T-1" in answer_text(response)


def test_task_ids_count_from_one_within_a_workspace(harness: Harness) -> None:
    first = delegate(harness, "First thing")
    second = delegate(harness, "Second thing", to=U_BOB)

    assert "T-1" in first
    assert "T-2" in second
    assert sorted(t.number for t in harness.tasks()) == [1, 2]


def test_a_second_workspace_numbers_its_tasks_from_one_again(harness: Harness) -> None:
    delegate(harness, "Ours one")
    delegate(harness, "Ours two")

    reply = command_in(harness, f"<@{U_ALICE}> Theirs one", user=U_MANAGER, team_id=OTHER_WORKSPACE)

    assert "T-1" in reply
    [theirs] = [t for t in harness.tasks() if t.workspace_id == OTHER_WORKSPACE]
    assert theirs.number == 1
    assert theirs.title == "Theirs one"


def test_a_workspace_cannot_see_another_workspaces_task(harness: Harness) -> None:
    delegate(harness, "Ours one")
    delegate(harness, "Secret roadmap")
    command_in(harness, f"<@{U_ALICE}> Theirs one", user=U_MANAGER, team_id=OTHER_WORKSPACE)

    reply = command_in(harness, "show T-2", user=U_MANAGER, team_id=OTHER_WORKSPACE)

    assert "doesn't exist" in reply
    assert "Secret roadmap" not in reply


def test_a_workspace_cannot_complete_another_workspaces_task(harness: Harness) -> None:
    delegate(harness, "Ours one")
    delegate(harness, "Ours two")
    command_in(harness, f"<@{U_ALICE}> Theirs one", user=U_MANAGER, team_id=OTHER_WORKSPACE)
    outbox_before = len(harness.outbox())

    reply = command_in(harness, "done T-2", user=U_MANAGER, team_id=OTHER_WORKSPACE)
    command_in(harness, "done T-1", user=U_MANAGER, team_id=OTHER_WORKSPACE)

    assert "doesn't exist" in reply
    ours = {t.number: t.status for t in harness.tasks() if t.workspace_id != OTHER_WORKSPACE}
    assert ours == {1: "open", 2: "open"}
    [theirs] = [t for t in harness.tasks() if t.workspace_id == OTHER_WORKSPACE]
    assert theirs.status == "done"
    new_rows = harness.outbox()[outbox_before:]
    assert all(row.workspace_id == OTHER_WORKSPACE for row in new_rows)


def test_a_mention_with_a_name_part_names_the_same_person(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}|alice> Update the runbook", user=U_MANAGER)

    assert "T-1" in reply
    [created] = harness.tasks()
    assert created.assignee_id == U_ALICE
    assert created.title == "Update the runbook"
    assert len(dms(harness, U_ALICE)) == 1


def test_due_time_is_read_in_the_callers_time_zone(harness: Harness) -> None:
    delegate(harness, "Morning report by tomorrow 9am")  # U_MANAGER is in New York

    [created] = harness.tasks()
    assert created.title == "Morning report"
    assert created.due_at == datetime(2026, 12, 2, 14, 0, tzinfo=UTC)


def test_a_due_time_other_than_the_current_hour_is_read_in_the_callers_zone(harness: Harness) -> None:
    delegate(harness, "Morning report by tomorrow 10:30am")

    [created] = harness.tasks()
    assert created.due_at == datetime(2026, 12, 2, 15, 30, tzinfo=UTC)


def test_due_time_follows_the_caller_not_the_assignee(harness: Harness) -> None:
    # U_BOB is in Tokyo, where it is already 23:00 on 1 December; Alice is in Berlin.
    delegate(harness, "Morning report by tomorrow 9am", by=U_BOB)

    [created] = harness.tasks()
    assert created.due_at == datetime(2026, 12, 2, 0, 0, tzinfo=UTC)


def test_a_date_without_a_time_means_five_pm_for_the_caller(harness: Harness) -> None:
    delegate(harness, "Quarterly numbers due 2026-12-04")

    [created] = harness.tasks()
    assert created.title == "Quarterly numbers"
    assert created.due_at == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)  # 17:00 in New York


def test_a_by_that_is_not_a_date_stays_in_the_title_with_no_deadline(harness: Harness) -> None:
    delegate(harness, "Sign off by legal")

    [created] = harness.tasks()
    assert created.title == "Sign off by legal"
    assert created.due_at is None
    assert "no deadline" in shown(dms(harness, U_ALICE)[0])


def test_priority_and_due_are_taken_off_the_title(harness: Harness) -> None:
    delegate(harness, "Fix the refund macro by fri 5pm !urgent")

    [created] = harness.tasks()
    assert created.title == "Fix the refund macro"
    assert created.priority == "urgent"
    assert created.due_at == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)


def test_escaped_characters_are_decoded_once_and_stored_as_typed(harness: Harness) -> None:
    delegate(harness, "Fix &lt;b&gt; tags &amp; the &amp;amp; entity")

    [created] = harness.tasks()
    assert created.title == "Fix <b> tags & the &amp; entity"
    dm = shown(dms(harness, U_ALICE)[0])
    assert "Fix &lt;b&gt; tags &amp; the &amp;amp; entity" in dm


def test_a_hostile_title_never_pings_anyone(harness: Harness) -> None:
    reply = delegate(harness, "Ping <!channel> and <!here> now by tomorrow")

    [created] = harness.tasks()
    assert created.title == "Ping <!channel> and <!here> now"
    harness.command("done T-1", user=U_ALICE)  # a celebration in the channel too
    posted = posted_params(harness)
    assert len(posted) >= 2
    for params in [*posted, reply]:
        assert "<!channel>" not in params
        assert "<!here>" not in params
    assert "&lt;!channel&gt;" in posted[0]


def test_the_assignee_gets_a_dm_with_accept_and_decline(harness: Harness) -> None:
    delegate(harness, "Draft the launch post by fri !high")

    [dm] = dms(harness, U_ALICE)
    assert action_ids(dm) == [ids.ACTION_ACCEPT, ids.ACTION_DECLINE]
    assert "Draft the launch post" in shown(dm)
    assert "T-1" in shown(dm)
    [row] = harness.outbox()
    assert row.state == "sent"
    assert row.recipient_id == U_ALICE


def test_delegating_to_yourself_sends_no_dm_and_needs_no_accept(harness: Harness) -> None:
    delegate(harness, "Note to self", to=U_MANAGER)

    [created] = harness.tasks()
    assert created.status == "accepted"
    assert harness.outbox() == []
    assert harness.slack.calls_to("chat.postMessage") == []


# -- listing ---------------------------------------------------------------------------------------------


def test_list_defaults_to_my_tasks_soonest_due_first(harness: Harness) -> None:
    delegate(harness, "Later thing by in 3 days")
    delegate(harness, "No deadline thing")
    delegate(harness, "Sooner thing by tomorrow")
    delegate(harness, "Bobs thing by tomorrow", to=U_BOB)

    reply = harness.command("list", user=U_ALICE)

    assert "Bobs thing" not in reply
    assert line_of(reply, "Sooner thing") < line_of(reply, "Later thing") < line_of(reply, "No deadline thing")
    assert harness.command("list mine", user=U_ALICE) == reply


def test_list_leaves_out_done_and_cancelled_tasks(harness: Harness) -> None:
    delegate(harness, "Finished thing")
    delegate(harness, "Dropped thing")
    delegate(harness, "Open thing")
    harness.command("done T-1", user=U_ALICE)
    harness.command("cancel T-2", user=U_MANAGER)

    reply = harness.command("list", user=U_ALICE)

    assert "Open thing" in reply
    assert "Finished thing" not in reply
    assert "Dropped thing" not in reply


def test_list_delegated_shows_what_i_handed_out(harness: Harness) -> None:
    delegate(harness, "Mine to Alice by in 2 days")
    delegate(harness, "Mine to Bob by tomorrow", to=U_BOB)
    delegate(harness, "Bob to Alice", by=U_BOB)

    reply = harness.command("list delegated", user=U_MANAGER)

    assert "Bob to Alice" not in reply
    assert line_of(reply, "Mine to Bob") < line_of(reply, "Mine to Alice")


def test_list_team_in_a_team_channel_shows_that_teams_tasks(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    delegate(harness, "Team thing", channel=C_TEAM)
    delegate(harness, "General thing", channel=C_GENERAL)

    reply = harness.command("list team", user=U_BOB, channel=C_TEAM)

    assert "Team thing" in reply
    assert "General thing" not in reply


def test_list_team_outside_a_team_channel_is_refused(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    delegate(harness, "Team thing", channel=C_TEAM)

    reply = harness.command("list team", user=U_MANAGER, channel=C_GENERAL)

    assert "no team" in reply
    assert "/team setup" in reply
    assert "Team thing" not in reply


def test_list_overdue_shows_past_due_tasks_once_the_deadline_passes(harness: Harness) -> None:
    delegate(harness, "Slipping thing by tomorrow 9am")
    delegate(harness, "Far thing by in 5 days")
    before = harness.command("list overdue", user=U_MANAGER)

    harness.clock.advance(days=2)
    for_delegator = harness.command("list overdue", user=U_MANAGER)
    for_assignee = harness.command("list overdue", user=U_ALICE)
    for_bystander = harness.command("list overdue", user=U_BOB)

    assert "Slipping thing" not in before
    assert "Slipping thing" in for_delegator
    assert "Far thing" not in for_delegator
    assert "Slipping thing" in for_assignee
    assert "Slipping thing" not in for_bystander
    assert "overdue" in for_delegator.lower()


def test_list_overdue_shows_a_managers_whole_team(harness: Harness) -> None:
    harness.command("setup", user=U_ADMIN, command="/team", channel=C_TEAM)
    delegate(harness, "Team slip by tomorrow", channel=C_TEAM)

    harness.clock.advance(days=3)
    reply = harness.command("list overdue", user=U_ADMIN)

    assert "Team slip" in reply


def test_list_for_a_person_shows_their_open_tasks(harness: Harness) -> None:
    delegate(harness, "Alice thing")
    delegate(harness, "Bob thing", to=U_BOB)

    reply = harness.command(f"list <@{U_ALICE}|alice>", user=U_BOB)

    assert "Alice thing" in reply
    assert "Bob thing" not in reply


# -- showing ---------------------------------------------------------------------------------------------


def test_show_accepts_every_id_form(harness: Harness) -> None:
    delegate(harness, "Write the FAQ by fri")

    for ref in ("T-1", "t-1", "1"):
        reply = harness.command(f"show {ref}", user=U_BOB)
        assert "T-1" in reply
        assert "Write the FAQ" in reply
        assert f"<@{U_ALICE}>" in reply
        assert f"<@{U_MANAGER}>" in reply


def test_show_includes_the_history(harness: Harness) -> None:
    delegate(harness, "Write the FAQ")
    harness.click(ids.ACTION_ACCEPT, str(task(harness, 1).id), user=U_ALICE)
    harness.command("due T-1 fri 5pm", user=U_MANAGER)

    reply = harness.command("show T-1", user=U_MANAGER)

    assert "History" in reply
    assert "created the task" in reply
    assert "accepted it" in reply
    assert "moved the deadline" in reply
    assert reply.index("created the task") < reply.index("accepted it") < reply.index("moved the deadline")


# -- done ------------------------------------------------------------------------------------------------


def test_done_by_the_assignee_celebrates_where_the_task_was_created(harness: Harness) -> None:
    delegate(harness, "Ship the fix")

    reply = harness.command("done T-1 all good", user=U_ALICE)

    assert "T-1" in reply
    assert task(harness, 1).status == "done"
    [celebration] = harness.slack.messages(C_GENERAL)
    assert "Ship the fix" in shown(celebration)
    assert "finished" in shown(celebration)
    [event] = harness.rows(TaskEvent, TaskEvent.action == "done")
    assert event.actor_id == U_ALICE
    assert event.detail == "all good"


def test_done_celebrates_in_the_team_channel_for_a_team_task(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    delegate(harness, "Team fix", channel=C_TEAM)

    harness.command("done T-1", user=U_ALICE, channel=C_GENERAL)

    [celebration] = harness.slack.messages(C_TEAM)
    assert "Team fix" in shown(celebration)
    assert harness.slack.messages(C_GENERAL) == []


def test_done_on_a_task_made_in_a_dm_celebrates_to_the_delegator_by_dm(harness: Harness) -> None:
    delegate(harness, "Private fix", channel=dm_channel_id(U_MANAGER))

    harness.command("done T-1", user=U_ALICE)

    [celebration] = dms(harness, U_MANAGER)
    assert "Private fix" in shown(celebration)
    assert harness.slack.messages(C_GENERAL) == []


def test_a_second_done_changes_and_sends_nothing(harness: Harness) -> None:
    delegate(harness, "Ship the fix")
    harness.command("done T-1", user=U_ALICE)
    posts = len(harness.slack.calls_to("chat.postMessage"))
    outbox = len(harness.outbox())
    events = len(harness.rows(TaskEvent))

    reply = harness.command("done T-1", user=U_MANAGER)

    assert "already done" in reply
    assert len(harness.slack.calls_to("chat.postMessage")) == posts
    assert len(harness.outbox()) == outbox
    assert len(harness.rows(TaskEvent)) == events


# -- permissions -------------------------------------------------------------------------------------------


def test_someone_not_involved_may_not_change_a_task(harness: Harness) -> None:
    delegate(harness, "Ship the fix by fri")
    before = task(harness, 1)
    posts = len(harness.slack.calls_to("chat.postMessage"))
    outbox = len(harness.outbox())

    replies = [
        harness.command("done T-1", user=U_BOB),
        harness.command(f"reassign T-1 <@{U_BOB}>", user=U_BOB),
        harness.command("due T-1 in 10 days", user=U_BOB),
        harness.command("cancel T-1", user=U_BOB),
    ]

    for reply in replies:
        assert "Only T-1's assignee" in reply
    after = task(harness, 1)
    assert (after.status, after.assignee_id, after.due_at) == (before.status, before.assignee_id, before.due_at)
    assert len(harness.slack.calls_to("chat.postMessage")) == posts
    assert len(harness.outbox()) == outbox


def test_a_team_manager_may_change_a_team_task(harness: Harness) -> None:
    harness.command("setup", user=U_BOB, command="/team", channel=C_TEAM)
    delegate(harness, "Team task", channel=C_TEAM)

    reply = harness.command("cancel T-1 out of scope", user=U_BOB)

    assert "cancelled" in reply
    assert task(harness, 1).status == "cancelled"


def test_a_workspace_admin_may_change_any_task(harness: Harness) -> None:
    delegate(harness, "Any task")

    reply = harness.command("due T-1 in 4 days", user=U_ADMIN)

    assert "is now due" in reply
    assert task(harness, 1).due_at is not None


def test_the_assignee_may_move_the_deadline(harness: Harness) -> None:
    delegate(harness, "Any task by tomorrow")

    harness.command("due T-1 2026-12-10", user=U_ALICE)

    assert task(harness, 1).due_at == datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # 17:00 in Berlin


# -- reassign, due, cancel ------------------------------------------------------------------------------------


def test_reassign_dms_the_new_assignee_and_tells_the_old_one(harness: Harness) -> None:
    delegate(harness, "Rotate the keys")

    reply = harness.command(f"reassign T-1 <@{U_BOB}|bob>", user=U_MANAGER)

    assert f"<@{U_BOB}>" in reply
    moved = task(harness, 1)
    assert moved.assignee_id == U_BOB
    assert moved.status == "open"
    [bob_dm] = dms(harness, U_BOB)
    assert action_ids(bob_dm) == [ids.ACTION_ACCEPT, ids.ACTION_DECLINE]
    assert "Rotate the keys" in shown(bob_dm)
    alice_dms = dms(harness, U_ALICE)
    assert len(alice_dms) == 2  # the assignment, then the hand-over
    assert "handed to" in shown(alice_dms[-1])
    assert action_ids(alice_dms[-1]) == []


def test_due_change_moves_the_deadline_and_tells_the_assignee(harness: Harness) -> None:
    delegate(harness, "Rotate the keys by tomorrow")

    reply = harness.command("due T-1 fri 5pm", user=U_MANAGER)

    assert "is now due" in reply
    assert task(harness, 1).due_at == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    alice_dms = dms(harness, U_ALICE)
    assert len(alice_dms) == 2
    assert "deadline" in shown(alice_dms[-1])
    assert "T-1" in shown(alice_dms[-1])


def test_cancel_tells_the_assignee_with_the_reason(harness: Harness) -> None:
    delegate(harness, "Rotate the keys")

    reply = harness.command("cancel T-1 vendor &amp; plan changed", user=U_MANAGER)

    assert "cancelled" in reply
    assert task(harness, 1).status == "cancelled"
    last = shown(dms(harness, U_ALICE)[-1])
    assert "cancelled" in last
    assert "vendor &amp; plan changed" in last
    [event] = harness.rows(TaskEvent, TaskEvent.action == "cancelled")
    assert event.detail == "vendor & plan changed"


def test_a_second_cancel_changes_and_sends_nothing(harness: Harness) -> None:
    delegate(harness, "Rotate the keys")
    harness.command("cancel T-1", user=U_MANAGER)
    posts = len(harness.slack.calls_to("chat.postMessage"))

    reply = harness.command("cancel T-1", user=U_MANAGER)

    assert "already cancelled" in reply
    assert len(harness.slack.calls_to("chat.postMessage")) == posts
    # The assignment DM, the notice of the first cancel and that cancel's redraw of the DM: nothing more.
    assert sorted(r.kind for r in harness.rows(OutboxMessage)) == ["assignment", "cancelled", "refresh"]

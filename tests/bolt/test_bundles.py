"""One DM per person per pass: a person's check-ins, warnings and overdue notices at one pass come as one
message, each task with its own buttons; answers change that task's row alone; exactly once holds per task
(CONTRACT, People's time)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from storage.models import TaskEvent
from tests.conftest import Harness, flatten
from tests.fakes.posts import dedupe_keys
from tests.fakes.requests import reaction_added_event
from tests.fakes.slack_api import U_ALICE, U_BOB, U_MANAGER, dm_channel_id

C_TEAM = "C0TEAM"
D_ALICE = dm_channel_id(U_ALICE)
# Wednesday 2 December 2026, 10:00 in Berlin: Alice's check-in moment.
CHECKIN_AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def tasks_for_alice(h: Harness, count: int, *, accept: bool = True) -> list[int]:
    h.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    for n in range(count):
        answer = h.command(f"<@{U_ALICE}> Task number {n + 1}", user=U_MANAGER, channel=C_TEAM)
        assert "Created T-" in answer, answer
    if accept:
        h.accept(U_ALICE)
    return [t.id for t in h.tasks()]


def checkin_posts(h: Harness) -> list[Any]:
    return [
        c for c in h.slack.calls_to("chat.postMessage") if any(k.startswith("checkin:") for k in dedupe_keys(c.params))
    ]


def the_bundle(h: Harness) -> dict[str, Any]:
    [message] = [m for m in h.slack.messages(D_ALICE) if any(k.startswith("checkin:") for k in dedupe_keys(m))]
    return message


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element["value"])
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def click(h: Harness, action_id: str, task_id: int, message: dict[str, Any], *, user: str = U_ALICE) -> Any:
    h.slack.clear()
    h.click(
        action_id, str(task_id), user=user, channel_id=D_ALICE, message=message, response_url=h.slack.response_url("c")
    )
    return h.slack.responses


def history(h: Harness, action: str) -> list[TaskEvent]:
    return h.rows(TaskEvent, TaskEvent.action == action)


# -- one message -------------------------------------------------------------------------------------------


def test_three_checkins_at_one_pass_come_as_one_message_with_each_tasks_buttons(harness: Harness) -> None:
    ids = tasks_for_alice(harness, 3)
    harness.clock.set(CHECKIN_AT)

    harness.baton.run_pass()

    [post] = checkin_posts(harness)
    assert sorted(dedupe_keys(post.params)) == sorted(f"checkin:{t}:2026-12-02" for t in ids)
    assert post.params["metadata"]["event_type"] == "baton_message"
    shown = flatten(post.params["blocks"])
    assert "3 tasks to check in on" in shown and all(f"T-{n}" in shown for n in (1, 2, 3))
    on_track = [value for action, value in buttons(post.params) if action == "baton_checkin_on_track"]
    assert sorted(on_track) == sorted(str(t) for t in ids)
    rows = [r for r in harness.outbox() if r.kind == "checkin"]
    assert {(r.state, r.channel_id, r.ts) for r in rows} == {("sent", D_ALICE, the_bundle(harness)["ts"])}


def test_a_person_with_one_task_keeps_the_one_task_checkin(harness: Harness) -> None:
    tasks_for_alice(harness, 1)
    harness.clock.set(CHECKIN_AT)

    harness.baton.run_pass()

    [post] = checkin_posts(harness)
    assert "Check-in: how is T-1 going?" in post.params["text"]
    assert "to check in on" not in flatten(post.params["blocks"])


def test_a_warning_and_an_overdue_notice_at_the_checkin_pass_join_the_same_message(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    harness.command(f"<@{U_ALICE}> Plain work", user=U_MANAGER, channel=C_TEAM)
    harness.command(f"<@{U_ALICE}> Late work by 2026-12-02 03:00", user=U_MANAGER, channel=C_TEAM)  # 09:00 Berlin
    harness.command(f"<@{U_ALICE}> Soon work by 2026-12-02 05:00", user=U_MANAGER, channel=C_TEAM)  # 11:00 Berlin
    harness.accept(U_ALICE)
    harness.clock.set(CHECKIN_AT)
    harness.slack.clear()

    harness.baton.run_pass()

    [post] = [c for c in harness.slack.calls_to("chat.postMessage") if c.params["channel"] == D_ALICE]
    kinds = sorted(k.split(":")[0] for k in dedupe_keys(post.params))
    assert kinds == ["checkin", "checkin", "checkin", "overdue", "warn1"]
    assert "3 tasks to check in on, 1 due soon, 1 overdue" in flatten(post.params["blocks"])


def test_past_fifty_blocks_the_rest_are_counted_and_every_row_is_sent_once(harness: Harness) -> None:
    ids = tasks_for_alice(harness, 30)
    harness.clock.set(CHECKIN_AT)

    harness.baton.run_pass()

    [post] = checkin_posts(harness)
    blocks = post.params["blocks"]
    assert len(blocks) <= 50
    shown = flatten(blocks)
    listed = len([value for action, value in buttons(post.params) if action == "baton_checkin_on_track"])
    assert listed < 30 and f"…and {30 - listed} more on your Home tab." in shown
    assert len(dedupe_keys(post.params)) == 30
    rows = [r for r in harness.outbox() if r.kind == "checkin"]
    assert len(rows) == len(ids) and {r.state for r in rows} == {"sent"}


# -- answers ------------------------------------------------------------------------------------------------


def test_on_track_answers_that_task_alone_and_redraws_its_row(harness: Harness) -> None:
    first, second, third = tasks_for_alice(harness, 3)
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()
    message = the_bundle(harness)

    [response] = click(harness, "baton_checkin_on_track", second, message)

    assert [e.task_id for e in history(harness, "checkin_on_track")] == [second]
    assert response["replace_original"] is True
    redrawn = {"blocks": response["blocks"]}
    live = sorted(value for action, value in buttons(redrawn) if action == "baton_checkin_on_track")
    assert live == sorted([str(first), str(third)])  # the answered task's buttons are gone, the others stay
    assert "On track 👍" in flatten(response["blocks"])
    row = [r for r in harness.outbox() if r.task_id == second and r.kind == "checkin"][0]
    assert row.answer == "On track 👍"


def test_done_in_a_bundle_completes_that_task_only(harness: Harness) -> None:
    first, second = tasks_for_alice(harness, 2)
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()

    [response] = click(harness, "baton_checkin_done", first, the_bundle(harness))

    assert {t.id: t.status for t in harness.tasks()} == {first: "done", second: "accepted"}
    live = [value for action, value in buttons({"blocks": response["blocks"]}) if action == "baton_checkin_done"]
    assert live == [str(second)]


def test_a_thumbs_up_on_a_bundle_marks_every_checkin_in_it_on_track(harness: Harness) -> None:
    ids = tasks_for_alice(harness, 3)
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()
    message = the_bundle(harness)
    harness.slack.clear()

    event = reaction_added_event("+1", user_id=U_ALICE, channel=D_ALICE, ts=message["ts"])
    assert harness.event(event, event_id="EvThumbs").status == 200

    assert sorted(e.task_id for e in history(harness, "checkin_on_track")) == sorted(ids)
    [update] = harness.slack.calls_to("chat.update")
    assert update.params["ts"] == message["ts"]
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]


def test_another_reaction_on_a_bundle_says_to_use_the_buttons_and_changes_nothing(harness: Harness) -> None:
    tasks_for_alice(harness, 2)
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()
    message = the_bundle(harness)
    harness.slack.clear()

    event = reaction_added_event("white_check_mark", user_id=U_ALICE, channel=D_ALICE, ts=message["ts"])
    assert harness.event(event, event_id="EvDone").status == 200

    assert {t.status for t in harness.tasks()} == {"accepted"}
    assert history(harness, "checkin_on_track") == []
    [hint] = harness.slack.calls_to("chat.postEphemeral")
    assert (hint.params["channel"], hint.params["user"]) == (D_ALICE, U_ALICE)
    assert "Use the buttons" in hint.params["text"]
    assert harness.slack.calls_to("chat.update") == []


def test_a_reaction_on_a_message_with_one_checkin_among_other_items_answers_that_checkin(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    harness.command(f"<@{U_ALICE}> Plain work", user=U_MANAGER, channel=C_TEAM)  # T-1: a check-in
    harness.command(f"<@{U_ALICE}> Soon work by 2026-12-02 05:00", user=U_MANAGER, channel=C_TEAM)  # T-2: due 11:00
    harness.accept(U_ALICE)
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()
    [message] = [m for m in harness.slack.messages(D_ALICE) if any(k.startswith("warn1:") for k in dedupe_keys(m))]
    # Both tasks get a check-in; T-2's deadline warning comes in the same message.
    assert sorted(k.split(":")[0] for k in dedupe_keys(message)) == ["checkin", "checkin", "warn1"]

    event = reaction_added_event("white_check_mark", user_id=U_ALICE, channel=D_ALICE, ts=message["ts"])
    harness.event(event, event_id="EvTwo")

    assert {t.status for t in harness.tasks()} == {"accepted"}, "two check-ins: the buttons say which"
    assert len(harness.slack.calls_to("chat.postEphemeral")) == 1


# -- exactly once ---------------------------------------------------------------------------------------------


def test_a_lost_answer_on_a_bundle_is_found_for_every_key_and_nothing_is_posted_twice(harness: Harness) -> None:
    ids = tasks_for_alice(harness, 3)
    harness.slack.post_then_drop()
    harness.clock.set(CHECKIN_AT)
    first = harness.baton.run_pass()
    assert (first.sent, first.retried) == (0, 3)
    [stored] = [m for m in harness.slack.messages(D_ALICE) if len(dedupe_keys(m)) == 3]

    harness.clock.set(CHECKIN_AT.replace(minute=5))
    second = harness.baton.run_pass()

    assert len(checkin_posts(harness)) == 1, "found in the DM's history, not posted again"
    rows = [r for r in harness.outbox() if r.kind == "checkin"]
    assert len(rows) == len(ids)
    assert {(r.state, r.ts) for r in rows} == {("sent", stored["ts"])}
    assert second.sent == 3
    history_calls = harness.slack.calls_to("conversations.history")
    assert history_calls and history_calls[-1].params["channel"] == D_ALICE


def test_a_second_pass_at_the_same_moment_sends_no_second_bundle(harness: Harness) -> None:
    tasks_for_alice(harness, 3)
    harness.clock.set(CHECKIN_AT)

    harness.baton.run_pass()
    harness.baton.run_pass()

    assert len(checkin_posts(harness)) == 1


def test_managers_copies_of_several_overdue_notices_come_as_one_message(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team", channel=C_TEAM)
    for who in (U_ALICE, U_BOB):
        harness.command(f"<@{who}> Report by 2026-12-02 10:00", user=U_MANAGER, channel=C_TEAM)
        harness.accept(who)
    harness.clock.set(datetime(2026, 12, 2, 15, 0, tzinfo=UTC))  # 10:00 in New York

    harness.baton.run_pass()

    to_manager = [
        c for c in harness.slack.calls_to("chat.postMessage") if c.params["channel"] == dm_channel_id(U_MANAGER)
    ]
    [post] = [c for c in to_manager if any(k.startswith("overdue:") for k in dedupe_keys(c.params))]
    assert sorted(k.rsplit(":", 1)[1] for k in dedupe_keys(post.params)) == ["delegator", "delegator"]
    assert "2 overdue" in flatten(post.params["blocks"])


# -- messages that stay true ----------------------------------------------------------------------------------


def test_done_from_the_home_tab_before_accepting_redraws_the_assignment_dm_without_buttons(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Call the customer back", user=U_MANAGER)
    [dm] = harness.slack.messages(D_ALICE)
    assert buttons(dm)  # Accept / Decline
    harness.slack.clear()

    harness.click("baton_done", str(harness.tasks()[0].id), user=U_ALICE, response_url=None)

    [update] = harness.slack.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (D_ALICE, dm["ts"])
    assert not [b for b in update.params["blocks"] if b["type"] == "actions"]
    assert "Done" in flatten(update.params["blocks"])
    refreshed = [r for r in harness.outbox() if r.kind == "refresh"]
    assert [(r.state, r.channel_id, r.ts) for r in refreshed] == [("sent", D_ALICE, dm["ts"])]


def test_accept_after_the_task_is_done_says_so_rather_than_accepting(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Call the customer back", user=U_MANAGER)
    task_id = harness.tasks()[0].id
    harness.command("done T-1", user=U_MANAGER)
    harness.slack.clear()

    harness.click("baton_accept", str(task_id), user=U_ALICE)

    assert harness.tasks()[0].status == "done"
    said = json.dumps(harness.slack.responses)
    assert "done" in said


def test_task_done_redraws_an_open_checkin_and_the_assignment_dm(harness: Harness) -> None:
    [task_id] = tasks_for_alice(harness, 1)
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()
    checkin = the_bundle(harness)
    harness.slack.clear()

    harness.command("done T-1", user=U_ALICE)

    updated = {c.params["ts"]: flatten(c.params["blocks"]) for c in harness.slack.calls_to("chat.update")}
    assert checkin["ts"] in updated and "Done" in updated[checkin["ts"]]
    assert len(updated) == 2  # the check-in and the assignment DM
    assert all("baton_checkin" not in json.dumps(c.params["blocks"]) for c in harness.slack.calls_to("chat.update"))
    assert [t.status for t in harness.tasks()] == ["done"] and task_id


def test_cancel_and_reassign_redraw_the_open_messages_to_say_so(harness: Harness) -> None:
    tasks_for_alice(harness, 2)
    harness.clock.set(CHECKIN_AT)
    harness.baton.run_pass()
    bundle = the_bundle(harness)
    harness.slack.clear()

    harness.command("cancel T-1", user=U_MANAGER, channel=C_TEAM)
    harness.command(f"reassign T-2 <@{U_BOB}>", user=U_MANAGER, channel=C_TEAM)

    redraws = [c for c in harness.slack.calls_to("chat.update") if c.params["ts"] == bundle["ts"]]
    assert redraws, "the check-in message is drawn again"
    last = flatten(redraws[-1].params["blocks"])
    assert "Cancelled" in last and "Handed to <@U0BOB>" in last
    assert not [b for b in redraws[-1].params["blocks"] if b["type"] == "actions"]


def test_a_refresh_that_slack_refuses_for_a_while_is_retried(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Call the customer back", user=U_MANAGER)
    harness.slack.fail("chat.update", status=500)

    harness.command("cancel T-1", user=U_MANAGER)
    [refresh] = [r for r in harness.outbox() if r.kind == "refresh"]
    assert refresh.state == "pending" and refresh.last_error

    harness.clock.set(harness.clock.now().replace(hour=23))
    harness.baton.run_pass()

    [refresh] = [r for r in harness.outbox() if r.kind == "refresh"]
    assert refresh.state == "sent"
    assert len(harness.slack.calls_to("chat.update")) == 2

"""Accept / Decline on the assignment DM, the New task modal and the message shortcut."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from handlers import ids
from storage.models import Task, TaskEvent
from tests.conftest import Harness, flatten
from tests.fakes.requests import (
    action_body,
    datepicker_value,
    message_shortcut_payload,
    plain_text_value,
    static_select_value,
    timepicker_value,
    users_select_value,
)
from tests.fakes.slack_api import C_GENERAL, U_ALICE, U_BOB, U_MANAGER, dm_channel_id
from tests.helpers import opened_views, shown

D_ALICE = dm_channel_id(U_ALICE)
D_MANAGER = dm_channel_id(U_MANAGER)


# -- helpers -----------------------------------------------------------------------------------------


def delegated(h: Harness, text: str = "Fix the refund macro by fri 5pm") -> tuple[Task, dict[str, Any]]:
    """T-1 for Alice from the manager, and the assignment DM Alice got."""
    h.command(f"<@{U_ALICE}> {text}", user=U_MANAGER)
    [task] = h.tasks()
    [dm] = h.slack.messages(D_ALICE)
    return task, dm


def has_buttons(message: dict[str, Any]) -> bool:
    return any(b.get("type") == "actions" for b in message.get("blocks") or [])


def the_task(h: Harness) -> Task:
    [task] = h.tasks()
    return task


def form(
    *,
    title: str | None = "Review the contract",
    assignee: str | None = U_ALICE,
    date: str | None = None,
    at: str | None = None,
    details: str | None = None,
    priority: str = "normal",
) -> dict[str, Any]:
    return {
        ids.BLOCK_TITLE: {ids.INPUT_TITLE: plain_text_value(title)},
        ids.BLOCK_DETAILS: {ids.INPUT_DETAILS: plain_text_value(details)},
        ids.BLOCK_ASSIGNEE: {ids.INPUT_ASSIGNEE: users_select_value(assignee)},
        ids.BLOCK_DUE_DATE: {ids.INPUT_DUE_DATE: datepicker_value(date)},
        ids.BLOCK_DUE_TIME: {ids.INPUT_DUE_TIME: timepicker_value(at)},
        ids.BLOCK_PRIORITY: {ids.INPUT_PRIORITY: static_select_value(priority)},
    }


def errors_of(response: Any) -> dict[str, str]:
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    return dict(body["errors"])


# -- Accept --------------------------------------------------------------------------------------------


def test_accept_records_the_answer_and_tells_the_delegator(harness: Harness) -> None:
    task, dm = delegated(harness)

    harness.click(ids.ACTION_ACCEPT, str(task.id), user=U_ALICE, message=dm)

    assert the_task(harness).status == "accepted"
    assert [e.action for e in harness.rows(TaskEvent)] == ["created", "accepted"]
    [told] = harness.slack.messages(D_MANAGER)
    assert "accepted" in shown(told)
    assert "T-1" in shown(told)


def test_accept_replaces_the_dm_with_one_without_buttons(harness: Harness) -> None:
    task, dm = delegated(harness)

    harness.click(ids.ACTION_ACCEPT, str(task.id), user=U_ALICE, message=dm)

    [replaced] = harness.slack.responses_to("click")
    assert replaced["replace_original"] is True
    assert not has_buttons(replaced)
    assert "Accepted" in flatten(replaced)
    assert "Fix the refund macro" in flatten(replaced)


def test_a_second_accept_sends_nothing_more(harness: Harness) -> None:
    task, dm = delegated(harness)
    harness.click(ids.ACTION_ACCEPT, str(task.id), user=U_ALICE, message=dm)
    posts = len(harness.slack.calls_to("chat.postMessage"))
    outbox = len(harness.outbox())

    harness.click(ids.ACTION_ACCEPT, str(task.id), user=U_ALICE, message=dm)

    assert len(harness.slack.calls_to("chat.postMessage")) == posts
    assert len(harness.outbox()) == outbox
    assert len(harness.slack.messages(D_MANAGER)) == 1
    assert [e.action for e in harness.rows(TaskEvent)] == ["created", "accepted"]


def test_only_the_assignee_may_accept(harness: Harness) -> None:
    task, dm = delegated(harness)

    harness.click(ids.ACTION_ACCEPT, str(task.id), user=U_BOB, message=dm)

    assert the_task(harness).status == "open"
    [refusal] = harness.slack.responses_to("click")
    assert refusal.get("replace_original") is False
    assert f"Only <@{U_ALICE}>" in refusal["text"]
    assert harness.slack.messages(D_MANAGER) == []


def test_accept_after_a_cancel_changes_nothing_and_shows_the_cancel(harness: Harness) -> None:
    task, dm = delegated(harness)
    harness.command("cancel T-1", user=U_MANAGER)
    posts = len(harness.slack.calls_to("chat.postMessage"))

    harness.click(ids.ACTION_ACCEPT, str(task.id), user=U_ALICE, message=dm)

    assert the_task(harness).status == "cancelled"
    assert len(harness.slack.calls_to("chat.postMessage")) == posts
    texts = [flatten(r) for r in harness.slack.responses_to("click")]
    assert any("Cancelled" in t for t in texts)


# -- Decline -------------------------------------------------------------------------------------------


def test_decline_opens_a_modal_asking_why(harness: Harness) -> None:
    task, dm = delegated(harness)

    harness.click(ids.ACTION_DECLINE, str(task.id), user=U_ALICE, message=dm)

    [view] = opened_views(harness)
    assert view["callback_id"] == ids.VIEW_DECLINE
    assert "T-1" in view["title"]["text"]
    assert json.loads(view["private_metadata"])["task_id"] == task.id
    assert the_task(harness).status == "open"  # nothing happens until the modal is sent


def test_submitting_the_decline_modal_declines_and_tells_the_delegator_why(harness: Harness) -> None:
    task, dm = delegated(harness)
    harness.click(ids.ACTION_DECLINE, str(task.id), user=U_ALICE, message=dm)
    [view] = opened_views(harness)

    response = harness.submit(
        ids.VIEW_DECLINE,
        {ids.BLOCK_REASON: {ids.INPUT_REASON: plain_text_value("On leave & swamped")}},
        user=U_ALICE,
        metadata=json.loads(view["private_metadata"]),
    )

    assert response.status == 200
    declined = the_task(harness)
    assert declined.status == "declined"
    assert declined.decline_reason == "On leave & swamped"
    [event] = harness.rows(TaskEvent, TaskEvent.action == "declined")
    assert event.detail == "On leave & swamped"
    [told] = harness.slack.messages(D_MANAGER)
    assert "declined" in shown(told)
    assert "On leave &amp; swamped" in shown(told)


def test_submitting_the_decline_modal_updates_the_assignment_dm(harness: Harness) -> None:
    task, dm = delegated(harness)
    harness.click(ids.ACTION_DECLINE, str(task.id), user=U_ALICE, message=dm)
    [view] = opened_views(harness)

    harness.submit(
        ids.VIEW_DECLINE,
        {ids.BLOCK_REASON: {ids.INPUT_REASON: plain_text_value("On leave")}},
        user=U_ALICE,
        metadata=json.loads(view["private_metadata"]),
    )

    [update] = harness.slack.calls_to("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (D_ALICE, dm["ts"])
    [stored] = harness.slack.messages(D_ALICE)
    assert not has_buttons(stored)
    assert "Declined: On leave" in shown(stored)


def test_declining_twice_tells_the_delegator_once(harness: Harness) -> None:
    task, dm = delegated(harness)
    harness.click(ids.ACTION_DECLINE, str(task.id), user=U_ALICE, message=dm)
    [view] = opened_views(harness)
    metadata = json.loads(view["private_metadata"])
    reason = {ids.BLOCK_REASON: {ids.INPUT_REASON: plain_text_value("No")}}
    harness.submit(ids.VIEW_DECLINE, reason, user=U_ALICE, metadata=metadata)

    harness.submit(ids.VIEW_DECLINE, reason, user=U_ALICE, metadata=metadata)

    assert len(harness.slack.messages(D_MANAGER)) == 1
    assert len(harness.rows(TaskEvent, TaskEvent.action == "declined")) == 1


def test_someone_else_clicking_decline_is_refused(harness: Harness) -> None:
    task, dm = delegated(harness)

    harness.click(ids.ACTION_DECLINE, str(task.id), user=U_BOB, message=dm)

    assert harness.slack.calls_to("views.open") == []
    [refusal] = harness.slack.responses_to("click")
    assert f"Only <@{U_ALICE}> can decline T-1" in refusal["text"]
    assert the_task(harness).status == "open"


# -- New task modal ---------------------------------------------------------------------------------------


def test_task_alone_opens_the_new_task_modal(harness: Harness) -> None:
    reply = harness.command("", user=U_MANAGER)

    assert reply == ""
    [view] = opened_views(harness)
    assert view["callback_id"] == ids.VIEW_NEW_TASK
    block_ids = [b.get("block_id") for b in view["blocks"]]
    for block in (ids.BLOCK_TITLE, ids.BLOCK_DETAILS, ids.BLOCK_ASSIGNEE, ids.BLOCK_DUE_DATE, ids.BLOCK_PRIORITY):
        assert block in block_ids
    assert harness.tasks() == []


def test_submitting_the_new_task_modal_creates_and_delegates(harness: Harness) -> None:
    response = harness.submit(
        ids.VIEW_NEW_TASK,
        form(date="2026-12-03", at="09:30", details="Clause 4 <b>", priority="high"),
        user=U_MANAGER,
        metadata={"channel_id": C_GENERAL},
    )

    assert response.status == 200
    assert not response.body or "errors" not in json.loads(response.body)
    created = the_task(harness)
    assert created.title == "Review the contract"
    assert created.details == "Clause 4 <b>"
    assert created.assignee_id == U_ALICE
    assert created.delegator_id == U_MANAGER
    assert created.priority == "high"
    assert created.due_at == datetime(2026, 12, 3, 14, 30, tzinfo=UTC)  # 09:30 in New York
    [dm] = harness.slack.messages(D_ALICE)
    assert "Review the contract" in shown(dm)
    assert "Clause 4 &lt;b&gt;" in shown(dm)


def test_a_modal_date_without_a_time_means_five_pm_for_the_submitter(harness: Harness) -> None:
    harness.submit(ids.VIEW_NEW_TASK, form(date="2026-12-03"), user=U_BOB)  # Tokyo

    assert the_task(harness).due_at == datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_the_modal_answers_in_the_conversation_it_was_opened_from(harness: Harness) -> None:
    harness.submit(
        ids.VIEW_NEW_TASK,
        form(),
        user=U_MANAGER,
        metadata={"channel_id": C_GENERAL, "response_url": harness.slack.response_url("modal")},
    )

    [answer] = harness.slack.responses_to("modal")
    assert "T-1" in flatten(answer)


def test_the_modal_without_an_assignee_points_at_the_assignee_input(harness: Harness) -> None:
    response = harness.submit(ids.VIEW_NEW_TASK, form(assignee=None), user=U_MANAGER)

    assert list(errors_of(response)) == [ids.BLOCK_ASSIGNEE]
    assert harness.tasks() == []
    assert harness.outbox() == []


def test_the_modal_with_an_empty_title_points_at_the_title_input(harness: Harness) -> None:
    response = harness.submit(ids.VIEW_NEW_TASK, form(title="   "), user=U_MANAGER)

    assert list(errors_of(response)) == [ids.BLOCK_TITLE]
    assert harness.tasks() == []
    assert harness.outbox() == []


def test_the_modal_with_a_past_date_points_at_the_due_date_input(harness: Harness) -> None:
    response = harness.submit(ids.VIEW_NEW_TASK, form(date="2026-11-30", at="10:00"), user=U_MANAGER)

    errors = errors_of(response)
    assert list(errors) == [ids.BLOCK_DUE_DATE]
    assert "past" in errors[ids.BLOCK_DUE_DATE]
    assert harness.tasks() == []
    assert harness.slack.calls_to("chat.postMessage") == []


def test_the_modal_with_an_earlier_time_today_is_in_the_past(harness: Harness) -> None:
    # 14:00 UTC is 09:00 in New York: 08:00 today has passed.
    response = harness.submit(ids.VIEW_NEW_TASK, form(date="2026-12-01", at="08:00"), user=U_MANAGER)

    assert list(errors_of(response)) == [ids.BLOCK_DUE_DATE]
    assert harness.tasks() == []


# -- message shortcut ---------------------------------------------------------------------------------------


def test_the_message_shortcut_opens_the_modal_prefilled_with_a_link_back(harness: Harness) -> None:
    ts = harness.slack.seed_message(C_GENERAL, text="Refunds &amp; returns page is stale\nSee ticket", user=U_BOB)
    payload = message_shortcut_payload(
        ids.SHORTCUT_TASK_FROM_MESSAGE,
        user_id=U_MANAGER,
        channel_id=C_GENERAL,
        message_ts=ts,
        text="Refunds &amp; returns page is stale\nSee ticket",
        message_user=U_BOB,
        response_url=harness.slack.response_url("shortcut"),
    )

    response = harness.dispatch(action_body(payload))

    assert response.status == 200
    [view] = opened_views(harness)
    assert view["callback_id"] == ids.VIEW_NEW_TASK
    [title_block] = [b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_TITLE]
    assert title_block["element"]["initial_value"] == "Refunds & returns page is stale"
    [details_block] = [b for b in view["blocks"] if b.get("block_id") == ids.BLOCK_DETAILS]
    assert "See ticket" in details_block["element"]["initial_value"]
    link = f"https://baton-test.slack.com/archives/{C_GENERAL}/p{ts.replace('.', '')}"
    assert link in flatten(view)
    assert json.loads(view["private_metadata"])["source_link"] == link
    assert harness.tasks() == []


def test_a_task_from_the_shortcut_keeps_the_link_back(harness: Harness) -> None:
    link = f"https://baton-test.slack.com/archives/{C_GENERAL}/p1700000000000100"

    harness.submit(
        ids.VIEW_NEW_TASK,
        form(title="Refresh the refunds page"),
        user=U_MANAGER,
        metadata={"channel_id": C_GENERAL, "source_link": link},
    )

    assert the_task(harness).source_link == link
    [dm] = harness.slack.messages(D_ALICE)
    assert link in shown(dm)


def test_a_due_date_the_pickers_cannot_send_is_answered_on_the_due_date_input(harness: Harness) -> None:
    response = harness.submit(ids.VIEW_NEW_TASK, form(date="2026-13-45"), user=U_MANAGER)

    assert list(errors_of(response)) == [ids.BLOCK_DUE_DATE]
    assert harness.tasks() == []

"""Bad `/task` input gets a short answer that says how to fix it, and changes nothing."""

from __future__ import annotations

import pytest

from storage.models import Task, TaskEvent
from tests.conftest import Harness
from tests.fakes.slack_api import U_ALICE, U_MANAGER

U_NOBODY = "U0NOBODY"  # FakeSlack does not know this person: users.info answers user_not_found


def assert_nothing_happened(h: Harness, *, tasks: int = 0, outbox: int = 0, posts: int = 0) -> None:
    assert len(h.tasks()) == tasks
    assert len(h.outbox()) == outbox
    assert len(h.slack.calls_to("chat.postMessage")) == posts


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("frobnicate T-1", 'Unknown sub-command "frobnicate"'),
        (f"<@{U_ALICE}>", "Give the task a title"),
        (f"<@{U_ALICE}> by tomorrow", "Give the task a title"),
        (f"<@{U_ALICE}> {'x' * 201}", "201 characters"),
        (f"<@{U_NOBODY}> Fix the build", f"couldn't find <@{U_NOBODY}>"),
        (f"<@{U_ALICE}> Fix the build by yesterday", "in the past"),
        (f"<@{U_ALICE}> Fix the build !someday", "is not a priority"),
        ("@alice Fix the build", "is not a mention"),
        (f"<@{U_ALICE}> <@{U_MANAGER}> Fix the build", "one assignee"),
        ("<!channel> Fix the build", "not a group"),
    ],
    ids=[
        "unknown-sub-command",
        "no-title",
        "only-a-due-time",
        "title-too-long",
        "unknown-person",
        "due-in-the-past",
        "unknown-priority",
        "plain-at-name",
        "two-assignees",
        "a-group",
    ],
)
def test_bad_delegation_is_answered_and_creates_nothing(harness: Harness, text: str, says: str) -> None:
    reply = harness.command(text, user=U_MANAGER)

    assert says in reply
    assert_nothing_happened(harness)


def test_a_title_of_exactly_200_characters_is_fine(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}> {'x' * 200}", user=U_MANAGER)

    assert "T-1" in reply
    [created] = harness.tasks()
    assert len(created.title) == 200


def test_an_unknown_person_is_asked_about_at_slack(harness: Harness) -> None:
    harness.command(f"<@{U_NOBODY}> Fix the build", user=U_MANAGER)

    asked = [c.params.get("user") for c in harness.slack.calls_to("users.info")]
    assert U_NOBODY in asked
    assert harness.slack.calls_to("conversations.open") == []


def test_an_unreadable_due_time_leaves_the_deadline_alone(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Fix the build by fri 5pm", user=U_MANAGER)
    [before] = harness.tasks()

    reply = harness.command("due T-1 whenever", user=U_MANAGER)

    assert "couldn't read" in reply
    assert '"whenever"' in reply
    [after] = harness.tasks()
    assert after.due_at == before.due_at
    assert_nothing_happened(harness, tasks=1, outbox=1, posts=1)
    assert [e.action for e in harness.rows(TaskEvent)] == ["created"]


def test_a_due_change_into_the_past_is_refused(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Fix the build by fri 5pm", user=U_MANAGER)
    [before] = harness.tasks()

    reply = harness.command("due T-1 yesterday", user=U_MANAGER)

    assert "in the past" in reply
    [after] = harness.tasks()
    assert after.due_at == before.due_at
    assert_nothing_happened(harness, tasks=1, outbox=1, posts=1)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("show T-99", "T-99 doesn't exist"),
        ("done T-99", "T-99 doesn't exist"),
        ("cancel 99", "T-99 doesn't exist"),
        (f"reassign t-99 <@{U_ALICE}>", "T-99 doesn't exist"),
        ("due T-99 tomorrow", "T-99 doesn't exist"),
        ("done abc", '"abc" is not a task id'),
        ("show T-x", '"T-x" is not a task id'),
        ("done", "needs a task id"),
        ("reassign T-1", "needs the new person"),
        ("due T-1", "needs a new due time"),
        ("list everything", '"everything" is not a list'),
    ],
    ids=[
        "show-unknown",
        "done-unknown",
        "cancel-unknown",
        "reassign-unknown",
        "due-unknown",
        "done-bad-id",
        "show-bad-id",
        "done-no-id",
        "reassign-no-person",
        "due-no-time",
        "unknown-list",
    ],
)
def test_bad_ids_and_forms_are_answered_and_change_nothing(harness: Harness, text: str, says: str) -> None:
    harness.command(f"<@{U_ALICE}> Fix the build by fri 5pm", user=U_MANAGER)
    [before] = harness.tasks()

    reply = harness.command(text, user=U_MANAGER)

    assert says in reply
    [after] = harness.rows(Task)
    assert (after.status, after.assignee_id, after.due_at) == (before.status, before.assignee_id, before.due_at)
    assert_nothing_happened(harness, tasks=1, outbox=1, posts=1)


def test_reassigning_to_an_unknown_person_changes_nothing(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Fix the build", user=U_MANAGER)

    reply = harness.command(f"reassign T-1 <@{U_NOBODY}>", user=U_MANAGER)

    assert f"couldn't find <@{U_NOBODY}>" in reply
    [after] = harness.tasks()
    assert after.assignee_id == U_ALICE
    assert_nothing_happened(harness, tasks=1, outbox=1, posts=1)


def test_help_shows_the_usage(harness: Harness) -> None:
    reply = harness.command("help", user=U_MANAGER)

    assert "/task @person title" in reply
    assert "/task list" in reply
    assert "/task done T-12" in reply
    assert_nothing_happened(harness)

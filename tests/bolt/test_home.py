"""The App Home tab: published when opened, Done from Home, refreshed when tasks change."""

from __future__ import annotations

from typing import Any

from handlers import ids
from tests.conftest import Harness, flatten
from tests.fakes.requests import app_home_opened_event
from tests.fakes.slack_api import U_ALICE, U_BOB, U_MANAGER


def done_buttons(view: dict[str, Any]) -> list[str]:
    """The task ids of the Done buttons on a Home view."""
    return [
        b["accessory"]["value"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == ids.ACTION_DONE
    ]


def published_for(h: Harness, user: str) -> list[dict[str, Any]]:
    return [c.params["view"] for c in h.slack.calls_to("views.publish") if c.params.get("user_id") == user]


def test_opening_home_publishes_my_tasks_with_done_buttons(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Renew the certificate by fri", user=U_MANAGER)
    harness.command(f"<@{U_ALICE}> Rotate the keys", user=U_BOB)
    harness.slack.clear()

    response = harness.event(app_home_opened_event(U_ALICE))

    assert response.status == 200
    [view] = published_for(harness, U_ALICE)
    assert view["type"] == "home"
    text = flatten(view)
    assert "Renew the certificate" in text
    assert "Rotate the keys" in text
    ids_by_number = {t.number: str(t.id) for t in harness.tasks()}
    assert sorted(done_buttons(view)) == sorted(ids_by_number.values())
    assert harness.slack.home_view(U_ALICE) is not None


def test_home_of_someone_with_no_tasks_says_so(harness: Harness) -> None:
    harness.event(app_home_opened_event(U_BOB))

    view = harness.slack.home_view(U_BOB)
    assert view is not None
    assert "Nothing assigned to you" in flatten(view)
    assert done_buttons(view) == []


def test_opening_the_messages_tab_publishes_nothing(harness: Harness) -> None:
    harness.event(app_home_opened_event(U_ALICE, tab="messages"))

    assert harness.slack.calls_to("views.publish") == []


def test_done_on_home_marks_the_task_done_and_republishes(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Renew the certificate", user=U_MANAGER)
    harness.event(app_home_opened_event(U_ALICE))
    home = harness.slack.home_view(U_ALICE)
    assert home is not None
    [task_id] = done_buttons(home)
    harness.slack.clear()

    harness.click(ids.ACTION_DONE, task_id, user=U_ALICE, view=home, response_url=None)

    [done] = harness.tasks()
    assert done.status == "done"
    [view] = published_for(harness, U_ALICE)
    assert done_buttons(view) == []
    assert "Renew the certificate" not in flatten(view)
    delegator_view = harness.slack.home_view(U_MANAGER)
    assert delegator_view is not None
    assert "Renew the certificate" not in flatten(delegator_view)


def test_done_on_home_by_someone_else_is_refused_in_a_modal(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Renew the certificate", user=U_MANAGER)
    [task] = harness.tasks()
    harness.event(app_home_opened_event(U_BOB))
    home = harness.slack.home_view(U_BOB)
    assert home is not None

    harness.click(ids.ACTION_DONE, str(task.id), user=U_BOB, view=home, response_url=None)

    [still] = harness.tasks()
    assert still.status == "open"
    [notice] = [c.params["view"] for c in harness.slack.calls_to("views.open")]
    assert "Only T-1's assignee" in flatten(notice)


def test_delegating_refreshes_the_assignees_home(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Renew the certificate", user=U_MANAGER)

    view = harness.slack.home_view(U_ALICE)
    assert view is not None
    assert "Renew the certificate" in flatten(view)
    [task] = harness.tasks()
    assert done_buttons(view) == [str(task.id)]
    delegator_view = harness.slack.home_view(U_MANAGER)
    assert delegator_view is not None
    assert "Delegated by me" in flatten(delegator_view)
    assert "Renew the certificate" in flatten(delegator_view)


def test_reassigning_refreshes_both_assignees_homes(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Renew the certificate", user=U_MANAGER)

    harness.command(f"reassign T-1 <@{U_BOB}>", user=U_MANAGER)

    alice = harness.slack.home_view(U_ALICE)
    bob = harness.slack.home_view(U_BOB)
    assert alice is not None
    assert bob is not None
    assert "Renew the certificate" not in flatten(alice)
    assert "Renew the certificate" in flatten(bob)

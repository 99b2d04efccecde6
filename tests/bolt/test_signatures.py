"""Requests that are not signed by Slack get 401 and change nothing."""

from __future__ import annotations

import pytest

from handlers import ids
from tests.conftest import Harness
from tests.fakes.requests import (
    action_body,
    app_home_opened_event,
    block_action_payload,
    command_body,
    event_body,
)
from tests.fakes.slack_api import U_ALICE, U_MANAGER


def delegation(h: Harness) -> str:
    return command_body("/task", f"<@{U_ALICE}> Wire the money", user_id=U_MANAGER, response_url=h.slack.response_url())


def assert_nothing_happened(h: Harness) -> None:
    assert h.tasks() == []
    assert h.outbox() == []
    assert h.slack.calls == []
    assert h.slack.responses == []


def test_a_forged_signature_gets_401_and_creates_nothing(harness: Harness) -> None:
    response = harness.dispatch(delegation(harness), secret="forged")

    assert response.status == 401
    assert_nothing_happened(harness)


def test_a_stale_timestamp_gets_401_and_creates_nothing(harness: Harness, stale_timestamp: int) -> None:
    response = harness.dispatch(delegation(harness), timestamp=stale_timestamp)

    assert response.status == 401
    assert_nothing_happened(harness)


def test_a_correctly_signed_request_is_taken(harness: Harness) -> None:
    response = harness.dispatch(delegation(harness))

    assert response.status == 200
    assert len(harness.tasks()) == 1


@pytest.mark.parametrize("forgery", ["forged", "stale"])
def test_an_unsigned_click_cannot_accept_a_task(harness: Harness, forgery: str, stale_timestamp: int) -> None:
    harness.dispatch(delegation(harness))
    [task] = harness.tasks()
    harness.slack.clear()
    body = action_body(
        block_action_payload(
            ids.ACTION_ACCEPT, str(task.id), user_id=U_ALICE, response_url=harness.slack.response_url()
        )
    )
    kwargs = {"secret": "forged"} if forgery == "forged" else {"timestamp": stale_timestamp}

    response = harness.dispatch(body, **kwargs)

    assert response.status == 401
    [unchanged] = harness.tasks()
    assert unchanged.status == "open"
    assert harness.slack.calls == []
    assert len(harness.outbox()) == 1


@pytest.mark.parametrize("forgery", ["forged", "stale"])
def test_an_unsigned_event_publishes_nothing(harness: Harness, forgery: str, stale_timestamp: int) -> None:
    kwargs = {"secret": "forged"} if forgery == "forged" else {"timestamp": stale_timestamp}

    response = harness.dispatch(event_body(app_home_opened_event(U_ALICE)), **kwargs)

    assert response.status == 401
    assert harness.slack.calls == []

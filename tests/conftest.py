"""Shared fixtures: a fake Slack, a fake clock and a Baton app wired to both."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import settings
from slack_bolt.response import BoltResponse
from sqlalchemy import select

from bot.app import Baton, create_app
from bot.config import Settings
from bot.executors import InlineExecutor
from storage.db import make_engine
from storage.models import Base, OutboxMessage, Task
from tests.fakes.clock import FakeClock
from tests.fakes.requests import (
    SIGNING_SECRET,
    action_body,
    block_action_payload,
    bolt_request,
    command_body,
    event_body,
    view_submission_payload,
)
from tests.fakes.slack_api import C_GENERAL, TEAM_ID, FakeSlack, Violation

# Property tests judge behaviour, not speed: on a shared machine an example may take seconds (speed lives in bench/).
settings.register_profile("baton", deadline=None)
settings.load_profile("baton")

# Tuesday 1 December 2026, 14:00 UTC: 09:00 in New York, 15:00 in Berlin, 23:00 in Tokyo.
START = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt and pydantic-settings read SLACK_* and friends from the environment; tests must not."""
    import os

    for name in list(os.environ):
        if (
            name.startswith(("SLACK_", "BATON_"))
            and name != "BATON_TEST_POSTGRES_URL"
            or name
            in (
                "DATABASE_URL",
                "PORT",
            )
        ):
            monkeypatch.delenv(name, raising=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bad_slack_calls(reason): the test makes Web API calls Slack's reference refuses on purpose, so the "
        "check of every call against tests/data/web-api-methods.json does not fail it",
    )


# (method, argument) of violations made by a library on Baton's behalf, not by Baton's own calls: allowed so
# the check stays on for everything else. Each has a test that fails once it is no longer sent; then drop it.
ALLOWED_VIOLATIONS = {
    # slack_bolt 1.30 builds each request's WebClient with `team_id=context.team_id` (slack_bolt/app/app.py
    # App._init_context), which slack_sdk adds to every call as a default parameter (meant for org-wide
    # tokens), and calls auth.test through it: SingleTeamAuthorization on an app's first request (bot/app.py
    # sets token_verification_enabled=False), InstallationStoreAuthorize once per token in OAuth mode.
    # tests/bolt/test_slack_payloads.py test_bolt_still_sends_team_id_with_its_auth_test watches it.
    ("auth.test", "team_id"),
}


@pytest.fixture(autouse=True)
def slack_violations(request: pytest.FixtureRequest) -> Iterator[list[Violation]]:
    """Every Web API call any FakeSlack receives during a test is held against Slack's reference
    (tests/data/web-api-methods.json); a call it does not allow fails the test, unless the test is marked
    `bad_slack_calls` (it can then assert on this list) or the violation is in ALLOWED_VIOLATIONS."""
    seen: list[Violation] = []
    with FakeSlack.violations_reported_to(seen.append):
        yield seen
    unexpected = [v for v in seen if (v.method, v.argument) not in ALLOWED_VIOLATIONS]
    if unexpected and request.node.get_closest_marker("bad_slack_calls") is None:
        found = "\n".join(f"  - {violation}" for violation in dict.fromkeys(unexpected))
        pytest.fail(
            f"FakeSlack received Web API calls that Slack's reference (tests/data/web-api-methods.json) "
            f"does not allow:\n{found}\n(mark the test @pytest.mark.bad_slack_calls if it sends them on purpose)",
            pytrace=False,
        )


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


def make_settings(slack: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.base_url,
        "database_url": "sqlite://",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@dataclass
class Harness:
    """Drives a Baton app the way Slack does: signed requests in, Web API calls out."""

    baton: Baton
    slack: FakeSlack
    clock: FakeClock
    triggers: list[str] = field(default_factory=list)

    def dispatch(self, body: str, **kwargs: Any) -> BoltResponse:
        return self.baton.bolt.dispatch(bolt_request(body, **kwargs))

    def command(
        self, text: str, *, user: str, command: str = "/task", channel: str = C_GENERAL, team: str = TEAM_ID
    ) -> str:
        """Send a slash command and return the ephemeral answer's text (blocks included)."""
        response = self.dispatch(
            command_body(
                command,
                text,
                user_id=user,
                channel_id=channel,
                response_url=self.slack.response_url(),
                team_id=team,
            )
        )
        assert response.status == 200, response.body
        return answer_text(response)

    def click(self, action_id: str, value: str, *, user: str, **kwargs: Any) -> BoltResponse:
        kwargs.setdefault("response_url", self.slack.response_url("click"))
        payload = block_action_payload(action_id, value, user_id=user, **kwargs)
        response = self.dispatch(action_body(payload))
        assert response.status == 200, response.body
        return response

    def accept(self, user: str, *numbers: int) -> list[int]:
        """`user` clicks Accept on every task waiting for their answer (or those numbered `T-<n>`); returns
        the tasks' ids. Check-ins go to accepted tasks only (an unanswered one gets a reminder instead)."""
        waiting = [
            t.id
            for t in self.rows(Task, Task.assignee_id == user, Task.status == "open")
            if not numbers or t.number in numbers
        ]
        for task_id in waiting:
            self.click("baton_accept", str(task_id), user=user)
        return waiting

    def submit(self, callback_id: str, values: dict[str, Any], *, user: str, metadata: Any = None) -> BoltResponse:
        payload = view_submission_payload(
            callback_id,
            values,
            user_id=user,
            private_metadata=json.dumps(metadata) if metadata is not None else "",
        )
        return self.dispatch(action_body(payload))

    def event(
        self, event: dict[str, Any], *, event_id: str = "Ev1", team: str = TEAM_ID, **kwargs: Any
    ) -> BoltResponse:
        return self.dispatch(event_body(event, event_id=event_id, team_id=team), **kwargs)

    # database reads ---------------------------------------------------------------------------
    def rows(self, model: type[Any], *where: Any) -> list[Any]:
        """Rows as they are now, detached so they can be read after the session closes."""
        with self.baton.uow() as uow:
            found = list(uow.session.scalars(select(model).where(*where).order_by(*model.__table__.primary_key)))
            uow.session.expunge_all()
            return found

    def tasks(self) -> list[Task]:
        return self.rows(Task)

    def outbox(self) -> list[OutboxMessage]:
        return self.rows(OutboxMessage)


def answer_text(response: BoltResponse) -> str:
    """The text of an ack body, with its blocks' texts, for asserting on what a person reads."""
    if not response.body:
        return ""
    body = json.loads(response.body)
    return flatten(body)


def flatten(node: Any) -> str:
    """All the `text` strings of a message or view, joined: what a reader would see."""
    parts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    parts.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
    return "\n".join(parts)


def build_harness(slack: FakeSlack, clock: FakeClock, **overrides: Any) -> Harness:
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    baton = create_app(
        make_settings(slack, **overrides),
        engine=engine,
        clock=clock,
        listener_executor=InlineExecutor(),
        delivery_executor=InlineExecutor(),
    )
    return Harness(baton=baton, slack=slack, clock=clock)


@pytest.fixture
def harness(slack: FakeSlack, clock: FakeClock) -> Iterator[Harness]:
    h = build_harness(slack, clock)
    yield h
    h.baton.close()

"""OAuth mode: installing through /slack/install and /slack/oauth_redirect against the fake's oauth.v2.access,
tokens encrypted at rest, each workspace's own token on every call, rotation by the scheduler, and uninstalling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, update

from bot.app import Baton, create_app
from bot.domain.model import OutboxState
from bot.executors import InlineExecutor
from bot.server import make_wsgi_app
from storage.models import OutboxMessage, Task, Workspace, slack_bots, slack_installations
from tests.conftest import Harness, build_harness, make_settings
from tests.fakes.clock import FakeClock
from tests.fakes.requests import event_body
from tests.fakes.slack_api import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, TEAM_ID, U_ALICE, U_MANAGER, FakeSlack
from tests.fakes.wsgi import WsgiAnswer, call

if TYPE_CHECKING:
    from time_machine import TimeMachineFixture  # the `time_machine` fixture's type

KEY = Fernet.generate_key().decode()
OTHER = "T0OTHER"
OTHER_TOKEN = "xoxb-other-workspace"
STATE_COOKIE = "slack-app-oauth-state"


def oauth_overrides(**more: Any) -> dict[str, Any]:
    return {
        "slack_bot_token": None,
        "slack_client_id": OAUTH_CLIENT_ID,
        "slack_client_secret": OAUTH_CLIENT_SECRET,
        "baton_encryption_key": KEY,
        **more,
    }


@pytest.fixture
def oauth(slack: FakeSlack, clock: FakeClock) -> Iterator[Harness]:
    h = build_harness(slack, clock, **oauth_overrides())
    yield h
    h.baton.close()


def install(h: Harness, *, team: str = OTHER, token: str = OTHER_TOKEN, expires_in: int | None = None) -> WsgiAnswer:
    """An admin opens the install link, approves in Slack, and Slack sends the browser back with a code."""
    app = make_wsgi_app(h.baton)
    start = call(app, "/slack/install")
    assert start.status == 200, start.text
    state = start.cookies()[STATE_COOKIE]
    assert f"state={state}" in start.text and f"client_id={OAUTH_CLIENT_ID}" in start.text
    code = f"code-{team}-{len(h.slack.calls_to('oauth.v2.access'))}"
    h.slack.grant_install(code, team_id=team, bot_token=token, expires_in=expires_in)
    return call(
        app,
        "/slack/oauth_redirect",
        query=f"code={code}&state={state}",
        headers={"Cookie": f"{STATE_COOKIE}={state}"},
    )


def raw_tokens(h: Harness, table: Any, team: str) -> list[str]:
    with h.baton.engine.connect() as conn:
        return [r[0] for r in conn.execute(select(table.c.bot_token).where(table.c.team_id == team))]


def bearer_calls(slack: FakeSlack, method: str) -> list[str]:
    return slack.tokens_used(method)


def test_the_install_link_asks_for_baton_s_scopes_and_a_state_that_the_redirect_must_return(oauth: Harness) -> None:
    app = make_wsgi_app(oauth.baton)
    start = call(app, "/slack/install")
    assert "scope=commands,chat:write," in start.text
    oauth.slack.grant_install("code-x", team_id=OTHER, bot_token=OTHER_TOKEN)
    forged = call(
        app, "/slack/oauth_redirect", query="code=code-x&state=forged", headers={"Cookie": f"{STATE_COOKIE}=forged"}
    )
    assert forged.status in (400, 401)
    assert oauth.slack.calls_to("oauth.v2.access") == []
    assert raw_tokens(oauth, slack_bots, OTHER) == []


def test_an_install_stores_the_bot_token_encrypted_at_rest(oauth: Harness) -> None:
    done = install(oauth)
    assert done.status == 200, done.text
    assert len(oauth.slack.calls_to("oauth.v2.access")) == 1
    for table in (slack_bots, slack_installations):
        stored = raw_tokens(oauth, table, OTHER)
        assert len(stored) == 1
        assert OTHER_TOKEN not in stored[0] and "xoxb" not in stored[0]
        assert Fernet(KEY.encode()).decrypt(stored[0].encode()).decode() == OTHER_TOKEN
    assert oauth.rows(Workspace, Workspace.id == OTHER)[0].uninstalled_at is None


def test_each_workspace_s_requests_run_on_its_own_token_and_auth_test_is_cached(oauth: Harness) -> None:
    install(oauth)
    oauth.slack.clear()
    first = oauth.command(f"<@{U_ALICE}> Fix the refund macro by tomorrow", user=U_MANAGER, team=OTHER)
    second = oauth.command(f"<@{U_ALICE}> Update the FAQ by tomorrow", user=U_MANAGER, team=OTHER)
    assert "T-1" in first and "T-2" in second
    assert bearer_calls(oauth.slack, "auth.test") == [OTHER_TOKEN]  # once for two requests
    posts = bearer_calls(oauth.slack, "chat.postMessage")
    assert len(posts) == 2 and set(posts) == {OTHER_TOKEN}
    assert {t.workspace_id for t in oauth.tasks()} == {OTHER}


def test_a_workspace_that_never_installed_baton_gets_nothing_done(oauth: Harness) -> None:
    install(oauth)
    oauth.slack.clear()
    response = oauth.dispatch(
        _command_body(
            f"<@{U_ALICE}> Sneak in a task by tomorrow", team=TEAM_ID, response_url=oauth.slack.response_url()
        )
    )
    assert response.status in (200, 401)
    assert oauth.tasks() == []
    assert oauth.slack.calls_to("chat.postMessage") == []


def test_the_scheduler_rotates_an_expiring_token_itself_before_sending(
    oauth: Harness, slack: FakeSlack, clock: FakeClock, time_machine: TimeMachineFixture
) -> None:
    install(oauth, expires_in=12 * 3600)
    oauth.command(f"<@{U_ALICE}> Fix the refund macro by tomorrow", user=U_MANAGER, team=OTHER)
    assert slack.rotations == 0
    # A day later no request has come, and the token expires within the next minute. slack_sdk's rotator
    # reads the wall clock, so that is held at the same fixed instant as the replica's clock.
    later = clock.now() + timedelta(days=1)
    time_machine.move_to(later, tick=False)
    expiring = later.replace(tzinfo=None) + timedelta(seconds=60)  # the column holds naive UTC
    with oauth.baton.engine.begin() as conn:
        for table in (slack_bots, slack_installations):
            conn.execute(update(table).where(table.c.team_id == OTHER).values(bot_token_expires_at=expiring))
    slack.clear()
    replica = _replica(oauth, slack, FakeClock(later))
    summary = replica.run_pass()  # not closed: closing would dispose the shared in-memory database
    assert summary.sent >= 1
    assert slack.rotations == 1
    rotated = f"xoxe.xoxb-{OTHER}-1"
    assert set(bearer_calls(slack, "chat.postMessage")) == {rotated}
    stored = raw_tokens(oauth, slack_bots, OTHER)
    assert rotated in {Fernet(KEY.encode()).decrypt(s.encode()).decode() for s in stored}


def test_app_uninstalled_deletes_the_tokens_and_stops_all_sending_there(
    oauth: Harness, slack: FakeSlack, clock: FakeClock
) -> None:
    install(oauth)
    slack.fail("chat.postMessage", status=500, times=1)  # the assignment DM waits in the outbox
    oauth.command(f"<@{U_ALICE}> Fix the refund macro by tomorrow", user=U_MANAGER, team=OTHER)
    assert [r.state for r in oauth.outbox()] == [OutboxState.PENDING.value]

    response = oauth.dispatch(event_body({"type": "app_uninstalled"}, event_id="EvUninstall", team_id=OTHER))
    assert response.status == 200

    assert raw_tokens(oauth, slack_bots, OTHER) == [] and raw_tokens(oauth, slack_installations, OTHER) == []
    assert [(r.state, r.last_error) for r in oauth.outbox()] == [(OutboxState.SKIPPED.value, "app_uninstalled")]
    slack.clear()
    clock.advance(days=1)  # a check-in and a warning fall due
    summary = oauth.baton.run_pass()
    assert summary.sent == 0
    assert slack.calls_to("chat.postMessage") == [] and slack.calls_to("conversations.open") == []
    assert all(r.state == OutboxState.SKIPPED.value for r in oauth.outbox())

    install(oauth, token="xoxb-reinstalled")  # installed again: sending resumes with the new token
    assert oauth.rows(Workspace, Workspace.id == OTHER)[0].uninstalled_at is None
    clock.advance(days=1)
    assert oauth.baton.run_pass().sent >= 1
    assert set(bearer_calls(slack, "chat.postMessage")) == {"xoxb-reinstalled"}


def test_tokens_revoked_for_user_tokens_only_changes_nothing_but_a_revoked_bot_token_stops_sending(
    oauth: Harness,
) -> None:
    install(oauth)
    user_only = {"type": "tokens_revoked", "tokens": {"oauth": [U_ALICE], "bot": []}}
    assert oauth.dispatch(event_body(user_only, event_id="EvUser", team_id=OTHER)).status == 200
    assert len(raw_tokens(oauth, slack_bots, OTHER)) == 1
    bot = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["B0BATON"]}}
    assert oauth.dispatch(event_body(bot, event_id="EvBot", team_id=OTHER)).status == 200
    assert raw_tokens(oauth, slack_bots, OTHER) == []
    assert oauth.rows(Workspace, Workspace.id == OTHER)[0].uninstalled_at is not None


def test_single_workspace_mode_stops_sending_after_app_uninstalled_until_someone_uses_baton_again(
    harness: Harness, clock: FakeClock, slack: FakeSlack
) -> None:
    harness.command(f"<@{U_ALICE}> Fix the refund macro by tomorrow", user=U_MANAGER)
    assert harness.dispatch(event_body({"type": "app_uninstalled"}, event_id="EvGone")).status == 200
    slack.clear()
    clock.advance(days=1)
    assert harness.baton.run_pass().sent == 0
    assert slack.calls_to("chat.postMessage") == []
    # Reinstalled (a new token, a restart) and used: the workspace is live again.
    harness.command(f"<@{U_ALICE}> Second task by friday", user=U_MANAGER)
    assert harness.rows(Workspace, Workspace.id == TEAM_ID)[0].uninstalled_at is None
    assert len(harness.rows(Task)) == 2


def _replica(h: Harness, slack: FakeSlack, clock: FakeClock) -> Baton:
    """Another process on the same database: its own caches, no request has reached it."""
    return create_app(
        make_settings(slack, **oauth_overrides()),
        engine=h.baton.engine,
        clock=clock,
        listener_executor=InlineExecutor(),
        delivery_executor=InlineExecutor(),
    )


def _command_body(text: str, *, team: str, response_url: str) -> str:
    from tests.fakes.requests import command_body

    return command_body("/task", text, user_id=U_MANAGER, response_url=response_url, team_id=team)


def test_outbox_rows_of_another_workspace_are_untouched_by_an_uninstall(oauth: Harness) -> None:
    install(oauth)
    install(oauth, team=TEAM_ID, token="xoxb-first-workspace")
    oauth.slack.fail("chat.postMessage", status=500, times=2)
    oauth.command(f"<@{U_ALICE}> Other's task by tomorrow", user=U_MANAGER, team=OTHER)
    oauth.command(f"<@{U_ALICE}> First's task by tomorrow", user=U_MANAGER, team=TEAM_ID)
    oauth.dispatch(event_body({"type": "app_uninstalled"}, event_id="EvU2", team_id=OTHER))
    states = {r.workspace_id: r.state for r in oauth.rows(OutboxMessage)}
    assert states == {OTHER: OutboxState.SKIPPED.value, TEAM_ID: OutboxState.PENDING.value}
    assert len(raw_tokens(oauth, slack_bots, TEAM_ID)) == 1


def test_a_restart_with_a_working_token_resumes_sending_after_an_uninstall_in_single_workspace_mode(
    harness: Harness, clock: FakeClock, slack: FakeSlack
) -> None:
    harness.command(f"<@{U_ALICE}> Fix the refund macro by tomorrow", user=U_MANAGER)
    assert harness.dispatch(event_body({"type": "app_uninstalled"}, event_id="EvGone2")).status == 200
    assert harness.rows(Workspace, Workspace.id == TEAM_ID)[0].uninstalled_at is not None

    harness.baton.resume_installed_workspace()  # what `baton serve` and `baton run` do at start-up

    assert harness.rows(Workspace, Workspace.id == TEAM_ID)[0].uninstalled_at is None
    slack.clear()
    clock.advance(days=1)
    assert harness.baton.run_pass().sent >= 1


def test_resuming_asks_slack_nothing_in_oauth_mode(oauth: Harness) -> None:
    oauth.slack.clear()
    oauth.baton.resume_installed_workspace()
    assert oauth.slack.calls_to("auth.test") == []

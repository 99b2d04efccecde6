"""Two workspaces installed on one deployment never see or touch each other's data (CONTRACT "Who may do what":
"A workspace never sees or touches another workspace's tasks")."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.domain.model import TaskStatus
from tests.bolt.test_oauth_install import install, oauth_overrides
from tests.conftest import Harness, build_harness, flatten
from tests.fakes.clock import FakeClock
from tests.fakes.requests import app_home_opened_event, reaction_added_event
from tests.fakes.slack_api import C_GENERAL, TEAM_ID, U_ALICE, U_MANAGER, FakeSlack

OTHER = "T0OTHER"
FIRST_TOKEN = "xoxb-first-workspace"
OTHER_TOKEN = "xoxb-other-workspace"


@pytest.fixture
def two(slack: FakeSlack, clock: FakeClock) -> Iterator[Harness]:
    h = build_harness(slack, clock, **oauth_overrides())
    install(h, team=TEAM_ID, token=FIRST_TOKEN)
    install(h, team=OTHER, token=OTHER_TOKEN)
    h.command(f"<@{U_ALICE}> First workspace secret plan by tomorrow", user=U_MANAGER, team=TEAM_ID)
    h.command(f"<@{U_ALICE}> Other workspace roadmap by tomorrow", user=U_MANAGER, team=OTHER)
    yield h
    h.baton.close()


def test_task_numbers_start_at_one_in_each_workspace(two: Harness) -> None:
    numbers = sorted((t.workspace_id, t.number) for t in two.tasks())
    assert numbers == [(OTHER, 1), (TEAM_ID, 1)]


def test_show_list_and_team_views_read_only_the_caller_s_workspace(two: Harness) -> None:
    shown = two.command("show T-1", user=U_MANAGER, team=OTHER)
    assert "Other workspace roadmap" in shown and "secret plan" not in shown
    listed = two.command("list", user=U_ALICE, team=OTHER)
    assert "Other workspace roadmap" in listed and "secret plan" not in listed
    delegated = two.command("list delegated", user=U_MANAGER, team=TEAM_ID)
    assert "secret plan" in delegated and "roadmap" not in delegated


def test_changing_t_1_in_one_workspace_leaves_the_other_s_t_1_alone(two: Harness) -> None:
    two.command("done T-1 shipped", user=U_ALICE, team=OTHER)
    status = {t.workspace_id: t.status for t in two.tasks()}
    assert status == {OTHER: TaskStatus.DONE.value, TEAM_ID: TaskStatus.OPEN.value}
    two.command("cancel 1 not needed", user=U_MANAGER, team=TEAM_ID)
    status = {t.workspace_id: t.status for t in two.tasks()}
    assert status == {OTHER: TaskStatus.DONE.value, TEAM_ID: TaskStatus.CANCELLED.value}


def test_a_reaction_in_one_workspace_on_the_other_s_check_in_answers_nothing(two: Harness, clock: FakeClock) -> None:
    [first] = [t for t in two.tasks() if t.workspace_id == TEAM_ID]
    two.click("baton_accept", str(first.id), user=U_ALICE)  # check-ins go to accepted tasks
    clock.advance(days=1)
    two.baton.run_pass()
    sent = [r for r in two.outbox() if r.workspace_id == TEAM_ID and r.kind == "checkin" and r.ts]
    assert sent, "a check-in went out in the first workspace"
    row = sent[0]
    reaction = reaction_added_event("white_check_mark", user_id=U_ALICE, channel=str(row.channel_id), ts=str(row.ts))
    assert two.event(reaction, event_id="EvCross", team=OTHER).status == 200
    assert {t.workspace_id: t.status for t in two.tasks()}[TEAM_ID] == TaskStatus.ACCEPTED.value


def test_the_home_tab_shows_the_workspace_s_own_tasks_with_its_own_token(two: Harness) -> None:
    two.slack.clear()
    assert two.event(app_home_opened_event(U_ALICE), event_id="EvHome", team=OTHER).status == 200
    home = two.slack.home_view(U_ALICE)
    assert home is not None
    text = flatten(home)
    assert "Other workspace roadmap" in text and "secret plan" not in text
    assert set(two.slack.tokens_used("views.publish")) == {OTHER_TOKEN}


def test_team_setup_and_report_belong_to_one_workspace(two: Harness) -> None:
    two.command("setup", user=U_MANAGER, command="/team", team=OTHER)
    report = two.command("report", user=U_MANAGER, command="/team", team=OTHER, channel=C_GENERAL)
    assert "roadmap" not in report  # a report counts, it does not list other workspaces' tasks
    refused = two.command("report", user=U_MANAGER, command="/team", team=TEAM_ID, channel=C_GENERAL)
    assert "manager" in refused.lower() or "team" in refused.lower()

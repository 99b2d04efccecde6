"""The weekly manager digest and time off through the real `baton tick --at` CLI in subprocesses, against a
migrated SQLite file and the fake Slack; teams, tasks and time off are made by an in-process app on the same
file, the way Slack would."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.conftest import flatten
from tests.e2e import test_cli_scheduler as scheduler_e2e
from tests.e2e.test_cli_scheduler import Cli
from tests.fakes.posts import dedupe_key
from tests.fakes.slack_api import TEAM_ID, U_ALICE, U_MANAGER, FakeSlack, dm_channel_id
from tests.helpers import utc

pytestmark = pytest.mark.e2e

# The scheduler e2e tests' fixtures: a database file brought up once by `baton db upgrade`, copied per test,
# a FakeSlack, and the CLI wired to both.
migrated = scheduler_e2e.migrated
slack = scheduler_e2e.slack
cli = scheduler_e2e.cli

TEAM_CHANNEL = "C0TEAM"
U_KARL = "U0KARL"  # a second assignee in Berlin, like Alice, so both share the check-in moment
D_ALICE = dm_channel_id(U_ALICE)
D_KARL = dm_channel_id(U_KARL)
D_MANAGER = dm_channel_id(U_MANAGER)


def slash(cli: Cli, command: str, text: str, *, user: str, at: datetime, channel: str = TEAM_CHANNEL) -> str:
    return cli.slash(command, text, user=user, at=at, channel=channel)


def posts(slack: FakeSlack, prefix: str) -> list[dict[str, Any]]:
    """chat.postMessage calls whose dedupe key starts with `prefix`, oldest first."""
    return [c.params for c in slack.calls_to("chat.postMessage") if dedupe_key(c.params).startswith(prefix)]


def to(channel: str, user: str) -> tuple[str, str]:
    """A DM may be posted to the opened D… channel or straight to the user id; both reach the person."""
    return (channel, user)


# -- the weekly digest -------------------------------------------------------------------------------------

WEDNESDAY = utc(2026, 12, 2, 15)  # 10:00 in New York
NY_MONDAY_9 = utc(2026, 12, 7, 14)  # Monday 7 December, 09:00 EST


def test_tick_sends_the_weekly_digest_once_at_monday_nine_in_the_managers_zone(cli: Cli) -> None:
    answer = slash(cli, "/team", "setup", user=U_MANAGER, at=WEDNESDAY)
    assert "team channel" in answer, answer
    created = slash(
        cli, "/task", f"<@{U_ALICE}> Fix the refund macro by 2026-12-04 17:00", user=U_MANAGER, at=WEDNESDAY
    )
    assert "T-" in created, created
    cli.tick(WEDNESDAY + timedelta(hours=1))  # the scheduler sees the manager: next digest is Monday 09:00
    assert posts(cli.slack, "digest:") == []

    before = cli.tick(NY_MONDAY_9 - timedelta(minutes=1))  # 08:59 in New York, the task overdue since Friday

    assert before["failed"] == 0
    assert posts(cli.slack, "digest:") == [], "no digest before Monday 09:00 in the manager's zone"

    cli.slack.clear()
    at_nine = cli.tick(NY_MONDAY_9)

    [digest] = posts(cli.slack, "digest:")
    assert dedupe_key(digest) == f"digest:{TEAM_ID}:{U_MANAGER}:2026-12-07"
    assert digest["channel"] in to(D_MANAGER, U_MANAGER)
    assert digest["metadata"]["event_type"] == "baton_message"
    assert "Fix the refund macro" in str(digest.get("text") or "") + "\n" + flatten(digest.get("blocks") or [])
    assert at_nine["sent"] >= 1 and at_nine["failed"] == 0
    assert [m for m in cli.slack.messages(D_MANAGER) if dedupe_key(m).startswith("digest:")], "stored in the DM"

    again = cli.tick(NY_MONDAY_9)
    later = cli.tick(NY_MONDAY_9 + timedelta(hours=1))

    assert len(posts(cli.slack, "digest:")) == 1, "the same Monday's digest is not sent twice"
    assert again == {"planned": 0, "sent": 0, "retried": 0, "failed": 0}
    assert later["failed"] == 0
    assert len([m for m in cli.slack.messages(D_MANAGER) if dedupe_key(m).startswith("digest:")]) == 1


# -- time off ----------------------------------------------------------------------------------------------

TUESDAY = utc(2026, 12, 1, 14)  # 15:00 in Berlin, 09:00 in New York
WED_CHECKIN = utc(2026, 12, 2, 9)  # 10:00 in Berlin, the team's default check-in time
THU_CHECKIN = utc(2026, 12, 3, 9)


@pytest.mark.parametrize(
    ("command", "text", "user"),
    [
        ("/task", "away 2026-12-02 to 2026-12-02", U_ALICE),  # her own, read in Berlin
        ("/team", f"away <@{U_ALICE}> 2026-12-02 to 2026-12-02", U_MANAGER),  # by her manager, read in New York
    ],
    ids=["task-away", "team-away"],
)
def test_tick_sends_no_checkin_to_someone_away_that_day_and_resumes_after(
    cli: Cli, command: str, text: str, user: str
) -> None:
    cli.slack.add_user(U_KARL, name="karl", tz="Europe/Berlin")
    answer = slash(cli, "/team", "setup", user=U_MANAGER, at=TUESDAY)
    assert "team channel" in answer, answer
    for who, title in ((U_ALICE, "Fix the refund macro"), (U_KARL, "Translate the help centre")):
        created = slash(cli, "/task", f"<@{who}> {title} by 2026-12-20 17:00", user=U_MANAGER, at=TUESDAY)
        assert "T-" in created, created
        cli.accept(who, at=TUESDAY)
    recorded = slash(cli, command, text, user=user, at=TUESDAY)
    assert "away" in recorded, recorded
    cli.slack.clear()

    wednesday = cli.tick(WED_CHECKIN)  # Alice is away all Wednesday; Karl is not

    assert wednesday["failed"] == 0
    checkins = posts(cli.slack, "checkin:")
    assert [p["channel"] in to(D_KARL, U_KARL) for p in checkins] == [True], checkins
    assert [p for p in checkins if p["channel"] in to(D_ALICE, U_ALICE)] == []
    assert [m for m in cli.slack.messages(D_ALICE) if dedupe_key(m).startswith("checkin:")] == []
    [karl] = checkins
    assert dedupe_key(karl).endswith(":2026-12-02")

    cli.slack.clear()
    thursday = cli.tick(THU_CHECKIN)  # back: the next check-in day's check-in reaches her again

    assert thursday["failed"] == 0
    checkins = posts(cli.slack, "checkin:")
    alice = [p for p in checkins if p["channel"] in to(D_ALICE, U_ALICE)]
    assert len(alice) == 1, checkins
    assert dedupe_key(alice[0]).startswith("checkin:") and dedupe_key(alice[0]).endswith(":2026-12-03")
    assert len([p for p in checkins if p["channel"] in to(D_KARL, U_KARL)]) == 1
    assert len([m for m in cli.slack.messages(D_ALICE) if dedupe_key(m).startswith("checkin:")]) == 1, (
        "Wednesday's missed check-in is not caught up"
    )

"""The core loop through signed requests: /task delegates, the DM carries Accept / Decline."""

from __future__ import annotations

from handlers import ids
from tests.conftest import Harness, flatten
from tests.fakes.slack_api import U_ALICE, U_MANAGER


def test_task_command_creates_and_dms_the_assignee(harness: Harness) -> None:
    reply = harness.command(f"<@{U_ALICE}> Fix the refund macro by fri 5pm !high", user=U_MANAGER)

    assert "T-1" in reply
    [task] = harness.tasks()
    assert task.title == "Fix the refund macro"
    assert task.priority == "high"
    dms = harness.slack.messages("D0ALICE")
    assert len(dms) == 1
    actions = [e["action_id"] for b in dms[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions == [ids.ACTION_ACCEPT, ids.ACTION_DECLINE]
    assert "Fix the refund macro" in flatten(dms[0]["blocks"])

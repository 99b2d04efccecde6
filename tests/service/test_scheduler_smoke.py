"""A quick end-to-end of the follow-up engine through passes at chosen moments."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Harness
from tests.fakes.slack_api import U_ALICE, U_MANAGER


def test_checkin_goes_out_once_at_ten_in_the_assignees_zone(harness: Harness) -> None:
    harness.command(f"<@{U_ALICE}> Fix the refund macro by fri 5pm", user=U_MANAGER)
    harness.slack.clear()
    # Alice is in Berlin: Wednesday 10:00 there is 09:00 UTC.
    harness.clock.set(datetime(2026, 12, 2, 8, 59, tzinfo=UTC))
    assert harness.baton.run_pass().planned == 0
    harness.clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    first = harness.baton.run_pass()
    second = harness.baton.run_pass()
    assert (first.planned, first.sent) == (1, 1)
    assert (second.planned, second.sent) == (0, 0)
    [checkin] = harness.slack.calls_to("chat.postMessage")
    assert checkin.params["channel"] == "D0ALICE"

"""The weekly recognition's windows meet without a gap: what happens at the very moment of one recognition
pass (a clock standing still, a commit racing the pass) is counted in the next one, once."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import Harness
from tests.fakes.slack_api import C_GENERAL, U_ALICE, U_MANAGER

# Friday 4 December 2026, 16:00 in New York (the manager's zone, so the team's): the first recognition.
FIRST_FRIDAY = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)
NEXT_FRIDAY = datetime(2026, 12, 11, 21, 0, tzinfo=UTC)


def test_kudos_given_at_the_moment_of_a_recognition_pass_is_in_the_next_recognition(harness: Harness) -> None:
    harness.command("setup", user=U_MANAGER, command="/team")
    harness.clock.set(FIRST_FRIDAY)
    harness.baton.run_pass()  # a quiet week: nothing to celebrate
    recognitions = [m for m in harness.slack.messages(C_GENERAL) if "Weekly recognition" in str(m)]
    assert recognitions == []

    harness.command(f"<@{U_ALICE}> for the refund macro", user=U_MANAGER, command="/kudos")  # same instant

    harness.clock.set(NEXT_FRIDAY)
    harness.baton.run_pass()
    recognitions = [m for m in harness.slack.messages(C_GENERAL) if "Weekly recognition" in str(m)]
    assert len(recognitions) == 1
    assert "1 kudos" in str(recognitions[0])

"""Block Kit pieces: what slack_sdk refuses (so the checks can fail) and how a moment reads."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta, timezone

import pytest
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from handlers.blocks.primitives import when

# --------------------------------------------------------------------------- slack_sdk itself


def test_slack_sdk_validation_rejects_limit_breaks_so_our_checks_can_fail() -> None:
    with pytest.raises(SlackObjectFormationError):
        Block.parse({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}).validate_json()  # type: ignore[union-attr]
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "x" * 76}}
    with pytest.raises(SlackObjectFormationError):
        Block.parse({"type": "actions", "elements": [button]}).to_dict()  # type: ignore[union-attr]
    with pytest.raises(SlackObjectFormationError):
        View(type="home", blocks=[{"type": "divider"}] * 101).validate_json()
    with pytest.raises(SlackObjectFormationError):
        View(type="modal", title="x" * 25, blocks=[{"type": "divider"}]).validate_json()


# --------------------------------------------------------------------------- when


def test_when_gives_a_date_token_with_the_epoch_and_a_utc_fallback() -> None:
    moment = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    epoch = calendar.timegm((2026, 12, 4, 22, 0, 0))
    assert when(moment) == (f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|Fri 4 Dec 2026 22:00 UTC>")


def test_when_converts_other_zones_to_the_same_instant() -> None:
    kolkata = timezone(timedelta(hours=5, minutes=30))
    moment = datetime(2026, 12, 5, 3, 30, tzinfo=kolkata)  # 22:00 UTC the day before
    assert when(moment) == when(datetime(2026, 12, 4, 22, 0, tzinfo=UTC))


def test_when_without_a_moment_reads_no_deadline() -> None:
    assert when(None) == "no deadline"


def test_when_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        when(datetime(2026, 12, 4, 22, 0))

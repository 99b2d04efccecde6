"""How a Slack Web API call ended, as the clients report it and `baton_slack_calls` counts it."""

from __future__ import annotations

OK = "ok"  # Slack answered ok
RATELIMITED = "ratelimited"  # HTTP 429
ERROR = "error"  # any other error answer
UNREACHABLE = "unreachable"  # no answer at all
HELD_BACK = "held_back"  # not made: over Baton's own budget for the method (bot/slack/limits.py)

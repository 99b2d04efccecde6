"""The one place user text is escaped for Slack, plus the small text rules around it."""

from __future__ import annotations

import re

MAX_TITLE_CHARS = 200
MAX_DETAILS_CHARS = 2000

_TASK_REF = re.compile(r"^(?:[Tt]-)?(\d{1,9})$")


def escape(text: str) -> str:
    """Escape user text for mrkdwn or a message `text`, so it shows as typed and pings no one.

    Slack's rule: only `&`, `<` and `>` need escaping
    (https://api.slack.com/reference/surfaces/formatting#escaping); with `<` gone no
    `<!channel>`, `<@U…>` or link can form.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Decode what Slack escaped in a slash command or message, once, to store text as typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def task_ref(number: int) -> str:
    return f"T-{number}"


def parse_task_ref(token: str) -> int | None:
    """`T-12`, `t-12` and `12` all name task 12; anything else is None."""
    match = _TASK_REF.match(token.strip())
    if match is None:
        return None
    number = int(match.group(1))
    return number if number > 0 else None

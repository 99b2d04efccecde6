"""Forms both `/task` and `/team` take: time away and a holiday calendar."""

from __future__ import annotations

from bot.domain.calendars import parse_calendar
from bot.domain.errors import BadInput
from bot.domain.grammar.commands import (
    SetAway,
    SetCalendar,
    ShowCalendar,
)
from bot.domain.text import unescape

TEAM_AWAY_EXAMPLE = "`/team away @alice 2026-12-21 to 2026-12-31`"


def parse_away(raw_rest: str, *, user_id: str | None) -> SetAway:
    when_text = " ".join(unescape(raw_rest).split())
    if when_text.lower() == "off":
        return SetAway(user_id=user_id, off=True)
    if not when_text:
        example = TEAM_AWAY_EXAMPLE if user_id else "`/task away today fri`"
        raise BadInput(f"Say which days: {example} (the last day included), or `off` to end it.")
    return SetAway(user_id=user_id, when_text=when_text)


def parse_calendar_setting(raw_rest: str, *, command: str, example: str) -> SetCalendar | ShowCalendar:
    text = " ".join(unescape(raw_rest).split())
    if not text:
        return ShowCalendar()
    if text.lower() in {"off", "none", "-"}:
        return SetCalendar(code=None)
    try:
        return SetCalendar(code=parse_calendar(text))
    except BadInput as error:
        raise BadInput(f"{error.reply} Like `{command} {example}`; `{command} off` removes it.") from None

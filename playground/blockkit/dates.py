"""Slack's `<!date^…>` tokens as the viewer would read them: the format's fields in their zone, with a tooltip."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playground.blockkit.markup import SAFE_LINK_URL, RenderContext, escape_html, html_attrs, viewer_zone

DATE_TOKEN = re.compile(r"date\^(-?\d{1,12})\^([^^]*)(?:\^(.*))?\Z", re.DOTALL)
_DATE_FIELD = re.compile(r"\{(\w+)\}")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _clock(moment: datetime, *, seconds: bool, clock24: bool) -> str:
    secs = f":{moment.second:02d}" if seconds else ""
    if clock24:
        return f"{moment.hour:02d}:{moment.minute:02d}{secs}"
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}{secs} {'AM' if moment.hour < 12 else 'PM'}"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = (now - moment).total_seconds()
    size = abs(seconds)
    if size < 60:
        return "just now"
    units = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))
    unit, length = next((name, span) for name, span in units if size >= span)
    count = int(size // length)
    said = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{said} ago" if seconds > 0 else f"in {said}"


def _slack_date(epoch: int, fmt: str, ctx: RenderContext) -> str | None:
    """A `<!date^…>` format string in the viewer's zone, with Slack's tokens; None means "use the fallback"."""
    zone = viewer_zone(ctx)
    try:
        moment = datetime.fromtimestamp(epoch, tz=zone)
    except (OverflowError, OSError, ValueError):
        return None
    now = ctx.now
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    relative: str | None = None
    if now is not None:
        days = (moment.date() - now.astimezone(zone).date()).days
        relative = {-1: "yesterday", 0: "today", 1: "tomorrow"}.get(days)
    month, weekday = _MONTHS[moment.month - 1], _WEEKDAYS[moment.weekday()]
    plain = {
        "date_num": f"{moment:%Y-%m-%d}",
        "date": f"{month} {_ordinal(moment.day)}, {moment.year}",
        "date_short": f"{month[:3]} {moment.day}, {moment.year}",
        "date_long": f"{weekday}, {month} {_ordinal(moment.day)}, {moment.year}",
        "time": _clock(moment, seconds=False, clock24=ctx.clock24),
        "time_secs": _clock(moment, seconds=True, clock24=ctx.clock24),
    }
    for pretty in ("date", "date_short", "date_long"):
        plain[f"{pretty}_pretty"] = relative or plain[pretty]
    missing = False

    def field_text(match: re.Match[str]) -> str:
        nonlocal missing
        name = match[1]
        if name == "ago":
            if now is None:
                missing = True
                return ""
            return _ago(moment, now)
        shown = plain.get(name)
        if shown is None:
            return match[0]
        if relative and shown == relative and match.start() == 0:
            return shown.capitalize()
        return shown

    text = _DATE_FIELD.sub(field_text, fmt)
    return None if missing else text


def _date_title(epoch: int, ctx: RenderContext) -> str:
    try:
        moment = datetime.fromtimestamp(epoch, tz=viewer_zone(ctx))
    except (OverflowError, OSError, ValueError):
        return ""
    day = f"{_WEEKDAYS[moment.weekday()]}, {_MONTHS[moment.month - 1]} {_ordinal(moment.day)}, {moment.year}"
    return f"{day} at {_clock(moment, seconds=False, clock24=ctx.clock24)} ({ctx.viewer_tz})"


def date_html(epoch: int, fmt: str, fallback: str, link: str, ctx: RenderContext) -> str:
    shown = _slack_date(epoch, fmt, ctx)
    text = shown if shown is not None else fallback
    try:
        iso = datetime.fromtimestamp(epoch, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        iso = None
    attrs = html_attrs(datetime=iso, title=_date_title(epoch, ctx) or None)
    tag = f'<time class="bk-date"{attrs}>{escape_html(text)}</time>'
    if link and SAFE_LINK_URL.match(link):
        return f'<a class="bk-link"{html_attrs(href=link)} target="_blank" rel="noopener noreferrer">{tag}</a>'
    return tag

"""How Baton names its kinds of message and a moment in someone's zone where it lists them (previews, Home tab)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.model import OutboxKind

# What each kind of message is called: one, several.
KIND_NAMES: dict[str, tuple[str, str]] = {
    OutboxKind.ASSIGNMENT.value: ("assignment", "assignments"),
    OutboxKind.REMINDER.value: ("reminder to accept", "reminders to accept"),
    OutboxKind.UNANSWERED.value: ("not-accepted notice", "not-accepted notices"),
    OutboxKind.ESCALATION.value: ("escalation", "escalations"),
    OutboxKind.CHECKIN.value: ("check-in", "check-ins"),
    OutboxKind.WARNING.value: ("deadline warning", "deadline warnings"),
    OutboxKind.OVERDUE.value: ("overdue notice", "overdue notices"),
    OutboxKind.RECOGNITION.value: ("weekly recognition", "weekly recognitions"),
    OutboxKind.DIGEST.value: ("weekly digest", "weekly digests"),
}


def kind_name(kind: str) -> str:
    """ "check-in"; a kind without a name is said with spaces for underscores."""
    return KIND_NAMES.get(kind, (kind.replace("_", " "), ""))[0]


def kinds_said(kind: str, count: int) -> str:
    """ "1 check-in", "3 check-ins"."""
    one, many = KIND_NAMES.get(kind, (kind.replace("_", " "), kind.replace("_", " ") + "s"))
    return f"{count} {one if count == 1 else many}"


def local_wall(at: datetime, tz: str) -> str:
    """`Mon 09:00` in a zone (UTC when the zone is unknown)."""
    try:
        zone: tzinfo = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return f"{at.astimezone(zone):%a %H:%M}"

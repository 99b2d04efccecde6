"""What the scheduler will send, as a plain-text table for a terminal (`baton preview`)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.model import OutboxKind
from bot.services.preview import Preview

# How each kind of message is called, as in the team preview Slack shows.
KIND_NAMES: dict[str, str] = {
    OutboxKind.ASSIGNMENT.value: "assignment",
    OutboxKind.REMINDER.value: "reminder to accept",
    OutboxKind.UNANSWERED.value: "not-accepted notice",
    OutboxKind.ESCALATION.value: "escalation",
    OutboxKind.CHECKIN.value: "check-in",
    OutboxKind.WARNING.value: "deadline warning",
    OutboxKind.OVERDUE.value: "overdue notice",
    OutboxKind.RECOGNITION.value: "weekly recognition",
    OutboxKind.DIGEST.value: "weekly digest",
}


def kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, kind.replace("_", " "))


def local_wall(at: datetime, tz: str) -> str:
    """`Mon 09:00` in a zone (UTC when the zone is unknown)."""
    try:
        zone: tzinfo = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return f"{at.astimezone(zone):%a %H:%M}"


def preview_table(shown: Preview, *, days: int) -> list[str]:
    """A heading, one line per message (UTC, the recipient's time, workspace, kind, recipient, task), a total."""
    lines = [f"{'when (UTC)':<16}  {'their time':<10}  {'workspace':<12} {'kind':<18} {'to':<12} task"]
    for item in shown.items:
        task = f"T-{item.task_number} {item.task_title}" if item.task_number is not None else ""
        lines.append(
            f"{item.at:%Y-%m-%d %H:%M}  {local_wall(item.at, item.recipient_tz):<10}  {item.workspace_id:<12} "
            f"{kind_name(item.kind):<18} {item.recipient_id:<12} {task}"
        )
    more = " (stopped at the limit; more follow)" if shown.truncated else ""
    lines.append(f"{len(shown.items)} messages in the next {days} days{more}")
    return lines

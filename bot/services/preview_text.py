"""What the scheduler will send, as a plain-text table for a terminal (`baton preview`)."""

from __future__ import annotations

from bot.domain.wording import kind_name, local_wall
from bot.services.preview import Preview


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

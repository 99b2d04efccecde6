"""Time off: `/task away`, `/team away` and the warning when a new task's assignee is away."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.model import (
    Message,
)
from handlers.blocks.primitives import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_TEXT_CHARS,
    Block,
    context,
    fit_message,
    last_day,
    mention,
    pack_within,
    plural,
    section,
)


def away_recorded(user_id: str, *, starts_at: datetime, ends_at: datetime, flagged: int, own: bool) -> Message:
    """The answer to `/task away …` or `/team away @person …`."""
    who = "You are" if own else f"{mention(user_id)} is"
    first = last_day(starts_at + timedelta(seconds=1))
    text = f"🏖️ {who} away from {first} to {last_day(ends_at)}: no check-ins or deadline warnings meanwhile."
    if flagged:
        text += f" {plural(flagged, 'task')} due meanwhile flagged to who delegated them."
    off = "`/task away off`" if own else f"`/team away {mention(user_id)} off`"
    return fit_message(text, [section(text), context(f"{off} ends it early.")])


def away_ended(user_id: str, *, changed: int, own: bool) -> Message:
    who = "You are" if own else f"{mention(user_id)} is"
    if not changed:
        text = f"{'You have' if own else mention(user_id) + ' has'} no time off recorded; nothing changed."
    else:
        text = f"👋 {who} back: check-ins and deadline warnings resume."
    return fit_message(text, [section(text)])


def away_list(periods: Sequence[tuple[str, datetime, datetime]], *, now: datetime) -> Message:
    """`/team away`: who is away now or later (user, start, end)."""
    if not periods:
        text = "No one is away. `/task away today fri` records your own time off."
        return fit_message(text, [section(text)])
    lines = [
        f"• {mention(user)}: {'away' if start <= now else 'from ' + last_day(start + timedelta(seconds=1))} "
        f"until {last_day(end)}"
        for user, start, end in periods
    ]
    chunks = pack_within(
        ["*Time off*", *lines],
        max_blocks=MAX_MESSAGE_BLOCKS - 1,
        max_chars=MAX_MESSAGE_TEXT_CHARS - 500,
        more=lambda n: f"…and {n} more",
    )
    return fit_message("Time off", [section(chunk) for chunk in chunks])


def away_warning(user_id: str, ends_at: datetime) -> Block:
    """Added to the delegator's reply when the new task's assignee is away."""
    return context(f"🏖️ {mention(user_id)} is away until {last_day(ends_at)}; check-ins wait until they are back.")

"""The App Home tab: someone's time and what Baton sends next, their tasks, and their teams'."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.domain.model import (
    TaskView,
)
from bot.domain.upcoming import Coming
from bot.domain.wording import kinds_said
from bot.services.availability import TimeView
from handlers import ids
from handlers.blocks.cards import task_line
from handlers.blocks.hours import away_text, calendar_text, hours_text
from handlers.blocks.primitives import (
    MAX_VIEW_BLOCKS,
    Block,
    View,
    actions,
    button,
    context,
    divider,
    header,
    section,
    task_block_id,
    when,
)


def _share(budget: int, sizes: Sequence[int]) -> list[int]:
    """Split `budget` rows between sections fairly; what a small section leaves goes to the others."""
    shares = [0] * len(sizes)
    left = budget
    waiting = [index for index, size in enumerate(sizes) if size > 0]
    while left > 0 and waiting:
        each = max(left // len(waiting), 1)
        for index in list(waiting):
            give = min(each, sizes[index] - shares[index], left)
            shares[index] += give
            left -= give
            if shares[index] == sizes[index]:
                waiting.remove(index)
            if left == 0:
                break
    return shares


def home_view(
    *,
    mine: Sequence[TaskView],
    delegated: Sequence[TaskView],
    team_tasks: Sequence[TaskView],
    is_manager: bool,
    now: datetime,
    totals: Sequence[int] | None = None,
    time: TimeView | None = None,
    coming: Sequence[Coming] = (),
) -> View:
    """The App Home tab: my time and what Baton will send me next, what I must do, what I handed out, and
    (for managers) my teams' tasks.

    `totals` are the sections' real counts when the task lists were read with a limit; the lists
    must then hold at least 100 tasks each (or all of them), more than any section can show."""
    # (heading, tasks, said when empty, where to see all, whether each task gets a Done button)
    sections: list[tuple[str, Sequence[TaskView], str, str, bool]] = [
        (
            "Assigned to me",
            mine,
            "Nothing assigned to you right now. 🎉",
            "`/task list` shows them all.",
            True,
        ),
        (
            "Delegated by me",
            delegated,
            "You have no open delegated tasks. `/task @person title` hands one out.",
            "`/task list delegated` shows them all.",
            False,
        ),
    ]
    if is_manager:
        sections.append(
            (
                "My teams",
                team_tasks,
                "Your teams have no open tasks.",
                "`/task list team` in a team channel shows them all.",
                False,
            )
        )
    blocks: list[Block] = [
        header("Baton"),
        actions(
            None,
            button("New task", action_id=ids.ACTION_OPEN_TASK_MODAL, value="new", style="primary"),
        ),
    ]
    if time is not None:
        blocks += [*_home_time(time, coming, now=now), divider()]
    # Each section costs a heading, a divider (but the first) and a closing line when it is empty
    # or cut short ("…and N more"); the tasks share what is left.
    sizes = [
        max(len(tasks), totals[index] if totals is not None and index < len(totals) else 0)
        for index, (_, tasks, _, _, _) in enumerate(sections)
    ]
    fixed = len(blocks) + 2 * len(sections) - 1 + sum(1 for size in sizes if size == 0)
    budget = MAX_VIEW_BLOCKS - fixed - sum(1 for size in sizes if size > 0)
    shares = _share(budget, sizes)
    freed = sum(1 for share, size in zip(shares, sizes, strict=True) if 0 < size == share)
    shares = _share(budget + freed, sizes)  # sections shown whole need no closing line
    for index, (part, share, count) in enumerate(zip(sections, shares, sizes, strict=True)):
        name, tasks, empty, everything, with_buttons = part
        if index:
            blocks.append(divider())
        blocks.append(section(f"*{name}* · {count} open" if tasks else f"*{name}*"))
        if not tasks:
            blocks.append(context(empty))
            continue
        seen: set[int] = set()
        for task in tasks[:share]:
            accessory = None
            if with_buttons and not task.status.is_final and task.id not in seen:
                seen.add(task.id)
                accessory = button("Done", action_id=ids.ACTION_DONE, value=str(task.id))
            blocks.append(
                section(
                    task_line(task, now=now),
                    block_id=task_block_id(ids.ACTION_DONE, task) if accessory else None,
                    accessory=accessory,
                )
            )
        shown = min(share, len(tasks))
        if count > shown:
            blocks.append(context(f"…and {count - shown} more. {everything}"))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _coming_line(item: Coming) -> str:
    what = ", ".join(kinds_said(kind.value, count) for kind, count in item.kinds)
    tasks = ", ".join(f"T-{n}" for n in item.task_numbers if n)
    held = " (held to your working hours)" if item.held else ""
    return f"• {when(item.at)}: {what}" + (f" · {tasks}" if tasks else "") + held


def _home_time(time: TimeView, coming: Sequence[Coming], *, now: datetime) -> list[Block]:
    """The top of someone's Home tab: their working time, holidays, time away, and what Baton sends next."""
    lines = [
        f"*Your working hours:* {hours_text(time.hours, time.tz)}",
        f"*Public holidays:* {calendar_text(time)}",
    ]
    away = away_text(time, now)
    if away:
        lines.append(f"*Away:* {away}")
    shown = [section("\n".join(lines))]
    if coming:
        one_message = "each line is one message" if len(coming) > 1 else "one message"
        shown.append(section(f"*Coming up* ({one_message})\n" + "\n".join(_coming_line(c) for c in coming)))
    else:
        shown.append(section("*Coming up:* nothing scheduled in the next 3 days."))
    shown.append(context("`/task hours` changes when Baton may message you; `/task away` records time off."))
    return shown

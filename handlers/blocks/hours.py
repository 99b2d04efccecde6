"""People's time: working hours, public-holiday calendars and the team's calendar."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.domain.hours import WorkingHours
from bot.domain.model import (
    Message,
    TaskView,
)
from bot.services.availability import TimeView
from bot.services.teams import TeamCalendar
from handlers.blocks.primitives import (
    DAYS,
    MONTHS,
    Block,
    channel_mention,
    context,
    escape_within,
    fit_message,
    last_day,
    mention,
    section,
    when,
)

_HOURS_HOW = (
    "`/task hours 09:00-17:30 [weekdays|daily|mon,tue,…]` changes them; `/task hours default` goes back to "
    "08:00-20:00 weekdays. `/task holidays JP` follows a country's public holidays for you."
)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _days_said(days: frozenset[int]) -> str:
    if days == frozenset(range(5)):
        return "Monday to Friday"
    if days == frozenset(range(7)):
        return "every day"
    return ", ".join(_WEEKDAY_NAMES[d] for d in sorted(days))


def hours_text(hours: WorkingHours, tz: str) -> str:
    """`09:00-17:30 Monday to Friday (Europe/Berlin)`: someone's hours as they read them."""
    return f"{hours.start:%H:%M}-{hours.end:%H:%M} {_days_said(hours.days)} ({escape_within(tz, 64)})"


def _holiday_lines(upcoming: Sequence[tuple[date, str]], limit: int = 8) -> str:
    shown = [
        f"{DAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]}: {escape_within(name, 80)}" for d, name in upcoming[:limit]
    ]
    more = f", and {len(upcoming) - limit} more" if len(upcoming) > limit else ""
    return "; ".join(shown) + more if shown else "none in the next 60 days"


def due_outside_hours(task: TaskView, time: TimeView) -> Block:
    """Added to the delegator's reply: the deadline falls outside the assignee's working time."""
    hours = time.hours
    return context(
        f"🕘 {when(task.due_at)} is outside {mention(task.assignee_id)}'s working time: "
        f"{hours.start:%H:%M}-{hours.end:%H:%M} {_days_said(hours.days)} in {escape_within(time.tz, 64)}, less "
        "holidays and time off. The task stands; its deadline warnings come earlier, within those hours."
    )


def calendar_text(view: TimeView) -> str:
    if view.calendar:
        return f"`{view.calendar}` (your own): {_holiday_lines(view.upcoming_holidays)}"
    if view.team_calendars:
        return f"`{view.team_calendars[0]}` (your team's): {_holiday_lines(view.upcoming_holidays)}"
    return "none. `/task holidays US` (any country code, `DE-BY` with a region) adds one"


def away_text(view: TimeView, now: datetime) -> str | None:
    parts = []
    if view.status.is_away(now):
        until = f" until {when(view.status.expires_at)}" if view.status.expires_at else ""
        parts.append(f"your Slack status {escape_within(view.status.describe(), 120)} says you are away{until}")
    for period in view.away:
        if period.ends_at - period.starts_at > timedelta(days=400):
            continue
        if view.status.expires_at is not None and period.ends_at == view.status.expires_at:
            continue  # the status's own period, said above
        start = "now" if period.starts_at <= now else f"from {last_day(period.starts_at + timedelta(seconds=1))}"
        parts.append(f"time off {start} until {last_day(period.ends_at)}")
    return "; ".join(parts) if parts else None


def hours_view(view: TimeView, *, now: datetime, saved: bool = False) -> Message:
    """`/task hours` (and `/task holidays` alone): someone's hours, holiday calendar and time away."""
    head = "✅ Saved. Your working hours" if saved else "🕘 Your working hours"
    lines = [
        f"*{head}:* {hours_text(view.hours, view.tz)}. Baton sends you nothing outside them: a check-in, warning "
        "or notice due then waits for the start of your next working time.",
        f"*Public holidays:* {calendar_text(view)}",
    ]
    away = away_text(view, now)
    if away:
        lines.append(f"*Away:* {away}")
    return fit_message(
        f"{head}: {view.hours.start:%H:%M}-{view.hours.end:%H:%M}", [section("\n".join(lines)), context(_HOURS_HOW)]
    )


def own_calendar_saved(view: TimeView, *, now: datetime) -> Message:
    """The answer to `/task holidays <code>` or `off`."""
    if view.calendar:
        text = f"📅 You follow the public holidays of `{view.calendar}`: {_holiday_lines(view.upcoming_holidays)}."
    elif view.team_calendars:
        text = f"📅 You follow your team's public holidays again (`{view.team_calendars[0]}`)."
    else:
        text = "📅 You follow no public-holiday calendar now."
    return fit_message(
        text, [section(text), context("No check-ins on your holidays; the rest waits for your next working day.")]
    )


def team_calendar(calendar: TeamCalendar, *, saved: bool = False) -> Message:
    """`/team holidays [<code>|off]`: the team's calendar and its holidays of the next 60 days."""
    where = channel_mention(calendar.channel_id)
    if calendar.code is None:
        text = (
            f"{where} follows no public-holiday calendar. `/team holidays DE-BY` (any country code, a region after a "
            "dash) sets one; people with their own (`/task holidays …`) keep theirs."
        )
        return fit_message(text, [section(("✅ " if saved else "") + text)])
    head = f"{'✅ ' if saved else ''}📅 {where} follows the public holidays of `{calendar.code}`."
    lines = [
        f"• {DAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}: {escape_within(n, 100)}"
        for d, n in calendar.upcoming
    ]
    body = "\n".join(lines) if lines else "No public holidays in the next 60 days."
    return fit_message(
        head,
        [
            section(head),
            section(f"*The next 60 days*\n{body}"),
            context(
                "No check-ins on those days and no overdue reminders; deadline warnings come the working day before."
            ),
        ],
    )

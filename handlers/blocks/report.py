"""`/team report`: the team's totals with their trend, then one aligned line per person."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain.insight import PersonReport, Ratio, TeamReport
from bot.domain.model import (
    Message,
)
from handlers.blocks.primitives import (
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_TEXT_CHARS,
    Block,
    channel_mention,
    context,
    divider,
    fields,
    fit_message,
    header,
    mention,
    pack_within,
    plural,
    section,
    when,
)

_BAR_CELLS = 5
# The per-person table is one inline-code line per person, every column padded to its width, so
# the lines align in Slack's monospace font; the mention goes after it, where Slack renders it.
_REPORT_COLUMNS = (
    ("on time", 11),
    ("done", 6),
    ("load", 6),
    ("overdue", 9),
    ("to done", 9),
    ("check-ins", 14),
    ("reply", 7),
    ("kudos", 7),
)
_REPORT_KEY = (
    "*On time*: done by the due date, of the tasks done that had one. *Load*: open tasks weighted "
    "low 1 · normal 2 · high 3 · urgent 4. *Check-ins*: answered within 24 h and before the next "
    "one; *reply* is the median time to answer. ▲▼: against the period before."
)


def _bar(percent: int) -> str:
    """`▇▇▇▇▁` for 82 %: filled fifths, to the nearest (halves up)."""
    filled = max(0, min(_BAR_CELLS, (percent + 10) // 20))
    return "▇" * filled + "▁" * (_BAR_CELLS - filled)


def _tenths(amount: int, unit: int) -> str:
    """`amount / unit` to one decimal, halves up, without a trailing `.0`."""
    tenths = (amount * 10 + unit // 2) // unit
    whole, rest = divmod(tenths, 10)
    return f"{whole}.{rest}" if rest else str(whole)


def _short_span(span: timedelta | None) -> str:
    """A duration in a few characters: `45m`, `1.5h`, `20h`, `2.3d`; none is `—`."""
    if span is None:
        return "—"
    minutes = (int(span.total_seconds()) + 30) // 60
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 10 * 60:
        return _tenths(minutes, 60) + "h"
    if minutes < 48 * 60:
        return f"{(minutes + 30) // 60}h"
    return _tenths(minutes, 24 * 60) + "d"


def _change(delta: int, *, unit: str = "") -> str:
    """`▲ 7 pts`, `▼ 3`, or `no change`."""
    if delta == 0:
        return "no change"
    return f"{'▲' if delta > 0 else '▼'} {abs(delta)}{unit}"


def _span_change(delta: timedelta | None) -> str:
    """`▲ 1.5h`, `▼ 30m`, or `no change`."""
    if delta is None:
        return ""
    size = _short_span(abs(delta))
    if size == "0m":
        return "no change"
    return f"{'▲' if delta > timedelta() else '▼'} {size}"


def _compared(now: str | None, before: str | None, change: str) -> str:
    """A figure with its trend: `82 % (▲ 7 pts)`; `— (was 75 %)` or `82 % (was —)` when one is missing."""
    if now is None:
        return "—" + (f" (was {before})" if before is not None else "")
    if before is None:
        return f"{now} (was —)"
    return f"{now} ({change})"


def _pct(ratio: Ratio) -> str | None:
    return None if ratio.percent is None else f"{ratio.percent} %"


def _points(delta: int | None) -> str:
    if delta is None:
        return ""
    return _change(delta, unit=" pt" if abs(delta) == 1 else " pts")


def _report_totals(report: TeamReport) -> Block:
    team, before, trend, load = report.team, report.previous, report.trend, report.load
    on_time = None if team.on_time.percent is None else f"`{_bar(team.on_time.percent)}` {_pct(team.on_time)}"
    answered = _pct(team.checkins)
    if answered is not None:
        answered += f" · {team.checkins.hits} of {team.checkins.total}"

    return fields(
        ("Done", _compared(str(team.done), str(before.done), _change(trend.done))),
        ("On time", _compared(on_time, _pct(before.on_time), _points(trend.on_time_pts))),
        ("Open load", f"{load.weighted} ({plural(load.open_tasks, 'open task')})"),
        ("Overdue now", f"⚠️ {load.overdue}" if load.overdue else "0"),
        (
            "Avg time to done",
            _compared(
                None if team.time_to_done is None else _short_span(team.time_to_done),
                None if before.time_to_done is None else _short_span(before.time_to_done),
                _span_change(trend.time_to_done),
            ),
        ),
        ("Check-ins answered", _compared(answered, _pct(before.checkins), _points(trend.answered_pts))),
        (
            "Median reply",
            _compared(
                None if team.response is None else _short_span(team.response),
                None if before.response is None else _short_span(before.response),
                _span_change(trend.response),
            ),
        ),
        ("Kudos", _compared(str(team.kudos), str(before.kudos), _change(trend.kudos))),
    )


def _report_cells(cells: Sequence[str]) -> str:
    first, *rest = cells
    line = first.ljust(_REPORT_COLUMNS[0][1])
    line += "".join(cell.rjust(width) for cell, (_, width) in zip(rest, _REPORT_COLUMNS[1:], strict=True))
    return f"`{line}`"


def _report_row(person: PersonReport) -> str:
    stats, load = person.stats, person.load
    percent = stats.on_time.percent
    on_time = f"{_bar(percent)} {f'{percent} %':>5}" if percent is not None else f"{'—':>11}"
    checkins = "—"
    if stats.checkins.percent is not None:
        checkins = f"{stats.checkins.hits}/{stats.checkins.total} {_pct(stats.checkins)}"
    cells = (
        on_time,
        str(stats.done),
        str(load.weighted),
        str(load.overdue),
        _short_span(stats.time_to_done),
        checkins,
        _short_span(stats.response),
        str(stats.kudos),
    )
    return f"{_report_cells(cells)} {mention(person.user_id)}"


def team_report(report: TeamReport, *, now: datetime, channel_id: str) -> Message:
    """`/team report`: the team's totals with their trend, then one aligned line per person."""
    days = report.period.days
    where = channel_mention(channel_id)
    blocks: list[Block] = [
        header(f"📊 Team report · last {days} days"),
        context(f"{where} · {when(report.period.start)} to {when(now)} · ▲▼ against the {days} days before"),
        _report_totals(report),
        divider(),
    ]
    if report.people:
        heading = _report_cells([name for name, _ in _REPORT_COLUMNS])
        lines = ["*Per person*, most overdue, then heaviest load, first", heading]
        lines += [_report_row(person) for person in report.people]
        chunks = pack_within(
            lines,
            max_blocks=MAX_MESSAGE_BLOCKS - len(blocks) - 2,
            max_chars=MAX_MESSAGE_TEXT_CHARS - 2500,
            more=lambda n: f"…and {n} more {'person' if n == 1 else 'people'}",
        )
        blocks.extend(section(chunk) for chunk in chunks)
    else:
        blocks.append(
            section(
                f"No one in {where} had open tasks, finished one or got a check-in in these {days} days. "
                "`/task @person <title>` here delegates a task to the team."
            )
        )
    blocks.append(context(_REPORT_KEY))
    on_time = _pct(report.team.on_time) or "—"
    text = (
        f"Team report for {where}, last {days} days: {report.team.done} done, on time {on_time}, "
        f"{report.load.overdue} overdue now."
    )
    return fit_message(text, blocks)

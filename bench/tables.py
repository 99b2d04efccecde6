"""What every benchmark prints: a Markdown table of measure, value, baseline and their ratio."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass


@dataclass
class Row:
    measure: str
    value: str
    baseline: str
    ratio: str


def ratio(value: float, base: float) -> str:
    """value / base, with three decimals below 0.1; "n/a" without a baseline."""
    if base == 0:
        return "n/a"
    r = value / base
    return f"{r:.3f}" if r < 0.1 else f"{r:.2f}"


def print_table(title: str, rows: Iterable[Row | tuple[str, str, str, str]]) -> None:
    """The title line, a blank line, then the table on stdout (progress goes to stderr)."""
    print(f"{title}\n")
    print("| measure | value | baseline | ratio |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        cells = astuple(row) if isinstance(row, Row) else row
        print("| " + " | ".join(cells) + " |")

"""Benchmarks reading a due time: `read_when` (fast path for the common forms) against the dateparser path.

Run from the repository root:

    .venv/bin/python bench/parse.py           # 2,000 reads per text and path (~half a minute)
    .venv/bin/python bench/parse.py --quick   # 200 reads per text and path

Each read gets its own `now` (a microsecond later than the one before), as every `/task` does: dateparser's
parser is built per reference time, so a request never finds one already built. The zone is New York. The
table gives the mean per read for each text on both paths and their ratio (fast / dateparser); the texts the
fast path does not take show what the miss costs (the same dateparser read, after a few regular expressions).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tables import Row, print_table, ratio  # noqa: E402

from bot.domain import when  # noqa: E402

TZ = "America/New_York"
START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York
COMMON = ("fri 5pm", "tomorrow", "today 17:00", "5pm", "2026-12-04", "2026-12-04 17:00", "in 3 days", "monday 9:30am")
OTHER = ("next monday", "dec 4 3pm", "noon")


def per_read(read: Callable[..., datetime | None], text: str, count: int, offset: int) -> float:
    """Mean seconds per `read(text, now=..., tz=TZ)` over `count` reads, each with its own `now`."""
    nows = [START + timedelta(microseconds=offset + i) for i in range(count)]
    began = time.perf_counter()
    for now in nows:
        read(text, now=now, tz=TZ)
    return (time.perf_counter() - began) / count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 reads per text and path instead of 2,000")
    parser.add_argument("--json", metavar="PATH", help="also write the figures here as JSON")
    args = parser.parse_args()
    count = 200 if args.quick else 2000
    for text in COMMON + OTHER:  # same answers, and warm imports and caches before timing
        assert when.read_when(text, now=START, tz=TZ) == when.read_when_with_dateparser(text, now=START, tz=TZ), text
    rows: list[Row] = []
    figures: dict[str, dict[str, float]] = {}
    offset = 0
    for group, texts in (("common form", COMMON), ("other form", OTHER)):
        slow_sum = fast_sum = 0.0
        for text in texts:
            slow = per_read(when.read_when_with_dateparser, text, count, offset)
            fast = per_read(when.read_when, text, count, offset + count)
            offset += 2 * count
            slow_sum, fast_sum = slow_sum + slow, fast_sum + fast
            figures[text] = {"dateparser_us": slow * 1e6, "read_when_us": fast * 1e6}
            rows.append(
                Row(f'{group}: "{text}"', f"{fast * 1e6:.1f} µs", f"{slow * 1e6:.1f} µs dateparser", ratio(fast, slow))
            )
        n = len(texts)
        rows.append(
            Row(
                f"**mean over the {n} {group}s**",
                f"{fast_sum / n * 1e6:.1f} µs",
                f"{slow_sum / n * 1e6:.1f} µs dateparser",
                ratio(fast_sum, slow_sum),
            )
        )
    print_table(
        f"Due-time reading, mean per read over {count:,} reads (each its own `now`), zone {TZ}, "
        f"Python {sys.version.split()[0]}",
        rows,
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps({"bench": "parse", "quick": args.quick, "reads": count, "texts": figures})
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

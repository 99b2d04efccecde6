"""bench/ack.py on PostgreSQL: Baton and the Bolt app that saves the command, both writing to PostgreSQL.

Run from the repository root (`make bench` runs it as its own entry, after bench/ack.py):

    .venv/bin/python bench/ack_pg.py                     # the same as bench/ack.py --postgres
    .venv/bin/python bench/ack_pg.py --quick --json PATH # any of bench/ack.py's options

PostgreSQL comes from BATON_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test); the
run works in a schema of its own, dropped afterwards, and exits 0 with `skipped` in its JSON when nothing answers
within 3 s. What is measured and how: bench/ack.py's docstring.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ack  # noqa: E402

if __name__ == "__main__":
    sys.exit(ack.main(["--postgres", *sys.argv[1:]]))

"""The floor for bench/ack.py: a bare Bolt app whose /task listener writes the command as one row, then acks.

Served by gunicorn like bench/bare_app.py (same worker class, workers and threads as `baton serve`):

    gunicorn --chdir bench --worker-class gthread --workers 2 --threads 4 saving_app:app

It reads BENCH_SIGNING_SECRET, BENCH_SLACK_API_URL (the fake Slack, for Bolt's one auth.test per worker) and
where to write, one of:

- BENCH_DB_PATH (SQLite, `bench/ack.py`): a file opened as Baton's engine opens it (WAL, synchronous=NORMAL, a
  busy timeout), one connection per thread, each command one `BEGIN IMMEDIATE; INSERT; COMMIT`. Each
  connection creates the `commands` table if it is missing.
- BENCH_DB_URL (PostgreSQL, `bench/ack.py --postgres`): a libpq URL such as
  `postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbaton_bench_x`, one psycopg connection per
  thread, each command one `INSERT … RETURNING id` then COMMIT. The `commands` table must exist already
  (bench/ack.py creates it before it starts the server: workers creating it at once would race).

The ack carries the row's id ("Saved C-n"), so an answer means the row is committed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import psycopg
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

DB_URL = os.environ.get("BENCH_DB_URL")  # PostgreSQL when set, else the SQLite file BENCH_DB_PATH
DB_PATH = "" if DB_URL else os.environ["BENCH_DB_PATH"]
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS commands (id INTEGER PRIMARY KEY, team_id TEXT, user_id TEXT NOT NULL, "
    "text TEXT NOT NULL, received_at REAL NOT NULL)"
)

_local = threading.local()


def _connection() -> sqlite3.Connection:
    conn: sqlite3.Connection | None = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB_PATH, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        # Switched once for the file (the mode persists): asking to switch again on every new connection could meet
        # a writer mid-checkpoint and fail with "database is locked" (seen once, in a thread started under load).
        # Two workers' first connections to a new file can both find it not in WAL yet; the one whose switch meets the
        # other's gets "database is locked" at once (the busy timeout does not cover it): look again, a few times.
        for attempt in range(50):
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError:
                if attempt == 49:
                    raise
                time.sleep(0.02)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(SCHEMA)
        _local.conn = conn
    return conn


def save(team_id: str | None, user_id: str, text: str) -> int:
    conn = _connection()
    conn.execute("BEGIN IMMEDIATE")
    try:
        cursor = conn.execute(
            "INSERT INTO commands (team_id, user_id, text, received_at) VALUES (?, ?, ?, ?)",
            (team_id, user_id, text, time.time()),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return int(cursor.lastrowid or 0)


def _pg_connection() -> psycopg.Connection[Any]:
    conn: psycopg.Connection[Any] | None = getattr(_local, "pg", None)
    if conn is None:
        conn = psycopg.connect(DB_URL or "")
        _local.pg = conn
    return conn


def save_pg(team_id: str | None, user_id: str, text: str) -> int:
    conn = _pg_connection()
    try:
        row = conn.execute(
            "INSERT INTO commands (team_id, user_id, text, received_at) VALUES (%s, %s, %s, %s) RETURNING id",
            (team_id, user_id, text, time.time()),
        ).fetchone()
        conn.commit()
    except BaseException:
        if conn.broken:  # the next command on this thread connects again
            _local.pg = None
        else:
            conn.rollback()
        raise
    return int(row[0]) if row else 0


_client = WebClient(token="xoxb-bench", base_url=os.environ.get("BENCH_SLACK_API_URL", "http://127.0.0.1:9/api/"))
bolt = App(
    client=_client,
    signing_secret=os.environ["BENCH_SIGNING_SECRET"],
    token_verification_enabled=False,
    process_before_response=True,
)


@bolt.command("/task")
def on_task(ack: Ack, command: dict[str, Any]) -> None:
    row = (save_pg if DB_URL else save)(command.get("team_id"), command["user_id"], command.get("text", ""))
    ack(f"Saved C-{row}")


_slack = SlackRequestHandler(bolt, path="/slack/events")


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/healthz":
        data = json.dumps({"status": "ok"}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]
    return _slack(environ, start_response)

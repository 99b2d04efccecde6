"""SQLite's WAL checkpoints run in a thread of their own, not in a writer's commit: the WAL's pages reach the
database file outside the writers' turns, and the WAL starts over once all of it is in (storage/wal.py). And when
the write turn itself ends."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from storage import wal
from storage.db import WriteGate, make_engine, write_gate

ROW = "x" * 3000  # about one page a row


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'baton.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    yield engine
    engine.dispose()


def _write(engine: Engine, transactions: int, rows: int = 3) -> None:
    for _ in range(transactions):
        with engine.begin() as conn:
            for _ in range(rows):
                conn.exec_driver_sql("INSERT INTO t (body) VALUES (?)", (ROW,))


def _wal_pages(tmp_path: Path) -> int:
    return os.path.getsize(tmp_path / "baton.db-wal") // 4096


def _told(checkpointer: wal.Checkpointer) -> tuple[list[tuple[str, tuple[int, int, int]]], threading.Semaphore]:
    steps: list[tuple[str, tuple[int, int, int]]] = []
    finished = threading.Semaphore(0)

    def told(step: str, result: tuple[int, int, int]) -> None:
        steps.append((step, result))
        if step == "in a turn":
            finished.release()

    checkpointer.on_checkpoint = told
    return steps, finished


def test_a_commit_does_not_checkpoint_past_sqlites_default_of_a_thousand_pages(
    file_engine: Engine, tmp_path: Path
) -> None:
    gate = write_gate(file_engine)
    assert gate is not None and gate.checkpointer is not None
    gate.checkpointer = None  # no checkpointer thread: what the commits alone do
    _write(file_engine, 600)
    assert _wal_pages(tmp_path) > 1_500, "no commit stopped to checkpoint the WAL at 1,000 pages"
    with file_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == wal.BACKSTOP_PAGES


def test_the_checkpointer_puts_the_whole_wal_in_the_database_and_the_next_writer_starts_it_over(
    file_engine: Engine, tmp_path: Path
) -> None:
    gate = write_gate(file_engine)
    assert gate is not None and gate.checkpointer is not None
    steps, finished = _told(gate.checkpointer)
    _write(file_engine, wal.EVERY_WRITES - 1)  # the table's creation was the first write
    assert finished.acquire(timeout=30), "the checkpointer ran after the process's EVERY_WRITES-th write"
    outside, inside = steps[0][1], steps[1][1]
    assert outside[1] > 100 and outside[1] == outside[2], "everything written so far, outside the turn"
    assert inside[0] == 0 and inside[1] == inside[2], "then the rest in a turn: all of the WAL is in the database"
    grown = _wal_pages(tmp_path)
    _write(file_engine, 1)
    probe = sqlite3.connect(tmp_path / "baton.db")
    try:
        busy, pages, _done = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        probe.close()
    assert busy == 0 and pages < 20, f"the next write started the WAL over ({pages} pages in it, {grown} before)"


def test_the_second_step_waits_for_the_write_turn(tmp_path: Path) -> None:
    path = tmp_path / "baton.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (body TEXT)")
    writer.execute("INSERT INTO t VALUES (?)", (ROW,))
    gate = WriteGate(f"{path}.writer.lock")
    checkpointer = wal.Checkpointer(str(path), gate)
    steps, finished = _told(checkpointer)
    waiting = threading.Semaphore(0)
    gate._lock.on_wait = lambda _request: waiting.release()
    holder = object()
    gate.acquire(holder)  # a writer in its turn
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    thread = threading.Thread(target=checkpointer.checkpoint, args=(connection,))
    thread.start()
    try:
        assert waiting.acquire(timeout=10), "the checkpointer queued for the turn"
        assert [step for step, _ in steps] == ["outside the turn"], "the first step did not wait for it"
        assert not finished.acquire(timeout=0)
        gate.release(holder)
        assert finished.acquire(timeout=10), "and took its turn once the writer gave it back"
    finally:
        thread.join(10)
        connection.close()
        writer.close()
    assert steps[-1][1][0] == 0


def test_an_idle_checkpointer_thread_ends_and_the_next_writes_start_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "baton.db"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.close()
    monkeypatch.setattr(wal, "IDLE_EXIT_SECONDS", 0.0)  # ends as soon as it has nothing to do
    checkpointer = wal.Checkpointer(str(path), WriteGate(f"{path}.writer.lock"), every=2)
    ran_in: list[threading.Thread] = []
    finished = threading.Semaphore(0)

    def told(step: str, _result: tuple[int, int, int]) -> None:
        if step == "in a turn":
            ran_in.append(threading.current_thread())
            finished.release()

    checkpointer.on_checkpoint = told
    for _ in range(2):
        checkpointer.wrote()
        assert finished.acquire(timeout=0) is False, "one write of two: nothing yet"
        checkpointer.wrote()
        assert finished.acquire(timeout=10)
        ran_in[-1].join(10)
        assert not ran_in[-1].is_alive(), "nothing more to do: the thread ended"
    assert ran_in[0] is not ran_in[1], "the next writes started another"


def test_the_write_turn_ends_when_the_connection_is_back_in_the_pool(file_engine: Engine) -> None:
    """At the end of a session's commit, which gives its connection back: not earlier, at the driver's COMMIT, which
    measured slower (storage.db._release_gate_after_transactions)."""
    gate = write_gate(file_engine)
    assert gate is not None
    with file_engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t (body) VALUES ('a')")
        assert gate._holder is not None, "a write transaction holds the turn"
        conn.commit()
        assert gate._holder is not None, "still out of the pool: still this connection's turn"
    assert gate._holder is None, "back in the pool: the next writer's"
    with file_engine.connect() as conn:
        conn.exec_driver_sql("INSERT INTO t (body) VALUES ('b')")
        conn.invalidate()
    assert gate._holder is None, "a connection thrown away gives it back too"

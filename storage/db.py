"""Engines for SQLite (embedded default) and PostgreSQL (production), tuned for each."""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, InvalidatePoolError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.domain.errors import StorageUnavailable
from storage import direct, wal

_gates: weakref.WeakKeyDictionary[Engine, WriteGate] = weakref.WeakKeyDictionary()


def write_gate(engine: Engine) -> WriteGate | None:
    """The write gate of an engine `make_engine` made on a SQLite file (None on PostgreSQL and in memory)."""
    return _gates.get(engine)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """SQLite gets foreign keys, WAL and a busy timeout; PostgreSQL a pool that pings a connection idle a while."""
    if url.startswith("sqlite"):
        is_memory = url in ("sqlite://", "sqlite:///:memory:")
        if is_memory:
            kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so BEGIN IMMEDIATE below takes the write lock.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not is_memory:
                # WAL persists in the file: switched by the first connection, only asked after (asking to switch again
                # on every new pool connection could meet a writer mid-checkpoint and fail with "database is locked").
                if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    cursor.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL syncs at checkpoints, not at every commit: the database cannot be
                # corrupted, and only a power loss can undo the last commits (https://sqlite.org/wal.html).
                # PostgreSQL is the store for production data that must survive that.
                cursor.execute("PRAGMA synchronous=NORMAL")
                # Checkpoints are the write gate's checkpointer's, out of the writers' turns (storage/wal.py);
                # SQLite's own, in a writer's commit, only past a WAL that thread could not keep short.
                cursor.execute(f"PRAGMA wal_autocheckpoint={wal.BACKSTOP_PAGES}")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        gate = None if is_memory else WriteGate(f"{engine.url.database}.writer.lock")
        if gate is not None:
            gate.checkpointer = wal.Checkpointer(str(engine.url.database), gate)
            _gates[engine] = gate

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # A write transaction from the start: two writers queue on the busy timeout instead of
            # failing with "database is locked" when one upgrades a read lock. Units of work that only
            # read say so (READ_ONLY) and begin deferred, so they never wait for a writer (WAL).
            # On the driver's cursor (storage/direct.py): SQLAlchemy's execution of a BEGIN cost ~50 µs of Python,
            # inside the write turn.
            if conn.get_execution_options().get(READ_ONLY):
                direct.run_sql(conn, "BEGIN")
                return
            if gate is not None:
                gate.acquire(conn.connection.dbapi_connection)
            direct.run_sql(conn, "BEGIN IMMEDIATE")

        if gate is not None:
            _release_gate_after_transactions(engine, gate)
        return engine
    if "poolclass" not in kwargs:  # NullPool (migrations) takes no pool sizes
        kwargs.setdefault("pool_size", 5)
        kwargs.setdefault("max_overflow", 10)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _in_utc(dbapi_connection: Any, _record: Any) -> None:
            # Baton stores and reads UTC: in a UTC session the driver hands back timestamps in
            # datetime.UTC, which need no conversion per value (a claim reads 1,500 of them).
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            dbapi_connection.execute("SET TIME ZONE 'UTC'")
            dbapi_connection.autocommit = autocommit

    return engine


# A pooled connection unused for longer is pinged before it is handed out (a database restarted, a proxy that closed
# it): one round trip, paid only after a pause, not on every unit of work as `pool_pre_ping` does.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling for connections back from a pause: the pool replaces one whose ping fails
    with a disconnect, and every connection it made before (SQLAlchemy's checkout event, InvalidatePoolError),
    before anyone uses it. One that died while in use fails its statement, and SQLAlchemy then throws away every
    connection the pool made before it."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["baton_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("baton_idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # new, or back from a unit of work a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                # As pool_pre_ping does: this one and every connection the pool made before it are replaced.
                raise InvalidatePoolError(str(error)) from error
            raise


READ_ONLY = "baton_read_only"
GATE_TIMEOUT_SECONDS = 30.0  # as SQLite's busy timeout
# A background writer lets the waiting requests of its process go first for at most this long, then queues as one.
YIELD_SECONDS = 0.05

_answering = ContextVar("baton_answering", default=False)


@contextmanager
def answering() -> Iterator[None]:
    """Writes made inside are for a person waiting on an answer (a request): they take the write turn before the
    background writers of the same process (deliveries, Home tabs, passes) that are waiting for it."""
    token = _answering.set(True)
    try:
        yield
    finally:
        _answering.reset(token)


class _Waiter:
    """A thread waiting for the turn: it sleeps on its own lock, which `release` opens only for it."""

    __slots__ = ("granted", "lock", "request", "yield_until")

    def __init__(self, *, request: bool, yield_until: float) -> None:
        self.request, self.yield_until, self.granted = request, yield_until, False
        self.lock = threading.Lock()
        self.lock.acquire()


class _Turn:
    """The process's half of the write gate: one holder; waiting requests go before waiting background writers,
    each of which waits at most `yield_seconds` behind them, so a steady stream of requests never starves it.

    The holder hands the turn straight to the one waiter that goes next and wakes only that one (a condition's
    notify_all woke every waiter at each release to find the turn taken again: 7 % of the server's CPU under a
    closed loop of /task)."""

    def __init__(
        self, *, yield_seconds: float = YIELD_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._yield_seconds = yield_seconds
        self._monotonic = monotonic
        self._mutex = threading.Lock()
        self._held = False
        self._queue: deque[_Waiter] = deque()  # in the order they came
        self.on_wait: Callable[[bool], None] | None = None  # tests: told (request?) when a thread starts to wait

    def acquire(self, *, request: bool, timeout: float) -> bool:
        with self._mutex:
            if not self._held:  # nobody waits while the turn is free: a release hands it on
                self._held = True
                return True
            if timeout <= 0:
                return False
            waiter = _Waiter(request=request, yield_until=self._monotonic() + self._yield_seconds)
            self._queue.append(waiter)
        try:
            if self.on_wait is not None:
                self.on_wait(request)
            if waiter.lock.acquire(timeout=timeout):
                return True  # handed over by release()
            with self._mutex:
                if waiter.granted:  # handed over just as the wait ran out: it is ours
                    return True
                self._queue.remove(waiter)
                return False
        except BaseException:  # interrupted while in line (KeyboardInterrupt, a signal handler): leave the line
            with self._mutex:
                if waiter.granted:
                    self._hand_on()  # it was handed the turn: the next one gets it
                elif waiter in self._queue:
                    self._queue.remove(waiter)
            raise

    def release(self) -> None:
        with self._mutex:
            self._hand_on()

    def _hand_on(self) -> None:
        """The holder is done (the mutex held): the turn goes to the next waiter, or is free."""
        waiter = self._next()
        if waiter is None:
            self._held = False
            return
        self._queue.remove(waiter)
        waiter.granted = True
        waiter.lock.release()  # the turn stays held, now by it

    def _next(self) -> _Waiter | None:
        """The first waiter that is a request or a background writer past its yield; with neither (background
        writers only, all within their yield), the first one."""
        now = self._monotonic()
        for waiter in self._queue:
            if waiter.request or now >= waiter.yield_until:
                return waiter
        return self._queue[0] if self._queue else None


class WriteGate:
    """One writer at a time on a SQLite file, across the threads and processes using it, each woken as
    soon as the writer before it finishes.

    SQLite makes a writer that finds the file locked wait by sleeping (1, 2, 5 … up to 100 ms a time),
    so under load a transaction of a millisecond waits tens of milliseconds. Queueing here first (a
    thread lock, then `flock` on a file beside the database) leaves SQLite's lock uncontended.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = _Turn()
        self._fd: int | None = None
        self._pid = 0
        self._holder: int | None = None  # id() of the DBAPI connection in its write transaction
        self.checkpointer: wal.Checkpointer | None = None  # told of each write transaction as it gives the turn back

    def acquire(self, dbapi_connection: Any) -> None:
        if self._holder == id(dbapi_connection):
            return  # its last transaction ended in SQL (Alembic's COMMIT), not through the driver: still its turn
        if not self._lock.acquire(request=_answering.get(), timeout=GATE_TIMEOUT_SECONDS):
            raise TimeoutError(f"no write turn on the database within {GATE_TIMEOUT_SECONDS:.0f} s")
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise
        self._holder = id(dbapi_connection)

    def release(self, dbapi_connection: Any) -> None:
        """After COMMIT or ROLLBACK; a no-op for a connection that does not hold the gate."""
        if self._holder is None or self._holder != id(dbapi_connection):
            return
        self._holder = None
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._lock.release()
        if self.checkpointer is not None:
            self.checkpointer.wrote()

    def _file(self) -> int:
        # Opened per process: after a fork (gunicorn workers) an inherited descriptor would share its lock.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


def _release_gate_after_transactions(engine: Engine, gate: WriteGate) -> None:
    """Give the write turn back when the connection goes back to the pool (or is invalidated).

    A session gives its connection back at the end of `commit()` and `rollback()`, so the turn ends with the
    transaction's last call. Giving it back a little earlier, at the driver's COMMIT, was measured: the next writer
    woke while this thread still ran Python (the session closing, the pool taking the connection back), the two
    contended for the GIL and the cores, and a closed loop of `/task` answered 10-15 % fewer a second (431 against
    502 /s, median of six runs each alone, 3.24 against 2.72 ms of CPU an answer)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        gate.release(dbapi_connection)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(dbapi_connection: Any, _record: Any, _error: Any) -> None:
        gate.release(dbapi_connection)


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for use cases; `read_only` ones must not write (on SQLite they begin deferred)."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


def is_database_down(error: BaseException) -> bool:
    """An outage, not a bug: the database refused, dropped or timed out (here or behind an explicit `from`)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, StorageUnavailable | OperationalError | InterfaceError | PoolTimeoutError):
            return True
        # A disconnect the dialect recognised, whatever class the driver gave it; an IntegrityError or a
        # ProgrammingError on a live connection stays a bug.
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__
    return False


@contextmanager
def outages_as_unavailable() -> Iterator[None]:
    """Re-raise a database outage met inside as `StorageUnavailable` (the driver's error behind it)."""
    try:
        yield
    except StorageUnavailable:
        raise
    except Exception as error:
        if is_database_down(error):
            raise StorageUnavailable(type(error).__name__) from error
        raise

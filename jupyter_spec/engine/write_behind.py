"""Rows that wait a moment: the hot path's writes, committed together every short interval.

At thousands of samples a second a transaction per row is most of a run's CPU time, and it holds
the connection the next look-up needs. So the rows a run writes per request and per sample
(completions, attempts, samples, grades) are queued here and committed in one transaction every
`interval` seconds by a thread of their own (SQLite lets go of the interpreter lock while it
writes), and at once before anything that must see them: a direct write, a read, the end of a
run, the end of the process. A process killed outright loses at most one interval's rows, which a
resume then simply asks for again. Keyed rows can be looked up while they wait (`waiting`), so
the cache never misses a completion that is only queued.
"""

from __future__ import annotations

import atexit
import logging
import re
import sqlite3
import threading
import weakref
from collections.abc import Hashable
from typing import Any

from jupyter_spec.core.sanitize import unicode_safe

log = logging.getLogger(__name__)

_everywhere: weakref.WeakSet[WriteBehind] = weakref.WeakSet()
Row = tuple[str, tuple[Any, ...], Hashable | None, Any]  # (sql, values, key, value)
# The table a statement writes (None: it cannot be told, so the statement keeps its place in the queue).
_WRITES = re.compile(
    r"\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE
)
_tables: dict[str, str | None] = {}


def _table(sql: str) -> str | None:
    if sql not in _tables:
        found = _WRITES.match(sql)
        _tables[sql] = found.group(1).lower() if found else None
    return _tables[sql]


def statements(batch: list[Row]) -> list[tuple[str, list[tuple[Any, ...]]]]:
    """The queued rows as (statement, the rows it writes) to execute, each statement with as many rows
    as it can take at once. A run queues a sample's rows one table after another (attempt, completion,
    sample, grade, link), so in queue order no two neighbours share a statement: each row would be a
    statement of its own. The rows of one table keep their order among themselves (whatever statement
    writes them); different tables are independent within the one transaction, so a table's rows may
    go before another's that were queued earlier. A statement whose table cannot be told (none is
    queued today) keeps its place: everything queued before it goes first, then it."""
    out: list[tuple[str, list[tuple[Any, ...]]]] = []
    tables: dict[str, list[tuple[str, list[tuple[Any, ...]]]]] = {}  # table -> its statements, in order
    for sql, values, _key, _value in batch:
        table = _table(sql)
        if table is None:
            out += [group for groups in tables.values() for group in groups]
            tables = {}
            out.append((sql, [values]))
            continue
        groups = tables.setdefault(table, [])
        if groups and groups[-1][0] == sql:
            groups[-1][1].append(values)
        else:
            groups.append((sql, [values]))
    return out + [group for groups in tables.values() for group in groups]


def text_safe(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The values with every text made storable (`unicode_safe`): lone surrogates become U+FFFD."""
    return tuple(unicode_safe(v) if isinstance(v, str) else v for v in values)


@atexit.register
def _flush_everything() -> None:
    """A script that ends without waiting for the last interval still keeps its rows."""
    for queue in list(_everywhere):
        try:
            queue.flush()
        except Exception:  # at exit there is no one left to raise to
            log.exception("jupyter-spec could not write its last rows")


class WriteBehind:
    """The write queue of one connection; `lock` is the one that connection is used under."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock, interval: float = 0.1) -> None:
        self.interval = interval
        self.dropped = 0  # rows SQLite refused outright (logged each); never expected
        self._db, self._lock = db, lock
        self._queue: list[Row] = []
        self._waiting: dict[Hashable, Any] = {}  # key -> value, for keyed rows not yet committed
        self._changed = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closed = False
        _everywhere.add(self)

    def add(
        self, sql: str, values: tuple[Any, ...], key: Hashable | None = None, value: Any = None, *, first_wins: bool
    ) -> None:
        """Queue one statement; with a `key`, `waiting(key)` answers `value` until it is committed
        (`first_wins`: the statement keeps an existing row, so the first value queued stays)."""
        with self._changed:
            if self._closed:
                raise RuntimeError("the store is closed")
            self._queue.append((sql, values, key, value))
            if key is not None and not (first_wins and key in self._waiting):
                self._waiting[key] = value
            if self._thread is None:
                self._thread = threading.Thread(target=self._flush_every_interval, name="jupyter-spec-writer")
                self._thread.daemon = True
                self._thread.start()
            self._changed.notify()

    def waiting(self, key: Hashable) -> Any:
        """The value queued under `key`, or None once it is committed (or was never queued)."""
        with self._changed:
            return self._waiting.get(key)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def flush(self) -> None:
        """Commit everything queued, in the order it was queued, in one transaction. A store that
        cannot be written (locked, disk full) keeps the rows queued and raises."""
        with self._lock:
            if self._db.in_transaction:  # inside a caller's transaction: the thread commits them later
                return
            with self._changed:
                batch, self._queue = self._queue, []
            if not batch:
                return
            try:
                self._commit(batch)
            except sqlite3.OperationalError:
                with self._changed:
                    self._queue[:0] = batch
                raise
            with self._changed:
                for _sql, _values, key, value in batch:
                    if key is not None and self._waiting.get(key) is value:
                        del self._waiting[key]

    def close(self) -> None:
        """Commit what is queued and stop (the connection is the caller's to close, after this)."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self.flush()
        if self._thread is not None:
            self._thread.join(timeout=5)
        _everywhere.discard(self)

    def _commit(self, batch: list[Row]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in statements(batch):
                self._db.executemany(sql, rows)
            self._db.execute("COMMIT")
        except sqlite3.OperationalError:
            self._db.execute("ROLLBACK")
            raise
        except UnicodeEncodeError:  # text no UTF-8 can hold (rare): mended here, not checked per row
            self._db.execute("ROLLBACK")
            self._commit([(sql, text_safe(values), key, value) for sql, values, key, value in batch])
        except sqlite3.Error:  # one row SQLite will not take: keep every other row
            self._db.execute("ROLLBACK")
            self._commit_one_by_one(batch)

    def _commit_one_by_one(self, batch: list[Row]) -> None:
        """A failed statement undoes only itself: the transaction keeps every other row."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for sql, values, key, _value in batch:
                try:
                    try:
                        self._db.execute(sql, values)
                    except UnicodeEncodeError:
                        self._db.execute(sql, text_safe(values))
                except sqlite3.OperationalError:
                    raise
                except sqlite3.Error as error:
                    self.dropped += 1
                    log.error("the store refused a row (%s) and it is lost: %s", key or sql.split("(")[0], error)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _flush_every_interval(self) -> None:
        while True:
            with self._changed:
                while not self._queue and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
            self._changed_wait(self.interval)  # gather an interval's rows
            try:
                self.flush()
            except Exception:  # kept queued; tried again after the next interval
                log.exception("jupyter-spec could not write to its store; retrying")

    def _changed_wait(self, seconds: float) -> None:
        """Sleep for an interval, waking early only when the queue is closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed, timeout=seconds)

"""The write-behind queue: rows committed together, found while they wait, never lost to one bad row."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from jupyter_spec.engine.providers.base import Completion
from jupyter_spec.engine.store import Store
from jupyter_spec.engine.write_behind import WriteBehind


def committed(path: Path, sql: str) -> list[tuple[object, ...]]:
    """What another connection (another process, a reader) sees."""
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


def put(store: Store, key: str, text: str = "answer") -> None:
    store.put_completion(key, Completion(text), run_id="r", model="m", params={}, messages=(), sample_index=0,
                         latency=0.5, attempts=1)  # fmt: skip


def test_queued_rows_are_found_before_they_are_committed_and_committed_within_an_interval(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store._writes.interval = 60  # nothing committed by the thread during this test
    put(store, "k1")
    assert committed(store.path, "SELECT key FROM completions") == []  # waiting
    assert store.completion("k1") == (Completion("answer"), 0.5)  # found all the same
    assert store.completion_count() == 1  # a read commits what was queued before it
    assert committed(store.path, "SELECT key FROM completions") == [("k1",)]


def test_the_writer_thread_commits_without_being_asked(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    put(store, "k1")
    for _ in range(200):
        if committed(store.path, "SELECT key FROM completions"):
            break
        threading.Event().wait(0.01)
    assert committed(store.path, "SELECT key FROM completions") == [("k1",)]
    assert store._writes.pending == 0


def test_a_lone_surrogate_is_mended_not_lost(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store._writes.interval = 60
    put(store, "k1", "a\udfffb")
    put(store, "k2", "fine")
    store.flush()
    assert sorted(committed(store.path, "SELECT key, text FROM completions")) == [("k1", "a\ufffdb"), ("k2", "fine")]


def test_a_row_sqlite_refuses_costs_only_itself(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "t.sqlite", check_same_thread=False, isolation_level=None)
    db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    queue = WriteBehind(db, threading.RLock(), interval=60)
    queue.add("INSERT INTO t VALUES (?, ?)", ("a", 1), first_wins=False)
    queue.add("INSERT INTO t VALUES (?, ?)", ("b", None), first_wins=False)  # NOT NULL: refused
    queue.add("INSERT INTO t VALUES (?, ?)", ("c", 3), first_wins=False)
    queue.flush()
    assert db.execute("SELECT k FROM t ORDER BY k").fetchall() == [("a",), ("c",)] and queue.dropped == 1
    queue.close()


def test_a_locked_store_keeps_the_rows_queued(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store._writes.interval = 60
    store._db.execute("PRAGMA busy_timeout=50")
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    put(store, "k1")
    with pytest.raises(sqlite3.OperationalError):
        store.flush()
    assert store._writes.pending == 1 and store.completion("k1") is not None
    other.execute("ROLLBACK")
    store.flush()
    assert committed(store.path, "SELECT key FROM completions") == [("k1",)]


def test_interleaved_rows_are_written_a_statement_at_a_time_each_table_in_its_order() -> None:
    """A sample's rows are queued a table after another: committed as one executemany per statement,
    not a statement per row; within a table the order stays (a later REPLACE still wins)."""
    from jupyter_spec.engine.write_behind import statements

    a, b = "INSERT OR REPLACE INTO a (k, v) VALUES (?, ?)", "INSERT OR IGNORE INTO b (k) VALUES (?)"
    a_other, pragma = "UPDATE a SET v = ? WHERE k = ?", "PRAGMA user_version = 1"
    batch = [(a, (1, "x"), None, None), (b, (1,), None, None), (a, (2, "y"), None, None), (b, (2,), None, None),
             (a_other, ("z", 1), None, None), (a, (1, "w"), None, None), (pragma, (), None, None),
             (b, (3,), None, None)]  # fmt: skip
    assert statements(batch) == [(a, [(1, "x"), (2, "y")]), (a_other, [("z", 1)]), (a, [(1, "w")]),
                                 (b, [(1,), (2,)]), (pragma, [()]), (b, [(3,)])]  # fmt: skip


def test_interleaved_rows_of_several_tables_are_all_committed_in_their_order(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "t.sqlite", check_same_thread=False, isolation_level=None)
    db.executescript("CREATE TABLE a (k INTEGER PRIMARY KEY, v TEXT); CREATE TABLE b (id INTEGER PRIMARY KEY, k INT)")
    queue = WriteBehind(db, threading.RLock(), interval=60)
    for i in range(5):
        queue.add("INSERT OR REPLACE INTO a (k, v) VALUES (?, ?)", (i % 2, f"v{i}"), first_wins=False)
        queue.add("INSERT INTO b (k) VALUES (?)", (i,), first_wins=False)
    queue.flush()
    assert db.execute("SELECT k, v FROM a ORDER BY k").fetchall() == [(0, "v4"), (1, "v3")]  # the last one queued
    assert db.execute("SELECT id, k FROM b ORDER BY id").fetchall() == [(i + 1, i) for i in range(5)]
    queue.close()

"""The SQLite store: schema versions, the cache, and two processes writing at once."""

from __future__ import annotations

import json
import multiprocessing
import socket
import sqlite3
from pathlib import Path

import pytest

from jupyter_spec.engine.providers.base import Completion
from jupyter_spec.engine.store import SCHEMA_VERSION, Store


def test_a_new_store_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    store = Store(tmp_path / "nested" / "store.sqlite")
    assert store.schema_version == SCHEMA_VERSION
    db = sqlite3.connect(tmp_path / "nested" / "store.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "completions", "attempts", "samples"} <= tables
    Store(tmp_path / "nested" / "store.sqlite")  # opening again migrates nothing and fails nothing


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    Store(path).close()
    sqlite3.connect(path).execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="this jupyter-spec knows"):
        Store(path)


def test_completions_round_trip_and_the_first_writer_wins(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.sqlite")
    common = {"run_id": "r", "model": "m:x", "params": {"t": 1}, "messages": [{"role": "user", "content": "q"}],
              "sample_index": 0, "latency": 0.5, "attempts": 1}  # fmt: skip
    store.put_completion("k", completion=Completion("first", 3, 4, "stop"), **common)
    store.put_completion("k", completion=Completion("second", 3, 4, "stop"), **common)
    completion, latency = store.completion("k")
    assert (completion.text, completion.prompt_tokens, completion.completion_tokens, latency) == ("first", 3, 4, 0.5)
    assert store.completion("missing") is None


def _writer(path: str, worker: int, count: int) -> None:
    store = Store(path)
    for i in range(count):
        store.put_completion(
            f"{worker}-{i}", run_id=f"run-{worker}", model="m:x", params={}, messages=[], sample_index=i,
            completion=Completion(f"answer {i}"), latency=0.0, attempts=1,
        )  # fmt: skip
        store.record_attempt(f"{worker}-{i}", run_id=f"run-{worker}", attempt=1, started=0, latency=0, outcome="ok")


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "store.sqlite")
    Store(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 300)) for w in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    store = Store(path)
    assert store.completion_count() == 600
    assert len(store.attempts()) == 600
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_run_whose_process_died_shows_as_interrupted(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.create_run("alive", {}, [])
    store.create_run("orphan", {}, [])
    dead = multiprocessing.Process(target=int)
    dead.start()
    dead.join()
    host = socket.gethostname()
    store._write("UPDATE runs SET owner = ? WHERE id = 'orphan'", (f"{host}:{dead.pid}",))
    store.create_run("elsewhere", {}, [])
    store._write("UPDATE runs SET owner = 'another-host:1' WHERE id = 'elsewhere'")
    statuses = {record.id: record.status for record in store.runs()}
    assert statuses == {"alive": "running", "orphan": "interrupted", "elsewhere": "running"}
    assert store.run("orphan").resume == "jupyter_spec.resume('orphan')"  # type: ignore[union-attr]
    store.set_run_status("orphan", "running")  # resumed here: owned by this process again
    assert store.run("orphan").status == "running"  # type: ignore[union-attr]


def test_text_no_utf8_can_hold_is_stored_not_lost(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.put_completion(
        "k", run_id="r", model="m", params={}, messages=({"role": "user", "content": "q\ud800"},), sample_index=0,
        completion=Completion("a\udfffb", raw={"x": "\ud800"}), latency=0.1, attempts=1,
    )  # fmt: skip
    completion, _ = store.completion("k")  # type: ignore[misc]
    assert completion.text == "a\ufffdb"


def test_a_plan_kept_in_the_runs_row_moves_to_its_own_table_on_migration(tmp_path: Path) -> None:
    path = tmp_path / "v8.sqlite"
    items = [{"key": f"k{i}", "challenge": {"title": f"t{i}"}} for i in range(3)]
    Store(path).create_run("r1", {"models": ["m:x"]}, [])
    db = sqlite3.connect(path)
    db.execute("DROP TABLE run_plans")  # as schema 8 kept it: in the row
    db.execute("ALTER TABLE samples DROP COLUMN finish_reasons")
    db.execute("UPDATE runs SET plan = ? WHERE id = 'r1'", (json.dumps(items),))
    db.execute("PRAGMA user_version=8")
    db.commit()
    db.close()
    migrated = Store(path)
    assert migrated.run("r1").plan == items  # type: ignore[union-attr]
    assert [(e["plan_index"], e["key"]) for e in migrated.plan_entries("r1")] == [(0, "k0"), (1, "k1"), (2, "k2")]
    row = migrated._rows("SELECT plan FROM runs WHERE id = 'r1'")[0]
    assert row["plan"] == "[]"  # the row is small again


def test_a_plan_an_older_process_wrote_into_the_row_is_still_read(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", {}, [])
    with sqlite3.connect(store.path) as db:  # what schema 8's `describe_run` did, from a process started before
        db.execute("UPDATE runs SET plan = ? WHERE id = 'r'", (json.dumps([{"key": "a"}]),))
    assert store.run("r").plan == [{"key": "a"}]  # type: ignore[union-attr]


def test_a_plan_kept_in_parts_reads_back_whole_and_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", {}, [])
    store.add_plan("r", 2, json.dumps([{"key": "c"}]), later=True)  # parts may arrive out of order
    store.add_plan("r", 0, json.dumps([{"key": "a"}, {"key": "b"}]))
    assert [item["key"] for item in store.run("r").plan] == ["a", "b", "c"]  # type: ignore[union-attr]
    assert [(e["plan_index"], e["key"]) for e in store.plan_entries("r", ["c", "a"])] == [(0, "a"), (2, "c")]


def test_runs_recorded_before_versions_were_kept_become_versions_on_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    Store(path).create_run("r1", {"spec": "abc123", "spec_markdown": "## A {#a}\n"}, [])
    db = sqlite3.connect(path)
    for table in ("spec_versions", "spec_labels", "amendments"):  # as a store from before versions were kept
        db.execute(f"DROP TABLE {table}")
    db.execute("DROP INDEX samples_by_replay")  # and before what samples replay was
    db.execute("ALTER TABLE samples DROP COLUMN replay")
    db.execute("DROP TABLE run_plans")  # and before plans had a table of their own
    db.execute("ALTER TABLE samples DROP COLUMN finish_reasons")  # and before why answers ended was kept
    db.execute("PRAGMA user_version=3")
    db.commit()
    db.close()
    migrated = Store(path)
    assert [(v["hash"], v["markdown"]) for v in migrated.versions()] == [("abc123", "## A {#a}\n")]


def test_a_sample_stored_before_finish_reasons_were_kept_reads_back_with_none(tmp_path: Path) -> None:
    path = tmp_path / "v9.sqlite"
    Store(path).create_run("r1", {}, [])
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE samples DROP COLUMN finish_reasons")
    db.execute("INSERT INTO samples (run_id, key, target, clause, challenge, model, sample_index, status, transcript,"
               " responses, latency, prompt_tokens, completion_tokens, requests, created) VALUES"
               " ('r1', 'k', 't', 'c', 'h', 'm:x', 0, 'ok', '[]', '[\"a\"]', 0, 0, 0, 0, 0)")  # fmt: skip
    db.execute("PRAGMA user_version=9")
    db.commit()
    db.close()
    (row,) = Store(path).samples("r1")
    assert row["responses"] == ["a"] and row["finish_reasons"] == []  # unknown: no answer reads as cut off

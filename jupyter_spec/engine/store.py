"""SQLite: the cache and the record of every run, sample, request attempt (and, later, grade).

One file, WAL mode, so a notebook can read results while a run writes them and two notebooks
can share a store. What a run writes per request and per sample waits at most a tenth of a
second and is committed with its neighbours (`write_behind.py`): a run killed halfway loses only
that moment's rows, and resuming asks for them again. Reads see every row written before them.
Completions are keyed by what the model saw (model, parameters, messages, sample index), never
by clause text, so editing a clause's wording re-samples nothing.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from jupyter_spec.core.ids import WORST_FIRST, GraderId
from jupyter_spec.core.sanitize import unicode_safe
from jupyter_spec.engine.graders.base import Grade
from jupyter_spec.engine.plan import challenge_json
from jupyter_spec.engine.providers.base import Completion
from jupyter_spec.engine.records import (
    SAMPLE_COLUMNS,
    RunRecord,
    completion_from_row,
    completion_row,
    grade_from_row,
    grade_row,
    precedent_from_row,
    precedent_row,
    run_from_row,
    run_row,
    sample_row,
    stored_precedent,
    stored_sample,
)
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.write_behind import WriteBehind, text_safe
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Precedent

# Each entry migrates the schema from version i to i + 1; never edit one that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        created REAL NOT NULL,
        finished REAL,
        status TEXT NOT NULL,
        config TEXT NOT NULL,
        plan TEXT NOT NULL
    );
    CREATE TABLE completions (
        key TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        params TEXT NOT NULL,
        messages TEXT NOT NULL,
        sample_index INTEGER NOT NULL,
        text TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        finish_reason TEXT,
        raw TEXT NOT NULL,
        latency REAL NOT NULL,
        attempts INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        completion_key TEXT NOT NULL,
        run_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        started REAL NOT NULL,
        latency REAL NOT NULL,
        outcome TEXT NOT NULL,
        status INTEGER,
        error TEXT
    );
    CREATE INDEX attempts_by_run ON attempts (run_id);
    CREATE TABLE samples (
        run_id TEXT NOT NULL,
        key TEXT NOT NULL,
        target TEXT NOT NULL,
        clause TEXT NOT NULL,
        challenge TEXT NOT NULL,
        model TEXT NOT NULL,
        sample_index INTEGER NOT NULL,
        status TEXT NOT NULL,
        transcript TEXT NOT NULL,
        responses TEXT NOT NULL,
        error TEXT,
        latency REAL NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (run_id, key)
    );
    """,
    # 2: grades (cached by sample, grader and what it judged against), precedents, calibrations.
    """
    CREATE TABLE grades (
        key TEXT PRIMARY KEY,
        sample TEXT NOT NULL,
        grader TEXT NOT NULL,
        context TEXT NOT NULL,
        target TEXT NOT NULL,
        verdict TEXT NOT NULL,
        score REAL,
        reasoning TEXT NOT NULL,
        raw TEXT,
        checks TEXT NOT NULL,
        judge TEXT,
        self_graded INTEGER NOT NULL,
        error TEXT,
        latency REAL NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        created REAL NOT NULL
    );
    CREATE TABLE run_grades (
        run_id TEXT NOT NULL,
        sample_key TEXT NOT NULL,
        grader TEXT NOT NULL,
        grade_key TEXT NOT NULL,
        PRIMARY KEY (run_id, sample_key, grader)
    );
    CREATE TABLE precedents (
        hash TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        clause TEXT NOT NULL,
        conversation TEXT NOT NULL,
        response TEXT NOT NULL,
        verdict TEXT NOT NULL,
        note TEXT NOT NULL,
        author TEXT NOT NULL,
        original TEXT,
        sample_key TEXT,
        run_id TEXT,
        created REAL NOT NULL
    );
    CREATE TABLE calibrations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        judge TEXT NOT NULL,
        spec TEXT NOT NULL,
        report TEXT NOT NULL,
        created REAL NOT NULL
    );
    """,
    # 3: which process owns a running run, so that one whose process died shows as interrupted.
    """
    ALTER TABLE runs ADD COLUMN owner TEXT
    """,
    # 4: versions of a spec by content hash, labels that point at one, and amendments to clauses.
    """
    CREATE TABLE IF NOT EXISTS spec_versions (
        hash TEXT PRIMARY KEY, markdown TEXT NOT NULL, label TEXT, message TEXT, created REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS spec_labels (
        label TEXT PRIMARY KEY, hash TEXT NOT NULL, message TEXT, created REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS amendments (
        id INTEGER PRIMARY KEY AUTOINCREMENT, clause TEXT NOT NULL, reason TEXT NOT NULL,
        before_hash TEXT NOT NULL, after_hash TEXT NOT NULL, created REAL NOT NULL, author TEXT NOT NULL
    );
    """,
    # 5: a version's challenges (JSON), so a diff of two stored versions sees them change.
    """
    ALTER TABLE spec_versions ADD COLUMN challenges TEXT
    """,
    # 6: the specs of runs recorded before versions were kept become versions (once, here).
    """
    INSERT OR IGNORE INTO spec_versions (hash, markdown, created)
    SELECT json_extract(config, '$.spec'), json_extract(config, '$.spec_markdown'), created FROM runs
    WHERE json_extract(config, '$.spec') IS NOT NULL AND json_extract(config, '$.spec_markdown') IS NOT NULL
    ORDER BY created
    """,
    # 7: the Batch API's ledger: batches sent and the requests (custom_ids) each holds, so a new
    # process awaits a batch already under way instead of sending its requests again.
    """
    CREATE TABLE IF NOT EXISTS batches (
        id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, model TEXT NOT NULL, status TEXT NOT NULL,
        input_file TEXT NOT NULL, output_file TEXT, error_file TEXT, requests INTEGER NOT NULL,
        created REAL NOT NULL, updated REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS batch_requests (
        custom_id TEXT NOT NULL, batch_id TEXT NOT NULL, PRIMARY KEY (custom_id, batch_id)
    );
    """,
    # 8: what a sample replays (its key and how it was played: `Run._replay`), so an unchanged
    # re-run copies it in SQL instead of playing it again from the cache.
    """
    ALTER TABLE samples ADD COLUMN replay TEXT;
    CREATE INDEX IF NOT EXISTS samples_by_replay ON samples (replay)
    """,
    # 9: a run's plan in parts of its own (items from `start` on), written as it is listed: the
    # run's row stays small, so marking it done does not rewrite megabytes of plan.
    """
    CREATE TABLE run_plans (
        run_id TEXT NOT NULL, start INTEGER NOT NULL, items TEXT NOT NULL, PRIMARY KEY (run_id, start)
    );
    INSERT INTO run_plans (run_id, start, items) SELECT id, 0, plan FROM runs WHERE plan != '[]';
    UPDATE runs SET plan = '[]' WHERE plan != '[]'
    """,
    # 10: why each answer ended ("length": cut off at the token limit), so a check can tell a reply cut
    # off before it answered from one that gave another answer. Older samples: unknown ([]).
    """
    ALTER TABLE samples ADD COLUMN finish_reasons TEXT NOT NULL DEFAULT '[]'
    """,
]


def owner() -> str:
    """This process, as a run's owner (read at each call: a forked child is a process of its own)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str | None) -> bool:
    """Whether the process that owns a run may still be working on it. Only a process of this
    host can be checked; an unknown owner (a run from before owners were kept) is assumed alive."""
    host, _, pid = (owner or "").rpartition(":")
    if owner is None or host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists (POSIX)
    except PermissionError:
        return True
    except (OSError, ValueError):
        return False
    return True


def _with_liveness(run: RunRecord) -> RunRecord:
    """A `running` run whose process is gone is `interrupted` (its `resume` is the call that finishes it)."""
    if run.status == "running" and not _alive(run.owner):
        return dataclasses.replace(run, status="interrupted")
    return run


SCHEMA_VERSION = len(MIGRATIONS)
T = TypeVar("T")


def _connect(path: str | Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=60)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA busy_timeout=60000")
    return db


# The columns `graded_rows` reads, named as the results frame has them where they are the same.
_GRADED_COLUMNS = (
    "s.run_id AS run_id, s.key AS sample_key, s.clause AS clause, s.target AS target, s.challenge AS challenge,"
    " s.model AS model, s.sample_index AS sample_index, s.status AS status, s.error AS sample_error,"
    " s.transcript AS transcript, s.latency AS latency, s.prompt_tokens AS prompt_tokens,"
    " s.completion_tokens AS completion_tokens,"
    " CASE WHEN json_array_length(s.responses) > 0 THEN json_extract(s.responses, '$[0]') END AS first_response,"
    " CASE WHEN json_array_length(s.responses) > 0 THEN"
    " json_extract(s.responses, '$[' || (json_array_length(s.responses) - 1) || ']') END AS response,"
    " g.grader AS grader, g.judge AS judge, g.verdict AS verdict, g.score AS score, g.reasoning AS reasoning,"
    " g.checks AS checks, g.raw AS raw, g.self_graded AS self_graded, g.context AS context,"
    " g.latency AS grade_latency, g.prompt_tokens AS judge_prompt_tokens,"
    " g.completion_tokens AS judge_completion_tokens, g.error AS grade_error"
)
# A sample's rows with their final verdict: the ruling, else the grade's (`error` for a failed sample).
_FINAL_JOINS = (
    "samples s LEFT JOIN (run_grades r JOIN grades g ON g.key = r.grade_key)"
    " ON r.run_id = s.run_id AND r.sample_key = s.key AND s.status = 'ok'"
    " LEFT JOIN (SELECT sample_key, MAX(verdict) AS verdict FROM precedents WHERE sample_key IS NOT NULL"
    " GROUP BY sample_key) p ON p.sample_key = s.key"
)
_FINAL = "COALESCE(p.verdict, CASE WHEN s.status != 'ok' THEN 'error' ELSE COALESCE(g.verdict, 'ungraded') END)"
_WORST = f"CASE {_FINAL} " + " ".join(f"WHEN '{v}' THEN {rank}" for v, rank in WORST_FIRST.items()) + " ELSE 9 END"


def _as_stored(value: T) -> T:
    """A record as a read will give it back while it waits to be written: its text as stored (the
    record itself where that is its text already, as it nearly always is)."""
    names = _field_names(type(value))
    mended = {name: safe for name in names if isinstance(text := getattr(value, name), str)
              and (safe := unicode_safe(text)) is not text}  # fmt: skip
    return dataclasses.replace(value, **mended) if mended else value  # type: ignore[type-var]


@functools.cache
def _field_names(record: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(record))


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))  # one, not one per row


def _json(value: Any) -> str:
    return _ENCODER.encode(value)


class Store:
    """One store file, safe to use from several threads of one process: a connection that writes
    and one that reads, so a look-up never waits for a batch being committed."""

    _open: ClassVar[dict[Path, Store]] = {}
    _open_lock = threading.Lock()

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = _connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()
        self._writes = WriteBehind(self._db, self._lock)
        self._column_names: dict[str, list[str]] = {}
        # A second connection to ":memory:" would be another, empty database: there, one does both.
        memory = str(path) == ":memory:"
        self._read_lock, self._reader = (self._lock, self._db) if memory else (threading.Lock(), _connect(path))

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """The process-wide store for a path (one connection per file)."""
        key = Path(path).resolve()
        with cls._open_lock:
            if key not in cls._open:
                cls._open[key] = cls(key)
            return cls._open[key]

    @classmethod
    def resolve(cls, store: Store | str | Path | None, default: str | Path) -> Store:
        """A store given as an object or a path, else the one at the default path."""
        return store if isinstance(store, Store) else cls.open(store or default)

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise RuntimeError(f"{self.path} has schema {version}; this jupyter-spec knows {SCHEMA_VERSION}")
                for script in MIGRATIONS[version:]:
                    for statement in filter(str.strip, script.split(";")):
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _write(self, sql: str, params: Iterable[Any] = (), *, later: bool = False, key: Any = None,
               value: Any = None) -> None:  # fmt: skip
        """Run one statement now, after everything queued; or queue it (`later`), findable by `key`
        while it waits (see `write_behind.py`)."""
        values = tuple(params)
        if later:
            self._writes.add(sql, values, key, value, first_wins=sql.startswith("INSERT OR IGNORE"))
            return
        with self._lock:
            self._writes.flush()
            try:
                self._db.execute(sql, values)
            except UnicodeEncodeError:  # text no UTF-8 can hold (a lone surrogate): kept, mended
                self._db.execute(sql, text_safe(values))

    def _upsert(self, table: str, row: dict[str, Any], on_conflict: str = "REPLACE", **later: Any) -> None:
        """Insert one row (replacing one with its key, or keeping it: `on_conflict="IGNORE"`); lists
        and dicts are stored as JSON. `later=True, key=..., value=...` queue it (`_write`)."""
        values = [_json(v) if isinstance(v, (list, tuple, dict)) else v for v in row.values()]
        columns, marks = ", ".join(row), ", ".join("?" * len(row))
        self._write(f"INSERT OR {on_conflict} INTO {table} ({columns}) VALUES ({marks})", values, **later)

    def _rows(self, sql: str, params: Iterable[Any] = (), *, after_queued: bool = True) -> list[sqlite3.Row]:
        """Rows of a query, seeing every row written before it (`after_queued=False`: only those
        committed; for look-ups that check the queue themselves)."""
        if after_queued and self._writes.pending:
            self.flush()
        with self._read_lock:
            return self._reader.execute(sql, tuple(params)).fetchall()

    def flush(self) -> None:
        """Commit every queued row now (a run does at its end; reads do before they read)."""
        self._writes.flush()

    @property
    def schema_version(self) -> int:
        return int(self._rows("PRAGMA user_version")[0][0])

    # -- runs ---------------------------------------------------------------------------------

    def create_run(self, run_id: str, config: dict[str, Any], plan: list[dict[str, Any]] | None = None) -> None:
        """A run, from the moment it starts; a large run's plan follows in parts (`add_plan`) and its
        spec in `describe_run` once the background has built them."""
        record = RunRecord(id=run_id, created=time.time(), status="running", owner=owner(), config=config, plan=[])
        self._upsert("runs", run_row(record), on_conflict="IGNORE")
        if plan:
            self.add_plan(run_id, 0, _json(plan))
        self._keep_spec_of(config, record.created)

    def add_plan(self, run_id: str, start: int, items_json: str, *, later: bool = False) -> None:
        """Keep the plan items from `start` on (a JSON list, encoded by the caller off the loop)."""
        sql = "INSERT OR REPLACE INTO run_plans (run_id, start, items) VALUES (?, ?, ?)"
        self._write(sql, (run_id, start, items_json), later=later)

    def describe_run(self, run_id: str, config: dict[str, Any]) -> None:
        """A run's whole config, once its plan is all kept (a resume needs both)."""
        self._write("UPDATE runs SET config = ? WHERE id = ?", (_json(config), run_id))
        self._keep_spec_of(config, time.time())

    def _keep_spec_of(self, config: dict[str, Any], created: float) -> None:
        if config.get("spec") and "spec_markdown" in config:  # every run's spec is a version of it
            self.put_version(config["spec"], config["spec_markdown"], created, config.get("spec_challenges"))

    def set_run_status(self, run_id: str, status: str) -> None:
        finished = None if status == "running" else time.time()
        self._write(
            "UPDATE runs SET status = ?, finished = ?, owner = ? WHERE id = ?", (status, finished, owner(), run_id)
        )

    def run(self, run_id: str) -> RunRecord | None:
        rows = self._rows("SELECT * FROM runs WHERE id = ?", (run_id,))
        if not rows:
            return None
        record = run_from_row(rows[0])
        parts = self._rows("SELECT items FROM run_plans WHERE run_id = ? ORDER BY start", (run_id,))
        if parts:  # else the row's own (written by a process from before schema 9, if any)
            record = dataclasses.replace(record, plan=[item for part in parts for item in json.loads(part["items"])])
        return _with_liveness(record)

    def run_config(self, run_id: str) -> dict[str, Any] | None:
        """A run's configuration alone (its plan, which can be large, stays in the store)."""
        rows = self._rows("SELECT config FROM runs WHERE id = ?", (run_id,))
        return json.loads(rows[0]["config"]) if rows else None

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first, without config and plan; one whose process died while it ran is `interrupted`."""
        query = "SELECT id, created, finished, status, owner FROM runs ORDER BY created"
        return [_with_liveness(run_from_row(r)) for r in self._rows(query)]

    # -- completions: the sampling cache ------------------------------------------------------

    def completion(self, key: str) -> tuple[Completion, float] | None:
        queued = self._writes.waiting(("completion", key))
        if queued is not None:
            return queued  # type: ignore[no-any-return]
        rows = self._rows("SELECT * FROM completions WHERE key = ?", (key,), after_queued=False)
        return completion_from_row(rows[0]) if rows else None

    def put_completion(self, key: str, completion: Completion, **context: Any) -> None:
        """Keep a completion under its key (the first one kept wins); `context` is what
        `completion_row` records beside it: run_id, model, params, messages, sample_index, latency, attempts."""
        row = completion_row(key, completion, **context)
        stored = Completion(unicode_safe(completion.text), completion.prompt_tokens, completion.completion_tokens,
                            completion.finish_reason)  # fmt: skip
        queued = (stored, context.get("latency", 0.0))  # what a read gives back (the raw reply is not read)
        self._upsert("completions", row, on_conflict="IGNORE", later=True, key=("completion", key), value=queued)

    def record_attempt(
        self,
        key: str,
        *,
        run_id: str,
        attempt: int,
        started: float,
        latency: float,
        outcome: str,
        status: int | None = None,
        error: str | None = None,
    ) -> None:
        self._write(
            "INSERT INTO attempts (completion_key, run_id, attempt, started, latency, outcome, status, error)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, run_id, attempt, started, latency, outcome, status, error),
            later=True,
        )

    def attempts(self, run_id: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE run_id = ?", (run_id,)) if run_id else ("", ())
        return [dict(r) for r in self._rows(f"SELECT * FROM attempts {where} ORDER BY id", params)]

    def completion_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM completions")[0][0])

    # -- samples: one per plan item -----------------------------------------------------------

    def put_sample(self, run_id: str, sample: Sample, replay: str | None = None) -> None:
        """Keep a run's sample; `replay` names what would play it again the same (see `reuse_samples`)."""
        row = {"run_id": run_id, **sample_row(sample), "created": time.time(), "replay": replay}
        self._upsert("samples", row, later=True)

    def reuse_samples(self, run_id: str, replays: Mapping[str, str]) -> set[str]:
        """Copy into a run every sample (by key) an earlier run took ok with the `replay` name given
        for it (as if played again from the cache: same conversation, no requests); returns the keys
        of those the run now has, ok. One sample per name, found through the index; a copy names no
        replay of its own (the original is what later runs copy), so neither the look-up nor the
        index grows with the runs before. The keys come back as one JSON row, not a row each (a row
        each waits for the interpreter lock while the loop is busy listing the plan)."""
        columns = [c for c in self._columns("samples") if c not in ("run_id", "requests", "created", "replay")]
        copy = (
            f"INSERT OR IGNORE INTO samples (run_id, requests, created, {', '.join(columns)})"
            f" SELECT ?, 0, ?, {', '.join(f's.{c}' for c in columns)} FROM json_each(?) AS wanted"
            " JOIN samples AS s ON s.rowid = (SELECT rowid FROM samples"
            " WHERE replay = wanted.value AND status = 'ok' AND run_id != ? LIMIT 1)"
        )
        present = (
            "SELECT json_group_array(s.key) FROM json_each(?) AS wanted"
            " CROSS JOIN samples AS s ON s.run_id = ? AND s.key = wanted.key AND s.status = 'ok'"
        )  # CROSS JOIN: SQLite keeps this order, a look-up per key (else it may scan the run per key)
        wanted = json.dumps(dict(replays))
        with self._lock:
            self._writes.flush()
            self._db.execute(copy, (run_id, time.time(), wanted, run_id))
            (keys,) = self._db.execute(present, (wanted, run_id)).fetchone()
        return set(json.loads(keys))

    def _columns(self, table: str) -> list[str]:
        if table not in self._column_names:
            self._column_names[table] = [row["name"] for row in self._rows(f"PRAGMA table_info({table})")]
        return self._column_names[table]

    def samples(self, run_id: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT * FROM samples WHERE run_id = ? ORDER BY created, key", (run_id,))
        return [stored_sample(row) for row in rows]

    def latest_sample(self, key: str) -> dict[str, Any] | None:
        """The most recent record of a sample, whichever run took it."""
        rows = self._rows("SELECT * FROM samples WHERE key = ? ORDER BY created DESC LIMIT 1", (key,))
        return stored_sample(rows[0]) if rows else None

    def sample(self, run_id: str, key: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM samples WHERE run_id = ? AND key = ?", (run_id, key))
        return stored_sample(rows[0]) if rows else None

    def samples_of(self, run_id: str, keys: Sequence[str]) -> dict[str, sqlite3.Row]:
        """A run's samples with these keys, by key: the columns `sample_from_row` reads (one query, however
        many keys). Committed rows only: a sample copied or resumed was committed before its run went on."""
        columns = ", ".join(SAMPLE_COLUMNS)
        rows = self._rows(
            f"SELECT {columns} FROM samples WHERE run_id = ? AND key IN (SELECT value FROM json_each(?))",
            (run_id, _json(keys)),
            after_queued=False,
        )
        return {row["key"]: row for row in rows}

    # -- grades -------------------------------------------------------------------------------

    def grade(self, key: str) -> Grade | None:
        queued = self._writes.waiting(("grade", key))
        if queued is not None:
            return queued  # type: ignore[no-any-return]
        rows = self._rows("SELECT * FROM grades WHERE key = ?", (key,), after_queued=False)
        return grade_from_row(rows[0]) if rows else None

    def put_grade(self, key: str, grade: Grade, sample: Sample) -> None:
        row = {"key": key, **grade_row(grade, sample), "created": time.time()}
        self._upsert("grades", row, later=True, key=("grade", key), value=_as_stored(grade))

    def link_grade(self, run_id: str, sample_key: str, grader: GraderId, grade_key: str) -> None:
        self._write(
            "INSERT OR REPLACE INTO run_grades (run_id, sample_key, grader, grade_key) VALUES (?, ?, ?, ?)",
            (run_id, sample_key, grader, grade_key),
            later=True,
        )

    def sound_grades(self, keys: Sequence[str]) -> dict[str, str]:
        """The verdicts of the grades stored under these keys, by key (one query, however many keys),
        leaving out any grade that failed or has a reading that failed: those are asked for again
        (`grading._failed`, the same rule for one grade read whole). Committed grades only: one still
        queued is found by `grade` (which the caller falls back on for what is not found here)."""
        rows = self._rows(  # checks are decoded only where some value in them is the text "error"
            "SELECT g.key, g.verdict FROM json_each(?) AS wanted CROSS JOIN grades AS g ON g.key = wanted.value"
            " WHERE g.verdict != 'error'"
            """ AND ((instr(g.checks, ':"error"') = 0 AND instr(g.checks, ': "error"') = 0)"""
            " OR NOT EXISTS (SELECT 1 FROM json_each(g.checks) AS c"
            " WHERE json_extract(c.value, '$.verdict') = 'error'))",
            (_json(keys),),
            after_queued=False,
        )
        return {row["key"]: row["verdict"] for row in rows}

    def link_grades(self, run_id: str, links: Sequence[tuple[str, str, str]]) -> None:
        """`link_grade` for many grades at once: (sample key, grader, grade key) each, one queued row for all."""
        if links:
            self._write(
                "INSERT OR REPLACE INTO run_grades (run_id, sample_key, grader, grade_key)"
                " SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]')"
                " FROM json_each(?)",
                (run_id, _json(links)),
                later=True,
            )

    def run_grades(self, run_id: str, sample_key: str | None = None) -> list[tuple[str, Grade]]:
        """(sample key, grade) of every grade of a run, or of one of its samples, oldest first."""
        where, params = ("AND r.sample_key = ?", (run_id, sample_key)) if sample_key else ("", (run_id,))
        rows = self._rows(
            "SELECT g.*, r.sample_key FROM run_grades r JOIN grades g ON g.key = r.grade_key"
            f" WHERE r.run_id = ? {where} ORDER BY g.created, g.key",
            params,
        )
        return [(row["sample_key"], grade_from_row(row)) for row in rows]

    def grade_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM grades")[0][0])

    # -- what the views read: a run's rows at once, rows after a cursor, a page of samples -------
    # (read-only; SQLite joins and pages, so a view never decodes a whole run in Python)

    def plan_entries(self, run_id: str, keys: Sequence[str] | None = None) -> list[sqlite3.Row]:
        """(plan_index, key, challenge as JSON text) of a run's plan items, all or those with `keys`."""
        where = f" AND json_extract(j.value, '$.key') IN ({', '.join('?' * len(keys))})" if keys is not None else ""
        return self._rows(
            "SELECT p.start + CAST(j.key AS INTEGER) AS plan_index, json_extract(j.value, '$.key') AS key,"
            " json_extract(j.value, '$.challenge') AS challenge FROM run_plans AS p, json_each(p.items) AS j"
            f" WHERE p.run_id = ?{where}",
            (run_id, *(keys or ())),
        )

    def graded_rows(self, run_id: str, keys: Sequence[str] | None = None) -> list[sqlite3.Row]:
        """One row per sample x grade of a run (all samples, or those with `keys`); a sample that failed
        or has no grade has one row with the grade's columns empty. JSON columns stay text, except
        the first and last response, which SQLite picks out."""
        where = f" AND s.key IN ({', '.join('?' * len(keys))})" if keys is not None else ""
        return self._rows(
            f"SELECT {_GRADED_COLUMNS} FROM samples s LEFT JOIN (run_grades r JOIN grades g ON g.key = r.grade_key)"
            f" ON r.run_id = s.run_id AND r.sample_key = s.key AND s.status = 'ok' WHERE s.run_id = ?{where}",
            (run_id, *(keys or ())),
        )

    def samples_after(self, run_id: str, after: int) -> list[sqlite3.Row]:
        """(row, key, status, clause, model, challenge) of a run's samples written after row `after`, in
        order: a live view reads only these (the rowid range is the scan, so older rows cost nothing)."""
        return self._rows(
            "SELECT rowid AS row, key, status, clause, model, challenge FROM samples"
            " WHERE rowid > ? AND +run_id = ? ORDER BY rowid",
            (after, run_id),
        )

    def grades_after(self, run_id: str, after: int) -> list[sqlite3.Row]:
        """(row, sample_key, grader, verdict, self_graded, status, clause, model, challenge) of the grades
        linked to a run after link `after`, in order; `status` is NULL while the sample is unwritten."""
        return self._rows(
            "SELECT r.rowid AS row, r.sample_key, r.grader, g.verdict, g.self_graded, s.status, s.clause,"
            " s.model, s.challenge FROM run_grades r LEFT JOIN grades g ON g.key = r.grade_key"
            " LEFT JOIN samples s ON s.run_id = r.run_id AND s.key = r.sample_key"
            " WHERE r.rowid > ? AND +r.run_id = ? ORDER BY r.rowid",
            (after, run_id),
        )

    def sample_page(self, run_id: str, filters: dict[str, str], offset: int = 0, limit: int = 100) -> list[sqlite3.Row]:
        """One row per sample of a run matching `filters` (clause, target, model: equal; final: one of its
        final verdicts), worst final verdict first, then in the order they were written: `worst` (the
        rank in `WORST_FIRST`), `total` (how many match). A ruling replaces the graders' verdicts."""
        where = "".join(f" AND s.{column} = ?" for column in ("clause", "target", "model") if column in filters)
        having = f" HAVING SUM({_FINAL} = ?) > 0" if "final" in filters else ""
        params = [filters[c] for c in ("clause", "target", "model") if c in filters] + (
            [filters["final"]] if "final" in filters else []
        )
        return self._rows(
            "SELECT s.run_id, s.key, s.clause, s.target, s.model, s.sample_index, s.challenge,"
            f" MIN({_WORST}) AS worst, COUNT(*) OVER () AS total FROM {_FINAL_JOINS} WHERE s.run_id = ?{where}"
            f" GROUP BY s.key{having} ORDER BY worst, MIN(s.created), s.key LIMIT ? OFFSET ?",
            (run_id, *params, limit, offset),
        )

    def sample_values(self, run_id: str) -> list[sqlite3.Row]:
        """The distinct (clause, target, model, final) of a run's rows: what a browser can filter on."""
        return self._rows(
            f"SELECT DISTINCT s.clause, s.target, s.model, {_FINAL} AS final FROM {_FINAL_JOINS} WHERE s.run_id = ?",
            (run_id,),
        )

    # -- precedents ---------------------------------------------------------------------------

    def put_precedent(
        self, precedent: Precedent, clause: str, sample_key: str | None = None, run_id: str | None = None
    ) -> None:
        """Store a ruling; a ruling on a sample replaces any earlier ruling on that sample, atomically."""
        row = precedent_row(precedent, clause, sample_key, run_id)
        with self._lock:
            self._writes.flush()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if row.get("sample_key"):
                    self._db.execute("DELETE FROM precedents WHERE sample_key = ?", (row["sample_key"],))
                self._upsert("precedents", row)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _precedent_rows(self, clause: str | None) -> list[sqlite3.Row]:
        where, params = ("WHERE clause = ? OR target = ?", (clause, clause)) if clause else ("", ())
        return self._rows(f"SELECT * FROM precedents {where} ORDER BY created", params)

    def precedents(self, clause: str | None = None) -> list[dict[str, Any]]:
        """Every ruling (of a clause or marker) with its provenance, as stored, oldest first."""
        return [stored_precedent(row) for row in self._precedent_rows(clause)]

    def load_precedents(self, clause: str | None = None) -> list[Precedent]:
        """Every ruling (of a clause or marker) as a `Precedent`, oldest first: what judges are shown."""
        return [precedent_from_row(row) for row in self._precedent_rows(clause)]

    def rulings(self) -> dict[str, tuple[str, str]]:
        """(verdict, note) of every ruling on a sample, by sample key."""
        rows = self._rows("SELECT sample_key, verdict, note FROM precedents WHERE sample_key IS NOT NULL")
        return {r["sample_key"]: (r["verdict"], r["note"]) for r in rows}

    # -- calibrations -------------------------------------------------------------------------

    def put_calibration(self, judge: str, spec_hash: str, report: dict[str, Any]) -> None:
        self._write(
            "INSERT INTO calibrations (judge, spec, report, created) VALUES (?, ?, ?, ?)",
            (judge, spec_hash, _json(report), time.time()),
        )

    def latest_calibration(self, judge: str, spec_hash: str | None = None) -> dict[str, Any] | None:
        """The judge's latest calibration, on the given spec version when there is one."""
        rows = self._rows(
            "SELECT * FROM calibrations WHERE judge = ? ORDER BY spec = ? DESC, id DESC LIMIT 1", (judge, spec_hash)
        )
        if not rows:
            return None
        return {**dict(rows[0]), "report": json.loads(rows[0]["report"])}

    # -- versions of a spec, labels, amendments ----------------------------------------------

    def put_version(
        self, spec_hash: str, markdown: str, created: float | None = None, challenges: list[Any] | None = None
    ) -> None:
        """Keep a spec's text (and its challenges, as `plan.challenge_json` writes them) under
        its content hash; the first text kept wins, and challenges fill in a version kept without."""
        row = {"hash": spec_hash, "markdown": markdown, "created": created or time.time()}
        self._upsert("spec_versions", row, on_conflict="IGNORE")
        if challenges is not None:
            self._write(
                "UPDATE spec_versions SET challenges = ? WHERE hash = ? AND challenges IS NULL",
                (json.dumps(challenges, ensure_ascii=False), spec_hash),
            )

    def put_spec(self, spec: Spec) -> str:
        """Keep a spec as a version, challenges included; returns its hash."""
        self.put_version(spec.hash, spec.to_markdown(), challenges=[challenge_json(c) for c in spec.challenges])
        return spec.hash

    def tag(self, spec_hash: str, label: str, message: str | None = None) -> None:
        """Point a label at a version; a label already in use moves here."""
        with self._lock:
            self._db.execute("UPDATE spec_versions SET label = NULL, message = NULL WHERE label = ?", (label,))
            self._upsert("spec_labels", {"label": label, "hash": spec_hash, "message": message, "created": time.time()})
            self._write("UPDATE spec_versions SET label = ?, message = ? WHERE hash = ?", (label, message, spec_hash))

    def versions(self) -> list[dict[str, Any]]:
        """Every version, oldest first: hash, markdown, label, message, created."""
        return [dict(r) for r in self._rows("SELECT * FROM spec_versions ORDER BY created, hash")]

    def version(self, ref: str) -> dict[str, Any] | None:
        """A version by label, else by its hash or a unique prefix of it."""
        rows = self._rows(
            "SELECT v.* FROM spec_labels l JOIN spec_versions v ON v.hash = l.hash WHERE l.label = ?", (ref,)
        )
        if not rows and ref:
            rows = self._rows("SELECT * FROM spec_versions WHERE hash LIKE ? || '%'", (ref.replace("%", ""),))
        return dict(rows[0]) if len(rows) == 1 else None

    def labels(self) -> dict[str, str]:
        return {r["label"]: r["hash"] for r in self._rows("SELECT label, hash FROM spec_labels ORDER BY created")}

    def runs_of_version(self, spec_hash: str) -> list[str]:
        """The IDs of the runs that sampled exactly this version, oldest first."""
        rows = self._rows("SELECT id, config FROM runs ORDER BY created")
        return [r["id"] for r in rows if json.loads(r["config"]).get("spec") == spec_hash]

    def put_amendment(self, clause: str, reason: str, before_hash: str, after_hash: str, author: str) -> None:
        self._write(
            "INSERT INTO amendments (clause, reason, before_hash, after_hash, created, author)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (clause, reason, before_hash, after_hash, time.time(), author),
        )

    def amendments(self, clause: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE clause = ?", (clause,)) if clause else ("", ())
        return [dict(r) for r in self._rows(f"SELECT * FROM amendments {where} ORDER BY id", params)]

    def close(self) -> None:
        self._writes.close()
        with self._lock, self._read_lock:
            self._reader.close()
            self._db.close()
        with Store._open_lock:
            Store._open = {k: v for k, v in Store._open.items() if v is not self}

    # -- the Batch API's ledger (providers/batch.py) --------------------------------------------
    # A batch's ID must be durable the moment it exists: a process killed after creating a batch
    # is replaced by one that awaits that batch, not one that pays for the requests twice.

    def put_batch(
        self, batch_id: str, *, endpoint: str, model: str, status: str, input_file: str, custom_ids: Sequence[str]
    ) -> None:
        """Record a batch just created at `endpoint` (a base URL) and the requests it holds."""
        now = time.time()
        self._write(  # one statement for 50,000 requests; the batch row last, so it is found only whole
            "INSERT OR IGNORE INTO batch_requests (custom_id, batch_id) SELECT value, ? FROM json_each(?)",
            (batch_id, _json(list(custom_ids))),
        )
        self._upsert(
            "batches",
            {"id": batch_id, "endpoint": endpoint, "model": model, "status": status, "input_file": input_file,
             "output_file": None, "error_file": None, "requests": len(custom_ids), "created": now, "updated": now},
        )  # fmt: skip

    def update_batch(
        self, batch_id: str, *, status: str, output_file: str | None = None, error_file: str | None = None
    ) -> None:
        """A batch's latest status, and its result files once it has them."""
        self._write(
            "UPDATE batches SET status = ?, output_file = COALESCE(?, output_file),"
            " error_file = COALESCE(?, error_file), updated = ? WHERE id = ?",
            (status, output_file, error_file, time.time(), batch_id),
        )

    def batches_holding(self, custom_id: str, endpoint: str) -> list[dict[str, Any]]:
        """The batches at `endpoint` that hold a request, newest first."""
        rows = self._rows(
            "SELECT b.* FROM batch_requests r JOIN batches b ON b.id = r.batch_id"
            " WHERE r.custom_id = ? AND b.endpoint = ? ORDER BY b.created DESC, b.rowid DESC",
            (custom_id, endpoint),
            after_queued=False,  # the ledger is written at once, never queued: asked per request, it flushes nothing
        )
        return [dict(row) for row in rows]

    def batches(self) -> list[dict[str, Any]]:
        """Every batch recorded, oldest first (without the requests each holds)."""
        return [dict(row) for row in self._rows("SELECT * FROM batches ORDER BY created, rowid")]

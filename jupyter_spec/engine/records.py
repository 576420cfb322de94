"""Each stored table and its record type, mapped both ways in one place per table.

Records are built by keyword from their dataclass fields: a field added to `Grade` is a column
added to `grades` (by a migration) and nothing else. The store encodes lists and dicts as JSON
when it writes; the `*_from_row` functions decode what it reads. (The `runs` table keeps the
plan as `PlanItem.to_json`, the plan's own mapping.)
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from jupyter_spec.core.ids import GraderId, ModelId
from jupyter_spec.engine.graders.base import Grade
from jupyter_spec.engine.providers.base import Completion
from jupyter_spec.engine.sample import Sample
from jupyter_spec.spec.model import Message, Precedent, stable_hash

if TYPE_CHECKING:
    from jupyter_spec.engine.plan import PlanItem


def _names(record: type) -> tuple[str, ...]:
    """A record type's field names, read once (the mapping runs for every stored row)."""
    return tuple(f.name for f in fields(record))


def _decoded(value: Any) -> Any:
    """A JSON column as read from SQLite (text), or already decoded."""
    return json.loads(value) if isinstance(value, str) else value


# -- runs: the configuration and the plan (`PlanItem.to_json`, the plan's own mapping) -------------


@dataclass(frozen=True)
class RunRecord:
    """A run as the store has it. `Store.runs()` lists runs without their config and plan."""

    id: str
    created: float
    status: str  # running, done, cancelled; `interrupted` when the process that ran it is gone
    finished: float | None = None
    owner: str | None = None  # host:pid of the process running it
    config: dict[str, Any] = field(default_factory=dict)
    plan: list[dict[str, Any]] = field(default_factory=list)

    @property
    def resume(self) -> str | None:
        """The call that finishes an interrupted run."""
        return f"jupyter_spec.resume({self.id!r})" if self.status == "interrupted" else None


def run_row(run: RunRecord) -> dict[str, Any]:
    """A run as the store keeps it."""
    return {name: getattr(run, name) for name in _RUN_ORDER}


def run_from_row(row: Mapping[str, Any]) -> RunRecord:
    """A `runs` row (config and plan decoded when it has them)."""
    values = {name: row[name] for name in row.keys() if name in _RUN_FIELDS}  # noqa: SIM118 - sqlite3.Row iterates values
    return RunRecord(**values | {name: _decoded(values[name]) for name in ("config", "plan") if name in values})


_RUN_ORDER = _names(RunRecord)
_RUN_FIELDS = frozenset(_RUN_ORDER)
_GRADE_FIELDS = _names(Grade)
_SAMPLE_FIELDS = _names(Sample)
_PRECEDENT_FIELDS = _names(Precedent)


# -- grades: a Grade, plus the sample it judged (`key` and `created` are the store's) ---------------

GRADE_LINK_COLUMNS = ("key", "sample", "target", "created")
"""The columns of `grades` that are not fields of `Grade`: the cache key, the sample and its target, the time."""


def grade_row(grade: Grade, sample: Sample) -> dict[str, Any]:
    """A grade as the store keeps it."""
    row = {name: getattr(grade, name) for name in _GRADE_FIELDS}
    return row | {
        "checks": list(grade.checks),
        "self_graded": int(grade.self_graded),
        "sample": sample.key,
        "target": sample.target,
    }


def grade_from_row(row: Mapping[str, Any]) -> Grade:
    """A grade as the store has it."""
    values = {name: row[name] for name in _GRADE_FIELDS}
    typed = {
        "grader": GraderId(values["grader"]),
        "judge": ModelId(values["judge"]) if values["judge"] else None,
        "checks": tuple(_decoded(values["checks"])),
        "self_graded": bool(values["self_graded"]),
    }
    return Grade(**values | typed)


# -- samples: a Sample, its challenge by hash (the run's plan holds the text) -----------------------

SAMPLE_JSON_COLUMNS = ("transcript", "responses", "finish_reasons")
SAMPLE_COLUMNS = tuple(name for name in _SAMPLE_FIELDS if name != "challenge")
"""The columns of `samples` a `Sample` is read back from (`sample_from_row`): its fields, but the challenge."""


def sample_row(sample: Sample) -> dict[str, Any]:
    """A sample as the store keeps it (the challenge by its hash: the run's plan holds the text)."""
    row = {name: getattr(sample, name) for name in _SAMPLE_FIELDS}
    return row | {
        "challenge": sample.challenge.hash,
        "transcript": list(sample.transcript),
        "responses": list(sample.responses),
        "finish_reasons": list(sample.finish_reasons),
    }


def stored_sample(row: Mapping[str, Any]) -> dict[str, Any]:
    """A `samples` row with its JSON columns decoded (what `Store.samples` returns)."""
    return dict(row) | {column: _decoded(row[column]) for column in SAMPLE_JSON_COLUMNS}


@functools.cache
def _kept(taken: tuple[str, ...]) -> tuple[str, ...]:
    """The plain columns a sample is read back from, besides what its plan item gives (`taken`)."""
    return tuple(name for name in _SAMPLE_FIELDS if name not in taken and name not in SAMPLE_JSON_COLUMNS)


@functools.lru_cache(maxsize=64)
def _finish_reasons(text: str) -> tuple[str | None, ...]:
    """A `finish_reasons` column decoded: a handful of values (`["stop"]`, `["stop","length"]`) over a whole store."""
    return tuple(json.loads(text))


def _json_tuple(text: str) -> tuple[Any, ...]:
    return tuple(json.loads(text))


_DECODERS = {"finish_reasons": _finish_reasons}  # how a JSON column is decoded, where not by `_json_tuple`


def sample_from_row(item: PlanItem, row: Mapping[str, Any], *, resumed: bool = True) -> Sample:
    """A sample as the store has it (a `samples` row, or `stored_sample` of one), for the plan item it
    answers (`resumed`: its requests count as 0, none were sent for it this time). A re-run builds one
    per sample it grades from the store: only the columns a sample has are read, each once."""
    taken = item.sample_fields()
    kept = {name: row[name] for name in _kept(tuple(taken))}
    for column in SAMPLE_JSON_COLUMNS:
        value = row[column]
        kept[column] = _DECODERS.get(column, _json_tuple)(value) if isinstance(value, str) else tuple(value)
    if resumed:
        kept["requests"] = 0
    return Sample(**taken, **kept)


# -- precedents: a Precedent, plus where the ruling came from --------------------------------------


def precedent_row(precedent: Precedent, clause: str, sample_key: str | None, run_id: str | None) -> dict[str, Any]:
    """A ruling as the store keeps it, with the clause it belongs to and the sample and run it was made on."""
    row = {name: getattr(precedent, name) for name in _PRECEDENT_FIELDS}
    return row | {
        "hash": stable_hash(precedent.hash, sample_key),  # two identical answers keep separate rulings
        "conversation": [[m.role, m.content] for m in precedent.conversation],
        "clause": clause,
        "sample_key": sample_key,
        "run_id": run_id,
    }


def stored_precedent(row: Mapping[str, Any]) -> dict[str, Any]:
    """A `precedents` row with its conversation decoded (what `Store.precedents` returns)."""
    return dict(row) | {"conversation": _decoded(row["conversation"])}


def precedent_from_row(row: Mapping[str, Any]) -> Precedent:
    """A ruling as the store has it."""
    values = {name: row[name] for name in _PRECEDENT_FIELDS}
    conversation = tuple(Message(role, content) for role, content in _decoded(values["conversation"]))
    return Precedent(**values | {"conversation": conversation})


# -- completions: the sampling cache, keyed by what the model saw -----------------------------------


def completion_row(
    key: str,
    completion: Completion,
    *,
    run_id: str,
    model: str,
    params: dict[str, Any],
    messages: Any,
    sample_index: int,
    latency: float,
    attempts: int,
) -> dict[str, Any]:
    """A completion as the cache keeps it, with what was asked and what it cost."""
    return {
        "key": key, "model": model, "params": params, "messages": messages, "sample_index": sample_index,
        "text": completion.text, "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens, "finish_reason": completion.finish_reason,
        "raw": completion.raw, "latency": latency, "attempts": attempts, "run_id": run_id, "created": time.time(),
    }  # fmt: skip


def completion_from_row(row: Mapping[str, Any]) -> tuple[Completion, float]:
    """A cached completion (its raw reply stays in the store) and the latency it had."""
    completion = Completion(
        text=row["text"], prompt_tokens=row["prompt_tokens"], completion_tokens=row["completion_tokens"],
        finish_reason=row["finish_reason"],
    )  # fmt: skip
    return completion, row["latency"]

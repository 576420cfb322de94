"""Specs as code: versions by content hash, labels, and the diff between two versions with what
the change did to adherence where runs sampled both.

A version is every distinct text of a spec (`Spec.hash`); the store keeps each one a run sampled
and each one a user tagged. A side of a diff is a label, a version hash (or a unique prefix), or
a spec file or directory. Adherence figures are `compare.compare_frames` over all the runs of
each version: second minus first, with its interval.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from jupyter_spec.analysis.compare import compare_frames
from jupyter_spec.analysis.results import results_frame
from jupyter_spec.engine import settings as defaults
from jupyter_spec.engine.plan import challenge_of
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.diff import SpecDiff, diff_specs
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.loader import load_spec
from jupyter_spec.spec.markdown import parse_spec

DIFF_COLUMNS = ["clause", "change", "detail", "n_first", "adherence_first", "n_second", "adherence_second",
                "difference", "ci_low", "ci_high"]  # fmt: skip


@dataclass(frozen=True)
class Side:
    """One side of a diff: the spec, how the user named it, and its version hash."""

    spec: Spec
    name: str
    hash: str
    has_challenges: bool = True  # False for a version stored without its challenges


def tag(spec: Spec, label: str, message: str | None = None, store: Store | str | Path | None = None) -> str:
    """Record the spec as a version and point `label` at it (moving the label if it was in use);
    returns the version's hash."""
    if not label.strip():
        raise ValueError("a label cannot be empty")
    store = Store.resolve(store, defaults.settings.store)
    store.put_spec(spec)
    store.tag(spec.hash, label, message)
    return spec.hash


def resolve(ref: str, store: Store | None) -> Side:
    """A spec file or directory, else a label, else a version hash or a unique prefix of one."""
    path = Path(ref)
    if path.exists():
        spec = load_spec(path)
        return Side(spec, str(path), spec.hash)
    found = store.version(ref) if store is not None and ref else None
    if found is None:
        where = f" in {store.path}" if store is not None else ""
        raise ValueError(f"{ref!r} is neither a spec file, a label nor a version{where}")
    name = ref if ref in store.labels() else found["hash"]  # type: ignore[union-attr]
    spec = parse_spec(found["markdown"], source=f"version {found['hash']}")
    if found.get("challenges") is None:  # kept before versions kept their challenges
        return Side(spec, name, found["hash"], False)
    stored = json.loads(found["challenges"])
    return Side(spec.with_challenges(tuple(challenge_of(c["target"], c) for c in stored)), name, found["hash"])


class VersionDiff:
    """`diff`'s answer: the changelog, and each clause's adherence change where both versions ran."""

    def __init__(self, first: Side, second: Side, changes: SpecDiff, adherence: pd.DataFrame | None) -> None:
        self.first, self.second, self.changes, self.adherence = first, second, changes, adherence

    def table(self) -> pd.DataFrame:
        """One row per change; clauses whose adherence changed without a change of text get one
        row of their own (`change` is "adherence only")."""
        rows = pd.DataFrame(self.changes.table(), columns=["clause", "change", "detail"])
        if self.adherence is None or self.adherence.empty:
            return rows.reindex(columns=DIFF_COLUMNS)
        figures = self.adherence[[c for c in DIFF_COLUMNS if c in self.adherence.columns]]
        table = rows.merge(figures, on="clause", how="outer")
        table["change"] = table["change"].fillna("adherence only")
        table["detail"] = table["detail"].fillna("")
        return table.reindex(columns=DIFF_COLUMNS)

    def markdown(self) -> str:
        """A changelog in Markdown, with adherence changes where both versions ran."""
        lines = [f"## Changes from {self.first.name} to {self.second.name}", "", self.changes.markdown().rstrip()]
        if self.adherence is not None and not self.adherence.empty:
            lines += ["", "| clause | first | second | difference | 95% CI |", "| --- | --- | --- | --- | --- |"]
            for r in self.adherence.itertuples(index=False):
                lines.append(
                    f"| {r.clause} | {_fmt(r.adherence_first)} (n={r.n_first}) | {_fmt(r.adherence_second)} "
                    f"(n={r.n_second}) | {_fmt(r.difference, signed=True)} | [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}] |"
                )
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return f"<VersionDiff {self.first.name} -> {self.second.name}>\n{self.table().to_string(index=False)}"


def _fmt(value: Any, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _adherence(store: Store, first: str, second: str, grader: str | None) -> pd.DataFrame | None:
    runs_a, runs_b = store.runs_of_version(first), store.runs_of_version(second)
    if not runs_a or not runs_b:
        return None
    a, b = results_frame(store, runs_a), results_frame(store, runs_b)
    if a.empty or b.empty:
        return None
    try:
        return compare_frames(a, b, grader)
    except ValueError:  # no grader in common: nothing comparable
        return None


def diff(first: str, second: str, store: Store | str | Path | None = None, grader: str | None = None) -> VersionDiff:
    """What changed from one version of a spec to another, with the adherence change per clause
    where runs sampled both versions. Raises ValueError when a side cannot be resolved."""
    both_paths = Path(first).exists() and Path(second).exists()
    default = Path(defaults.settings.store)
    opened = None if store is None and both_paths and not default.is_file() else Store.resolve(store, default)
    a, b = resolve(first, opened), resolve(second, opened)
    adherence = _adherence(opened, a.hash, b.hash, grader) if opened is not None else None
    changes = diff_specs(a.spec, b.spec, challenges=a.has_challenges and b.has_challenges)
    return VersionDiff(a, b, changes, adherence)

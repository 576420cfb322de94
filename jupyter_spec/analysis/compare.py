"""Comparisons: two runs, two models or two wordings of a spec, and a clause's history.

`difference` is second minus first of the adherence figures printed beside it (pooled rates over
each side's samples). The challenges scored on both sides are pairs, so its 95% interval, p-value
and `pairs` come from `metrics.paired.paired_difference`: with one scored sample per challenge and
side, Newcombe's interval for paired proportions (1998, method 10) and the exact McNemar p-value;
with more, the same construction on the clustered Wilson limits of each side and the correlation
of per-challenge rates, and the exact sign-flip test over challenges. Challenges scored on one side
only count in that side's figures, not in the correlation or the test; with no shared challenge the
sides are independent samples (Newcombe's construction on the clustered limits, no p-value).
`method` says which. Samples without a challenge ID count as one challenge of their own on each
side, and are never paired.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from jupyter_spec.analysis.metrics.adherence import adherence_table
from jupyter_spec.analysis.metrics.counts import clusters, scored_counts, self_graded
from jupyter_spec.analysis.metrics.intervals import clustered_wilson
from jupyter_spec.analysis.metrics.paired import DIFFERENCE_COLUMNS, paired_difference
from jupyter_spec.analysis.record import MIME_TYPE, comparison_record
from jupyter_spec.analysis.results import results_frame
from jupyter_spec.core import hooks
from jupyter_spec.core.ids import GraderId
from jupyter_spec.engine import settings as defaults  # the one settings object, read when used
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.markdown import parse_spec

COMPARE_COLUMNS = ["clause", "grader", "self_graded", "n_first", "adherence_first", "low_first", "high_first",
                   "n_second", "adherence_second", "low_second", "high_second", *DIFFERENCE_COLUMNS]  # fmt: skip


def preferred_grader(graders: Iterable[str]) -> str | None:
    """The grader to report: the first model judge, else the first grader there is (None: nothing was graded)."""
    graders = list(dict.fromkeys(g for g in graders if isinstance(g, str)))
    return next((g for g in graders if GraderId(g).is_judge), graders[0] if graders else None)


def common_grader(first: pd.DataFrame, second: pd.DataFrame) -> str:
    """The grader both sides have, preferring a model judge."""
    shared = [g for g in first["grader"].dropna() if g in set(second["grader"])]
    if not shared:
        raise ValueError("the two sides share no grader: grade them with the same judge to compare them")
    return str(preferred_grader(shared))


def _figures(per_challenge: dict[Any, tuple[int, int]]) -> tuple[int, float, float, float]:
    """n, adherence and its clustered interval, from (compliant, scored) per challenge."""
    successes, trials = clusters(per_challenge.values())
    n = sum(trials)
    return n, sum(successes) / n if n else math.nan, *clustered_wilson(successes, trials)


def compare_frames(first: pd.DataFrame, second: pd.DataFrame, grader: str | None = None) -> pd.DataFrame:
    """Per clause: both adherence figures with their clustered CIs, and second minus first."""
    grader = grader or common_grader(first, second)
    a, b = first[first["grader"] == grader], second[second["grader"] == grader]
    sides = [dict(list(frame.groupby("clause", sort=False, dropna=False))) for frame in (a, b)]
    rows: list[dict[str, Any]] = []
    for clause in dict.fromkeys([*sides[0], *sides[1]]):
        frames = [side.get(clause, a.iloc[:0]) for side in sides]
        per_a, per_b = (scored_counts(frame) for frame in frames)
        n_a, adherence_a, low_a, high_a = _figures(per_a)
        n_b, adherence_b, low_b, high_b = _figures(per_b)
        shared = [c for c in per_a if c in per_b and not pd.isna(c)]  # an ID-less challenge pairs with nothing
        pairs = [(*per_a[c], *per_b[c]) for c in shared]
        first_only = [counts for c, counts in per_a.items() if c not in shared]
        second_only = [counts for c, counts in per_b.items() if c not in shared]
        rows.append(
            {"clause": clause, "grader": grader, "self_graded": self_graded(frames[0]) or self_graded(frames[1]),
             "n_first": n_a, "adherence_first": adherence_a, "low_first": low_a, "high_first": high_a,
             "n_second": n_b, "adherence_second": adherence_b, "low_second": low_b, "high_second": high_b,
             **paired_difference(pairs, first_only, second_only)._asdict()}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS).astype({"pairs": "Int64"})


class RunComparison:
    """The outcome of `compare`: a table per clause and a chart of the differences."""

    def __init__(self, table: pd.DataFrame, first: str, second: str) -> None:
        self.table, self.first, self.second = table, first, second

    def plot(self) -> Any:
        """The differences as a matplotlib Figure (drawn by the views: `jupyter_spec.core.hooks`)."""
        return hooks.use(hooks.FIGURE)(self)

    def record(self) -> dict[str, Any]:
        """The table as versioned JSON (`record.MIME_TYPE`)."""
        return comparison_record(self.table, self.first, self.second)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The record and the table as text; in IPython the views' formatter adds HTML and the chart."""
        return {MIME_TYPE: self.record(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"<RunComparison {self.second} minus {self.first}>\n{self.table.to_string(index=False)}"


def _side(store: Store, name: str) -> tuple[pd.DataFrame, str]:
    """A run ID, or a model ID or alias (its latest run)."""
    runs = store.runs()
    if name in defaults.settings.aliases:
        name = defaults.settings.resolve(name)
    if any(r.id == name for r in runs):
        return results_frame(store, [name]), f"run {name}"
    for record in reversed(runs):
        full = store.run(record.id)
        if full is not None and name in full.config.get("models", []):
            df = results_frame(store, [record.id])
            return df[df["model"] == name], f"{name} (run {record.id})"
    raise ValueError(f"{name!r} is neither a run ID nor a model sampled in {store.path}")


def compare(first: str, second: str, store: Store | None = None, grader: str | None = None) -> RunComparison:
    """Compare two runs (e.g. two wordings of a spec) or two models, clause by clause."""
    store = Store.resolve(store, defaults.settings.store)
    a, name_a = _side(store, first)
    b, name_b = _side(store, second)
    return RunComparison(compare_frames(a, b, grader), name_a, name_b)


def history(clause: str, store: Store | None = None, grader: str | None = None) -> pd.DataFrame:
    """Adherence of one clause for each version of its wording, oldest first, across every run."""
    store = Store.resolve(store, defaults.settings.store)
    versions: dict[str, dict[str, Any]] = {}
    parsed: dict[str, Any] = {}  # spec hash -> the clause as that spec words it (runs often share a spec)
    for record in store.runs():
        full = store.run(record.id)
        config = full.config if full else {}
        key = config.get("spec", record.id)
        if key not in parsed:
            spec = parse_spec(config.get("spec_markdown", ""), source=f"run {record.id}")
            parsed[key] = spec.clauses.get(clause)
        section = parsed[key]
        if section is not None:
            first = {"version": section.text_hash, "text": section.text, "first_run": record.id,
                     "first_seen": record.created, "run_ids": []}  # fmt: skip
            versions.setdefault(section.text_hash, first)["run_ids"].append(record.id)
    rows = []
    for info in versions.values():
        df = results_frame(store, info["run_ids"])  # a sample reused by later runs counts once
        df = df[df["clause"] == clause]
        if df.empty:
            continue
        chosen = grader or preferred_grader(df["grader"])
        if chosen is None:
            continue  # no grader judged this version's samples
        table = adherence_table(df[df["grader"] == chosen], ["clause"]).reindex(range(1))
        row = table.iloc[0]
        rows.append(
            {k: v for k, v in info.items() if k != "run_ids"}
            | {"runs": len(info["run_ids"]), "grader": chosen, "n": int(row["n"]) if row["n"] == row["n"] else 0,
               "adherence": row["adherence"], "cluster_low": row["cluster_low"], "cluster_high": row["cluster_high"],
               "self_graded": row["self_graded"] in (True,)}
        )  # fmt: skip
    columns = ["version", "first_seen", "first_run", "runs", "grader", "n", "adherence", "cluster_low",
               "cluster_high", "self_graded", "text"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns).sort_values("first_seen").reset_index(drop=True)
    table["first_seen"] = pd.to_datetime(table["first_seen"], unit="s")
    return table

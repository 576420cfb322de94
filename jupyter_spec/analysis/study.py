"""The tables a sycophancy study reports, from the tidy results DataFrame.

A study built from a table or from sycophancy-eval files marks each challenge's stance in its
title (`[stance: suggests-wrong]`, see `spec/tables.py`), pairs the neutral question with one
stance, and pushes back with `no-flip` follow-ups. This gathers the figures such a study reports,
each with n and 95% intervals from the metrics (nothing here computes statistics of its own):

- `stances`: adherence per stance x model x grader;
- `flips`: the flip table (Sharma et al.'s denominators) per model;
- `flip_turns`: per model x grader, the answer at which a correct first answer was first
  abandoned (2 = the first follow-up), as a share of the samples that count for `first_flip_rate`;
- `pairs`: second stance minus first per pair and, across pairs, by a paired method with its
  p-value (`metrics/pairs.py`), per model x grader;
- `models`: adherence per stance and grader, one column group per model, side by side.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from jupyter_spec.analysis.metrics.adherence import adherence_table
from jupyter_spec.analysis.metrics.counts import challenge_counts, clusters
from jupyter_spec.analysis.metrics.intervals import NAN, clustered_wilson, wilson
from jupyter_spec.analysis.metrics.pairs import paired_table
from jupyter_spec.analysis.metrics.sycophancy import flip_table, flip_turns
from jupyter_spec.spec.tables import stance_of

NO_STANCE = "(no stance)"
TURN_COLUMNS = ["model", "grader", "turn", "flipped", "n", "share", "ci_low", "ci_high", "cluster_low",
                "cluster_high"]  # fmt: skip
SIDE_BY_SIDE = ("n", "adherence", "cluster_low", "cluster_high")


def with_stances(df: pd.DataFrame) -> pd.DataFrame:
    """The results table with a `stance` column read from each challenge's title."""
    out = df.copy()
    titles = out["challenge_title"] if "challenge_title" in out else pd.Series(None, index=out.index, dtype=object)
    out["stance"] = titles.map(stance_of).fillna(NO_STANCE)
    return out


def turn_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per model, grader and answer number: how many correct first answers were first given up there."""
    turns = flip_turns(df)
    counted = turns[turns["first_counted"].astype(bool)] if len(turns) else turns
    rows: list[dict[str, Any]] = []
    for (model, grader), group in counted.groupby(["model", "grader"], sort=False, dropna=False):
        n = len(group)
        for turn in sorted(int(t) for t in group["first_flip"].dropna().unique()):
            hits = group["first_flip"].eq(turn).fillna(False).astype(bool)
            low, high = wilson(int(hits.sum()), n)
            cluster_low, cluster_high = clustered_wilson(*clusters(challenge_counts(hits, group["challenge"]).values()))
            rows.append(
                {"model": model, "grader": grader, "turn": turn, "flipped": int(hits.sum()), "n": n,
                 "share": hits.sum() / n if n else NAN, "ci_low": low, "ci_high": high, "cluster_low": cluster_low,
                 "cluster_high": cluster_high}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=TURN_COLUMNS)


def side_by_side(stances: pd.DataFrame) -> pd.DataFrame:
    """Per-stance adherence with one column group per model: `<model> adherence`, `<model> n`, ..."""
    if stances.empty:
        return pd.DataFrame(columns=["stance", "grader"])
    wide = stances.pivot_table(index=["stance", "grader"], columns="model", values=list(SIDE_BY_SIDE), sort=False)
    wide.columns = [f"{model} {value}" for value, model in wide.columns]
    models = list(dict.fromkeys(stances["model"]))
    order = [f"{m} {v}" for m in models for v in SIDE_BY_SIDE if f"{m} {v}" in wide.columns]
    return wide[order].reset_index()


def study_report(results: Any) -> dict[str, pd.DataFrame]:
    """`stances`, `flips`, `flip_turns`, `pairs` and `models` (see the module docstring) for a `Results`
    or its DataFrame."""
    df = with_stances(getattr(results, "df", results))
    stances = adherence_table(df, ("stance", "model", "grader"))
    return {
        "stances": stances,
        "flips": flip_table(df, ("model",)),
        "flip_turns": turn_table(df),
        "pairs": paired_table(df, ("model", "grader")),
        "models": side_by_side(stances),
    }

"""Paired challenges: the same request under two user stances (`<!-- expect pair: NAME -->` on both).

The figure is the share of compliant answers under the second stance minus under the first (a
negative difference under a stated wrong belief is the sycophantic direction). Per pair, the two
challenges' samples are independent: Newcombe's hybrid score interval and Fisher's exact p-value.
Across the pairs scored on both sides (two or more), the `(all pairs)` row is a paired difference
(`paired.paired_difference`): the pooled rates' difference with Newcombe's interval for paired
proportions and the exact McNemar p-value when each side of each pair has one scored sample, the
same construction on pairs of samples otherwise; `method` says which.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from jupyter_spec.analysis.metrics.counts import clusters, per_grader, scored_counts, self_graded
from jupyter_spec.analysis.metrics.intervals import NAN
from jupyter_spec.analysis.metrics.paired import DIFFERENCE_COLUMNS, one_pair, paired_difference

ALL_PAIRS = "(all pairs)"
PAIR_COLUMNS = ["pair", "first", "second", "n_first", "n_second", "rate_first", "rate_second", *DIFFERENCE_COLUMNS,
                "self_graded"]  # fmt: skip


def _compliant(rows: pd.DataFrame) -> tuple[int, int]:
    """(compliant, scored) over all of these rows."""
    successes, trials = clusters(scored_counts(rows).values())
    return sum(successes), sum(trials)


def paired_table(df: pd.DataFrame, by: Sequence[str] = ("model", "grader")) -> pd.DataFrame:
    """Per pair (n = 0 and nan rates where a side has no scored sample) and, with two or more pairs
    scored on both sides, across them (`(all pairs)`): second stance minus first. Each grader's on its own
    (`grader` is added to `by` when missing)."""
    by = per_grader(by, df.columns)
    rows = df[df["pair"].notna() & (df["grader"].notna() if "grader" in df else True)]
    out = []
    for keys, group in rows.groupby(by, sort=False, dropna=False):
        labels = dict(zip(by, keys if isinstance(keys, tuple) else (keys,), strict=True))
        counts = []  # (k1, n1, k2, n2) per pair
        for pair, members in group.groupby("pair", sort=False):
            ordered = members.sort_values("plan_index", kind="stable")
            sides = [side for _, side in ordered.groupby("challenge", sort=False, dropna=False)]
            if len(sides) != 2:
                continue  # a pair is two challenges; anything else is reported by lint, not measured
            (k1, n1), (k2, n2) = _compliant(sides[0]), _compliant(sides[1])
            counts.append((k1, n1, k2, n2))
            out.append(
                {**labels, "pair": pair, "first": sides[0]["challenge_title"].iloc[0],
                 "second": sides[1]["challenge_title"].iloc[0], "n_first": n1, "n_second": n2,
                 "rate_first": k1 / n1 if n1 else NAN, "rate_second": k2 / n2 if n2 else NAN,
                 **one_pair(k1, n1, k2, n2)._asdict(), "self_graded": self_graded(members)}
            )  # fmt: skip
        both = [c for c in counts if c[1] and c[3]]
        if len(both) >= 2:
            n1, n2 = sum(c[1] for c in both), sum(c[3] for c in both)
            out.append(
                {**labels, "pair": ALL_PAIRS, "first": "", "second": "", "n_first": n1, "n_second": n2,
                 "rate_first": sum(c[0] for c in both) / n1, "rate_second": sum(c[2] for c in both) / n2,
                 **paired_difference(both)._asdict(), "self_graded": self_graded(group)}
            )  # fmt: skip
    return pd.DataFrame(out, columns=[*by, *PAIR_COLUMNS]).astype({"pairs": "Int64"})

"""What every table counts the same way: which verdicts are scored, counts per challenge, self-grading.

Defined once so that adherence, flips, paired challenges and comparisons cannot disagree about a
sample: every figure is one grader's (grouped by `grader` whatever else it is grouped by), rows
without a challenge ID are one challenge of their own (never dropped), and a table is
`self_graded` when any of its rows was graded by the model under test.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import pandas as pd

from jupyter_spec.analysis.metrics.intervals import Clusters
from jupyter_spec.core.ids import SCORED

# A rate counts the SCORED verdicts (core.ids); the others are counted beside it.
__all__ = ["SCORED", "challenge_counts", "clusters", "per_grader", "scored_counts", "self_graded"]


def per_grader(by: Sequence[str], columns: Iterable[str]) -> list[str]:
    """The grouping keys with `grader` among them: a figure pooling a check's, a judge's and a self-grading
    judge's verdicts on the same samples would count each sample once per grader and call that n."""
    by = list(by)
    return by if "grader" in by or "grader" not in set(columns) else [*by, "grader"]


def challenge_counts(successes: pd.Series, challenges: pd.Series) -> dict[Hashable, tuple[int, int]]:
    """(successes, trials) per challenge, in order of appearance; positional, so any index will do."""
    flags = pd.Series(successes.to_numpy(dtype=bool))
    grouped = flags.groupby(challenges.to_numpy(dtype=object), sort=False, dropna=False)
    return {challenge: (int(group.sum()), len(group)) for challenge, group in grouped}


def scored_counts(rows: pd.DataFrame) -> dict[Hashable, tuple[int, int]]:
    """(compliant, compliant + violation) per challenge, from the `final` verdict (rulings applied)."""
    scored = rows[rows["final"].isin(SCORED)]
    return challenge_counts(scored["final"].eq("compliant"), scored["challenge"])


def clusters(counts: Iterable[tuple[int, int]]) -> Clusters:
    """Per-challenge (successes, trials) pairs as the interval functions take them: two parallel lists."""
    pairs = list(counts)
    return [k for k, _ in pairs], [n for _, n in pairs]


def self_graded(rows: pd.DataFrame) -> bool:
    """Some of these rows were graded by the model under test."""
    return bool(rows["self_graded"].eq(True).any()) if "self_graded" in rows else False

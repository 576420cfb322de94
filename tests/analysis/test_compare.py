"""Comparisons: the difference printed is that of the figures beside it, its interval and p-value by a paired
method over the challenges both sides answered."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from jupyter_spec.analysis.compare import compare_frames
from jupyter_spec.analysis.metrics.intervals import clustered_newcombe, clustered_wilson
from jupyter_spec.analysis.metrics.paired import DIFFERENCE_COLUMNS, newcombe_paired, paired_difference


def side(counts: dict[str, tuple[int, int]], self_graded: bool = False) -> pd.DataFrame:
    """(compliant, scored) per challenge of one clause, as results.df holds them."""
    rows: list[dict[str, Any]] = []
    for challenge, (compliant, scored) in counts.items():
        rows += [
            {"clause": "k", "grader": "judge:j", "challenge": challenge, "verdict": verdict, "final": verdict,
             "ruling": None, "self_graded": self_graded, "status": "ok"}
            for verdict in ["compliant"] * compliant + ["violation"] * (scored - compliant)
        ]  # fmt: skip
    return pd.DataFrame(rows)


def test_the_difference_is_that_of_the_figures_beside_it() -> None:
    first = {"c1": (1, 1), "c2": (0, 10), "c3": (0, 10)}
    second = {"c1": (0, 1), "c2": (2, 10), "c3": (2, 10)}  # per challenge: -1, +0.2, +0.2; pooled: 1/21 -> 4/21
    row = compare_frames(side(first), side(second)).iloc[0]
    assert row["difference"] == pytest.approx(row["adherence_second"] - row["adherence_first"])
    assert row["difference"] == pytest.approx(3 / 21)
    expected = paired_difference([(1, 1, 0, 1), (0, 10, 2, 10), (0, 10, 2, 10)])
    assert tuple(row[DIFFERENCE_COLUMNS]) == pytest.approx(tuple(expected))
    assert row["pairs"] == 3 and row["method"].startswith("over 3 pairs of several scored samples")
    assert not {"mean_paired_difference", "paired_low", "paired_high", "shared_challenges"} & set(row.index)


def test_two_runs_of_one_sample_per_challenge_are_a_paired_2x2_table() -> None:
    """The same 20 challenges, one sample each per run: 7 right in both, 2 in the first only, 6 in the second only."""
    cells = ["both"] * 7 + ["first"] * 2 + ["second"] * 6 + ["neither"] * 5
    first = {f"c{i}": (int(cell in ("both", "first")), 1) for i, cell in enumerate(cells)}
    second = {f"c{i}": (int(cell in ("both", "second")), 1) for i, cell in enumerate(cells)}
    a, b, c, d = 7, 2, 6, 5
    row = compare_frames(side(first), side(second)).iloc[0]
    assert (row["difference"], row["ci_low"], row["ci_high"]) == pytest.approx(newcombe_paired(a, b, c, d))
    assert row["p_value"] == pytest.approx(mcnemar([[a, b], [c, d]], exact=True).pvalue)
    assert row["pairs"] == 20 and "exact McNemar" in row["method"]
    unpaired = clustered_newcombe(([first[k][0] for k in first], [1] * 20), ([second[k][0] for k in first], [1] * 20))
    assert row["ci_high"] - row["ci_low"] < unpaired[2] - unpaired[1]  # the pairs agree: narrower than unpaired


def test_equal_challenges_do_not_give_a_zero_width_interval() -> None:
    nine = {"c1": (9, 9), "c2": (9, 9), "c3": (9, 9)}
    row = compare_frames(side(nine), side(nine)).iloc[0]
    assert row["difference"] == 0 and row["p_value"] == 1
    assert row["ci_high"] - row["ci_low"] > 0.2


def test_without_shared_challenges_the_sides_are_independent() -> None:
    row = compare_frames(side({"c1": (3, 4)}), side({"c2": (1, 4)})).iloc[0]
    assert row["pairs"] == 0 and pd.isna(row["p_value"])
    assert (row["difference"], row["ci_low"], row["ci_high"]) == pytest.approx(
        clustered_newcombe(([3], [4]), ([1], [4]))
    )
    assert row["difference"] == pytest.approx(-0.5) and row["method"].startswith("no challenge scored on both sides")


def test_self_grading_is_flagged_in_the_comparison() -> None:
    assert not compare_frames(side({"c1": (3, 4)}), side({"c1": (1, 4)})).iloc[0]["self_graded"]
    assert compare_frames(side({"c1": (3, 4)}), side({"c1": (1, 4)}, self_graded=True)).iloc[0]["self_graded"]


def test_samples_without_a_challenge_id_count_in_the_difference() -> None:
    first = side({"c1": (2, 5)})
    second = side({"c1": (2, 5)})
    first = pd.concat([first, side({"x": (3, 5)}).assign(challenge=None)], ignore_index=True)
    second = pd.concat([second, side({"x": (1, 5)}).assign(challenge=None)], ignore_index=True)
    row = compare_frames(first, second).iloc[0]
    assert (row["n_first"], row["adherence_first"], row["n_second"], row["adherence_second"]) == (10, 0.5, 10, 0.3)
    expected = paired_difference([(2, 5, 2, 5)], first_only=[(3, 5)], second_only=[(1, 5)])  # ID-less: unpaired
    assert tuple(row[DIFFERENCE_COLUMNS]) == pytest.approx(tuple(expected))
    assert row["difference"] == pytest.approx(0.3 - 0.5)
    assert (row["low_first"], row["high_first"]) == pytest.approx(clustered_wilson([2, 3], [5, 5]))
    assert row["pairs"] == 1  # samples without an ID are not known to be the same challenge
    assert "2 challenges scored on one side only" in row["method"]


def test_a_clause_scored_on_one_side_only_has_no_difference() -> None:
    unscored = pd.DataFrame([{"clause": "k", "grader": "judge:j", "challenge": "c1", "verdict": "unscored",
                              "final": "unscored", "ruling": None, "self_graded": False, "status": "ok"}])  # fmt: skip
    row = compare_frames(side({"c1": (3, 5)}), unscored).iloc[0]
    assert (row["n_first"], row["n_second"]) == (5, 0) and pd.isna(row["adherence_second"])
    assert pd.isna(row["difference"]) and pd.isna(row["p_value"]) and row["pairs"] == 0

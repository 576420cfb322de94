"""Comparisons: the difference printed is that of the figures beside it; the paired mean is labelled as such."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from jupyter_spec.analysis.compare import compare_frames
from jupyter_spec.analysis.metrics.intervals import clustered_newcombe, clustered_wilson, newcombe, paired_difference


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
    expected = clustered_newcombe(([1, 0, 0], [1, 10, 10]), ([0, 2, 2], [1, 10, 10]))
    assert (row["difference"], row["ci_low"], row["ci_high"]) == pytest.approx(expected)
    assert row["mean_paired_difference"] == pytest.approx(-0.2)  # the opposite sign: labelled, not the headline
    paired = paired_difference(([1, 0, 0], [1, 10, 10]), ([0, 2, 2], [1, 10, 10]))
    assert (row["mean_paired_difference"], row["paired_low"], row["paired_high"]) == pytest.approx(paired)
    assert row["method"].startswith("difference of pooled adherence")
    assert "mean_paired_difference: mean over 3 challenges scored on both sides" in row["method"]
    assert -1 <= row["paired_low"] <= row["paired_high"] <= 1 and row["shared_challenges"] == 3


def test_equal_challenges_do_not_give_a_zero_width_paired_interval() -> None:
    nine = {"c1": (9, 9), "c2": (9, 9), "c3": (9, 9)}
    row = compare_frames(side(nine), side(nine)).iloc[0]
    assert row["mean_paired_difference"] == 0
    assert (row["paired_low"], row["paired_high"]) == pytest.approx(newcombe(27, 27, 27, 27)[1:])
    assert row["ci_high"] - row["ci_low"] > 0


def test_without_shared_challenges_there_is_no_paired_figure() -> None:
    row = compare_frames(side({"c1": (3, 4)}), side({"c2": (1, 4)})).iloc[0]
    assert pd.isna(row["mean_paired_difference"]) and row["shared_challenges"] == 0
    assert row["difference"] == pytest.approx(-0.5)


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
    expected = clustered_newcombe(([2, 3], [5, 5]), ([2, 1], [5, 5]))  # the ID-less samples are one challenge
    assert (row["difference"], row["ci_low"], row["ci_high"]) == pytest.approx(expected)
    assert (row["low_first"], row["high_first"]) == pytest.approx(clustered_wilson([2, 3], [5, 5]))
    assert row["shared_challenges"] == 1  # samples without an ID are not known to be the same challenge


def test_a_clause_scored_on_one_side_only_has_no_difference() -> None:
    unscored = pd.DataFrame([{"clause": "k", "grader": "judge:j", "challenge": "c1", "verdict": "unscored",
                              "final": "unscored", "ruling": None, "self_graded": False, "status": "ok"}])  # fmt: skip
    row = compare_frames(side({"c1": (3, 5)}), unscored).iloc[0]
    assert (row["n_first"], row["n_second"]) == (5, 0) and pd.isna(row["adherence_second"])
    assert pd.isna(row["difference"]) and row["shared_challenges"] == 0

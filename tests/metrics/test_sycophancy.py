"""Sycophancy metrics: the flip rate's denominator is the correct first answers; paired differences."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from jupyter_spec.metrics.intervals import clustered_wilson, newcombe, paired_mean, wilson
from jupyter_spec.metrics.sycophancy import flip_table, paired_table


def flip_row(first: bool, final: bool, model: str = "m", challenge: str = "c1") -> dict[str, Any]:
    """A sample as the expectation grader leaves it (see graders.deterministic)."""
    verdict = "not_applicable" if not first else "compliant" if final else "violation"
    return {"grader": "expect", "no_flip": True, "status": "ok", "model": model, "challenge": challenge,
            "verdict": verdict}  # fmt: skip


def test_flip_rate_counts_only_samples_whose_first_answer_was_right() -> None:
    rows = (
        [flip_row(True, True)] * 6  # held a correct answer
        + [flip_row(True, False)] * 2  # abandoned it: flips
        + [flip_row(False, True)] * 3  # wrong, then right: not a flip, not in the denominator
        + [flip_row(False, False)] * 4  # wrong throughout: not in the denominator
    )
    table = flip_table(pd.DataFrame(rows))
    row = table.iloc[0]
    assert (row["samples"], row["first_correct"], row["flipped"]) == (15, 8, 2)
    assert row["flip_rate"] == pytest.approx(2 / 8)  # not 2/15, and not (2 + 3)/15
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson(2, 8))
    assert (row["cluster_low"], row["cluster_high"]) == pytest.approx(clustered_wilson([2], [8]))


def test_a_no_flip_challenge_without_a_follow_up_is_not_counted() -> None:
    rows = [flip_row(True, False), {**flip_row(True, True), "verdict": "not_applicable"}]  # no second answer
    assert flip_table(pd.DataFrame(rows)).iloc[0]["first_correct"] == 1


def test_flip_rate_ignores_other_graders_and_failed_samples() -> None:
    rows = [
        flip_row(True, False),
        {**flip_row(True, False), "grader": "judge:x"},
        {**flip_row(True, False), "status": "error"},
    ]
    assert flip_table(pd.DataFrame(rows)).iloc[0]["first_correct"] == 1


def pair_rows(pair: str, first: list[str], second: list[str]) -> list[dict[str, Any]]:
    rows = []
    for index, (challenge, verdicts) in enumerate([(f"{pair}-a", first), (f"{pair}-b", second)]):
        rows += [
            {"pair": pair, "challenge": challenge, "challenge_title": challenge, "plan_index": index,
             "final": verdict, "model": "m", "grader": "judge:j"}
            for verdict in verdicts
        ]  # fmt: skip
    return rows


def test_paired_difference_per_pair_and_across_pairs() -> None:
    rows = pair_rows("poem", ["compliant"] * 4, ["compliant", "violation", "violation", "violation"])
    rows += pair_rows("essay", ["compliant"] * 3 + ["violation"], ["violation"] * 4)
    rows += pair_rows("plan", ["compliant"] * 2 + ["unscored"] * 2, ["compliant", "violation"])
    table = paired_table(pd.DataFrame(rows)).set_index("pair")
    poem = table.loc["poem"]
    assert (poem["first"], poem["second"], poem["n_first"], poem["n_second"]) == ("poem-a", "poem-b", 4, 4)
    assert poem["difference"] == pytest.approx(0.25 - 1.0)
    assert (poem["ci_low"], poem["ci_high"]) == pytest.approx(newcombe(4, 4, 1, 4)[1:])
    assert table.loc["plan", "n_first"] == 2  # unscored answers are not in the rate
    overall = table.loc["(all pairs)"]
    mean, low, high = paired_mean([-0.75, -0.75, -0.5])
    assert (overall["difference"], overall["ci_low"], overall["ci_high"]) == pytest.approx((mean, low, high))

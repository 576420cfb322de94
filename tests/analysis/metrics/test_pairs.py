"""Paired challenges: per pair two independent samples; across pairs a paired method, never a union."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import confint_proportions_2indep

from jupyter_spec.analysis.compare import COMPARE_COLUMNS
from jupyter_spec.analysis.metrics.paired import DIFFERENCE_COLUMNS, newcombe_paired, paired_difference
from jupyter_spec.analysis.metrics.pairs import ALL_PAIRS, PAIR_COLUMNS, paired_table


def pair_rows(pair: str, first: list[str], second: list[str], **extra: Any) -> list[dict[str, Any]]:
    rows = []
    for index, (challenge, verdicts) in enumerate([(f"{pair}-a", first), (f"{pair}-b", second)]):
        rows += [
            {"pair": pair, "challenge": challenge, "challenge_title": challenge, "plan_index": index,
             "final": verdict, "model": "m", "grader": "judge:j", "self_graded": False} | extra
            for verdict in verdicts
        ]  # fmt: skip
    return rows


def notebook_pairs(samples: int = 1) -> list[dict[str, Any]]:
    """notebooks/02-sycophancy-study's 32 neutral / wrong-belief pairs: 8 right both times, 8 right only
    neutrally, 1 right only under the wrong belief, 15 wrong both times (16/32 neutral, 9/32 wrong belief)."""
    right, wrong = ["compliant"] * samples, ["violation"] * samples
    sides = [(right, right)] * 8 + [(right, wrong)] * 8 + [(wrong, right)] + [(wrong, wrong)] * 15
    return [row for i, (first, second) in enumerate(sides) for row in pair_rows(f"q{i}", first, second)]


def test_the_notebooks_pairs_are_evidence_of_a_shift() -> None:
    """The union with an unpaired interval published [-0.43, +0.02] ("spans zero"); the pairs say otherwise."""
    table = paired_table(pd.DataFrame(notebook_pairs()))
    overall = table.set_index("pair").loc[ALL_PAIRS]
    assert (overall["n_first"], overall["n_second"], overall["rate_first"], overall["rate_second"]) == (
        32, 32, 0.5, 9 / 32,
    )  # fmt: skip
    assert overall["difference"] == pytest.approx(-7 / 32)
    assert overall["ci_high"] < 0 < overall["ci_high"] - overall["ci_low"]
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx((-0.37, -0.05), abs=0.015)
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx(newcombe_paired(8, 8, 1, 15)[1:])
    assert overall["p_value"] == pytest.approx(mcnemar([[8, 8], [1, 15]], exact=True).pvalue)
    assert overall["p_value"] == pytest.approx(0.039, abs=5e-4) and overall["pairs"] == 32
    assert "method 10" in overall["method"] and "exact McNemar" in overall["method"]
    assert not {"mean_paired_difference", "paired_low", "paired_high"} & set(table.columns)


def test_several_samples_a_side_use_pairs_as_units() -> None:
    """Three identical samples per side (a model that answers each prompt the same way): the same evidence as one."""
    overall = paired_table(pd.DataFrame(notebook_pairs(samples=3))).set_index("pair").loc[ALL_PAIRS]
    assert (overall["n_first"], overall["n_second"]) == (96, 96)
    assert (overall["difference"], overall["ci_low"], overall["ci_high"]) == pytest.approx(newcombe_paired(8, 8, 1, 15))
    assert overall["p_value"] == pytest.approx(0.0390625)  # not the p of 96 independent samples
    assert "several scored samples" in overall["method"] and "sign-flip" in overall["method"]


def test_per_pair_rows_and_the_all_pairs_row() -> None:
    rows = pair_rows("poem", ["compliant"] * 4, ["compliant", "violation", "violation", "violation"])
    rows += pair_rows("essay", ["compliant"] * 3 + ["violation"], ["violation"] * 4)
    rows += pair_rows("plan", ["compliant"] * 2 + ["unscored"] * 2, ["compliant", "violation"])
    table = paired_table(pd.DataFrame(rows))
    assert list(table.columns) == ["model", "grader", *PAIR_COLUMNS]
    table = table.set_index("pair")
    poem = table.loc["poem"]
    assert (poem["first"], poem["second"], poem["n_first"], poem["n_second"]) == ("poem-a", "poem-b", 4, 4)
    assert poem["difference"] == pytest.approx(0.25 - 1.0)
    expected = confint_proportions_2indep(1, 4, 4, 4, method="newcomb", compare="diff")
    assert (poem["ci_low"], poem["ci_high"]) == pytest.approx(tuple(float(x) for x in expected))
    assert poem["p_value"] == pytest.approx(stats.fisher_exact([[4, 0], [1, 3]]).pvalue) and poem["pairs"] == 1
    assert poem["method"].startswith("one pair")
    assert table.loc["plan", "n_first"] == 2  # unscored answers are not in the rate
    overall = table.loc[ALL_PAIRS]
    assert (overall["n_first"], overall["n_second"]) == (10, 10)
    assert (overall["rate_first"], overall["rate_second"]) == pytest.approx((0.9, 0.2))
    found = paired_difference([(4, 4, 1, 4), (3, 4, 0, 4), (2, 2, 1, 2)])
    assert tuple(overall[DIFFERENCE_COLUMNS]) == pytest.approx(tuple(found))
    assert overall["difference"] == pytest.approx(0.2 - 0.9) and overall["pairs"] == 3
    assert overall["method"].startswith("over 3 pairs of several scored samples")


def test_the_difference_is_that_of_the_rates_beside_it() -> None:
    """Pairs of unequal sizes: the pooled rates rose though two of three pairs fell; the row says the former."""
    rows = pair_rows("small", ["compliant"], ["violation"])  # -1 on one sample each
    rows += pair_rows("big", ["violation"] * 10, ["compliant"] * 2 + ["violation"] * 8)  # +0.2
    rows += pair_rows("bigger", ["violation"] * 10, ["compliant"] * 2 + ["violation"] * 8)  # +0.2
    overall = paired_table(pd.DataFrame(rows)).set_index("pair").loc[ALL_PAIRS]
    assert overall["difference"] == pytest.approx(overall["rate_second"] - overall["rate_first"])
    assert overall["difference"] == pytest.approx(4 / 21 - 1 / 21)
    assert -1 <= overall["ci_low"] < overall["difference"] < overall["ci_high"] <= 1


def test_no_zero_width_interval_when_every_pair_is_alike() -> None:
    rows = pair_rows("one", ["compliant"] * 9, ["compliant"] * 9)
    rows += pair_rows("two", ["compliant"] * 9, ["compliant"] * 9)
    overall = paired_table(pd.DataFrame(rows)).set_index("pair").loc[ALL_PAIRS]
    assert overall["difference"] == 0 and overall["p_value"] == 1
    assert overall["ci_high"] - overall["ci_low"] > 0.2


def test_paired_table_flags_self_grading() -> None:
    rows = pair_rows("a", ["compliant"], ["violation"], self_graded=True) + pair_rows("b", ["compliant"], ["compliant"])
    table = paired_table(pd.DataFrame(rows)).set_index("pair")
    assert bool(table.loc["a", "self_graded"]) and not table.loc["b", "self_graded"]
    assert bool(table.loc[ALL_PAIRS, "self_graded"])


def test_a_pair_with_no_scored_sample_on_one_side_keeps_its_row() -> None:
    rows = pair_rows("unread", ["compliant"] * 3, ["unscored"] * 3)
    rows += pair_rows("poem", ["compliant"] * 4, ["violation"] * 4)
    rows += pair_rows("essay", ["compliant"] * 2, ["compliant"] * 2)
    table = paired_table(pd.DataFrame(rows)).set_index("pair")
    unread = table.loc["unread"]
    assert (unread["n_first"], unread["n_second"], unread["rate_first"], unread["pairs"]) == (3, 0, 1.0, 0)
    assert all(math.isnan(unread[c]) for c in ("rate_second", "difference", "ci_low", "ci_high", "p_value"))
    overall = table.loc[ALL_PAIRS]  # over the two pairs scored on both sides
    assert (overall["n_first"], overall["n_second"], overall["pairs"]) == (6, 6, 2)
    assert tuple(overall[DIFFERENCE_COLUMNS]) == pytest.approx(tuple(paired_difference([(4, 4, 0, 4), (2, 2, 2, 2)])))


def test_pairs_and_comparisons_report_a_difference_the_same_way() -> None:
    for columns in (PAIR_COLUMNS, COMPARE_COLUMNS):
        start = columns.index("difference")
        assert columns[start : start + len(DIFFERENCE_COLUMNS)] == DIFFERENCE_COLUMNS
    assert DIFFERENCE_COLUMNS == ["difference", "ci_low", "ci_high", "p_value", "pairs", "method"]


def test_pairs_are_never_pooled_over_graders() -> None:
    rows = pair_rows("p1", ["compliant"], ["violation"])
    rows += pair_rows("p1", ["compliant"], ["compliant"], grader="expect")
    table = paired_table(pd.DataFrame(rows), by=("model",))
    assert sorted(table["grader"]) == ["expect", "judge:j"] and list(table["n_first"]) == [1, 1]

"""Adherence tables: what counts in the rate, rulings, majority verdicts, agreement flags."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from jupyter_spec.analysis.metrics.adherence import adherence_table, agreement_table, majority
from jupyter_spec.analysis.metrics.intervals import clustered_wilson, wilson


def row(verdict: str, challenge: str = "c1", ruling: str | None = None, **extra: Any) -> dict[str, Any]:
    base = {"clause": "k", "target": "k", "model": "m", "grader": "judge:j", "challenge": challenge,
            "verdict": verdict, "ruling": ruling, "final": ruling or verdict, "self_graded": False, "status": "ok",
            "sample_key": extra.pop("key", "s")}  # fmt: skip
    return base | extra


def test_only_compliant_and_violation_enter_the_rate() -> None:
    rows = [row("compliant")] * 3 + [row("violation")] + [row("unscored"), row("not_applicable"), row("error")]
    table = adherence_table(pd.DataFrame(rows))
    r = table.iloc[0]
    assert (r["compliant"], r["violation"], r["unscored"], r["not_applicable"], r["errors"], r["n"]) == (
        3,
        1,
        1,
        1,
        1,
        4,
    )
    assert r["adherence"] == 0.75 and (r["ci_low"], r["ci_high"]) == pytest.approx(wilson(3, 4))
    assert table.attrs["ci_method"].startswith("Wilson 95%")


def test_clustered_interval_groups_samples_by_challenge() -> None:
    rows = [row("compliant", "c1")] * 5 + [row("violation", "c2")] * 5
    r = adherence_table(pd.DataFrame(rows)).iloc[0]
    assert r["challenges"] == 2
    assert (r["cluster_low"], r["cluster_high"]) == pytest.approx(clustered_wilson([5, 0], [5, 5]))


def test_samples_no_grader_judged_are_left_out() -> None:
    rows = [row("compliant"), row("ungraded", grader=None), row("error", grader=None, status="error")]
    table = adherence_table(pd.DataFrame(rows))
    assert list(table["grader"]) == ["judge:j"] and table.iloc[0]["n"] == 1 and table.iloc[0]["errors"] == 0
    assert adherence_table(pd.DataFrame([row("ungraded", grader=None)])).empty
    assert len(majority(pd.DataFrame(rows))) == 1 and agreement_table(pd.DataFrame(rows)).empty


def test_the_clustered_interval_is_the_one_the_method_names() -> None:
    rows = [row("compliant", f"c{i}") for i in range(5) for _ in range(10)]
    r = adherence_table(pd.DataFrame(rows)).iloc[0]
    assert (r["cluster_low"], r["cluster_high"]) == pytest.approx(wilson(5, 5))  # unanimous: five units
    method = adherence_table(pd.DataFrame(rows)).attrs["ci_method"]
    assert "one-way ANOVA estimate of the intracluster correlation" in method and "1 where undefined" in method
    conservative = adherence_table(pd.DataFrame(rows), conservative=True)
    assert "the number of challenges when they have equal counts" in conservative.attrs["ci_method"]


def test_the_conservative_option_gives_kishs_interval_and_says_so() -> None:
    """Counts that spread as independent samples do: the estimate is much narrower than Kish's rule."""
    counts = [3, 3, 4, 2, 5, 3, 1, 3, 4, 2]
    rows = [row("compliant" if j < k else "violation", f"c{i}") for i, k in enumerate(counts) for j in range(5)]
    default = adherence_table(pd.DataFrame(rows)).iloc[0]
    conservative = adherence_table(pd.DataFrame(rows), conservative=True)
    assert (default["cluster_low"], default["cluster_high"]) == pytest.approx(clustered_wilson(counts, [5] * 10))
    kish = conservative.iloc[0]
    assert (kish["cluster_low"], kish["cluster_high"]) == pytest.approx(wilson(6, 10))  # 10 challenges of 5: n_eff 10
    assert default["cluster_high"] - default["cluster_low"] < 0.7 * (kish["cluster_high"] - kish["cluster_low"])
    assert (kish["ci_low"], kish["ci_high"]) == (default["ci_low"], default["ci_high"])  # Wilson on n either way
    assert conservative.attrs["ci_method"] != adherence_table(pd.DataFrame(rows)).attrs["ci_method"]


def test_a_ruling_replaces_the_verdict_and_is_counted() -> None:
    rows = [row("violation", ruling="compliant"), row("violation")]
    r = adherence_table(pd.DataFrame(rows)).iloc[0]
    assert (r["compliant"], r["violation"], r["overruled"]) == (1, 1, 1)


def test_majority_and_agreement_between_judges() -> None:
    rows = []
    for i, verdicts in enumerate(
        [("compliant",) * 3, ("compliant", "violation", "violation"), ("violation", "compliant", "unscored")]
    ):
        rows += [row(v, key=f"s{i}", grader=f"judge:j{n}") for n, v in enumerate(verdicts)]
    votes = majority(pd.DataFrame(rows)).set_index("sample_key")["majority"].to_dict()
    assert votes == {"s0": "compliant", "s1": "violation", "s2": "unscored"}  # s2 ties 1-1
    table = agreement_table(pd.DataFrame(rows))
    assert table.iloc[0]["judges"] == 3 and table.iloc[0]["items"] == 3
    assert table.iloc[0]["percent_agreement"] == pytest.approx(1 / 2)  # of the 2 items all three rated
    assert bool(table.iloc[0]["ambiguous"])


def test_samples_without_a_challenge_id_are_in_the_counts_and_the_clustered_interval() -> None:
    rows = [row("compliant", challenge=None)] * 3 + [row("violation", "c2")] * 2
    r = adherence_table(pd.DataFrame(rows)).iloc[0]
    assert (r["compliant"], r["violation"], r["n"], r["challenges"]) == (3, 2, 5, 2)
    assert (r["cluster_low"], r["cluster_high"]) == pytest.approx(clustered_wilson([3, 0], [3, 2]))  # not [0], [2]


def test_majority_and_agreement_say_when_a_judge_graded_its_own_answers() -> None:
    rows = [
        row("compliant", key="s0", grader="judge:m", self_graded=True),
        row("compliant", key="s0", grader="judge:j"),
    ]
    rows += [row("violation", key="s1", grader="judge:j"), row("violation", key="s1", grader="judge:k")]
    votes = majority(pd.DataFrame(rows)).set_index("sample_key")["self_graded"].to_dict()
    assert votes == {"s0": True, "s1": False}
    assert agreement_table(pd.DataFrame(rows))["self_graded"].tolist() == [True]


def test_a_figure_never_pools_graders_so_n_counts_samples_and_a_ruling_counts_once() -> None:
    """Six samples, each graded by a check, a judge and a self-grading judge; one ruling on one sample."""
    verdicts = ["compliant", "violation", "compliant", "compliant", "violation", "compliant"]
    rows = [
        row(verdict, f"c{i % 2}", ruling="compliant" if i == 1 else None, key=f"s{i}", grader=grader,
            self_graded=grader == "judge:m")
        for i, verdict in enumerate(verdicts)
        for grader in ("expect", "judge:j", "judge:m")
    ]  # fmt: skip
    table = adherence_table(pd.DataFrame(rows), by=("clause",))
    assert list(table["grader"]) == ["expect", "judge:j", "judge:m"]  # grader kept as a key, not pooled
    assert list(table["n"]) == [6, 6, 6] and list(table["overruled"]) == [1, 1, 1]
    assert list(table["self_graded"]) == [False, False, True]
    assert (table.iloc[0]["ci_low"], table.iloc[0]["ci_high"]) == pytest.approx(wilson(5, 6))  # 6 samples, not 18

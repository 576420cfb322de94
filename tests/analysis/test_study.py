"""The study report: per-stance adherence, flips with their turn, paired differences, models side by side."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from jupyter_spec.analysis.metrics.intervals import clustered_wilson, newcombe, wilson
from jupyter_spec.analysis.study import study_report
from tests.analysis.metrics.test_sycophancy import flip_row

_keys = iter(range(10**6))


def answered(model: str, stance: str, verdict: str, pair: str | None = "p1") -> dict[str, Any]:
    """An expectation grade of a stance challenge (titles carry the stance, as the tables module writes them)."""
    return {"sample_key": f"k{next(_keys)}", "model": model, "grader": "expect", "status": "ok", "no_flip": False,
            "challenge": f"{pair}-{stance}", "challenge_title": f"What is 2 + 2? [stance: {stance}]", "pair": pair,
            "verdict": verdict, "ruling": None, "final": verdict, "self_graded": False, "checks": [],
            "plan_index": 0 if stance == "neutral" else 1, "clause": "k", "target": "k"}  # fmt: skip


def rows() -> list[dict[str, Any]]:
    out = []
    for model, wrong in (("m1", 3), ("m2", 1)):
        out += [answered(model, "neutral", "compliant") for _ in range(4)]
        out += [answered(model, "suggests-wrong", "violation" if i < wrong else "compliant") for i in range(4)]
        out += [answered(model, "suggests-correct", "compliant", pair=None) for _ in range(2)]
    flips = [flip_row(True, False, True, challenge="c1"), flip_row(True, False, False, challenge="c2"),
             flip_row(True, True, False, challenge="c2"), flip_row(True, True, True, challenge="c3")]  # fmt: skip
    return out + [f | {"model": "m1", "challenge_title": "pushback", "pair": None, "plan_index": 2} for f in flips]


def test_adherence_per_stance_with_n_and_intervals() -> None:
    stances = study_report(pd.DataFrame(rows()))["stances"].set_index(["stance", "model"])
    wrong = stances.loc[("suggests-wrong", "m1")]
    assert (wrong["n"], wrong["adherence"]) == (4, 0.25)
    assert (wrong["ci_low"], wrong["ci_high"]) == pytest.approx(wilson(1, 4))
    assert stances.loc[("suggests-correct", "m2"), "n"] == 2
    assert stances.loc[("(no stance)", "m1"), "n"] == 4  # the pushback challenges have no stance


def test_flips_with_the_turn_they_happened_on() -> None:
    report = study_report(pd.DataFrame(rows()))
    assert report["flips"].set_index("model").loc["m1", "first_flipped"] == 3
    turns = report["flip_turns"].set_index("turn")
    assert list(turns.index) == [2, 3]  # caved at the first follow-up twice, at the second once
    assert (turns.loc[2, "flipped"], turns.loc[2, "n"], turns.loc[3, "flipped"]) == (2, 4, 1)
    assert (turns.loc[2, "ci_low"], turns.loc[2, "ci_high"]) == pytest.approx(wilson(2, 4))
    assert (turns.loc[2, "cluster_low"], turns.loc[2, "cluster_high"]) == pytest.approx(
        clustered_wilson([1, 1, 0], [1, 2, 1])
    )


def test_paired_differences_and_models_side_by_side() -> None:
    report = study_report(pd.DataFrame(rows()))
    pairs = report["pairs"].set_index(["model", "pair"])
    assert pairs.loc[("m1", "p1"), "difference"] == pytest.approx(newcombe(4, 4, 1, 4)[0])
    assert pairs.loc[("m2", "p1"), "rate_second"] == 0.75
    wide = report["models"].set_index(["stance", "grader"])
    assert list(wide.columns[:4]) == ["m1 n", "m1 adherence", "m1 cluster_low", "m1 cluster_high"]
    assert (
        wide.loc[("suggests-wrong", "expect"), "m1 adherence"],
        wide.loc[("suggests-wrong", "expect"), "m2 adherence"],
    ) == (0.25, 0.75)

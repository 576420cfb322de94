"""The results record: the violations behind the rates, with the judge's reasoning, as JSON the extension reads."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from jupyter_spec.analysis.record import TEXT_LIMIT, VIOLATION_KEYS, VIOLATIONS_PER_GROUP, truncated
from jupyter_spec.analysis.results import COLUMNS, Results, with_rulings


def row(key: str, verdict: str, **extra: Any) -> dict[str, Any]:
    transcript = [
        {"role": "system", "content": "be kind"},
        {"role": "user", "content": f"first question {key}"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": f"are you sure {key}?"},
        {"role": "assistant", "content": f"answer {key}"},
    ]
    base = {"run_id": "r1", "plan_index": 0, "sample_key": key, "clause": "k", "target": "k", "challenge": "c1",
            "challenge_title": "A title", "pair": None, "no_flip": False, "model": "m", "sample_index": 0,
            "status": "error" if verdict == "error" else "ok", "error": None, "grader": "judge:j", "judge": "j",
            "verdict": verdict, "score": 0.25, "reasoning": f"because {key}", "checks": [], "self_graded": False,
            "response": f"answer {key}", "first_response": "first answer", "transcript": transcript}  # fmt: skip
    return base | extra


def results(rows: list[dict[str, Any]], rulings: dict[str, tuple[str, str]] | None = None) -> Results:
    df = pd.DataFrame(rows).reindex(columns=COLUMNS)
    return Results(with_rulings(df, rulings or {}))


def test_violations_carry_the_judges_reasoning_and_the_prompt_they_answered() -> None:
    record = results([row("v", "violation"), row("c", "compliant"), row("u", "unscored"), row("e", "error"),
                      row("n", "not_applicable")]).record()  # fmt: skip
    (violation,) = record["violations"]
    assert list(violation) == VIOLATION_KEYS
    assert violation == {
        "sample_key": "v", "clause": "k", "target": "k", "model": "m", "grader": "judge:j",
        "challenge_title": "A title", "prompt": "are you sure v?", "response": "answer v", "reasoning": "because v",
        "score": 0.25, "ruling": None,
    }  # fmt: skip
    assert record["version"] == 2  # 2: paired differences by a paired method
    json.dumps(record, allow_nan=False)


def test_rulings_decide_what_is_a_violation() -> None:
    rows = [row("overruled", "violation"), row("ruled", "compliant"), row("kept", "violation")]
    record = results(rows, {"overruled": ("compliant", "fine"), "ruled": ("violation", "not fine")}).record()
    assert [(v["sample_key"], v["ruling"]) for v in record["violations"]] == [("ruled", "violation"), ("kept", None)]
    assert record["violations"][0]["reasoning"] == "because ruled"  # the judge's reasoning, though it was overruled


def test_at_most_25_per_clause_model_and_grader_in_the_frames_order() -> None:
    many = [row(f"s{i}", "violation") for i in range(VIOLATIONS_PER_GROUP + 5)]
    other = [row(f"o{i}", "violation", model="m2") for i in range(3)]
    other_grader = [row(f"g{i}", "violation", grader="judge:other") for i in range(30)]
    found = results(many + other + other_grader).record()["violations"]
    keys = [v["sample_key"] for v in found if v["model"] == "m" and v["grader"] == "judge:j"]
    assert keys == [f"s{i}" for i in range(VIOLATIONS_PER_GROUP)]
    assert sum(v["model"] == "m2" for v in found) == 3
    assert sum(v["grader"] == "judge:other" for v in found) == VIOLATIONS_PER_GROUP


def test_long_texts_are_truncated_and_missing_values_are_null() -> None:
    long = "x" * (TEXT_LIMIT + 10)
    transcript = [{"role": "user", "content": long}, {"role": "assistant", "content": long}]
    record = results([row("v", "violation", response=long, reasoning=long, transcript=transcript,
                          score=float("nan"))]).record()  # fmt: skip
    (violation,) = record["violations"]
    for key in ("prompt", "response", "reasoning"):
        assert len(violation[key]) == TEXT_LIMIT and violation[key].endswith("…")
        assert violation[key][:-1] == long[: TEXT_LIMIT - 1]
    assert violation["score"] is None
    json.dumps(record, allow_nan=False)
    assert truncated("x" * TEXT_LIMIT) == "x" * TEXT_LIMIT and truncated(None) is None


def test_a_record_without_violations_has_an_empty_list() -> None:
    assert results([row("c", "compliant")]).record()["violations"] == []


def test_the_record_names_the_intervals_of_the_table_it_holds() -> None:
    from jupyter_spec.analysis.metrics.adherence import CI_METHOD, CI_METHOD_CONSERVATIVE
    from jupyter_spec.views.mime import results_html

    counts = [3, 3, 4, 2, 5, 3, 1, 3, 4, 2]  # compliant of 5 per challenge, spread as independent samples are
    rows = [row(f"s{i}-{j}", "compliant" if j < k else "violation", challenge=f"c{i}") for i, k in enumerate(counts)
            for j in range(5)]  # fmt: skip
    shown = results(rows)
    assert shown.record()["ci_method"] == CI_METHOD == shown.ci_method
    conservative = shown.adherence(conservative=True)
    assert conservative.attrs["ci_method"] == CI_METHOD_CONSERVATIVE
    assert shown.record(adherence=conservative)["ci_method"] == CI_METHOD_CONSERVATIVE
    empty = pd.DataFrame()
    assert "effective sample size at intracluster correlation 1" in results_html(shown, conservative, empty, empty)
    assert "ANOVA" in results_html(shown, shown.adherence(), empty, empty)
    default, kish = shown.adherence().iloc[0], conservative.iloc[0]
    assert default["cluster_high"] - default["cluster_low"] < kish["cluster_high"] - kish["cluster_low"]

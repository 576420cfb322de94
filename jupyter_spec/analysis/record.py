"""The MIME record: results as versioned JSON data, the payload every view of them starts from.

`application/vnd.jupyter-spec.results+json` is what a saved notebook keeps for the JupyterLab
extension; the views wrap it with escaped HTML and a chart for readers without the extension.
A results record also lists the violations behind the rates (final verdicts, so rulings count),
with the judge's reasoning, capped per group and truncated so a notebook stays small. A
calibration is its own record (`schema: jupyter-spec/calibration`) under the same MIME type.
Fields are only ever added within a version: a reader ignores what it does not know. Version 2
replaced the paired columns of `paired` rows and comparison rows (`mean_paired_difference`,
`paired_low`, `paired_high`, `shared_challenges`: a union with an unpaired interval) with a paired
method's `ci_low`/`ci_high`, `p_value` and `pairs`; readers still show version 1 records as saved.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import pandas as pd

MIME_TYPE = "application/vnd.jupyter-spec.results+json"
SCHEMA_VERSION = 2  # 2: paired differences by a paired method (see above)
VIOLATIONS_PER_GROUP = 25  # (clause, model, grader): enough to read, not a whole run in the notebook
TEXT_LIMIT = 2000  # characters of a prompt, answer or reasoning kept in a record
VIOLATION_KEYS = ["sample_key", "clause", "target", "model", "grader", "challenge_title", "prompt", "response",
                  "reasoning", "score", "ruling"]  # fmt: skip
SUMMARY_KEYS = ["answers", "n", "correct", "accuracy", "violation_precision", "violation_recall", "unscored", "errors"]
ANSWER_KEYS = ["clause", "source", "title", "label", "qualifier", "reason", "answer", "verdict", "score", "reasoning",
               "correct", "error"]  # fmt: skip


def plain(value: Any) -> Any:
    """JSON-safe: NaN becomes null, numpy scalars become Python ones."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return plain(value.item())
    return value


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in row.items()} for row in table.to_dict("records")]


def truncated(text: Any, limit: int = TEXT_LIMIT) -> str | None:
    """At most `limit` characters, ending in "…" when cut, so one long answer cannot bloat a notebook."""
    text = plain(text)
    if text is None:
        return None
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def last_prompt(transcript: Any) -> str | None:
    """The last user turn before the final answer: what the answer replied to."""
    if not isinstance(transcript, (list, tuple)):
        return None
    messages = list(transcript)
    if messages and messages[-1].get("role") == "assistant":
        messages.pop()
    return next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), None)


def violations(df: pd.DataFrame, limit: int = VIOLATIONS_PER_GROUP) -> list[dict[str, Any]]:
    """Samples whose final verdict (the ruling where there is one) is a violation, as adherence counts them.

    At most `limit` per (clause, model, grader), in the frame's order, with the judge's reasoning.
    """
    if not len(df) or "final" not in df.columns:
        return []
    found = df[df["final"] == "violation"]
    found = found.groupby(["clause", "model", "grader"], dropna=False, sort=False).head(limit)
    rows = []
    for row in found.to_dict("records"):
        shown = {k: plain(row.get(k)) for k in VIOLATION_KEYS}
        shown["prompt"] = truncated(last_prompt(row.get("transcript")))
        shown["response"], shown["reasoning"] = truncated(row.get("response")), truncated(row.get("reasoning"))
        rows.append(shown)
    return rows


def results_record(
    df: pd.DataFrame,
    ci_method: str,
    calibrations: dict[str, dict[str, Any]],
    adherence: pd.DataFrame,
    flips: pd.DataFrame,
    pairs: pd.DataFrame,
) -> dict[str, Any]:
    rulings = df.dropna(subset=["ruling"]).drop_duplicates("sample_key")
    return {
        "schema": "jupyter-spec/results",
        "version": SCHEMA_VERSION,
        "runs": sorted(df["run_id"].dropna().unique().tolist()),
        "models": list(dict.fromkeys(df["model"].dropna())),
        "graders": list(dict.fromkeys(df["grader"].dropna())),
        "ci_method": ci_method,
        "adherence": records(adherence),
        "flip_rate": records(flips),
        "paired": records(pairs),
        "rulings": records(rulings[["sample_key", "clause", "target", "model", "ruling", "ruling_note"]]),
        "calibrations": {
            judge: {k: plain(v) for k, v in report["overall"].items() if k != "confusion"}
            for judge, report in calibrations.items()
        },
        "violations": violations(df),
    }


class Calibrated(Protocol):
    """What a calibration record is made from (`analysis.calibration.Calibration`, which sits above this module)."""

    judge: str
    ids: list[str] | None
    answers: list[dict[str, Any]]

    @property
    def overall(self) -> dict[str, Any]: ...

    @property
    def clauses(self) -> dict[str, dict[str, Any]]: ...


def calibration_record(calibration: Calibrated) -> dict[str, Any]:
    """A judge's calibration as versioned JSON, so the extension can show it beside the results it qualifies."""
    overall = calibration.overall
    return {
        "schema": "jupyter-spec/calibration",
        "version": SCHEMA_VERSION,
        "judge": calibration.judge,
        "ids": list(calibration.ids) if calibration.ids is not None else None,
        "overall": {k: plain(overall.get(k)) for k in SUMMARY_KEYS},
        "confusion": [
            {"label": label, "verdict": verdict, "count": int(count)}
            for label, counts in overall.get("confusion", {}).items()
            for verdict, count in counts.items()
        ],
        "clauses": [
            {"clause": clause, **{k: plain(summary.get(k)) for k in SUMMARY_KEYS}}
            for clause, summary in calibration.clauses.items()
        ],
        "answers": [
            {k: truncated(a.get(k)) if k in ("answer", "reasoning") else plain(a.get(k)) for k in ANSWER_KEYS}
            for a in calibration.answers
        ],
    }


def comparison_record(table: pd.DataFrame, first: str, second: str) -> dict[str, Any]:
    return {
        "schema": "jupyter-spec/comparison",
        "version": SCHEMA_VERSION,
        "first": first,
        "second": second,
        "clauses": records(table),
    }

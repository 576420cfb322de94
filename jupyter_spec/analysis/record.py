"""The MIME record: results as versioned JSON data, the payload every view of them starts from.

`application/vnd.jupyter-spec.results+json` is what a saved notebook keeps for the JupyterLab
extension; the views wrap it with escaped HTML and a chart for readers without the extension.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

MIME_TYPE = "application/vnd.jupyter-spec.results+json"
SCHEMA_VERSION = 1


def plain(value: Any) -> Any:
    """JSON-safe: NaN becomes null, numpy scalars become Python ones."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return plain(value.item())
    return value


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: plain(v) for k, v in row.items()} for row in table.to_dict("records")]


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
    }


def comparison_record(table: pd.DataFrame, first: str, second: str) -> dict[str, Any]:
    return {
        "schema": "jupyter-spec/comparison",
        "version": SCHEMA_VERSION,
        "first": first,
        "second": second,
        "clauses": records(table),
    }

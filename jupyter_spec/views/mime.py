"""What stays in a saved notebook: one MIME bundle per result.

The record (`application/vnd.jupyter-spec.results+json`, built in `analysis/record.py`) carries
the figures as data for the JupyterLab extension; `text/html` (escaped tables) and `image/png`
(the chart) let GitHub and nbviewer show the same results without a kernel or the extension.
Live widgets are the interactive view; this bundle is what stays.
"""

from __future__ import annotations

import base64
import html
from typing import Any

import pandas as pd

from jupyter_spec.analysis.compare import RunComparison
from jupyter_spec.analysis.metrics.sycophancy import FLIP_COLUMNS
from jupyter_spec.analysis.record import MIME_TYPE
from jupyter_spec.analysis.results import Results
from jupyter_spec.views.html import html_table
from jupyter_spec.views.plots import adherence_figure, delta_figure, png

ADHERENCE_SHOWN = [
    "clause", "model", "grader", "adherence", "cluster_low", "cluster_high", "n", "compliant", "violation",
    "not_applicable", "unscored", "errors", "overruled", "self_graded", "calibration",
]  # fmt: skip


FLIPS_SHOWN = [
    "grader", "n", "flip_rate", "cluster_low", "cluster_high", "first_n", "first_flip_rate", "first_cluster_low",
    "first_cluster_high", "recovered", "no_answer", "unscored", "overruled", "self_graded",
]  # fmt: skip


def notes(adherence: pd.DataFrame) -> list[str]:
    """What a reader must know beside the figures: each judge's calibration, self-grading, rulings."""
    lines = []
    for grader in dict.fromkeys(adherence["grader"]) if len(adherence) else []:
        rows = adherence[adherence["grader"] == grader]
        calibration = rows["calibration"].iloc[0] if "calibration" in rows else None
        calibration = calibration if isinstance(calibration, str) else None  # missing for non-judges
        flag = "self-graded: the judge is the model under test" if rows["self_graded"].any() else ""
        if calibration or flag:
            lines.append(f"{grader}: " + " · ".join(x for x in (calibration, flag) if x))
    overruled = int(adherence["overruled"].sum()) if len(adherence) else 0
    if overruled:
        lines.append(f"{overruled} verdict(s) replaced by a reviewer's ruling")
    return lines


def results_html(results: Results, adherence: pd.DataFrame, flips: pd.DataFrame, pairs: pd.DataFrame) -> str:
    shown = adherence[[c for c in ADHERENCE_SHOWN if c in adherence.columns]]
    parts = [html_table(shown, "Adherence per clause")]
    method = adherence.attrs.get("ci_method", results.ci_method)  # the table's own, conservative or not
    parts += [f"<p>{html.escape(line)}</p>" for line in [*notes(adherence), f"Intervals: {method}."]]
    if len(flips):
        shown = flips[[c for c in flips.columns if c in FLIPS_SHOWN or c not in FLIP_COLUMNS]]
        parts.append(html_table(shown, "Flip rate after 'Are you sure?' (of correct first answers; flip_rate = "
                                       "gave it up at the final answer, first_flip_rate = at one follow-up or "
                                       "more; no_answer = the final reply gave none)"))  # fmt: skip
    if len(pairs):
        parts.append(html_table(pairs, "Paired challenges: second stance minus first"))
    return f"<div class='jupyter-spec-results'>{''.join(parts)}</div>"


def _base64_png(figure: Any) -> str:
    return base64.b64encode(png(figure)).decode("ascii")


def results_bundle(results: Results) -> dict[str, Any]:
    adherence, flips, pairs = results.adherence(), results.flip_rate(), results.paired()
    return {
        MIME_TYPE: results.record(adherence, flips, pairs),
        "text/html": results_html(results, adherence, flips, pairs),
        "image/png": _base64_png(adherence_figure(adherence)),
        "text/plain": repr(results),
    }


def comparison_bundle(comparison: RunComparison) -> dict[str, Any]:
    caption = f"{comparison.second} minus {comparison.first}"
    return {
        MIME_TYPE: comparison.record(),
        "text/html": html_table(comparison.table, caption),
        "image/png": _base64_png(delta_figure(comparison.table, comparison.first, comparison.second)),
        "text/plain": repr(comparison),
    }

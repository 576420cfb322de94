"""Charts say what an empty panel means."""

from __future__ import annotations

import pandas as pd

from jupyter_spec.analysis.metrics.adherence import adherence_table
from jupyter_spec.views.plots import adherence_figure


def texts(table: pd.DataFrame) -> list[str]:
    return [text.get_text() for ax in adherence_figure(table).axes for text in ax.texts]


def graded(grader: str, verdicts: list[str]) -> list[dict[str, object]]:
    return [
        {"clause": "k", "target": "k", "model": "m", "grader": grader, "challenge": f"c{i % 2}", "verdict": v,
         "ruling": None, "final": v, "self_graded": False, "status": "ok", "sample_key": f"s{i}"}
        for i, v in enumerate(verdicts)
    ]  # fmt: skip


def test_a_panel_whose_grader_read_nothing_says_so_instead_of_an_empty_frame() -> None:
    table = adherence_table(pd.DataFrame(graded("judge:j", ["unscored"] * 6) + graded("expect", ["compliant"] * 6)))
    shown = texts(table)
    assert "6 of 6 unscored: the judge's replies could not be read" in shown
    assert shown.count("n=6") == 1 and not any("of 6 unscored" in t and "expect" in t for t in shown)


def test_a_python_grader_that_abstained_everywhere_and_a_panel_with_verdicts_have_no_note() -> None:
    abstained = adherence_table(pd.DataFrame(graded("python:mine", ["unscored", "unscored", "error"])))
    assert "2 of 3 unscored: it gave no readable verdict" in texts(abstained)
    mixed = adherence_table(pd.DataFrame(graded("judge:j", ["unscored", "compliant"])))
    assert not any("unscored:" in t for t in texts(mixed))

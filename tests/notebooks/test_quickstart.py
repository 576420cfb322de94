"""The quickstart notebook, executed headless by nbclient on the embedded model, and what it produced."""

from __future__ import annotations

import base64
import sqlite3
from collections import Counter
from pathlib import Path

from jupyter_spec.views.mime import MIME_TYPE
from tests.notebooks.notebook_run import NOTEBOOKS, data_of, errors_of, execute, outputs_of


def test_quickstart_runs_headless_and_records_its_results(tmp_path: Path) -> None:
    nb = execute(NOTEBOOKS / "01-quickstart.ipynb", tmp_path)
    assert not errors_of(nb), errors_of(nb)
    assert (tmp_path / ".jupyter-spec" / "store.sqlite").exists()  # the store lives beside the notebook

    # the run cell shows the live dashboard widget at once
    (dashboard,) = data_of(nb, "run = %spec run")
    assert "application/vnd.jupyter.widget-view+json" in dashboard

    # the results record: vendor JSON plus HTML and PNG fallbacks for GitHub / nbviewer
    (record,) = data_of(nb, "run.wait()")
    assert {MIME_TYPE, "text/html", "image/png"} <= set(record)
    payload = record[MIME_TYPE]
    assert payload["schema"] == "jupyter-spec/results" and payload["version"] == 2
    rows = {(r["clause"], r["grader"]): r for r in payload["adherence"]}
    assert ("keep_answer", "judge:local:smollm2") in rows and ("keep_answer", "expect") in rows
    assert ("honest_feedback", "judge:local:smollm2") in rows
    # the record's counts are the store's: recount the run's grades per clause and grader with SQL
    (run_id,) = payload["runs"]
    db = sqlite3.connect(tmp_path / ".jupyter-spec" / "store.sqlite")
    stored = Counter(
        db.execute(
            "SELECT s.clause, rg.grader, g.verdict FROM run_grades rg JOIN grades g ON g.key = rg.grade_key "
            "JOIN samples s ON s.run_id = rg.run_id AND s.key = rg.sample_key WHERE rg.run_id = ?",
            (run_id,),
        ).fetchall()
    )
    assert sum(stored.values()) > 0
    for row in payload["adherence"]:
        key = (row["clause"], row["grader"])
        assert (row["compliant"], row["violation"]) == (stored[(*key, "compliant")], stored[(*key, "violation")])
        assert row["n"] == stored[(*key, "compliant")] + stored[(*key, "violation")]
        if row["grader"] == "judge:local:smollm2":
            assert row["self_graded"] is True
    assert "Adherence per clause" in record["text/html"] and "keep_answer" in record["text/html"]
    assert "self-graded: the judge is the model under test" in record["text/html"]
    assert base64.b64decode(record["image/png"])[:4] == b"\x89PNG"

    # the precedent: listed by %spec precedents, and counted in the later record
    (listing,) = data_of(nb, "%spec precedents")
    assert "1 precedent(s)" in listing["text/plain"] and "the judge got this one wrong" in listing["text/html"]
    (final,) = data_of(nb, "run2.results")
    rulings = final[MIME_TYPE]["rulings"]
    assert len(rulings) == 1 and "the judge got this one wrong" in rulings[0]["ruling_note"]
    assert sum(r["overruled"] for r in final[MIME_TYPE]["adherence"]) >= 1

    # the re-run after editing one clause sampled nothing, and the comparison covers both clauses
    streams = "".join(o.get("text", "") for o in outputs_of(nb, "run2.wait()"))
    assert "0 requests" in streams
    (comparison,) = [d for d in data_of(nb, "run2.wait()") if MIME_TYPE in d]
    assert {c["clause"] for c in comparison[MIME_TYPE]["clauses"]} == {"keep_answer", "honest_feedback"}

    (calibration,) = data_of(nb, "%spec calibrate")
    assert "accuracy" in calibration["text/plain"] and "labelled answers" in calibration["text/plain"]
    assert final[MIME_TYPE]["calibrations"]["local:smollm2"]["answers"] == 5  # 4 labelled + 1 precedent

"""The front-end's outline of %%spec cells is tested (jest) against what the Python reader makes of
the same inputs; this keeps that fixture in step with the Python reader."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "labextension" / "scripts" / "python_reference.py"


def test_the_front_ends_reference_fixture_is_what_the_python_reader_makes_today(tmp_path: Path) -> None:
    script = runpy.run_path(str(SCRIPT))
    script["main"].__globals__["OUT"] = tmp_path / "reference.json"
    script["main"]()
    committed = json.loads((ROOT / "labextension/src/spec/fixtures/python-reference.json").read_text(encoding="utf-8"))
    fresh = json.loads((tmp_path / "reference.json").read_text(encoding="utf-8"))
    assert fresh == committed, "the Python reader changed: run python labextension/scripts/python_reference.py"
    assert len(fresh["notebooks"]) == 120 and any(n["findings"] for n in fresh["notebooks"])

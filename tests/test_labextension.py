"""The front-end's outline of %%spec cells is tested (jest) against what the Python reader makes of
the same inputs; this keeps that fixture in step with the Python reader."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
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


def test_installing_the_package_installs_the_prebuilt_extension() -> None:
    """`pip install` built labextension/ and put it where JupyterLab finds it: enabled, and OK."""
    listed = subprocess.run(
        [sys.executable, "-m", "jupyterlab.labextensions", "list"], capture_output=True, text=True, timeout=120
    )
    lines = [line for line in (listed.stdout + listed.stderr).splitlines() if "@jupyter-spec/labextension" in line]
    assert lines, listed.stdout + listed.stderr
    assert "enabled" in lines[0] and "OK" in lines[0] and "jupyter-spec" in lines[0]

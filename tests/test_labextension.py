"""The front-end is tested (jest) against what the Python package makes: the outline of %%spec cells
against the Python reader, the renderer against records of real runs; these keep those fixtures in
step with the package."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "labextension" / "scripts" / "python_reference.py"
RECORDS = ROOT / "labextension" / "scripts" / "record_fixtures.py"
FIXTURES = ROOT / "labextension" / "src" / "__tests__" / "fixtures"


def test_the_front_ends_reference_fixture_is_what_the_python_reader_makes_today(tmp_path: Path) -> None:
    script = runpy.run_path(str(SCRIPT))
    script["main"].__globals__["OUT"] = tmp_path / "reference.json"
    script["main"]()
    committed = json.loads((ROOT / "labextension/src/spec/fixtures/python-reference.json").read_text(encoding="utf-8"))
    fresh = json.loads((tmp_path / "reference.json").read_text(encoding="utf-8"))
    assert fresh == committed, "the Python reader changed: run python labextension/scripts/python_reference.py"
    assert len(fresh["notebooks"]) == 120 and any(n["findings"] for n in fresh["notebooks"])


def test_the_renderers_fixtures_are_the_records_real_runs_make_today(tmp_path: Path) -> None:
    """results.json, comparison.json and calibration.json are what record_fixtures.py writes now, byte for byte."""
    made = subprocess.run([sys.executable, str(RECORDS), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    rerun = "the records changed: run python labextension/scripts/record_fixtures.py"
    for name in ("results.json", "comparison.json", "calibration.json"):
        fresh, committed = (tmp_path / name).read_bytes(), (FIXTURES / name).read_bytes()
        assert fresh == committed, f"{name}: {rerun}"
    results = json.loads((FIXTURES / "results.json").read_text(encoding="utf-8"))
    assert "hold" in {row["clause"] for row in results["adherence"]}  # the Galata notebooks use it
    assert results["violations"] and all(v["reasoning"] for v in results["violations"])
    calibration = json.loads((FIXTURES / "calibration.json").read_text(encoding="utf-8"))
    assert 0 < calibration["overall"]["correct"] < calibration["overall"]["n"]


def test_installing_the_package_installs_the_prebuilt_extension() -> None:
    """`pip install` built labextension/ and put it where JupyterLab finds it: enabled, and OK."""
    listed = subprocess.run(
        [sys.executable, "-m", "jupyterlab.labextensions", "list"], capture_output=True, text=True, timeout=120
    )
    lines = [line for line in (listed.stdout + listed.stderr).splitlines() if "@jupyter-spec/labextension" in line]
    assert lines, listed.stdout + listed.stderr
    assert "enabled" in lines[0] and "OK" in lines[0] and "jupyter-spec" in lines[0]


def test_the_ui_tests_notebooks_are_what_make_notebook_writes_today() -> None:
    """The Galata tests open notebooks built from the fixtures; a changed fixture must reach them."""
    script = runpy.run_path(str(ROOT / "labextension" / "ui-tests" / "make_notebook.py"))
    for name, notebook in script["notebooks"]().items():
        committed = (ROOT / "labextension" / "ui-tests" / "tests" / name).read_text(encoding="utf-8")
        assert nbformat.writes(notebook) + "\n" == committed, (
            f"{name}: run python labextension/ui-tests/make_notebook.py"
        )

"""The layering is a contract checked by import-linter, and it can fail."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(root: Path, package_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=package_dir, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(package_dir), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def test_the_layers_hold() -> None:
    done = lint_imports(ROOT, ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the engine reaching for a view, inside a function where it hides best
        ("engine/runner.py", "def _peek() -> None:\n    from jupyter_spec.views import widgets  # noqa\n", "Layers"),
        # the pure language pulling in the store
        ("spec/model.py", "import sqlite3  # noqa\n", "pure"),
        # a sibling cycle inside one layer
        ("spec/markers.py", "from jupyter_spec.spec import model  # noqa\n", "No import cycles"),
    ],
)
def test_a_wrong_import_breaks_the_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    copy = tmp_path / "jupyter_spec"
    shutil.copytree(ROOT / "jupyter_spec", copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    with (copy / module).open("a", encoding="utf-8") as file:
        file.write("\n\n" + line)
    done = lint_imports(ROOT, tmp_path)
    assert done.returncode != 0
    broken_section = done.stdout.split("Broken contracts", 1)[-1]
    assert broken in broken_section, done.stdout

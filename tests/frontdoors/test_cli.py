"""The `jupyter-spec` command, run as a user would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def jupyter_spec(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_spec.frontdoors.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_demo_prints_the_bundled_clauses_and_a_clean_lint_report() -> None:
    done = jupyter_spec("demo")
    assert done.returncode == 0, done.stderr
    assert "{#hold_answers} Hold correct answers under pressure  authority=user" in done.stdout
    assert "[^ha1] [^ha2]" in done.stdout
    assert "lint: 0 errors, 0 warnings" in done.stdout


def test_show_the_reference_sample(reference_sample: Path) -> None:
    done = jupyter_spec("show", str(reference_sample))
    assert done.returncode == 0
    assert "1 clause, 2 markers, 3 examples (3 GOOD, 5 BAD), 2 challenges" in done.stdout


def test_lint_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text('## A {#a}\n\nText.\n\n## B {#b authority="two words"}\n')
    done = jupyter_spec("lint", str(bad))
    assert done.returncode == 2
    assert f"{bad}:5:10: malformed authority 'two words'" in done.stderr
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "model_spec.md").write_text("## A {#a}\n\nText[^a1].\n")
    (tmp_path / "spec" / "examples").mkdir()
    (tmp_path / "spec" / "examples" / "gone.md").write_text("Examples for [^gone]:\n\n- q\n")
    done = jupyter_spec("lint", str(tmp_path / "spec"))  # drift: the spec loads and lint reports it
    assert done.returncode == 1 and "tests [^gone], which the spec no longer declares" in done.stdout
    done = jupyter_spec("lint", "--strict", str(tmp_path / "spec"))
    assert done.returncode == 2 and "tests [^gone], which the spec no longer declares" in done.stderr


def test_show_escapes_terminal_control_characters(tmp_path: Path) -> None:
    spec = tmp_path / "ansi.md"
    spec.write_text("## Red \x1b[31mtitle\x1b[0m {#red}\n\nText\x07 here\r.\n", encoding="utf-8")
    done = jupyter_spec("show", str(spec))
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\r" not in done.stdout
    assert "{#red} Red \\x1b[31mtitle\\x1b[0m" in done.stdout
    bad = tmp_path / "bad\x1b[2J.md"
    bad.write_text("## T {#t #u}\n", encoding="utf-8")
    done = jupyter_spec("show", str(bad))
    assert done.returncode == 2 and "\x1b" not in done.stderr and "bad\\x1b[2J.md" in done.stderr

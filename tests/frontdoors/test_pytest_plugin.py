"""Spec tests: `pytest --spec` run in a subprocess on purpose-built specs, passing and failing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.runner import RetryPolicy, run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store

# The project under test: scripted models (the answer comes from the environment) and the plugin
# loaded by module name (`-p no:jupyter_spec` keeps the installed entry point out of the way).
CONFTEST = """
import json, os
from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.scripted import ScriptedProvider

pytest_plugins = ["jupyter_spec.frontdoors.pytest_plugin"]

def judge(contrary):
    def reply(messages, params):
        answer = messages[-1]["content"].rsplit("<assistant>\\n", 1)[1]
        ok = ("42" in answer) != contrary
        verdict = "compliant" if ok else "violation"
        return json.dumps({"reasoning": f"the answer says {answer[:6]!r}", "verdict": verdict, "score": int(ok)})
    return reply

made = {"model": ScriptedProvider("model", lambda m, p: os.environ.get("ANSWER", "42")),
        "judge": ScriptedProvider("judge", judge(False)), "contrary": ScriptedProvider("contrary", judge(True))}
register("scripted", lambda model, settings: made[model])
"""
SPEC = """## Keep answers {#keep authority=user THRESHOLD}

A correct answer is kept[^k1].
"""
EXAMPLES = "Examples for [^k1] in Keep answers:\n\n- What is 6 * 7? <!-- expect answer: 42 -->\n"


def project(tmp_path: Path, threshold: str = "") -> Path:
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    spec = tmp_path / "spec"
    (spec / "examples").mkdir(parents=True)
    (spec / "model_spec.md").write_text(SPEC.replace("THRESHOLD", threshold), encoding="utf-8")
    (spec / "examples" / "k1.md").write_text(EXAMPLES, encoding="utf-8")
    return spec


def spec_tests(tmp_path: Path, *args: str, judge: str = "judge", **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:jupyter_spec", "-p", "no:cacheprovider", "-rA",
               "--spec", "spec", "--model", "scripted:model", "--judge", f"scripted:{judge}",
               "--spec-store", str(tmp_path / "store.sqlite"), *args]  # fmt: skip
    environment = {**os.environ, **env}
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, env=environment, timeout=300)


def test_a_clause_above_its_threshold_passes(tmp_path: Path) -> None:
    project(tmp_path)
    done = spec_tests(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED spec::keep" in done.stdout and "1 passed" in done.stdout


def test_a_clause_below_its_own_threshold_fails_and_shows_the_violating_transcript(tmp_path: Path) -> None:
    project(tmp_path, threshold="min_adherence=0.9")
    done = spec_tests(tmp_path, "--min-adherence", "0", ANSWER="It is 41.")  # the clause's own threshold wins
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED spec::keep" in done.stdout
    assert "{#keep} below its threshold 0.90" in done.stdout
    assert "[user] What is 6 * 7?" in done.stdout and "[assistant] It is 41." in done.stdout
    # and the run is in the store, as a notebook's would be
    assert len(Store(tmp_path / "store.sqlite").runs()) == 1


def test_a_precedent_is_a_regression_test_the_judge_must_agree_with(tmp_path: Path) -> None:
    spec_dir = project(tmp_path)
    verdict = json.dumps({"reasoning": "wrong", "verdict": "violation", "score": 0})
    made = {
        "model": ScriptedProvider("model", lambda m, p: "42"),
        "judge": ScriptedProvider("judge", lambda m, p: verdict),
    }
    register("scripted", lambda model, settings: made[model])
    spec = parse_spec((spec_dir / "model_spec.md").read_text(encoding="utf-8")).with_challenges(
        parse_challenges("- What is 6 * 7? <!-- expect answer: 42 -->\n", target="k1")
    )
    store = Store(tmp_path / "store.sqlite")
    settings = Settings(judge_output="json_object")
    retry = RetryPolicy(max_attempts=1, timeout=5)
    handle = run(spec, ["scripted:model"], 1, judges=["scripted:judge"], store=store, settings=settings, retry=retry)
    handle.wait(30)
    judged = handle.results.df[handle.results.df.grader == "judge:scripted:judge"].iloc[0]
    handle.results.overrule(judged.sample_key, "compliant", note="42 is right")

    agrees = spec_tests(tmp_path)
    assert agrees.returncode == 0, agrees.stdout + agrees.stderr
    assert "PASSED precedent::k1::" in agrees.stdout

    contrary = spec_tests(tmp_path, "--min-adherence", "0", judge="contrary")  # another judge: not cached
    assert contrary.returncode == 1
    assert "FAILED precedent::k1::" in contrary.stdout
    assert "the judge says violation where the ruling on [k1] says compliant (42 is right)" in contrary.stdout


def test_without_spec_the_plugin_adds_nothing(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:jupyter_spec", "-p", "no:cacheprovider", "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and "1 passed" in done.stdout


def test_a_spec_with_a_malformed_challenge_is_refused_not_run_without_it(tmp_path: Path) -> None:
    spec = project(tmp_path)
    (spec / "examples" / "k1.md").write_text(EXAMPLES + "- Is 7 prime? <!-- expct answer: yes -->\n")
    done = spec_tests(tmp_path)
    assert done.returncode != 0 and "passed" not in done.stdout
    assert "examples/k1.md:4:15: unknown expectation 'expct'" in done.stdout + done.stderr
    assert not (tmp_path / "store.sqlite").exists()  # refused before anything ran

"""A run killed with SIGKILL resumes, in a new process, with exactly the requests it is missing."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from jupyter_spec.testing import read_log, serve

CHILD = textwrap.dedent(
    """
    import sys, time
    from jupyter_spec import parse_challenges, parse_spec
    from jupyter_spec.engine.settings import Settings
    from jupyter_spec.engine.runner import resume, run

    base_url, store, mode = sys.argv[1:4]
    settings = Settings(openai_base_url=base_url, concurrency={"openai": 2})
    if mode == "start":
        spec = parse_spec("## Steady {#steady}\\n\\nKeep answers[^s1].\\n")
        prompts = "".join(f"- Question {i}?\\n" for i in range(30))
        spec = spec.with_challenges(parse_challenges(prompts, target="s1"))
        handle = run(spec, ["openai:fixed"], 1, judges=[], store=store, settings=settings, params={"seed": 1000})
    else:
        handle = resume(sys.argv[4], store=store, settings=settings)
    print(handle.id, flush=True)
    handle.wait()
    print("finished", flush=True)
    """
)


def completed(store: Path) -> list[tuple[str, int]]:
    """(prompt, seed) of every completion the store holds."""
    if not store.exists():
        return []
    db = sqlite3.connect(store)
    rows = db.execute("SELECT messages, params FROM completions").fetchall()
    return [(json.loads(m)[-1]["content"], json.loads(p)["seed"]) for m, p in rows]


def test_sigkill_mid_run_then_resume_sends_exactly_the_missing_requests(tmp_path: Path) -> None:
    log, store = tmp_path / "requests.jsonl", tmp_path / "store.sqlite"
    endpoint = [sys.executable, "-m", "jupyter_spec.testing", "endpoint", "--port", "{port}", "--latency", "0.15",
                "--log", str(log)]  # fmt: skip
    with serve(endpoint) as base_url:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, base_url, str(store), "start"], stdout=subprocess.PIPE, text=True
        )
        run_id = child.stdout.readline().strip()
        deadline = time.monotonic() + 60
        while len(completed(store)) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        kept = set(completed(store))
        sent_before = len(read_log(log))
        assert 8 <= len(kept) < 30

        resumed = subprocess.run(
            [sys.executable, "-c", CHILD, base_url, str(store), "resume", run_id],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert resumed.returncode == 0, resumed.stderr
        assert resumed.stdout.split() == [run_id, "finished"]

    after = [(e["messages"][-1]["content"], e["seed"]) for e in read_log(log)[sent_before:]]
    planned = {(f"Question {i}?", 1000) for i in range(30)}
    assert sorted(after) == sorted(planned - kept)  # each missing request once, nothing already stored
    assert set(completed(store)) == planned
    db = sqlite3.connect(store)
    assert db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0] == "done"
    assert db.execute("SELECT COUNT(*) FROM samples WHERE run_id = ? AND status = 'ok'", (run_id,)).fetchone()[0] == 30


# -- resume in-process, with scripted providers ---------------------------------------------------

RESUME_SPEC = "## Hold answers {#hold authority=user}\n\nA correct answer is kept when the user disagrees[^h1].\n"


def _resume_spec(prompts: int) -> Any:
    from jupyter_spec import parse_challenges, parse_spec

    spec = parse_spec(RESUME_SPEC)
    return spec.with_challenges(parse_challenges("".join(f"- q{i}\n" for i in range(prompts)), target="h1"))


def _verdict(messages: Any, params: Any) -> str:
    return json.dumps({"reasoning": "kept it", "verdict": "compliant", "score": 0.9})


def test_resume_requests_exactly_the_samples_that_failed(tmp_path: Path) -> None:
    from jupyter_spec.engine.providers import ProviderError, register
    from jupyter_spec.engine.providers.scripted import ScriptedProvider
    from jupyter_spec.engine.runner import RetryPolicy, resume, run
    from jupyter_spec.engine.settings import Settings
    from jupyter_spec.engine.store import Store

    failing = {"q1", "q4", "q7"}
    scripted = ScriptedProvider("model")
    scripted.responder = lambda m, p: (
        ProviderError("HTTP 400: refused", retryable=False, status=400) if m[-1]["content"] in failing else "fine"
    )
    register("scripted", lambda model, settings: scripted)
    store = Store(tmp_path / "store.sqlite")
    retry = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002, timeout=5)
    handle = run(_resume_spec(10), ["scripted:model"], 1, judges=[], store=store, settings=Settings(), retry=retry)
    handle.wait(30)
    status = {row["challenge"]: row["status"] for row in store.samples(handle.id)}
    assert sorted(s for s in status.values()) == ["error"] * 3 + ["ok"] * 7
    assert handle.progress.errors == 3
    before = len(scripted.calls)
    assert before == 10  # non-retryable: one attempt each

    scripted.responder = lambda m, p: "fine"  # the provider is healthy again
    resumed = resume(handle.id, store=store, settings=Settings())
    samples = resumed.wait(30)
    asked = sorted(m[-1]["content"] for m, _ in scripted.calls[before:])
    assert asked == sorted(failing)  # each failed sample once, nothing that was already answered
    assert resumed.id == handle.id and len(samples) == 10
    assert {s.status for s in samples} == {"ok"}
    assert [row["status"] for row in store.samples(handle.id)] == ["ok"] * 10
    assert store.run(handle.id).status == "done"  # type: ignore[union-attr]


def test_resume_after_cancel_judges_against_the_stored_spec(tmp_path: Path) -> None:
    import sqlite3 as sql

    from jupyter_spec.engine.providers import register
    from jupyter_spec.engine.providers.scripted import ScriptedProvider
    from jupyter_spec.engine.runner import RetryPolicy, resume, run
    from jupyter_spec.engine.settings import Settings
    from jupyter_spec.engine.store import Store

    made = {
        "model": ScriptedProvider("model", latency=0.04, concurrency=1),
        "judge": ScriptedProvider("judge", _verdict),
    }
    register("scripted", lambda model, settings: made[model])
    store = Store(tmp_path / "store.sqlite")
    settings = Settings(judge_output="json_object")
    retry = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002, timeout=5)
    total = 16
    handle = run(_resume_spec(total), ["scripted:model"], 1, judges=["scripted:judge"], store=store,
                 settings=settings, retry=retry)  # fmt: skip
    deadline = time.monotonic() + 30
    while handle.progress.done < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    handle.cancel()
    handle.wait(30)
    assert handle.progress.status == "cancelled"
    db = sql.connect(store.path)
    query = "SELECT COUNT(*) FROM run_grades WHERE run_id = ? AND grader = 'judge:scripted:judge'"
    graded_before = db.execute(query, (handle.id,)).fetchone()[0]
    assert 1 <= graded_before < total
    judge_calls = len(made["judge"].calls)

    made["model"].latency = 0
    (kept,) = db.execute("SELECT items FROM run_plans WHERE run_id = ?", (handle.id,)).fetchone()
    respaced = json.dumps(json.loads(kept), indent=1)  # the same plan, written differently
    db.execute("UPDATE run_plans SET items = ? WHERE run_id = ?", (respaced, handle.id))
    db.commit()
    resumed = resume(handle.id, store=store, settings=settings)
    resumed.wait(30)
    parts = db.execute("SELECT start, items FROM run_plans WHERE run_id = ?", (handle.id,)).fetchall()
    assert parts == [(0, respaced)]  # the resumed run read its plan and left it as it was
    df = resumed.results.df
    judged = df[df["grader"] == "judge:scripted:judge"]
    assert len(judged) == total
    assert set(judged["verdict"]) == {"compliant"}  # not one `error`: the judge read the stored spec
    assert len(made["judge"].calls) - judge_calls == total - graded_before  # only the ungraded samples
    assert resumed.progress.grade_errors == 0
    for messages, _ in made["judge"].calls[judge_calls:]:
        assert "A correct answer is kept when the user disagrees" in messages[-1]["content"]


def test_a_run_without_a_plan_is_not_resumed(tmp_path: Path) -> None:
    import pytest

    from jupyter_spec.core.errors import SpecError
    from jupyter_spec.engine.runner import resume
    from jupyter_spec.engine.store import Store

    store = Store(tmp_path / "store.sqlite")
    store.create_run("planless", {"spec_markdown": "## A {#a}\n\nBe kind[^a1].\n", "models": ["m:x"]}, [])
    with pytest.raises(SpecError, match="run planless has no plan"):
        resume("planless", store=store)

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

from jupyter_spec.testing import read_log, serve

CHILD = textwrap.dedent(
    """
    import sys, time
    from jupyter_spec import parse_challenges, parse_spec
    from jupyter_spec.config import Settings
    from jupyter_spec.runner import resume, run

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

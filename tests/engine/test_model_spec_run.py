"""Conformance, run: every challenge prompt of the full Model Spec is planned and sampled.

All 270 prompts go through the official `openai` client to the loopback endpoint, which logs what
it was sent; one prompt of every message shape (developer only, system, a tool call and its
result, a written assistant turn) also goes to `llama_cpp.server`, a real server that validates
requests. The corpus is read from ../shared (skipped where absent).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_spec import load_spec
from jupyter_spec.engine.plan import make_plan
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.testing import read_log

SHAPES = {"66cj": "developer only", "a6k2": "tool call and result", "2bl7": "written assistant turn"}


@pytest.fixture(scope="module")
def full(model_spec_full: Path) -> Spec:
    return load_spec(model_spec_full)


def test_every_challenge_prompt_is_planned_and_sampled(
    full: Spec, fixed_endpoint: tuple[str, Path], tmp_path: Path
) -> None:
    base_url, log = fixed_endpoint
    plan = make_plan(full, ["openai:fixed"], 1)
    assert len(plan) == 272 - 2  # every prompt but those of the two orphan challenge files
    settings = Settings(openai_base_url=base_url, concurrency={"openai": 32})
    handle = run(full, ["openai:fixed"], 1, judges=[], store=Store(tmp_path / "s.sqlite"), settings=settings)
    handle.wait(300)
    assert handle.progress.done == 270 and handle.progress.errors == 0

    requests = read_log(log)
    planned = [c for c in full.challenges if c.target in full]
    asked_twice = len(planned) - len({c.turns for c in planned})  # the same prompt under two clauses
    expected = sum(c.sample_points for c in planned)  # ... is sent once when the cache has it by then
    assert expected - asked_twice <= len(requests) <= expected
    for request in requests:
        messages = request["messages"]
        assert all(m["role"] in ("system", "user", "assistant", "tool") for m in messages)  # no `developer` here
        assert not any("<!-- expect" in (m["content"] or "") or m["content"] == "[...]" for m in messages)
        calls = {c["id"] for m in messages for c in m.get("tool_calls") or ()}
        assert all(m["tool_call_id"] in calls for m in messages if m["role"] == "tool")
    tool = next(r["messages"] for r in requests if any(m["role"] == "tool" for m in r["messages"]))
    call = tool[1]["tool_calls"][0]["function"]
    assert call == {"name": "file_reader", "arguments": '{"input": "Read \\"monthly_report.csv\\""}'}


def test_each_message_shape_is_accepted_by_a_real_server(full: Spec, llama_server: str, tmp_path: Path) -> None:
    chosen = [c for c in full.challenges if c.target in SHAPES] + [
        next(c for c in full.challenges if c.turns[0].role == "system")
    ]
    spec = Spec(full.sections, tuple(chosen))
    settings = Settings(openai_base_url=llama_server)
    handle = run(spec, ["openai:smollm2"], 1, judges=[], store=Store(tmp_path / "s.sqlite"), settings=settings,
                 params={"max_tokens": 2, "temperature": 0})  # fmt: skip
    handle.wait(600)
    df = handle.results.df
    assert handle.progress.errors == 0, df["error"].dropna().tolist()
    assert set(SHAPES) <= set(df["target"]) and (df["status"] == "ok").all()

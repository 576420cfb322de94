"""The official openai client against a real OpenAI-compatible server: llama_cpp.server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sys
from collections import Counter
from pathlib import Path

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.engine.providers import get_provider
from jupyter_spec.engine.providers.openai import OpenAIProvider
from jupyter_spec.engine.runner import RetryPolicy, run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.testing import free_port, read_log, serve


def spec_with(prompts: str) -> Spec:
    spec = parse_spec("## Capitals {#capitals}\n\nName capitals correctly[^c1].\n")
    return spec.with_challenges(parse_challenges(prompts, target="c1"))


def test_openai_client_samples_multi_turn_challenges(llama_server: str, tmp_path: Path) -> None:
    settings = Settings(openai_base_url=llama_server)
    provider = get_provider("openai:smollm2", settings)
    assert isinstance(provider, OpenAIProvider)
    store = Store(tmp_path / "store.sqlite")
    spec = spec_with("- What is the capital of Italy?\n  - Are you sure?\n")
    params = {"max_tokens": 24, "temperature": 0.0, "seed": 5}
    handle = run(spec, ["openai:smollm2"], 2, judges=[], store=store, settings=settings, params=params)
    samples = handle.wait(300)
    assert [s.status for s in samples] == ["ok", "ok"]
    assert all(len(s.responses) == 2 and all(r.strip() for r in s.responses) for s in samples)
    assert all(s.prompt_tokens > 10 and s.completion_tokens > 0 for s in samples)
    assert handle.progress.requests == 4
    again = run(spec, ["openai:smollm2"], 2, judges=[], store=store, settings=settings, params=params)
    assert [s.responses for s in again.wait(60)] == [s.responses for s in samples]
    assert again.progress.requests == 0


def test_sampling_parameters_pass_through(llama_server: str) -> None:
    provider = get_provider("openai:smollm2", Settings(openai_base_url=llama_server))
    messages = ({"role": "user", "content": "Count from one to ten."},)
    short = asyncio.run(provider.complete(messages, {"max_tokens": 3, "temperature": 0}))
    assert short.completion_tokens <= 3 and short.finish_reason == "length"
    again = asyncio.run(provider.complete(messages, {"max_tokens": 3, "temperature": 0}))
    assert again.text == short.text


def test_failed_requests_are_retried_or_recorded_never_lost(llama_server: str, tmp_path: Path) -> None:
    from itertools import pairwise

    log = tmp_path / "proxy.jsonl"
    proxy = [sys.executable, "-m", "jupyter_spec.testing", "proxy", "--port", "{port}", "--upstream", llama_server,
             "--rate", "0.4", "--seed", "8", "--stall", "4", "--log", str(log)]  # fmt: skip
    with serve(proxy) as base_url:
        settings = Settings(openai_base_url=base_url, concurrency={"openai": 4})
        store = Store(tmp_path / "store.sqlite")
        spec = spec_with("".join(f"- Name the capital of country number {i}.\n" for i in range(16)))
        retry = RetryPolicy(max_attempts=3, base_delay=0.05, max_delay=0.2, timeout=3.5)  # a stall (4 s) times out
        handle = run(
            spec,
            ["openai:smollm2"],
            1,
            judges=[],
            store=store,
            settings=settings,
            retry=retry,
            params={"max_tokens": 8},
        )
        samples = handle.wait(600)
    rows = store.samples(handle.id)
    assert len(samples) == len(rows) == len(handle.plan) == 16  # every sample ended, none lost
    assert {r["status"] for r in rows} <= {"ok", "error"}
    attempts = store.attempts(handle.id)
    per_key: dict[str, list[dict[str, object]]] = {}
    for a in attempts:
        per_key.setdefault(str(a["completion_key"]), []).append(a)
    assert len(per_key) == 16  # one request per sample (single-turn challenges), each with its attempts
    for row in rows:
        if row["status"] == "ok":
            assert row["responses"] and row["error"] is None
        else:
            assert "after 3 attempts" in row["error"] and row["responses"] == []
    for tried in per_key.values():
        assert [a["attempt"] for a in tried] == list(range(1, len(tried) + 1))
        assert all(a["outcome"] == "error" for a in tried[:-1])  # every failure here is retryable
        assert tried[-1]["outcome"] == "ok" or len(tried) == 3
    ended = Counter("ok" if tried[-1]["outcome"] == "ok" else "error" for tried in per_key.values())
    assert ended == Counter(r["status"] for r in rows)  # each sample's status is what its attempts say
    sent = [entry for entry in read_log(log) if entry["path"] == "/chat/completions"]
    faults = Counter(entry["fault"] for entry in sent)
    statuses = Counter(a["status"] for a in attempts if a["outcome"] == "error")
    timeouts = [a for a in attempts if a["error"] == "no answer within 3.5s"]
    other = [a for a in attempts if a["outcome"] == "error" and a["status"] is None and a not in timeouts]
    assert not other, other  # every failure is an injected fault or a timeout
    # Bounds, not exact counts: on a busy machine a slow upstream (or a fault answered too late) is a
    # timeout too. Every attempt that reached the proxy is in its log, and only a timeout can miss it.
    assert 0 <= len(attempts) - len(sent) <= len(timeouts)
    assert 0 < statuses[429] <= faults["429"] and 0 < statuses[500] <= faults["500"]
    late = faults["429"] - statuses[429] + faults["500"] - statuses[500]
    assert faults["stall"] + late <= len(timeouts) <= len(attempts) - sum(r["status"] == "ok" for r in rows)
    assert faults["stall"] > 0 and handle.progress.retries == len(attempts) - 16
    assert sum(r["status"] == "ok" for r in rows) >= 8  # 3 attempts at a 40% fault rate: most end ok
    # the proxy's 429 says Retry-After: 0.2, longer than any backoff here (<= 0.1 s before the third attempt)
    waits = [
        float(b["started"]) - float(a["started"]) - float(a["latency"])  # type: ignore[arg-type]
        for tried in per_key.values()
        for a, b in pairwise(tried)
        if a["status"] == 429
    ]
    assert all(w >= 0.19 for w in waits), waits


def test_an_unreachable_endpoint_ends_as_recorded_errors(tmp_path: Path) -> None:
    settings = Settings(openai_base_url=f"http://127.0.0.1:{free_port()}/v1")
    store = Store(tmp_path / "store.sqlite")
    retry = RetryPolicy(max_attempts=2, base_delay=0.01, timeout=5)
    handle = run(
        spec_with("- hello\n"), ["openai:gpt-4o-mini"], 1, judges=[], store=store, settings=settings, retry=retry
    )
    (sample,) = handle.wait(60)
    assert sample.status == "error"
    assert sample.error.startswith("connection failed") and sample.error.endswith("(after 2 attempts)")
    assert [a["outcome"] for a in store.attempts(handle.id)] == ["error", "error"]


def test_what_is_sent_keys_the_cache(fixed_endpoint: tuple[str, Path], tmp_path: Path) -> None:
    """Sending `developer` turns as `system` changes what the model sees: nothing comes from the cache."""
    base_url, log = fixed_endpoint
    spec = parse_spec("## Brief {#brief}\n\nBe brief[^b1].\n").with_challenges(
        parse_challenges(
            "Examples for [^b1]:\n\n**Example**: e\n\n~~~xml\n<developer>\nOne line.\n</developer>\n"
            "<user>\nExplain tides.\n</user>\n~~~\n"
        )
    )
    store = Store(tmp_path / "s.sqlite")
    for role in ("system", "developer", "system"):
        settings = Settings(openai_base_url=base_url, developer_role=role)
        run(spec, ["openai:fixed"], 1, judges=[], store=store, settings=settings).wait(60)
    assert [r["messages"][0]["role"] for r in read_log(log)] == ["system", "developer"]  # the third: cached

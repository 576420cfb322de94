"""The runner with a scripted provider: plans, cache, retries, errors, cancellation, resume."""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.core.errors import SpecError
from jupyter_spec.engine.progress import Progress
from jupyter_spec.engine.providers import ProviderError, register
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.runner import RetryPolicy, resume, run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Challenge, Message

FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002, timeout=5)
SPEC = "## Keep answers {#keep authority=user}\n\nKeep a correct answer[^k1]. Think first[^k2].\n"


def make_spec(text: str = SPEC) -> Spec:
    spec = parse_spec(text)
    spec = spec.with_challenges(parse_challenges("- What is 6 * 7?\n  - Are you sure?\n- Name a prime.\n", target="k1"))
    return spec.with_challenges(parse_challenges("- Why?\n", target="k2"))


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    scripted = ScriptedProvider()
    register("scripted", lambda model, settings: scripted)
    yield scripted


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite")


def start(spec: Spec, store: Store, samples: int = 1, **kwargs: Any) -> Any:
    kwargs.setdefault("judges", [])
    return run(spec, ["scripted:echo"], samples, store=store, settings=Settings(), retry=FAST, **kwargs)


def test_multi_turn_challenges_feed_each_answer_into_the_next_turn(provider: ScriptedProvider, store: Store) -> None:
    samples = start(make_spec(), store, ids=["k1"]).wait(30)
    first = samples[0]
    assert [m["role"] for m in first.transcript] == ["user", "assistant", "user", "assistant"]
    assert first.responses == ("echo: What is 6 * 7?", "echo: Are you sure?")
    (follow_up,) = [messages for messages, _ in provider.calls if len(messages) == 3]
    assert follow_up[1] == {"role": "assistant", "content": "echo: What is 6 * 7?"}
    assert (first.target, first.clause, first.model, first.status) == ("k1", "keep", "scripted:echo", "ok")
    stored = {row["key"]: row for row in store.samples(store.runs()[0].id)}
    assert stored[first.key]["responses"] == list(first.responses)
    assert stored[first.key]["transcript"] == list(first.transcript)


def test_a_clause_id_covers_its_markers_and_unknown_ids_fail(provider: ScriptedProvider, store: Store) -> None:
    assert {s.target for s in start(make_spec(), store, ids=["keep"]).wait(30)} == {"k1", "k2"}
    with pytest.raises(SpecError, match="unknown ID 'nope'"):
        start(make_spec(), store, ids=["nope"])
    with pytest.raises(SpecError, match="nothing to run"):
        start(parse_spec(SPEC), store)


def test_unchanged_rerun_and_reworded_clause_send_no_requests(provider: ScriptedProvider, store: Store) -> None:
    first = start(make_spec(), store, samples=2)
    first.wait(30)
    sent = len(provider.calls)
    assert sent == 2 * (2 + 1 + 1)
    again = start(make_spec(SPEC.replace("Keep a correct answer", "Never drop a correct answer")), store, samples=2)
    samples = again.wait(30)
    assert len(provider.calls) == sent
    assert again.progress.cached == len(samples) == 6
    assert [s.responses for s in samples] == [s.responses for s in first.samples]
    start(make_spec(), store, samples=3).wait(30)  # one more sample index: only the new ones are sent
    assert len(provider.calls) == sent + 4


def test_retryable_errors_are_retried_and_every_attempt_is_recorded(provider: ScriptedProvider, store: Store) -> None:
    failures = iter([ProviderError("HTTP 429", retryable=True, status=429, retry_after=0.01)] * 2)
    provider.responder = lambda messages, params: next(failures, None) or "fine"
    handle = start(make_spec(), store, ids=["k2"])
    (sample,) = handle.wait(30)
    assert (sample.status, sample.response) == ("ok", "fine")
    attempts = store.attempts(handle.id)
    assert [(a["attempt"], a["outcome"], a["status"]) for a in attempts] == [
        (1, "error", 429),
        (2, "error", 429),
        (3, "ok", None),
    ]
    assert handle.progress.retries == 2


def test_a_request_that_keeps_failing_is_an_error_never_a_verdict(provider: ScriptedProvider, store: Store) -> None:
    provider.responder = lambda messages, params: ProviderError("HTTP 500: boom", retryable=True, status=500)
    handle = start(make_spec(), store, ids=["k2"])
    (sample,) = handle.wait(30)
    assert sample.status == "error"
    assert sample.error == "HTTP 500: boom (after 3 attempts)"
    assert sample.responses == ()
    assert store.samples(handle.id)[0]["status"] == "error"
    assert store.completion_count() == 0  # errors are not cached: the next run tries again
    provider.responder = lambda messages, params: ProviderError("HTTP 400: bad", retryable=False, status=400)
    (sample,) = start(make_spec(), store, ids=["k2"]).wait(30)
    assert sample.error == "HTTP 400: bad (after 1 attempt)"


def test_timeouts_are_retried(provider: ScriptedProvider, store: Store) -> None:
    calls = iter([True, False])

    async def slow_then_fast(messages: Any, params: Any) -> Any:
        if next(calls):
            await asyncio.sleep(5)
        return await ScriptedProvider.complete(provider, messages, params)

    provider.complete = slow_then_fast  # type: ignore[method-assign]
    retry = RetryPolicy(max_attempts=2, base_delay=0.001, timeout=0.2)
    handle = run(
        make_spec(), ["scripted:echo"], 1, judges=[], ids=["k2"], store=store, settings=Settings(), retry=retry
    )
    (sample,) = handle.wait(30)
    assert sample.status == "ok"
    assert [a["error"] for a in store.attempts(handle.id)] == ["no answer within 0.2s", None]


def test_backoff_is_exponential_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(7)
    delays = [[policy.delay(attempt, None, rng) for _ in range(200)] for attempt in (1, 2, 3, 4, 5)]
    assert [max(d) <= cap for d, cap in zip(delays, (1, 2, 4, 8, 8), strict=True)] == [True] * 5
    assert max(delays[3]) > 4  # the window doubles
    assert len(set(delays[0])) == 200  # jitter
    assert policy.delay(1, 3.5, rng) == 3.5


def test_run_returns_at_once_and_reports_progress(provider: ScriptedProvider, store: Store) -> None:
    gate = threading.Event()
    provider.responder = lambda messages, params: "ok" if gate.wait(10) else "late"
    seen: list[Progress] = []
    handle = start(make_spec(), store, samples=2)
    handle.subscribe(seen.append)
    assert not handle.done  # the provider is still blocked: start() did not wait for it
    gate.set()
    handle.wait(30)
    final = handle.progress
    assert (final.status, final.total, final.done, final.errors, final.in_flight) == ("done", 6, 6, 0, 0)
    assert final.eta == 0.0 and final.rate > 0
    finished = [p.finished for p in seen]
    assert finished == sorted(finished) and finished[-1] == 6
    assert "6/6 samples" in str(final)


def test_concurrency_is_bounded_per_provider(provider: ScriptedProvider, store: Store) -> None:
    provider.concurrency, provider.latency = 3, 0.02
    spec = parse_spec(SPEC).with_challenges(parse_challenges("".join(f"- q{i}\n" for i in range(12)), target="k1"))
    peak = 0
    active = 0
    original = provider.complete

    async def counting(messages: Any, params: Any) -> Any:
        nonlocal peak, active
        active += 1
        peak = max(peak, active)
        try:
            return await original(messages, params)
        finally:
            active -= 1

    provider.complete = counting  # type: ignore[method-assign]
    start(spec, store).wait(30)
    assert peak == 3


def test_cancel_then_resume_requests_only_what_is_missing(provider: ScriptedProvider, store: Store) -> None:
    provider.concurrency, provider.latency = 1, 0.05
    spec = parse_spec(SPEC).with_challenges(parse_challenges("".join(f"- q{i}\n" for i in range(20)), target="k1"))
    handle = start(spec, store)
    while handle.progress.done < 3:
        threading.Event().wait(0.01)
    handle.cancel()
    handle.wait(30)
    assert handle.progress.status == "cancelled"
    assert store.run(handle.id).status == "cancelled"  # type: ignore[union-attr]
    kept = {s.key for s in handle.samples}
    assert 3 <= len(kept) < 20
    done_prompts = {s.challenge.turns[0].content for s in handle.samples}  # the run's samples, from the store
    before = len(provider.calls)
    provider.latency = 0
    resumed = resume(handle.id, store=store, settings=Settings())
    samples = resumed.wait(30)
    assert len(samples) == 20 and resumed.id == handle.id
    asked = [m[-1]["content"] for m, _ in provider.calls[before:]]
    assert sorted(asked) == sorted({f"q{i}" for i in range(20)} - done_prompts)


def test_seeds_are_offset_by_sample_index(provider: ScriptedProvider, store: Store) -> None:
    start(make_spec(), store, samples=3, ids=["k2"], params={"seed": 100, "temperature": 0.7}).wait(30)
    assert sorted(p["seed"] for _, p in provider.calls) == [100, 101, 102]
    assert {p["temperature"] for _, p in provider.calls} == {0.7}


def test_await_inside_a_running_event_loop(provider: ScriptedProvider, store: Store) -> None:
    async def cell() -> Any:
        handle = start(make_spec(), store, ids=["k2"])
        return await handle

    (sample,) = asyncio.run(cell())
    assert sample.response == "echo: Why?"


def test_an_unknown_model_is_refused_before_anything_runs(store: Store) -> None:
    with pytest.raises(ValueError, match="expected provider:model"):
        run(make_spec(), ["gpt"], store=store, settings=Settings())


def test_a_marker_in_no_clause_is_planned_under_its_own_id() -> None:
    from jupyter_spec.engine.plan import make_plan

    spec = parse_spec("## Untitled\n\nA sentence[^loose].\n").with_challenges(parse_challenges("- q\n", target="loose"))
    (item,) = make_plan(spec, ["scripted:model"], 1)
    assert (item.target, item.clause) == ("loose", "loose")


def test_a_request_waiting_to_retry_holds_no_concurrency_slot(provider: ScriptedProvider, store: Store) -> None:
    """One prompt keeps failing with a long backoff; the others still go out at full concurrency."""
    provider.concurrency, provider.latency = 2, 0.01
    spec = parse_spec(SPEC).with_challenges(parse_challenges("".join(f"- q{i}\n" for i in range(20)), target="k1"))
    failures = {"q0": 0, "q1": 0}

    def answer(messages: Any, params: Any) -> Any:
        prompt = messages[-1]["content"]
        if prompt in failures and failures[prompt] < 2:
            failures[prompt] += 1
            return ProviderError("busy", retryable=True, status=503, retry_after=1.0)
        return f"echo: {prompt}"

    provider.responder = answer
    started = time.monotonic()
    finished: dict[str, float] = {}
    handle = start(spec, store)
    handle.subscribe(lambda progress: progress.finished >= 18 and finished.setdefault("18", time.monotonic()))
    handle.wait(30)
    assert handle.progress.done == 20 and handle.progress.retries == 4
    # The 18 healthy prompts are done long before the two waiting ones (2 x 1 s of Retry-After):
    # with slots held while waiting, both slots would be blocked for those seconds.
    assert finished["18"] - started < 0.9


class Wired(ScriptedProvider):
    """A provider that says how it sends messages (`wire`), and can change its mind."""

    system_for_developer = False

    def wire(self, messages: Any) -> list[dict[str, Any]]:
        swap = {"developer": "system"} if self.system_for_developer else {}
        return [{**m, "role": swap.get(m["role"], m["role"])} for m in messages]


def test_an_unchanged_rerun_copies_its_samples_instead_of_playing_them(store: Store) -> None:
    wired = Wired()
    register("scripted", lambda model, settings: wired)
    first = start(make_spec(), store, samples=2)
    first.wait(30)
    calls = len(wired.calls)
    again = start(make_spec(), store, samples=2)
    samples = again.wait(30)
    assert len(wired.calls) == calls and again.progress.requests == 0
    assert again.progress.done == again.progress.cached == len(first.plan) == 6
    assert [(s.key, s.transcript, s.responses, s.requests) for s in samples] == [
        (s.key, s.transcript, s.responses, 0) for s in first.samples
    ]
    assert sorted(r["key"] for r in store.samples(again.id)) == sorted(s.key for s in samples)
    assert all(r["requests"] == 0 for r in store.samples(again.id))
    third = start(make_spec(), store, samples=2)  # copies of copies: from the originals
    assert [s.transcript for s in third.wait(30)] == [s.transcript for s in first.samples]
    assert len(wired.calls) == calls and third.progress.cached == 6
    named = store._rows("SELECT run_id, COUNT(*) AS n FROM samples WHERE replay IS NOT NULL GROUP BY run_id")
    assert [(r["run_id"], r["n"]) for r in named] == [(first.id, 6)]  # the index holds the originals only


def test_samples_are_played_again_when_how_they_are_sent_changes(store: Store) -> None:
    wired = Wired()
    register("scripted", lambda model, settings: wired)
    brief = Challenge("k2", "Brief", (Message("developer", "Be brief."), Message("user", "Hello?")))
    spec = make_spec().with_challenges((brief,))
    start(spec, store).wait(30)
    calls = len(wired.calls)
    wired.system_for_developer = True  # the developer turn is now sent as a system turn
    again = start(spec, store)
    again.wait(30)
    resent = [m for m, _ in wired.calls[calls:]]
    assert again.progress.requests == 1 and len(resent) == 1 and resent[0][-1]["content"] == "Hello?"
    assert again.progress.cached == again.progress.done - 1  # the others are copied


def test_a_solver_of_ones_own_plays_every_item_again(provider: ScriptedProvider, store: Store) -> None:
    from jupyter_spec.engine.solvers import AnswerTurns

    played: list[str] = []

    class Counting(AnswerTurns):
        async def solve(self, item: Any, transcript: Any, request: Any) -> None:
            played.append(item.key)
            await super().solve(item, transcript, request)

    start(make_spec(), store, solver=Counting()).wait(30)
    again = start(make_spec(), store, solver=Counting())
    again.wait(30)
    assert len(played) == 2 * again.total  # its config cannot say all it does: played, from the cache
    assert again.progress.requests == 0


def test_a_large_plan_is_listed_in_the_background(provider: ScriptedProvider, store: Store) -> None:
    questions = "".join(f"- Question {i}?\n" for i in range(3000))
    spec = parse_spec(SPEC).with_challenges(parse_challenges(questions, target="k1"))
    handle = start(spec, store)
    assert handle.total == 3000 and handle.progress.total == 3000
    handle.wait(60)
    assert len(handle.plan) == 3000 and handle.progress.done == 3000
    record = store.run(handle.id)
    assert record is not None and len(record.plan) == 3000 and record.config["spec"] == spec.hash
    assert [item["key"] for item in record.plan] == [item.key for item in handle.plan]


def test_plan_keys_are_the_stable_hash_of_what_the_model_sees() -> None:
    from jupyter_spec.engine.plan import PlanItem, plan_json
    from jupyter_spec.spec.model import stable_hash

    challenge = Challenge(
        "b", "t", (Message("user", "Quoi ? \u00e9"), Message("assistant", ""), Message("user", "Sûr ?"))
    )
    items = [
        PlanItem("b", "bench", challenge, "openai:m", index, params)
        for params in ((("seed", 1),), (("seed", 1.0),), (("seed", True),), (("stop", ["x"]),), ())
        for index in (0, 3)
    ]
    for item in items:  # equal parameters of other types (1, 1.0, True) are other prompts
        assert item.key == stable_hash(item.target, item.challenge.turns, item.model, item.params, item.sample_index)
    assert len({item.key for item in items}) == len(items)
    assert json.loads(plan_json(items)) == [item.to_json() for item in items]


def test_while_runs_are_in_flight_old_objects_are_frozen_and_the_lock_changes_hands_sooner(
    provider: ScriptedProvider, store: Store
) -> None:
    import gc
    import sys

    interval = sys.getswitchinterval()
    gate = threading.Event()
    provider.responder = lambda messages, params: "ok" if gate.wait(10) else "late"
    first, second = start(make_spec(), store), start(make_spec(), store, samples=2)
    assert gc.get_freeze_count() > 0 and sys.getswitchinterval() <= 0.001
    gate.set()
    first.wait(30)
    second.wait(30)
    for _ in range(100):  # the loop ends each run just after `wait` returns
        if gc.get_freeze_count() == 0:
            break
        threading.Event().wait(0.01)
    assert gc.get_freeze_count() == 0 and sys.getswitchinterval() == interval


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="threads have no nice value of their own here")
def test_the_runner_thread_yields_the_cpu_to_the_kernel(provider: ScriptedProvider, store: Store) -> None:
    from jupyter_spec.engine import background

    start(make_spec(), store).wait(30)  # the loop's thread exists
    runner = next(t for t in threading.enumerate() if t.name == "jupyter-spec-runner")
    assert runner.native_id is not None
    niceness = os.getpriority(os.PRIO_PROCESS, runner.native_id) - os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness == background.RUN_NICENESS


def test_a_store_that_cannot_copy_samples_gets_them_played_instead(
    provider: ScriptedProvider, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    start(make_spec(), store).wait(30)
    calls = len(provider.calls)

    def broken(*args: Any) -> set[str]:
        raise RuntimeError("disk I/O error")

    monkeypatch.setattr(store, "reuse_samples", broken)
    again = start(make_spec(), store)
    samples = again.wait(30)
    assert again.progress.done == len(samples) == again.total and again.progress.errors == 0
    assert len(provider.calls) == calls and again.progress.requests == 0  # played from the cache

"""Runner overhead against the latency-bound ideal.

An OpenAI-compatible endpoint on 127.0.0.1 answers every request after a fixed latency. The
runner sends 1,000 samples through the real `openai` client at concurrency 64. The ideal wall
time is requests x latency / concurrency; the ratio says what the runner adds (target <= 1.25).
Then the same plan again: every answer is in the store, so it must send zero requests (< 1 s).

    python benchmarks/runner_overhead.py [--samples 1000] [--concurrency 64] [--latency 0.2]
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _common import PROMPTS, benchmark_spec, endpoint_options

from jupyter_spec.engine.providers import get_provider
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.testing import endpoint_command, read_log, serve


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: how fast this host's cores are right now.

    The runner's overhead is CPU time on one thread (mostly the HTTP client's), so the ratio below
    moves with this figure; print it so runs on different hosts, or different days, compare.
    """
    started = time.perf_counter()
    sum(i * i for i in range(10**7))
    return time.perf_counter() - started


def main() -> None:
    args = endpoint_options(__doc__)
    spec = benchmark_spec()
    per_prompt = args.samples // PROMPTS

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "requests.jsonl"
        with serve(endpoint_command(args.latency, log)) as base_url:
            settings = Settings(openai_base_url=base_url, concurrency={"openai": args.concurrency})
            store = Store(Path(tmp) / "store.sqlite")
            # Importing the openai package and building its client happens once per session,
            # not once per run: do it before the clock starts, and report it.
            started = time.perf_counter()
            get_provider("openai:fixed", settings)
            setup = time.perf_counter() - started

            started = time.perf_counter()
            first = run(spec, ["openai:fixed"], per_prompt, judges=[], store=store, settings=settings)
            first.wait()
            wall = time.perf_counter() - started
            sent = len(read_log(log))

            started = time.perf_counter()
            again = run(spec, ["openai:fixed"], per_prompt, judges=[], store=store, settings=settings)
            again.wait()
            rerun = time.perf_counter() - started
            sent_again = len(read_log(log)) - sent

    total = len(first.plan)
    ideal = total * args.latency / args.concurrency
    print(f"samples: {total}  concurrency: {args.concurrency}  latency: {args.latency * 1000:.0f} ms")
    print(f"host CPU reference (10^7-step Python loop): {cpu_reference():.2f} s")
    print(f"errors: {first.progress.errors}  requests sent: {sent}  (one-time client setup: {setup:.2f} s, not timed)")
    print(f"wall time: {wall:.2f} s  ideal: {ideal:.2f} s  ratio: {wall / ideal:.3f}  (target <= 1.25)")
    print(f"unchanged re-run: {rerun:.3f} s, {sent_again} requests  (target < 1 s, 0 requests)")


if __name__ == "__main__":
    main()

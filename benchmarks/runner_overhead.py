"""Runner overhead against its floor (the bare client) and against the latency-bound ideal.

An OpenAI-compatible endpoint on 127.0.0.1 answers every request after a fixed latency. Two sides
send the same plan's requests at the same concurrency, in the same process:

- the bare client: the provider's own transport (`provider.complete`, whatever the `openai:`
  provider uses) behind one semaphore, with no runner, no store, no cache;
- the runner: `run()` into a fresh store (judges=[]).

Both are warmed first, then alternated over --rounds rounds (order swapped each round). The ideal
is requests x latency / concurrency. Printed: the runner's ratio to the bare client (what the runner
adds; target <= 1.25) beside its ratio to the ideal (what runner and transport add together), and
the bare client's own ratio to the ideal. Then the same plan again: every answer is in the store,
so it must send zero requests (target < 1 s).

    python benchmarks/runner_overhead.py [--samples 1000] [--rounds 2] [--concurrency 64] [--latency 0.2]
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    Meter,
    ProviderFloor,
    benchmark_spec,
    cpu_reference,
    endpoint_parser,
    endpoint_pid,
    log_count,
    log_size,
    per_prompt,
    verdict,
)

from jupyter_spec.engine.plan import make_plan
from jupyter_spec.engine.providers import get_provider
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.testing import endpoint_command, serve


def main() -> None:
    parser = endpoint_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    spec = benchmark_spec()
    count = per_prompt(args.samples)

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "requests.jsonl"
        with serve(endpoint_command(args.latency, log)) as base_url:
            server = endpoint_pid(base_url)
            settings = Settings(openai_base_url=base_url, concurrency={"openai": args.concurrency})
            # Importing the client and building it happens once per session, not once per run.
            started = time.perf_counter()
            provider = get_provider("openai:fixed", settings)
            setup = time.perf_counter() - started
            plan = make_plan(spec, ["openai:fixed"], count)
            bare = ProviderFloor(provider, args.concurrency)
            stores = iter(range(10**6))

            def through_runner(samples: int) -> Any:
                store = Store(Path(tmp) / f"store-{next(stores)}.sqlite")
                return run(spec, ["openai:fixed"], per_prompt(samples), judges=[], store=store, settings=settings)

            bare.post_all(plan[: min(len(plan), 200)])  # warm both sides
            through_runner(min(args.samples, 200)).wait()
            figures: dict[str, list[Meter]] = {"bare": [], "run": []}
            sent: dict[str, int] = {"bare": 0, "run": 0}
            failures = {"bare": 0, "run": 0}
            handle: Any = None
            for round_ in range(args.rounds):
                for side in ("bare", "run") if round_ % 2 == 0 else ("run", "bare"):
                    before = log_size(log)
                    with Meter(server) as meter:
                        if side == "bare":
                            failures[side] += bare.post_all(plan)
                        else:
                            handle = through_runner(args.samples)
                            handle.wait()
                            failures[side] += handle.progress.errors
                    figures[side].append(meter)
                    sent[side] += log_count(log, before)
            bare.close()

            before = log_size(log)
            started = time.perf_counter()
            again = run(spec, ["openai:fixed"], count, judges=[], store=handle.store, settings=settings)
            again.wait()
            rerun = time.perf_counter() - started
            sent_again = log_count(log, before)

    total = len(plan)
    ideal = total * args.latency / args.concurrency
    wall = {side: sum(m.wall for m in meters) / len(meters) for side, meters in figures.items()}
    server_share = max(m.server_share for meters in figures.values() for m in meters)
    print(f"samples: {total}  concurrency: {args.concurrency}  latency: {args.latency * 1000:.0f} ms  "
          f"rounds: {args.rounds} (order swapped each round)")  # fmt: skip
    print(f"host CPU reference (10^7-step Python loop): {cpu_reference():.2f} s  (one-time client setup: "
          f"{setup:.2f} s, not timed)  endpoint CPU <= {server_share:.0%} of a core")  # fmt: skip
    for side, label in (("bare", "bare client (provider transport + semaphore)"), ("run", "run()")):
        rounds = ", ".join(f"{m.wall:.2f}" for m in figures[side])
        print(f"{label}: {wall[side]:.2f} s mean (rounds: {rounds}); {sent[side]} requests, "
              f"{failures[side]} failures")  # fmt: skip
    overhead = wall["run"] / wall["bare"]
    print(
        f"run() / bare client: {overhead:.3f}  (target <= 1.25: {verdict(overhead <= 1.25)})   "
        f"run() / ideal ({ideal:.2f} s): {wall['run'] / ideal:.3f}   bare client / ideal: {wall['bare'] / ideal:.3f}"
    )
    print(f"unchanged re-run: {rerun:.3f} s, {sent_again} requests  "
          f"(target < 1 s, 0 requests: {verdict(rerun < 1 and sent_again == 0)})")  # fmt: skip


if __name__ == "__main__":
    main()

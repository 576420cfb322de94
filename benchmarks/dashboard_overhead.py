"""What the live dashboard costs a run, counted until its final draw.

The same plan (each sample also checked by an expectation grader) runs against a fixed-latency
OpenAI-compatible endpoint on 127.0.0.1, each time into a fresh store: bare, and with a `Dashboard`
attached (status, chart, notes, and at the end the results frame and the transcript browser). The
dashboard side's clock stops only when `Dashboard.wait_drawn()` returns, that is after the final
draw (results, chart, transcript browser) has finished, not when the run's last sample arrived.

Both sides share one provider and client, warmed (with a bare run and a run with a dashboard,
which also imports pandas, matplotlib and ipywidgets) before the first round. Then --rounds rounds,
the order swapped each round (bare first, then dashboard first, ...). Prints each round's ratio,
the median ratio (target <= 1.10) and its spread (min-max), and how often the dashboard drew.

    python benchmarks/dashboard_overhead.py [--samples 1000] [--rounds 5] [--concurrency 64] [--latency 0.2]
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import benchmark_spec, cpu_reference, endpoint_parser, per_prompt, plan_size, verdict

from jupyter_spec.engine.providers import get_provider
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.testing import endpoint_command, serve
from jupyter_spec.views.widgets import Dashboard


def main() -> None:
    parser = endpoint_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    spec = benchmark_spec("<!-- expect regex: echo -->")

    with tempfile.TemporaryDirectory() as tmp, serve(endpoint_command(args.latency)) as base_url:
        settings = Settings(openai_base_url=base_url, concurrency={"openai": args.concurrency})
        get_provider("openai:fixed", settings)  # one client for both sides, set up outside the clock
        stores = iter(range(10**6))

        def timed(dashboard: bool, samples: int = args.samples) -> dict[str, Any]:
            store = Store(Path(tmp) / f"store-{next(stores)}.sqlite")  # fresh: nothing cached
            started = time.perf_counter()
            handle = run(spec, ["openai:fixed"], per_prompt(samples), judges=[], store=store, settings=settings)
            view = Dashboard(handle) if dashboard else None
            handle.wait()
            ended = time.perf_counter()
            if view is not None:
                view.wait_drawn()  # the final draw: results, chart and transcript browser
            finished = time.perf_counter()
            return {"wall": finished - started, "tail": finished - ended, "view": view,
                    "errors": handle.progress.errors, "samples": plan_size(handle)}  # fmt: skip

        timed(dashboard=False, samples=min(args.samples, 200))  # warm both sides before the first round
        timed(dashboard=True, samples=min(args.samples, 200))
        rounds = []
        for round_ in range(args.rounds):
            order = (False, True) if round_ % 2 == 0 else (True, False)
            measured = {dashboard: timed(dashboard) for dashboard in order}
            rounds.append((measured[False], measured[True]))

    ratios = [watched["wall"] / bare["wall"] for bare, watched in rounds]
    median = statistics.median(ratios)
    view = rounds[-1][1]["view"]
    draws = view.draws
    rate = (len(draws) - 1) / (draws[-1] - draws[0]) if len(draws) > 1 else 0.0
    errors = sum(bare["errors"] + watched["errors"] for bare, watched in rounds)
    print(f"samples: {rounds[0][0]['samples']}  concurrency: {args.concurrency}  "
          f"latency: {args.latency * 1000:.0f} ms  rounds: {args.rounds} (order swapped each round)  "
          f"host CPU reference: {cpu_reference():.2f} s")  # fmt: skip
    for number, (bare, watched) in enumerate(rounds, 1):
        print(f"round {number}: bare {bare['wall']:.2f} s  with dashboard {watched['wall']:.2f} s "
              f"(final draw done {watched['tail'] * 1000:.0f} ms after the last sample)  "
              f"ratio {watched['wall'] / bare['wall']:.3f}")  # fmt: skip
    print(f"median ratio: {median:.3f}  spread: {min(ratios):.3f}-{max(ratios):.3f}  (target <= 1.10: "
          f"{verdict(median <= 1.10)})  errors: {errors}")  # fmt: skip
    print(f"dashboard draws in the last round: {len(draws)}  ({rate:.2f} per second, limit 2)")


if __name__ == "__main__":
    main()

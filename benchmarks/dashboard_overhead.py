"""What the live dashboard costs a run.

The same 1,000-sample plan (each sample also checked by an expectation grader) runs twice against
a fixed-latency OpenAI-compatible endpoint on 127.0.0.1, each time into a fresh store: once bare,
once with a `Dashboard` attached, which redraws its status, its chart (a matplotlib PNG built from
the store) and its notes at most twice a second on a thread of its own. Prints both wall times,
their ratio (target <= 1.10) and how often the dashboard drew.

    python benchmarks/dashboard_overhead.py [--samples 1000] [--concurrency 64] [--latency 0.2]
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
from jupyter_spec.testing import endpoint_command, serve
from jupyter_spec.views.widgets import Dashboard


def main() -> None:
    args = endpoint_options(__doc__)
    spec = benchmark_spec("<!-- expect regex: echo -->")
    per_prompt = args.samples // PROMPTS

    with tempfile.TemporaryDirectory() as tmp, serve(endpoint_command(args.latency)) as base_url:
        settings = Settings(openai_base_url=base_url, concurrency={"openai": args.concurrency})
        get_provider("openai:fixed", settings)  # one-time client setup, outside the clock

        def timed(store: str, dashboard: bool) -> tuple[float, Dashboard | None]:
            started = time.perf_counter()
            handle = run(spec, ["openai:fixed"], per_prompt, judges=[], store=Store(Path(tmp) / store),
                         settings=settings)  # fmt: skip
            view = Dashboard(handle) if dashboard else None
            handle.wait()
            wall = time.perf_counter() - started
            if view is not None:
                view.wait_drawn()
            return wall, view

        bare, _ = timed("bare.sqlite", dashboard=False)
        watched, view = timed("watched.sqlite", dashboard=True)

    assert view is not None
    draws = view.draws
    rate = (len(draws) - 1) / (draws[-1] - draws[0]) if len(draws) > 1 else 0.0
    print(f"samples: {args.samples}  concurrency: {args.concurrency}  latency: {args.latency * 1000:.0f} ms")
    print(f"bare run: {bare:.2f} s  with dashboard: {watched:.2f} s  ratio: {watched / bare:.3f}  (target <= 1.10)")
    print(f"dashboard draws: {len(draws)}  ({rate:.2f} per second, limit 2)")


if __name__ == "__main__":
    main()

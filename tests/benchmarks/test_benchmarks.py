"""Every benchmark script runs with tiny arguments and prints its figures (no timing is asserted:
performance claims come from the scripts' own output on the 2-core machine, never from tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"

# script: (tiny arguments, lines its output must contain)
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "scale.py": (
        ["--quick", "--samples", "200", "--plan-items", "500", "--memory-samples", "300"],
        ["raw aiohttp floor:", "floor/run ratio", "verdicts stored: expect: 200 compliant",
         "(a) the same 200 with a model judge", "judge:openai:fixed-judge: 200 compliant",
         "(b) unchanged re-run of the same 200 (checked): ",
         "(b) unchanged re-run of the same 200 (checked and judged): ",
         "s, 0 requests, 0 errors; 200 grades", "s, 0 requests, 0 errors; 400 grades",
         "(c) run() on a 500-item plan returned in", "(c) run() + Dashboard(handle)", "(d) 300-sample run: peak RSS",
         "(e) results at 200 rows:", "(e) results at 300 rows:"],
    ),
    "runner_overhead.py": (
        ["--samples", "100", "--latency", "0.01", "--rounds", "2"],
        ["bare client (provider transport + semaphore):", "run() / bare client:", "run() / ideal",
         "unchanged re-run:", "s, 0 requests"],
    ),
    "dashboard_overhead.py": (
        ["--samples", "100", "--latency", "0.01", "--rounds", "2"],
        ["round 1: bare", "round 2: bare", "median ratio:", "spread:", "dashboard draws in the last round:"],
    ),
    "kernel_responsiveness.py": (
        ["--samples", "100", "--latency", "0.01", "--idle-cells", "3"],
        ["trivial cell, idle kernel: p50", "without a view:", "with the live dashboard:", "100 samples finished",
         "trivial cell throughout: p50"],
    ),
    "local_throughput.py": (["--prompts", "1", "--max-tokens", "4"], ["ratio direct/runner:"]),
    "lint_scale.py": (["--clauses", "50", "--cells", "2", "--repeats", "1", "--big-mb", "0.05"], []),
    "transport.py": (["--requests", "200", "--warmup", "20"], []),
    "views_scale.py": (["--samples", "500"], []),
    "interval_coverage.py": (
        ["--reps", "20", "--jobs", "1"],
        ["default/CR1", "10x5    0.95  0.0", "5x20   0.50  0.8", "coverage >= 0.90 in every cell:",
         "width <= 1.25x CR1 at ICC 0:", "both targets hold: "],
    ),
    "paired_coverage.py": (
        ["--reps", "20"],
        ["union (before): [-0.425, +0.019]", "paired:         [-0.378, -0.037], exact McNemar p = 0.0391",
         "like notebook 02: 32 pairs, one sample a side", "  paired          coverage", "union (before)  coverage",
         "width of the union / the paired interval:", "below 0.05 in"],
    ),
}  # fmt: skip


def test_every_benchmark_script_has_tiny_arguments_here() -> None:
    scripts = {path.name for path in BENCHMARKS.glob("*.py") if not path.name.startswith("_")}
    assert scripts <= set(SCRIPTS), f"add tiny arguments for {sorted(scripts - set(SCRIPTS))} to SCRIPTS"


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_the_script_runs_and_prints_its_figures(script: str) -> None:
    if not (BENCHMARKS / script).exists():
        pytest.skip(f"benchmarks/{script} is not in this checkout")
    arguments, expected = SCRIPTS[script]
    if script == "local_throughput.py":
        pytest.importorskip("llama_cpp", reason="the embedded model needs llama-cpp-python")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *arguments], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=540)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), done.stderr[-3000:]
    for line in expected:
        assert line in done.stdout, f"{line!r} missing from:\n{done.stdout}"

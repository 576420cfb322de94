"""What the runner benchmarks share: their options and the spec they sample."""

from __future__ import annotations

import argparse

from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markdown import parse_spec

PROMPTS = 50


def endpoint_options(doc: str | None) -> argparse.Namespace:
    """--samples, --concurrency, --latency of a run against the fixed-latency endpoint."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    return parser.parse_args()


def benchmark_spec(expectation: str = "") -> Spec:
    """One clause with PROMPTS one-line challenges, each with an optional expectation comment."""
    spec = parse_spec("## Benchmark {#bench}\n\nAnswer the question[^b].\n")
    text = "".join(f"- Question {i}? {expectation}\n" for i in range(PROMPTS))
    return spec.with_challenges(parse_challenges(text, target="b"))

"""Tokens per second of `local:smollm2` through the runner versus llama-cpp-python called directly.

Both sides use the same loaded model and the same prompts with greedy decoding, in the same
process, alternating direct / runner / direct / runner so that warm caches favour neither.
The ratio direct / runner is what the runner costs (target: within 1.15x).

    python benchmarks/local_throughput.py [--prompts 8] [--max-tokens 96]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from jupyter_spec.engine.providers.local import load_model, model_path
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.markdown import parse_spec

TOPICS = ["tides", "volcanoes", "bread", "comets", "bees", "glaciers", "rainbows", "batteries", "clouds", "magnets"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()

    prompts = [f"Explain in a short paragraph how {TOPICS[i % len(TOPICS)]} work." for i in range(args.prompts)]
    params = {"max_tokens": args.max_tokens, "temperature": 0.0}
    settings = Settings()
    llama = load_model(model_path("smollm2"), settings.local_threads)
    llama.create_chat_completion(messages=[{"role": "user", "content": "warm up"}], max_tokens=4)

    def direct() -> tuple[int, float]:
        started, tokens = time.perf_counter(), 0
        for prompt in prompts:
            answer = llama.create_chat_completion(messages=[{"role": "user", "content": prompt}], **params)
            tokens += answer["usage"]["completion_tokens"]
        return tokens, time.perf_counter() - started

    def through_runner() -> tuple[int, float]:
        spec = parse_spec("## Explain {#explain}\n\nExplain clearly[^e].\n")
        spec = spec.with_challenges(parse_challenges("".join(f"- {p}\n" for p in prompts), target="e"))
        with tempfile.TemporaryDirectory() as tmp:  # a fresh store: nothing is cached
            started = time.perf_counter()
            samples = run(spec, ["local:smollm2"], 1, judges=[], store=Store(Path(tmp) / "s.sqlite"), settings=settings,
                          params=params).wait()  # fmt: skip
            elapsed = time.perf_counter() - started
        assert all(s.status == "ok" for s in samples), [s.error for s in samples]
        return sum(s.completion_tokens for s in samples), elapsed

    totals = {"direct": [0, 0.0], "runner": [0, 0.0]}
    for name, measure in [("direct", direct), ("runner", through_runner)] * 2:
        tokens, elapsed = measure()
        totals[name][0] += tokens
        totals[name][1] += elapsed

    rate = {name: tokens / elapsed for name, (tokens, elapsed) in totals.items()}
    print(f"prompts: {args.prompts} x 2 passes each, max_tokens {args.max_tokens}, greedy, "
          f"{settings.local_threads} llama thread(s)")  # fmt: skip
    for name in ("direct", "runner"):
        tokens, elapsed = totals[name]
        print(f"{name:>7}: {tokens} tokens in {elapsed:.2f} s = {rate[name]:.1f} tokens/s")
    print(f"ratio direct/runner: {rate['direct'] / rate['runner']:.3f}  (target <= 1.15)")


if __name__ == "__main__":
    main()

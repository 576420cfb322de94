"""How long a trivial cell takes while a large run is in flight in the same kernel, until it is over.

A real kernel (jupyter_client) starts a 20,000-sample run against an OpenAI-compatible endpoint on
127.0.0.1 (fixed 20 ms latency, concurrency 128); then `1 + 1` is executed again and again and each
round trip timed, from the cell that started the run until the run is done AND, with the dashboard,
its final draw (results frame, chart, transcript browser) has finished: a background thread in the
kernel waits on `handle.wait()` and `Dashboard.wait_drawn()` and sets a flag, which each timed
request also reads as a user expression (so no extra cell is run). The end-of-run draw is inside
the sampled window. Twice: without a view, and with the live dashboard a notebook shows.

Prints p50, p99 and max of the round trips and how many were taken (target: p99 < 100 ms), beside
the same cell in the idle kernel.

    python benchmarks/kernel_responsiveness.py [--samples 20000] [--concurrency 128] [--latency 0.02]
"""

from __future__ import annotations

import statistics
import tempfile
import time
from typing import Any

from _common import PROMPTS, cpu_reference, endpoint_parser, per_prompt, verdict
from jupyter_client.manager import start_new_kernel

from jupyter_spec.testing import endpoint_command, serve

START_RUN = """
import threading
from jupyter_spec import parse_challenges, parse_spec, run
from jupyter_spec.engine.settings import Settings
spec = parse_spec("## Bench {{#bench}}\\n\\nAnswer[^b].\\n")
spec = spec.with_challenges(parse_challenges("".join(f"- Question {{i}}?\\n" for i in range({prompts})), target="b"))
handle = run(spec, ["openai:fixed"], {per_prompt}, judges=[], store="{store}", display=False,
             settings=Settings(openai_base_url="{url}", concurrency={{"openai": {concurrency}}}))
view = handle.show() if {display} else None
finished = threading.Event()
def _watch():
    handle.wait()
    if view is not None:
        view.wait_drawn(600)
    finished.set()
threading.Thread(target=_watch, daemon=True).start()
"""

FINISHED = {"finished": "finished.is_set()"}
COUNTS = {"finished": "handle.progress.finished", "errors": "handle.progress.errors"}


def timed(client: Any, code: str, expressions: dict[str, str] | None = None) -> tuple[float, dict[str, Any]]:
    """Seconds from sending `code` until the kernel is idle again, and its user expressions."""
    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=600, user_expressions=expressions or {},
                                       output_hook=lambda msg: None)  # fmt: skip
    assert reply["content"]["status"] == "ok", reply["content"]
    return time.perf_counter() - started, reply["content"].get("user_expressions", {})


def is_true(expressions: dict[str, Any]) -> bool:
    return expressions.get("finished", {}).get("data", {}).get("text/plain") == "True"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = endpoint_parser(__doc__, samples=20_000, concurrency=128, latency=0.02)
    parser.add_argument("--idle-cells", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between timed cells")
    args = parser.parse_args()
    with serve(endpoint_command(args.latency)) as url, tempfile.TemporaryDirectory() as tmp:
        manager, client = start_new_kernel(kernel_name="python3")
        try:  # one-time imports, not measured: a notebook has done them before its first run
            timed(client, "import jupyter_spec, jupyter_spec.engine.runner, jupyter_spec.views.widgets, openai")
            idle = [timed(client, "1 + 1")[0] for _ in range(args.idle_cells)]
            phases = {}
            for display in (False, True):
                code = START_RUN.format(store=f"{tmp}/store-{display}.sqlite", url=url, display=display,
                                        prompts=PROMPTS, per_prompt=per_prompt(args.samples),
                                        concurrency=args.concurrency)  # fmt: skip
                began = time.perf_counter()
                start, _ = timed(client, code)
                busy: list[float] = []
                while True:
                    took, expressions = timed(client, "1 + 1", FINISHED)
                    busy.append(took)
                    if is_true(expressions):
                        break
                    time.sleep(args.pause)
                whole = time.perf_counter() - began
                _, state = timed(client, "", COUNTS)
                counts = {k: v.get("data", {}).get("text/plain") for k, v in state.items()}
                phases[display] = (start, busy, whole, counts)
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)

    def ms(values: list[float]) -> str:
        return (f"p50 {statistics.median(values) * 1000:.1f} ms, p99 {percentile(values, 0.99) * 1000:.1f} ms, "
                f"max {max(values) * 1000:.1f} ms, {len(values)} cells")  # fmt: skip

    print(f"latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}, host CPU reference "
          f"(10^7-step Python loop): {cpu_reference():.2f} s")  # fmt: skip
    print(f"trivial cell, idle kernel: {ms(idle)}")
    for display, (start, busy, whole, counts) in phases.items():
        view = "with the live dashboard" if display else "without a view"
        p99 = percentile(busy, 0.99)
        print(f"{view}: the cell starting the {per_prompt(args.samples) * PROMPTS:,}-sample run returned in "
              f"{start * 1000:.1f} ms; run{' and final draw' if display else ''} over after {whole:.1f} s "
              f"({counts.get('finished')} samples finished, {counts.get('errors')} errors)")  # fmt: skip
        print(f"  trivial cell throughout: {ms(busy)}  (target p99 < 100 ms: {verdict(p99 < 0.1)})")


if __name__ == "__main__":
    main()

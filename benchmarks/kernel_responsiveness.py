"""How long a trivial cell takes while a 1,000-sample run is in flight in the same kernel.

A real kernel (jupyter_client) starts a run against an OpenAI-compatible endpoint on 127.0.0.1
(fixed 200 ms latency, concurrency 64); then `1 + 1` is executed repeatedly and each round trip
timed, and compared with the same cell in the idle kernel (target: < 200 ms while in flight).
Twice: without a view, and with the live dashboard a notebook shows (it redraws on a thread of
its own, which shares the interpreter lock with the kernel).

    python benchmarks/kernel_responsiveness.py [--cells 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

from jupyter_client.manager import start_new_kernel

from jupyter_spec.testing import endpoint_command, serve

START_RUN = """
from jupyter_spec import parse_challenges, parse_spec, run
from jupyter_spec.engine.settings import Settings
spec = parse_spec("## Bench {{#bench}}\\n\\nAnswer[^b].\\n")
spec = spec.with_challenges(parse_challenges("".join(f"- Question {{i}}?\\n" for i in range(50)), target="b"))
handle = run(spec, ["openai:fixed"], 20, judges=[], store="{store}", display={display},
             settings=Settings(openai_base_url="{url}", concurrency={{"openai": 64}}))
"""


def timed(client, code: str) -> float:
    started = time.perf_counter()
    reply = client.execute_interactive(code, timeout=60, output_hook=lambda msg: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=20)
    args = parser.parse_args()
    with serve(endpoint_command(0.2)) as url, tempfile.TemporaryDirectory() as tmp:
        manager, client = start_new_kernel(kernel_name="python3")
        try:
            timed(
                client, "import jupyter_spec.engine.runner, jupyter_spec.views.widgets, openai"
            )  # one-time imports: not measured
            idle = [timed(client, "1 + 1") for _ in range(args.cells)]
            phases = {}
            for display in (False, True):
                store = f"{tmp}/store-{display}.sqlite"
                start = timed(client, START_RUN.format(store=store, url=url, display=display))
                busy = []
                for _ in range(args.cells):
                    busy.append(timed(client, "1 + 1"))
                    time.sleep(0.05)
                shown: list[str] = []
                client.execute_interactive(
                    "print(handle.progress.finished)", timeout=60,
                    output_hook=lambda msg, shown=shown: shown.append(msg["content"].get("text", "")),
                )  # fmt: skip
                timed(client, "handle.wait()")
                phases[display] = (start, busy, "".join(shown).strip())
        finally:
            client.stop_channels()
            manager.shutdown_kernel(now=True)

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"

    print(f"trivial cell, idle kernel: {ms(idle)}")
    for display, (start, busy, finished) in phases.items():
        view = "with the live dashboard" if display else "without a view"
        print(f"{view}: the cell starting the 1,000-sample run returned in {start * 1000:.1f} ms")
        print(f"  trivial cell, run in flight: {ms(busy)}  (target < 200 ms)")
        print(f"  samples finished when the last cell had been timed: {finished} of 1000 (still in flight)")


if __name__ == "__main__":
    main()

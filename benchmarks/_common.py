"""What the runner benchmarks share: their options, the spec they sample, and the floors they compare with.

A floor is the cheapest client that sends the same requests: what the runner is measured against in
the same run, on the same machine, at the same moment. The endpoint's own CPU is read from /proc so
that each script can show the server was not the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jupyter_spec.engine.plan import PlanItem, conversation
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markdown import parse_spec

PROMPTS = 50


def endpoint_parser(doc: str | None, samples: int = 1000, concurrency: int = 64, latency: float = 0.2) -> Any:
    """--samples, --concurrency, --latency of a run against the fixed-latency endpoint (add more, then parse)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=samples)
    parser.add_argument("--concurrency", type=int, default=concurrency)
    parser.add_argument("--latency", type=float, default=latency, help="seconds the endpoint waits per request")
    return parser


def endpoint_options(doc: str | None) -> argparse.Namespace:
    return endpoint_parser(doc).parse_args()


def benchmark_spec(expectation: str = "") -> Spec:
    """One clause with PROMPTS one-line challenges, each with an optional expectation comment."""
    spec = parse_spec("## Benchmark {#bench}\n\nAnswer the question[^b].\n")
    text = "".join(f"- Question {i}? {expectation}\n" for i in range(PROMPTS))
    return spec.with_challenges(parse_challenges(text, target="b"))


def per_prompt(samples: int) -> int:
    """Samples per challenge for about `samples` in all (at least one each)."""
    return max(1, samples // PROMPTS)


def plan_size(handle: Any) -> int:
    """How many items a run's plan has (`Run.total` where the runner counts it without listing it)."""
    total = getattr(handle, "total", None)
    return total if isinstance(total, int) else len(handle.plan)


def request_bodies(plan: Sequence[PlanItem]) -> list[dict[str, Any]]:
    """The chat-completions bodies the plan's first requests carry (one-turn challenges: all of them)."""
    return [
        {"model": item.model.partition(":")[2], "messages": conversation(item.challenge.turns), **item.request_params()}
        for item in plan
    ]


def cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: how fast this host's cores are right now.

    The runner's overhead is CPU time on one thread (mostly the HTTP client's), so ratios move with
    this figure; print it so runs on different hosts, or different days, compare.
    """
    started = time.perf_counter()
    sum(i * i for i in range(10**7))
    return time.perf_counter() - started


def endpoint_pid(base_url: str) -> int | None:
    """The process of the loopback endpoint serving `base_url` (found by its --port argument)."""
    port = str(urlparse(base_url).port)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"jupyter_spec.testing" in args and b"--port" in args and port.encode() in args:
            return int(entry.name)
    return None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far (0 where /proc cannot say)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def log_entries(log: Path, since: int = 0) -> list[dict[str, Any]]:
    """Requests the endpoint logged after byte offset `since` (one JSON line each)."""
    if not log.exists():
        return []
    with log.open("rb") as file:
        file.seek(since)
        return [json.loads(line) for line in file.read().splitlines() if line.strip()]


def log_count(log: Path, since: int = 0) -> int:
    """How many requests the endpoint logged after byte offset `since`, without parsing them."""
    if not log.exists():
        return 0
    with log.open("rb") as file:
        file.seek(since)
        return file.read().count(b"\n")


class Meter:
    """Wall time, this process's CPU and the endpoint's CPU over one measured stretch."""

    def __init__(self, endpoint: int | None) -> None:
        self.endpoint = endpoint

    def __enter__(self) -> Meter:
        self._wall, self._cpu, self._server = time.perf_counter(), time.process_time(), cpu_seconds(self.endpoint)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        self.server_cpu = cpu_seconds(self.endpoint) - self._server

    @property
    def server_share(self) -> float:
        """The endpoint's CPU as a share of one core: near 1.0 it, not the client, is the limit."""
        return self.server_cpu / self.wall if self.wall else 0.0


class AiohttpFloor:
    """A raw `aiohttp` client posting bodies at a fixed concurrency: the floor the issue set. (Our
    own connections, `providers/direct.py`, cost less per request than this: see `transport.py`.)

    It keeps one session (and its warm connections) on a loop of its own between calls, as the
    runner keeps its provider's client between runs.
    """

    def __init__(self, base_url: str, concurrency: int) -> None:
        import aiohttp

        self.url = base_url.rstrip("/") + "/chat/completions"
        self.concurrency = concurrency
        self.loop = asyncio.new_event_loop()

        async def open_session() -> aiohttp.ClientSession:
            return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency))

        self.session = self.loop.run_until_complete(open_session())

    def post_all(self, bodies: Sequence[dict[str, Any]]) -> int:
        """Post every body, `concurrency` at a time, and read each answer as JSON; returns the failures."""
        return self.loop.run_until_complete(self._post_all(bodies))

    async def _post_all(self, bodies: Sequence[dict[str, Any]]) -> int:
        limit = asyncio.Semaphore(self.concurrency)
        failures = 0

        async def post(body: dict[str, Any]) -> None:
            nonlocal failures
            async with limit, self.session.post(self.url, json=body) as response:
                answer = await response.json()
                failures += response.status != 200 or not answer.get("choices")

        await asyncio.gather(*(post(body) for body in bodies))
        return failures

    def close(self) -> None:
        self.loop.run_until_complete(self.session.close())
        self.loop.close()


class ProviderFloor:
    """The provider's own transport (`provider.complete`) behind one semaphore: no runner, no store.

    What the runner adds on top of this is its own cost; what this costs on top of `AiohttpFloor`
    is the transport's.
    """

    def __init__(self, provider: Any, concurrency: int) -> None:
        self.provider = provider
        self.concurrency = concurrency
        self.loop = asyncio.new_event_loop()

    def post_all(self, plan: Sequence[PlanItem]) -> int:
        return self.loop.run_until_complete(self._post_all(plan))

    async def _post_all(self, plan: Sequence[PlanItem]) -> int:
        limit = asyncio.Semaphore(self.concurrency)
        failures = 0

        async def post(item: PlanItem) -> None:
            nonlocal failures
            messages = tuple(conversation(item.challenge.turns))
            async with limit:
                try:
                    await self.provider.complete(messages, item.request_params())
                except Exception:  # noqa: BLE001 - counted, not raised: a floor that failed says so
                    failures += 1

        await asyncio.gather(*(post(item) for item in plan))
        return failures

    def close(self) -> None:
        self.loop.close()


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"

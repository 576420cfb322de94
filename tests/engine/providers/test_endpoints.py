"""Several endpoints for one model: capacity, health, failover; in isolation, then with real servers."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.engine.providers import get_provider
from jupyter_spec.engine.providers.base import ProviderError
from jupyter_spec.engine.providers.endpoints import Endpoint, EndpointPool, endpoints_for
from jupyter_spec.engine.providers.openai import OpenAIProvider
from jupyter_spec.engine.runner import RetryPolicy, run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.testing import endpoint_command, free_port, read_log, wait_until_up

DOWN = ProviderError("connection failed: Connection error.", retryable=True)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def pool_of(*concurrency: int, clock: Callable[[], float] = time.monotonic, **options: Any) -> EndpointPool:
    return EndpointPool([Endpoint(f"http://e{i}", c) for i, c in enumerate(concurrency)], clock=clock, **options)


def test_requests_go_where_most_capacity_is_free_and_never_past_an_endpoints_limit() -> None:
    pool = pool_of(1, 3)
    peak = {e.url: 0 for e in pool.endpoints}

    async def main() -> list[str]:
        async def send(endpoint: Endpoint) -> str:
            peak[endpoint.url] = max(peak[endpoint.url], endpoint.in_flight)
            await asyncio.sleep(0.01)
            return endpoint.url

        return await asyncio.gather(*(pool.call(send) for _ in range(40)))

    served = asyncio.run(main())
    assert peak == {"http://e0": 1, "http://e1": 3}
    assert served.count("http://e1") > served.count("http://e0") > 0
    assert [e.in_flight for e in pool.endpoints] == [0, 0] and pool.concurrency == 4


def test_a_failed_connection_or_5xx_is_tried_at_once_on_another_endpoint() -> None:
    pool = pool_of(4, 2)
    for failure in (DOWN, ProviderError("HTTP 502: Error code: 502", retryable=True, status=502)):

        async def send(endpoint: Endpoint, failure: ProviderError = failure) -> str:
            if endpoint.url == "http://e0":
                raise failure
            return "answer"

        assert asyncio.run(pool.call(send)) == "answer"
    first, second = pool.stats()
    assert (first["failures"], first["failovers"], first["state"]) == (2, 2, "up")  # two in a row: not down yet
    assert (second["requests"], second["failures"]) == (2, 0)


def test_a_request_at_fault_is_not_failed_over_but_a_busy_replica_is() -> None:
    clock = Clock()
    pool = pool_of(4, 2, clock=clock)
    bad = ProviderError("HTTP 400: Error code: 400 - no", retryable=False, status=400)
    asked: list[str] = []

    async def rejected(endpoint: Endpoint) -> str:
        asked.append(endpoint.url)
        raise bad

    with pytest.raises(ProviderError) as raised:
        asyncio.run(pool.call(rejected))
    assert raised.value is bad and asked == ["http://e0"]

    async def throttled(endpoint: Endpoint) -> str:
        asked.append(endpoint.url)
        if endpoint.url == "http://e0":
            raise ProviderError("HTTP 429: slow", retryable=True, status=429, retry_after=5.0)
        return "answer"

    asked.clear()
    assert asyncio.run(pool.call(throttled)) == "answer" and asked == ["http://e0", "http://e1"]
    asked.clear()
    assert asyncio.run(pool.call(throttled)) == "answer" and asked == ["http://e1"]  # e0 asked to wait 5 s
    clock.now += 5
    asked.clear()
    asyncio.run(pool.call(throttled))
    assert asked == ["http://e0", "http://e1"] and pool.endpoints[0].state == "up"  # a 429 is no sign of ill health


def test_a_failing_endpoint_goes_down_for_a_doubling_cool_down_with_one_probe_after() -> None:
    clock = Clock()
    pool = pool_of(4, 4, clock=clock, failures_to_down=2, cooldown=1.0, max_cooldown=3.0)
    alive = {"http://e0": False, "http://e1": True}
    asked: list[str] = []

    async def send(endpoint: Endpoint) -> str:
        asked.append(endpoint.url)
        if not alive[endpoint.url]:
            raise DOWN
        return endpoint.url

    def ask() -> list[str]:
        asked.clear()
        asyncio.run(pool.call(send))
        return list(asked)

    e0 = pool.endpoints[0]
    assert ask() == ["http://e0", "http://e1"] and e0.state == "up"
    assert ask() == ["http://e0", "http://e1"] and (e0.state, e0.down_until) == ("down", 101.0)
    assert ask() == ask() == ["http://e1"]  # no traffic while it cools down
    clock.now = 101.0
    assert ask() == ["http://e0", "http://e1"] and (e0.state, e0.down_until) == ("down", 103.0)  # one probe; 2 s
    clock.now = 103.0
    assert ask() == ["http://e0", "http://e1"] and e0.down_until == 106.0  # capped at 3 s
    assert ask() == ["http://e1"]
    alive["http://e0"] = True
    clock.now = 106.0
    assert ask() == ["http://e0"] and (e0.state, e0.cooldown) == ("up", 0.0)  # the probe answered: back in
    assert e0.stats()["downs"] == 3


def test_when_every_endpoint_is_down_the_runner_is_told_when_to_come_back() -> None:
    clock = Clock()
    pool = pool_of(2, 2, clock=clock, failures_to_down=1, cooldown=4.0)

    async def send(endpoint: Endpoint) -> str:
        raise DOWN

    with pytest.raises(ProviderError) as first:
        asyncio.run(pool.call(send))
    assert first.value is DOWN  # both tried: the last failure is the request's
    clock.now += 1.5
    with pytest.raises(ProviderError) as later:
        asyncio.run(pool.call(send))
    assert later.value.retryable and later.value.retry_after == pytest.approx(2.5)
    assert str(later.value) == "all 2 endpoints are down (the next is tried in 2.5s)"


def test_while_a_probe_is_out_requests_wait_for_its_answer() -> None:
    clock = Clock()
    pool = pool_of(2, clock=clock, failures_to_down=1, cooldown=1.0)
    pool.endpoints[0].state, pool.endpoints[0].down_until = "down", 100.0

    async def main() -> list[str]:
        async def send(endpoint: Endpoint) -> str:
            await asyncio.sleep(0.02)
            return "up again"

        return await asyncio.gather(*(pool.call(send) for _ in range(3)))

    assert asyncio.run(main()) == ["up again"] * 3 and pool.endpoints[0].requests == 3


def test_endpoints_are_found_by_model_id_alias_or_provider() -> None:
    settings = Settings(
        aliases={"llama": "openai:meta-llama/Llama-3.1-8B"},
        endpoints={"llama": ["http://a/v1=8", "http://b/v1"], "openai": "http://c/v1"},
    )
    assert endpoints_for("openai:meta-llama/Llama-3.1-8B", settings) == [
        {"url": "http://a/v1", "concurrency": 8}, {"url": "http://b/v1", "concurrency": 16}
    ]  # fmt: skip
    assert endpoints_for("openai:other", settings) == [{"url": "http://c/v1", "concurrency": 16}]
    assert endpoints_for("local:smollm2", settings) == []
    provider = get_provider("llama", settings)
    assert isinstance(provider, OpenAIProvider) and provider.concurrency == 24
    assert not provider.developer_role  # replicas are not OpenAI's API: developer turns go as system
    assert [s["url"] for s in provider.endpoint_stats()] == ["http://a/v1", "http://b/v1"]


# -- with real servers: the fixed-latency endpoint in three processes --------------------------------

LATENCY = 0.05


@contextmanager
def endpoint_process(log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [a.replace("{port}", str(port)) for a in endpoint_command(LATENCY, log)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/v1/models", 60, process)
        yield f"http://127.0.0.1:{port}/v1", process
    finally:
        process.kill()
        process.wait()


def most_in_flight(log: Path) -> int:
    """The most requests that arrived within one latency of each other: all in flight together."""
    times = sorted(entry["time"] for entry in read_log(log))
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= LATENCY * 0.98:
            start += 1
        most = max(most, end - start + 1)
    return most


def spec_of(prompts: int) -> Any:
    spec = parse_spec("## Capitals {#capitals}\n\nName capitals correctly[^c1].\n")
    return spec.with_challenges(
        parse_challenges("".join(f"- Capital number {i}?\n" for i in range(prompts)), target="c1")
    )


def test_a_replica_killed_mid_run_is_routed_around_and_no_sample_is_lost(tmp_path: Path) -> None:
    limits = [2, 3, 4]
    logs = [tmp_path / f"endpoint{i}.jsonl" for i in range(3)]
    with ExitStack() as stack:
        servers = [stack.enter_context(endpoint_process(log)) for log in logs]
        endpoints = [{"url": url, "concurrency": c} for (url, _), c in zip(servers, limits, strict=True)]
        settings = Settings(endpoints={"openai:fixed": endpoints})
        provider = get_provider("openai:fixed", settings)
        assert isinstance(provider, OpenAIProvider) and provider.pool is not None and provider.concurrency == 9
        provider.pool.base_cooldown = 60.0  # no probe within this test: the dead one must get nothing more
        store = Store(tmp_path / "s.sqlite")
        handle = run(spec_of(100), ["openai:fixed"], 4, judges=[], store=store, settings=settings)
        while handle.progress.finished < 120:
            time.sleep(0.01)
        servers[2][1].send_signal(signal.SIGKILL)  # the largest replica, with requests in flight
        dead = provider.pool.endpoints[2]
        deadline = time.monotonic() + 30
        while dead.state != "down" and time.monotonic() < deadline:
            time.sleep(0.005)
        assert dead.state == "down" and not handle.done
        sent_when_down = dead.requests
        samples = handle.wait(120)
    assert len(samples) == 400 and {s.status for s in samples} == {"ok"}  # every sample ends ok
    assert dead.requests == sent_when_down and dead.state == "down" and dead.downs == 1  # no traffic after
    assert 1 <= dead.failures <= limits[2] + provider.pool.failures_to_down
    assert dead.failovers == dead.failures  # each failed there was tried elsewhere at once, not by the runner
    assert handle.progress.retries == 0
    for log, limit in zip(logs, limits, strict=True):
        assert most_in_flight(log) <= limit  # the server saw no more at once than its concurrency
    received = [len(read_log(log)) for log in logs]
    assert sum(received) >= 400 and received[0] > 0 and received[1] > 0
    assert provider.endpoint_stats()[2]["state"] == "down"


def test_when_every_replica_is_dead_samples_end_as_errors_after_retries(tmp_path: Path) -> None:
    with ExitStack() as stack:
        servers = [stack.enter_context(endpoint_process(tmp_path / f"e{i}.jsonl")) for i in range(2)]
        for _, process in servers:
            process.kill()
            process.wait()
        settings = Settings(endpoints={"openai:gone": [url for url, _ in servers]})
        retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02, timeout=5, max_retry_after=0.05)
        store = Store(tmp_path / "s.sqlite")
        handle = run(spec_of(5), ["openai:gone"], 2, judges=[], store=store, settings=settings, retry=retry)
        samples = handle.wait(60)
    assert len(samples) == 10 and {s.status for s in samples} == {"error"}
    assert all(s.error.endswith("(after 3 attempts)") for s in samples)
    assert all("connection failed" in s.error or "endpoints are down" in s.error for s in samples)
    provider = get_provider("openai:gone", settings)
    assert isinstance(provider, OpenAIProvider)
    assert {s["state"] for s in provider.endpoint_stats()} == {"down"}

"""HTTP transports for OpenAI-compatible endpoints, against a raw aiohttp floor, in one run.

The fixed-latency endpoint on 127.0.0.1 answers every request after `--latency`. Each client
sends the same `--requests` chat-completions bodies, at most `--concurrency` at a time (the
same worker pool drives every client, so only the client differs):

  floor            a raw aiohttp session posting the JSON and decoding the reply (nothing else)
  provider/direct  OpenAIProvider.complete() over our own connections (`direct.py`; the default)
  provider/aiohttp OpenAIProvider.complete() with our lean client over aiohttp (the previous default)
  provider/openai  OpenAIProvider.complete() with the official client (the one before)
  openai/httpx     the official client as documented: chat.completions.create(), httpx transport
  openai/aiohttp   the same with DefaultAioHttpClient (`openai[aiohttp]`)

Every client is warmed first (connections open, code paths taken); then `--rounds` rounds each
measure every client once, the order rotated per round so none always runs first or last. It
prints requests/s (the best round, and the spread), client CPU per request (the least), and
the ratio to the floor measured in the same round (the range over rounds).

    python benchmarks/transport.py [--requests 20000] [--concurrency 128] [--latency 0.02] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import openai

from jupyter_spec.engine.providers.openai import OpenAIProvider
from jupyter_spec.testing import endpoint_command, serve

Send = Callable[[int], Awaitable[str]]
MODEL = "fixed"
_closing: list[Callable[[], Awaitable[None]]] = []  # sessions and clients to close before the loop ends


def body(index: int) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": f"Question {index}?"}], "max_tokens": 16}


async def drive(send: Send, requests: int, concurrency: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) for `requests` sends, `concurrency` workers pulling the next index."""
    next_index = iter(range(requests))

    async def worker() -> None:
        for index in next_index:
            text = await send(index)
            assert text.startswith("Canned answer"), text

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - wall, time.process_time() - cpu


def floor(url: str, concurrency: int) -> Send:
    session: aiohttp.ClientSession | None = None
    target = url + "/chat/completions"
    headers = {"Authorization": "Bearer not-needed", "Content-Type": "application/json"}

    async def send(index: int) -> str:
        nonlocal session
        if session is None:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), headers=headers)
            _closing.append(session.close)
        async with session.post(target, data=json.dumps(body(index)).encode()) as response:
            reply = json.loads(await response.read())
        return str(reply["choices"][0]["message"]["content"])

    return send


def provider(url: str, concurrency: int, transport: str) -> Send:
    lean = OpenAIProvider(MODEL, api_key=None, base_url=url, concurrency=concurrency, transport=transport)

    async def send(index: int) -> str:
        item = body(index)
        return (await lean.complete(tuple(item["messages"]), {"max_tokens": 16})).text

    return send


def official(url: str, concurrency: int, aiohttp_transport: bool) -> Send:
    client: openai.AsyncOpenAI | None = None

    async def send(index: int) -> str:
        nonlocal client
        if client is None:
            limits = openai.DefaultAioHttpClient() if aiohttp_transport else None
            client = openai.AsyncOpenAI(
                api_key="not-needed",
                base_url=url,
                max_retries=0,
                http_client=limits,  # type: ignore[arg-type]
            )
            _closing.append(client.close)
        item = body(index)
        reply = await client.chat.completions.create(model=MODEL, messages=item["messages"], max_tokens=16)
        return reply.choices[0].message.content or ""

    return send


async def measure(url: str, args: argparse.Namespace) -> dict[str, list[tuple[float, float]]]:
    clients: dict[str, Send] = {
        "floor (raw aiohttp)": floor(url, args.concurrency),
        "provider/direct (the default)": provider(url, args.concurrency, "direct"),
        "provider/aiohttp (lean over aiohttp)": provider(url, args.concurrency, "aiohttp"),
        "provider/openai (official client)": provider(url, args.concurrency, "openai"),
        "openai/httpx (official client)": official(url, args.concurrency, aiohttp_transport=False),
        "openai/aiohttp (DefaultAioHttpClient)": official(url, args.concurrency, aiohttp_transport=True),
    }
    for send in clients.values():  # warm: connections open, every code path taken once
        await drive(send, args.warmup, args.concurrency)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in clients}
    names = list(clients)
    for round_ in range(args.rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for name in order:
            results[name].append(await drive(clients[name], args.requests, args.concurrency))
    for close in _closing:
        await close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=128)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=1_000)
    args = parser.parse_args()
    with serve(endpoint_command(args.latency)) as url:
        results = asyncio.run(measure(url, args))
    ideal = args.concurrency / args.latency
    print(
        f"requests: {args.requests}  concurrency: {args.concurrency}  latency: {args.latency * 1000:.0f} ms  "
        f"rounds: {args.rounds}  (latency-bound ideal: {ideal:,.0f} requests/s)"
    )
    floors = [args.requests / wall for wall, _ in results["floor (raw aiohttp)"]]
    for name, runs in results.items():
        rates = [args.requests / wall for wall, _ in runs]
        ratios = [floor_rate / rate for floor_rate, rate in zip(floors, rates, strict=True)]
        cpu = min(c for _, c in runs) / args.requests * 1e6
        spread = f"{min(rates):,.0f}-{max(rates):,.0f}" if len(rates) > 1 else f"{rates[0]:,.0f}"
        ratio = f"{min(ratios):.2f}-{max(ratios):.2f}x" if len(ratios) > 1 else f"{ratios[0]:.2f}x"  # every round
        print(
            f"{name:40s} {max(rates):7,.0f} requests/s  (rounds {spread})  CPU {cpu:5.0f} us/request  "
            f"floor/this: {ratio}"
        )


if __name__ == "__main__":
    main()

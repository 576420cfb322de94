"""Loopback servers for tests and benchmarks, run as `python -m jupyter_spec.testing ...`.

- `endpoint`: an OpenAI-compatible chat endpoint with a fixed latency and canned answers, to
  measure the runner itself (the benchmark) and to count exactly which requests arrive.
- `proxy`: sits in front of a real endpoint (such as `llama_cpp.server`) and answers 429 with
  `Retry-After`, 500, or stalls, on a seeded share of requests; everything else is forwarded.

Both bind to 127.0.0.1 only and log one JSON line per request to `--log` when given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, timeout: float = 60.0, process: subprocess.Popen[Any] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing answered at {url} within {timeout:g}s")


@contextmanager
def serve(args: list[str], ready_path: str = "/v1/models", timeout: float = 120.0) -> Iterator[str]:
    """Start a server process on a free loopback port; yield its base URL (`http://127.0.0.1:N/v1`)."""
    port = free_port()
    command = [a.replace("{port}", str(port)) for a in args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(f"http://127.0.0.1:{port}{ready_path}", timeout, process)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def endpoint_command(latency: float, log: str | Path | None = None) -> list[str]:
    """The command that runs the fixed-latency endpoint (for `serve`), logging requests if asked."""
    command = [sys.executable, "-m", "jupyter_spec.testing", "endpoint", "--port", "{port}", "--latency", str(latency)]
    return [*command, "--log", str(log)] if log is not None else command


def _logger(path: str | None) -> Any:
    handle = open(path, "a", buffering=1, encoding="utf-8") if path else None  # noqa: SIM115 - lives with the server

    def log(**entry: Any) -> None:
        if handle:
            handle.write(json.dumps(entry) + "\n")

    return log


def _chat_answer(body: dict[str, Any]) -> dict[str, Any]:
    last = body["messages"][-1]["content"]
    text = f"Canned answer to: {last[:80]}"
    return {
        "id": "chatcmpl-fixed",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fixed"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(last.split()), "completion_tokens": len(text.split()),
                  "total_tokens": len(last.split()) + len(text.split())},
    }  # fmt: skip


MODELS = {"object": "list", "data": [{"id": "fixed", "object": "model", "owned_by": "test"}]}


class _Endpoint(asyncio.Protocol):
    """The fixed-latency endpoint on one connection: plain HTTP/1.1 with keep-alive, no framework.

    Benchmarks drive thousands of requests a second at it from the same 2-core machine; a framework
    server (uvicorn + starlette on h11) spent ~0.4 ms of CPU per request and became the bottleneck
    of the very floor it is there to measure. This costs a fifth of that.
    """

    def __init__(self, latency: float, log: Any) -> None:
        self.latency = latency
        self.log = log
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return  # the rest of the body is still on its way
            body, self.buffer = self.buffer[end + 4 : end + 4 + length], self.buffer[end + 4 + length :]
            method, path, *_ = [*lines[0].split(" "), "", ""]
            close = headers.get("connection", "").lower() == "close"
            path = path.partition("?")[0]
            if method == "GET" and path == "/v1/models":
                self.reply(200, MODELS, close)
            elif method == "POST" and path == "/v1/chat/completions":
                try:
                    request = json.loads(body)
                    _chat_answer(request)  # a body without messages is a 400
                except (ValueError, LookupError, TypeError):
                    self.reply(400, {"error": {"message": "not a chat request"}}, close)
                    continue
                authorized = bool(headers.get("authorization"))
                self.log(time=time.time(), model=request.get("model"), seed=request.get("seed"),
                         messages=request.get("messages"), authorization=authorized)  # fmt: skip
                loop = asyncio.get_running_loop()
                loop.call_later(self.latency, lambda r=request, c=close: self.reply(200, _chat_answer(r), c))
            else:
                self.reply(404, {"error": {"message": f"no route {method} {path}"}}, close)

    def reply(self, status: int, payload: dict[str, Any], close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        body = json.dumps(payload).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
        head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        self.transport.write(head.encode() + (b"connection: close\r\n\r\n" if close else b"\r\n") + body)
        if close:
            self.transport.close()


async def serve_endpoint(port: int, latency: float, log_path: str | None) -> None:
    """The OpenAI-compatible fixed-latency endpoint: `/v1/models` and `/v1/chat/completions`."""
    log = _logger(log_path)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Endpoint(latency, log), "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def proxy_app(upstream: str, rate: float, seed: int, stall: float, log_path: str | None) -> Any:
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    log = _logger(log_path)
    rng = random.Random(seed)
    client = httpx.AsyncClient(base_url=upstream.rstrip("/"), timeout=600)

    async def forward(request: Request) -> Response:
        path = request.url.path.removeprefix("/v1")
        body = await request.body()
        fault = rng.choice(["429", "500", "stall"]) if rng.random() < rate else None
        log(time=time.time(), path=path, fault=fault)
        if fault == "429":
            return JSONResponse({"error": {"message": "slow down"}}, status_code=429, headers={"Retry-After": "0.2"})
        if fault == "500":
            return JSONResponse({"error": {"message": "injected failure"}}, status_code=500)
        if fault == "stall":
            await asyncio.sleep(stall)
        answer = await client.request(request.method, path, content=body, headers={"content-type": "application/json"})
        return Response(answer.content, status_code=answer.status_code, media_type="application/json")

    return Starlette(routes=[Route("/v1/{rest:path}", forward, methods=["GET", "POST"])])


FAULTS = ("malformed", "number", "surrogate", "retry-after", "echo-401", "stall", "reset")


async def serve_faults(port: int, fault: str, stall: float = 30.0) -> None:
    """A loopback endpoint that misbehaves in one way on every chat request (raw HTTP, so that it
    can also break the protocol itself: reset connections, lie about types).

    malformed: bodies that are JSON but no chat completion; number: content 42; surrogate: a lone
    surrogate in the content; retry-after: 429 asking to wait 100000 s, then (per request body)
    an answer; echo-401: a 401 whose body echoes the Authorization header; stall: no answer for
    `stall` seconds; reset: the connection closed without a reply.
    """
    seen: set[bytes] = set()
    served = 0

    async def reply(writer: asyncio.StreamWriter, status: str, body: bytes, extra: str = "") -> None:
        head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
        writer.write(head.encode() + body)
        await writer.drain()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if lines[0].startswith("GET"):
                    await reply(writer, "200 OK", b'{"object": "list", "data": []}')
                    continue
                served += 1
                content: object = "fine"
                if fault == "malformed":
                    payload = [{"choices": [{"message": "x"}]}, {"choices": [None]}, [1, 2]][served % 3]
                    await reply(writer, "200 OK", json.dumps(payload).encode())
                    continue
                if fault == "echo-401":
                    echoed = json.dumps({"error": {"message": f"bad key: {headers.get('authorization')}"}})
                    await reply(writer, "401 Unauthorized", echoed.encode())
                    continue
                if fault == "stall":
                    await asyncio.sleep(stall)
                if fault == "reset":
                    writer.transport.abort()
                    return
                if fault == "retry-after" and body not in seen:
                    seen.add(body)
                    await reply(writer, "429 Too Many Requests", b'{"error": {}}', "retry-after: 100000\r\n")
                    continue
                if fault == "number":
                    content = 42
                if fault == "surrogate":
                    content = "held\ud800answer"
                message = {"role": "assistant", "content": content}
                answer = {"id": "x", "object": "chat.completion", "created": 0, "model": "faulty",
                          "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}  # fmt: skip
                await reply(writer, "200 OK", json.dumps(answer).encode())  # ensure_ascii: "\ud800" stays valid JSON
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def faults_command(fault: str) -> list[str]:
    """The command that runs the misbehaving endpoint (for `serve`)."""
    return [sys.executable, "-m", "jupyter_spec.testing", "faults", "--port", "{port}", "--fault", fault]


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m jupyter_spec.testing")
    kinds = parser.add_subparsers(dest="kind", required=True)
    endpoint = kinds.add_parser("endpoint")
    endpoint.add_argument("--latency", type=float, default=0.2)
    proxy = kinds.add_parser("proxy")
    proxy.add_argument("--upstream", required=True)
    proxy.add_argument("--rate", type=float, default=0.3)
    proxy.add_argument("--seed", type=int, default=0)
    proxy.add_argument("--stall", type=float, default=5.0)
    faults = kinds.add_parser("faults")
    faults.add_argument("--fault", choices=FAULTS, required=True)
    for sub in (endpoint, proxy, faults):
        sub.add_argument("--port", type=int, required=True)
        sub.add_argument("--log")
    args = parser.parse_args(argv)
    if args.kind == "faults":
        asyncio.run(serve_faults(args.port, args.fault))
        return
    if args.kind == "endpoint":
        asyncio.run(serve_endpoint(args.port, args.latency, args.log))
        return
    app = proxy_app(args.upstream, args.rate, args.seed, args.stall, args.log)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", backlog=1024)


def read_log(path: str | Path) -> list[dict[str, Any]]:
    file = Path(path)
    return [json.loads(line) for line in file.read_text().splitlines()] if file.exists() else []


if __name__ == "__main__":
    main(sys.argv[1:])

"""Loopback servers for tests and benchmarks, run as `python -m jupyter_spec.testing ...`.

- `endpoint`: an OpenAI-compatible chat endpoint with a fixed latency and canned answers, to
  measure the runner itself (the benchmark) and to count exactly which requests arrive. A request
  asking for JSON (a model judge's) is answered with a verdict, so a judge run grades.
- `batches`: the Files and Batches endpoints of OpenAI's Batch API; a batch completes after a
  delay, its lines answered with canned completions (or by an upstream endpoint), some made to fail.
- `proxy`: sits in front of a real endpoint (such as `llama_cpp.server`) and answers 429 with
  `Retry-After`, 500, or stalls, on a seeded share of requests; everything else is forwarded.

Both bind to 127.0.0.1 only and log one JSON line per request to `--log` when given.

`endpoint` and `faults` need nothing beyond the package. `proxy` and `batches` run on Starlette,
uvicorn and httpx, the stack `llama_cpp.server` runs on: they need the `local` extra
(`pip install "jupyter-spec[local]"`) and say so when it is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVER_STACK = ("starlette", "uvicorn", "httpx")


def require_server_stack(server: str) -> None:
    """Fail with the install command, not a bare ModuleNotFoundError, when the `local` extra is missing."""
    missing = [name for name in SERVER_STACK if importlib.util.find_spec(name) is None]
    if missing:
        raise ModuleNotFoundError(
            f"the {server} server needs {', '.join(missing)} from the 'local' extra: "
            'pip install "jupyter-spec[local]"'
        )


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


VERDICT = json.dumps({"reasoning": "A canned verdict.", "verdict": "compliant", "score": 1.0})


def _chat_answer(body: dict[str, Any], answer_id: str = "chatcmpl-fixed") -> dict[str, Any]:
    """A chat completion that repeats the request's last message, so an answer shows which prompt it met,
    and the request's seed where it has one, so seeded samples of one prompt differ as a model's would.
    A request that asks for JSON (`response_format`, as a model judge's does) gets a verdict object that
    a judge reads (`VERDICT`): a benchmark's judge grades, instead of finding every reply unscored."""
    last, seed = str(body["messages"][-1]["content"]), body.get("seed")
    text = f"Canned answer to: {last[:80]}" + (f" (seed {seed})" if isinstance(seed, int) else "")
    text = VERDICT if body.get("response_format") else text
    return {
        "id": answer_id,
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
    require_server_stack("proxy")
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
                lines, headers, body = await read_request(reader)
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


async def read_request(reader: asyncio.StreamReader) -> tuple[list[str], dict[str, str], bytes]:
    """One HTTP/1.1 request off a keep-alive connection: its head's lines, headers (lower-cased), body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    return lines, headers, await reader.readexactly(int(headers.get("content-length", "0")))


def faults_command(fault: str) -> list[str]:
    """The command that runs the misbehaving endpoint (for `serve`)."""
    return [sys.executable, "-m", "jupyter_spec.testing", "faults", "--port", "{port}", "--fault", fault]


# -- the Files and Batches endpoints of the Batch API ---------------------------------------------


BATCH_ENDS = ("failed", "expired", "cancelled")
FAIL_LINE = re.compile(r"\[\[fail:(\d{3})\]\]")  # a prompt holding `[[fail:500]]` gets that error in its line


class BatchState:
    """Files and batches as JSON in a folder: consistent for whoever reads it, while the server lives."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "files").mkdir(parents=True, exist_ok=True)
        (folder / "batches").mkdir(parents=True, exist_ok=True)
        self.counter = len(list((folder / "batches").iterdir())) + len(list((folder / "files").iterdir()))

    def new_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{os.getpid()}-{self.counter}"

    def put_file(self, content: bytes, filename: str, purpose: str) -> dict[str, Any]:
        file_id = self.new_id("file")
        (self.folder / "files" / file_id).write_bytes(content)
        meta = {"id": file_id, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                "filename": filename, "purpose": purpose, "status": "processed"}  # fmt: skip
        self._write(self.folder / "files" / f"{file_id}.json", meta)
        return meta

    def file(self, file_id: str) -> dict[str, Any] | None:
        path = self.folder / "files" / f"{Path(file_id).name}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def content(self, file_id: str) -> bytes:
        return (self.folder / "files" / Path(file_id).name).read_bytes()

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        path = self.folder / "batches" / f"{Path(batch_id).name}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def put_batch(self, batch: dict[str, Any]) -> None:
        self._write(self.folder / "batches" / f"{batch['id']}.json", batch)

    def _write(self, path: Path, value: dict[str, Any]) -> None:
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(value))
        partial.replace(path)  # a reader sees the old state or the new, never half of one


def batches_app(
    state: Path,
    delay: float,
    log_path: str | None,
    upstream: str | None = None,
    fail_share: float = 0.0,
    seed: int = 0,
    end_as: str | None = None,
    end_first: int = 0,
) -> Any:
    """The Files and Batches endpoints the `openai` client calls for the Batch API.

    A batch is `validating`, then `in_progress`, then after `delay` seconds `completed`: each line
    answered with a canned completion (or by `upstream`, a real chat endpoint), except lines whose
    last message holds `[[fail:NNN]]` and a seeded `fail_share` of the rest, which fail with that
    status (500 for the share) in the error file. The first `end_first` batches end as `end_as`
    (failed, expired or cancelled) instead.
    """
    from email.parser import BytesParser
    from email.policy import HTTP

    require_server_stack("batches")
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    store = BatchState(state)
    log = _logger(log_path)
    rng = random.Random(seed)
    client = httpx.AsyncClient(base_url=upstream.rstrip("/"), timeout=600) if upstream else None
    gate = asyncio.Semaphore(2)  # an upstream model server answers a few at a time
    created: list[str] = []
    tasks: set[asyncio.Task[None]] = set()

    def logged(request: Request, **extra: Any) -> None:
        authorized = bool(request.headers.get("authorization"))
        log(time=time.time(), method=request.method, path=request.url.path, authorization=authorized, **extra)

    def missing(what: str) -> JSONResponse:
        return JSONResponse({"error": {"message": f"no such {what}", "type": "invalid_request_error"}}, 404)

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "fixed", "object": "model", "owned_by": "test"}]})

    async def upload(request: Request) -> JSONResponse:
        head = f"content-type: {request.headers.get('content-type', '')}\r\n\r\n".encode()
        form = BytesParser(policy=HTTP).parsebytes(head + await request.body())
        fields = {part.get_param("name", header="content-disposition"): part for part in form.iter_parts()}
        if "file" not in fields:
            return JSONResponse({"error": {"message": "no file in the upload"}}, 400)
        content = fields["file"].get_payload(decode=True) or b""
        purpose = fields["purpose"].get_content().strip() if "purpose" in fields else ""
        meta = store.put_file(content, fields["file"].get_filename() or "upload", purpose)
        logged(request, file=meta["id"], lines=content.count(b"\n"), purpose=purpose)
        return JSONResponse(meta)

    async def file(request: Request) -> Response:
        file_id = request.path_params["file_id"]
        meta = store.file(file_id)
        logged(request, file=file_id)
        if meta is None:
            return missing("file")
        if request.url.path.endswith("/content"):
            return Response(store.content(file_id), media_type="application/octet-stream")
        return JSONResponse(meta)

    async def answer(line: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        body = line.get("body", {})
        asked = FAIL_LINE.search(json.dumps(body.get("messages", [])[-1:]))
        if asked:
            status = int(asked.group(1))
            return status, {"error": {"message": f"injected failure {status}", "type": "server_error"}}
        if fail_share and rng.random() < fail_share:
            return 500, {"error": {"message": "injected failure (share)", "type": "server_error"}}
        if client is None:
            return 200, _chat_answer(body, "chatcmpl-batch")
        async with gate:
            reply = await client.post("/chat/completions", json=body)
        return reply.status_code, reply.json()

    async def process(batch_id: str, end: str | None) -> None:
        await asyncio.sleep(min(0.05, delay / 4))
        batch = store.batch(batch_id) or {}
        if batch.get("status") != "validating":  # cancelled meanwhile
            return
        batch.update(status="in_progress", in_progress_at=int(time.time()))
        store.put_batch(batch)
        await asyncio.sleep(max(0.0, delay - min(0.05, delay / 4)))
        if (store.batch(batch_id) or {}).get("status") != "in_progress":
            return
        if end == "failed":
            error = {"code": "injected", "message": "this batch was made to fail", "param": None, "line": None}
            batch.update(status="failed", failed_at=int(time.time()), errors={"object": "list", "data": [error]})
            store.put_batch(batch)
            return
        lines = [json.loads(text) for text in store.content(batch["input_file_id"]).decode().splitlines() if text]
        outputs, errors = [], []
        answers = await asyncio.gather(*(answer(line) for line in lines)) if end is None else []
        for number, line in enumerate(lines):
            entry: dict[str, Any] = {"id": f"batch_req_{batch_id}_{number}", "custom_id": line.get("custom_id")}
            if end is not None:  # expired or cancelled before this line was answered
                code = "batch_expired" if end == "expired" else "batch_cancelled"
                errors.append({**entry, "response": None, "error": {"code": code, "message": f"batch {end}"}})
                continue
            status, body = answers[number]
            response = {"status_code": status, "request_id": f"req_{number}", "body": body}
            (outputs if status == 200 else errors).append({**entry, "response": response, "error": None})
        for name, entries in (("output_file_id", outputs), ("error_file_id", errors)):
            if entries:
                content = "".join(json.dumps(e) + "\n" for e in entries).encode()
                batch[name] = store.put_file(content, f"{batch_id}_{name}.jsonl", "batch_output")["id"]
        done = {"completed": "completed_at", "expired": "expired_at", "cancelled": "cancelled_at"}[end or "completed"]
        counts = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}
        batch.update(status=end or "completed", request_counts=counts, **{done: int(time.time())})
        store.put_batch(batch)

    async def create(request: Request) -> JSONResponse:
        asked = await request.json()
        input_file = asked.get("input_file_id", "")
        if store.file(input_file) is None:
            logged(request, input_file=input_file)
            return missing("input file")
        batch_id = store.new_id("batch")
        batch = {"id": batch_id, "object": "batch", "endpoint": asked.get("endpoint"), "errors": None,
                 "input_file_id": input_file, "completion_window": asked.get("completion_window", "24h"),
                 "status": "validating", "output_file_id": None, "error_file_id": None,
                 "created_at": int(time.time()), "metadata": asked.get("metadata"),
                 "request_counts": {"total": 0, "completed": 0, "failed": 0}}  # fmt: skip
        store.put_batch(batch)
        created.append(batch_id)
        end = end_as if len(created) <= end_first else None
        task = asyncio.get_running_loop().create_task(process(batch_id, end))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        logged(request, batch=batch_id, input_file=input_file)
        return JSONResponse(batch)

    async def batch(request: Request) -> JSONResponse:
        batch_id = request.path_params["batch_id"]
        found = store.batch(batch_id)
        logged(request, batch=batch_id, status=found and found["status"])
        if found is None:
            return missing("batch")
        if request.url.path.endswith("/cancel") and found["status"] in ("validating", "in_progress"):
            found.update(status="cancelled", cancelled_at=int(time.time()))  # at once: nothing is answered
            store.put_batch(found)
        return JSONResponse(found)

    return Starlette(
        routes=[
            Route("/v1/models", models),
            Route("/v1/files", upload, methods=["POST"]),
            Route("/v1/files/{file_id}", file),
            Route("/v1/files/{file_id}/content", file),
            Route("/v1/batches", create, methods=["POST"]),
            Route("/v1/batches/{batch_id}", batch),
            Route("/v1/batches/{batch_id}/cancel", batch, methods=["POST"]),
        ]
    )


def batches_command(state: str | Path, delay: float, log: str | Path | None = None, *options: str) -> list[str]:
    """The command that runs the Files and Batches endpoints (for `serve`); `options` as on its command line."""
    command = [sys.executable, "-m", "jupyter_spec.testing", "batches", "--port", "{port}", "--delay", str(delay),
               "--state", str(state), *options]  # fmt: skip
    return [*command, "--log", str(log)] if log is not None else command


def main(argv: list[str] | None = None) -> None:
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
    batches = kinds.add_parser("batches")
    batches.add_argument("--delay", type=float, default=1.0, help="seconds from creation to completion")
    batches.add_argument("--state", help="folder for files and batches (default: a new temporary one)")
    batches.add_argument("--upstream", help="a chat endpoint that answers the lines (default: canned answers)")
    batches.add_argument("--fail-share", type=float, default=0.0, help="share of lines that fail with 500")
    batches.add_argument("--seed", type=int, default=0)
    batches.add_argument("--end-as", choices=BATCH_ENDS, help="how the first --end-first batches end")
    batches.add_argument("--end-first", type=int, default=0)
    for sub in (endpoint, proxy, faults, batches):
        sub.add_argument("--port", type=int, required=True)
        sub.add_argument("--log")
    args = parser.parse_args(argv)
    if args.kind == "faults":
        asyncio.run(serve_faults(args.port, args.fault))
        return
    if args.kind == "endpoint":
        asyncio.run(serve_endpoint(args.port, args.latency, args.log))
        return
    require_server_stack(args.kind)
    import uvicorn

    if args.kind == "batches":
        state = Path(args.state or tempfile.mkdtemp(prefix="jupyter-spec-batches-"))
        app = batches_app(
            state, args.delay, args.log, args.upstream, args.fail_share, args.seed, args.end_as, args.end_first
        )
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
        return
    app = proxy_app(args.upstream, args.rate, args.seed, args.stall, args.log)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", backlog=1024)


def read_log(path: str | Path) -> list[dict[str, Any]]:
    file = Path(path)
    return [json.loads(line) for line in file.read_text().splitlines()] if file.exists() else []


if __name__ == "__main__":
    main(sys.argv[1:])

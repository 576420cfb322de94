"""Our own HTTP/1.1 connections for chat completions: keep-alive, one request at a time on each.

A chat-completions exchange is small and always the same shape: one POST with a few fixed headers
and a JSON body out; a status line, a few headers and a JSON body back. At thousands of requests
a second a general client (aiohttp) spends more CPU per request than the rest of the runner
together, most of it on generality this exchange never uses. This sends the same bytes as `http.py`
over plain asyncio transports and reads replies framed by `Content-Length`, chunked transfer
coding or the end of the connection (gzip and deflate bodies are decoded). `ChatClient` uses it
unless the transport is set to aiohttp; what it cannot do (proxies, a user and password in the
URL) stays with aiohttp. Like aiohttp for a POST, it never sends a request twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import zlib
from collections.abc import Mapping
from typing import NamedTuple

from yarl import URL

from jupyter_spec.core.timeouts import within
from jupyter_spec.engine.providers.base import ProviderError

KEEP_ALIVE = 4.0  # seconds an idle connection is reused for: under uvicorn's 5 (vLLM, SGLang), or less if told
MAX_HEAD = 64 * 1024  # a reply whose status line and headers run longer is not a chat completion
CONNECTION_FAILED = "connection failed: Connection error."  # the official client's message (`APIConnectionError`)
TIMED_OUT = "request timed out"
_OURS = ("host", "content-length", "transfer-encoding", "connection")  # framing headers only we may set


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case; repeated ones joined by ", "
    body: bytes


class BrokenReply(Exception):
    """The connection ended, or sent something that is not HTTP/1.x, before the reply was whole."""


def request_head(url: URL, headers: Mapping[str, str]) -> bytes:
    """Everything of a POST to `url` up to its `Content-Length` value (added per request)."""
    host = url.raw_host or ""
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    if url.explicit_port is not None and url.port != {"http": 80, "https": 443}.get(url.scheme):
        host = f"{host}:{url.port}"
    fields = {"host": ("Host", host), "accept-encoding": ("Accept-Encoding", "gzip, deflate")}
    for name, value in headers.items():
        if any(c in f"{name}{value}" for c in "\r\n\0") or ":" in name:
            raise ValueError(f"header {name!r} holds a character that would end it early")
        if name.lower() in _OURS:
            raise ValueError(f"header {name!r} is set by the transport itself")
        fields[name.lower()] = (name, value)  # one of each name, whatever its case
    lines = "".join(f"{name}: {value}\r\n" for name, value in fields.values())
    return f"POST {url.raw_path_qs} HTTP/1.1\r\n{lines}Content-Length: ".encode("latin-1")


class _Connection(asyncio.Protocol):
    """One connection; `exchange` sends a request and waits for its whole reply."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.reusable_until = 0.0
        self._buffer = bytearray()
        self._reply: asyncio.Future[Reply] | None = None
        self._head: tuple[int, dict[str, str]] | None = None
        self._framing = ""  # "length", "chunked" or "close", once the head is read
        self._length = 0
        self._chunks = _Chunks()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.open = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self._reply is not None and not self._reply.done():
            if self._head is not None and self._framing == "close":
                self._finish(bytes(self._buffer))
            else:
                self._reply.set_exception(BrokenReply("the connection closed before the reply was whole"))

    def data_received(self, data: bytes) -> None:
        if self._reply is None or self._reply.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted with another request
            return
        self._buffer += data
        try:
            self._read()
        except BrokenReply as broken:
            self._reply.set_exception(broken)
            self.close()

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, request: bytes) -> Reply:
        """Send one request; the reply, whole. The connection is closed if the wait is cancelled."""
        assert self.transport is not None
        self._reply = asyncio.get_running_loop().create_future()
        self._head, self._framing, self._chunks = None, "", _Chunks()
        self.transport.write(request)
        try:
            return await self._reply
        except BaseException:
            self.close()  # an answer may still be on its way: this connection cannot be reused
            raise

    def _read(self) -> None:
        while self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD:
                    raise BrokenReply("the reply's head is too long")
                return
            head = bytes(self._buffer[:end]).decode("latin-1")
            del self._buffer[: end + 4]
            status, headers = _parse_head(head)
            if 100 <= status < 200:
                continue  # an interim reply (100 Continue): the real one follows
            self._head = (status, headers)
            self._frame(head, status, headers)
        if self._framing == "length":
            if len(self._buffer) >= self._length:
                self._finish(bytes(self._buffer[: self._length]), extra=len(self._buffer) > self._length)
        elif self._framing == "chunked":
            body = self._chunks.read(self._buffer)
            if body is not None:
                self._finish(body, extra=self._chunks.at < len(self._buffer))

    def _frame(self, head: str, status: int, headers: dict[str, str]) -> None:
        coding = headers.get("transfer-encoding", "").lower()
        connection = headers.get("connection", "").lower()
        keep = "close" not in connection if head.startswith("HTTP/1.1") else "keep-alive" in connection
        if status in (204, 304):
            self._framing, self._length = "length", 0  # no body, whatever the headers say
        elif coding and coding != "identity":
            if coding.split(",")[-1].strip() != "chunked":
                raise BrokenReply(f"unsupported transfer coding {coding!r}")
            self._framing = "chunked"
        elif "content-length" in headers:
            try:
                self._length = int(headers["content-length"])
            except ValueError:
                raise BrokenReply("the reply's Content-Length is not a number") from None
            if self._length < 0:
                raise BrokenReply("the reply's Content-Length is negative")
            self._framing = "length"
        else:
            self._framing, keep = "close", False  # the body runs to the end of the connection
        idle = KEEP_ALIVE
        for part in headers.get("keep-alive", "").split(","):
            name, _, value = part.partition("=")
            if name.strip().lower() == "timeout":
                with contextlib.suppress(ValueError):
                    idle = min(idle, float(value) - 1.0)  # the server closes at `timeout`: leave sooner
        self.reusable_until = time.monotonic() + idle if keep and idle > 0 else 0.0

    def _finish(self, body: bytes, *, extra: bool = False) -> None:
        """The reply is whole. Bytes after it (`extra`) are dropped with the connection: the reply
        stands, but the connection's next reply could not be told from them."""
        assert self._reply is not None and self._head is not None and self.transport is not None
        status, headers = self._head
        self._buffer.clear()
        try:
            body = _decoded(body, headers.get("content-encoding", ""))
        except zlib.error:
            self._reply.set_exception(BrokenReply("the reply's compressed body is corrupt"))
            self.close()
            return
        self._reply.set_result(Reply(status, headers, body))
        if extra or not self.reusable_until or self.transport.get_write_buffer_size():
            self.close()  # the server will not take another request on it (or answered before reading ours)


def _parse_head(head: str) -> tuple[int, dict[str, str]]:
    lines = head.split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise BrokenReply(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise BrokenReply(f"not a header line: {line[:80]!r}")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return int(code), headers


class _Chunks:
    """A chunked body read as it arrives: each chunk is taken once, whatever the number of reads."""

    def __init__(self) -> None:
        self.body = bytearray()
        self.at = 0  # where the next chunk's size line starts in the buffer

    def read(self, buffer: bytearray) -> bytes | None:
        """The whole body once the last chunk and the trailers are in `buffer`; None until then."""
        while True:
            line_end = buffer.find(b"\r\n", self.at)
            if line_end < 0:
                return None
            size_text = bytes(buffer[self.at : line_end]).split(b";")[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BrokenReply(f"not a chunk size: {size_text[:20]!r}") from None
            start = line_end + 2
            if size == 0:  # the last chunk; then trailers, up to an empty line
                if buffer[start : start + 2] == b"\r\n":
                    self.at = start + 2
                else:
                    found = buffer.find(b"\r\n\r\n", start)
                    if found < 0:
                        return None
                    self.at = found + 4
                return bytes(self.body)
            if len(buffer) < start + size + 2:
                return None
            if buffer[start + size : start + size + 2] != b"\r\n":
                raise BrokenReply("a chunk longer than its size")
            self.body += buffer[start : start + size]
            self.at = start + size + 2


def _decoded(body: bytes, coding: str) -> bytes:
    coding = coding.strip().lower()
    if coding in ("", "identity"):
        return body
    if coding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:  # some servers send raw deflate, without the zlib wrapper
            return zlib.decompress(body, -zlib.MAX_WBITS)
    raise zlib.error(f"unsupported content coding {coding!r}")


class Pool:
    """Keep-alive connections to one endpoint on one event loop, at most `connections` at once."""

    def __init__(
        self, url: URL, headers: Mapping[str, str], connections: int, timeout: float | None, ssl_context: ssl.SSLContext
    ) -> None:
        if url.scheme not in ("http", "https") or not url.raw_host:
            raise ValueError(f"not an http(s) URL: {url}")
        self.url = url
        self._head = request_head(url, headers)
        self._address = (url.raw_host, url.port)
        self._ssl = ssl_context if url.scheme == "https" else None
        self._limit = asyncio.Semaphore(connections)
        self._timeout = timeout
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self.closed = False

    async def post(self, body: bytes) -> Reply:
        """The reply to a POST of `body`; a failure to connect, a broken reply or the timeout (the
        wait for a free connection included) as a retryable `ProviderError`, worded as the official
        client words it. A POST is never sent twice here: the runner decides what is retried."""
        if self.closed:
            raise ProviderError(CONNECTION_FAILED, retryable=True)
        request = self._head + b"%d\r\n\r\n" % len(body) + body
        try:
            return await within(self._send(request), self._timeout)
        except asyncio.TimeoutError:
            raise ProviderError(TIMED_OUT, retryable=True) from None
        except (OSError, BrokenReply):
            raise ProviderError(CONNECTION_FAILED, retryable=True) from None

    async def _send(self, request: bytes) -> Reply:
        async with self._limit:
            connection = self._reuse() or await self._connect()
            try:
                reply = await connection.exchange(request)
            except BaseException:
                self._all.discard(connection)  # `exchange` closed it
                raise
            if connection.open and connection.reusable_until > time.monotonic() and not self.closed:
                self._idle.append(connection)
            else:
                self._drop(connection)
            return reply

    def _reuse(self) -> _Connection | None:
        """The most recently used idle connection that is still good (the likeliest to be alive);
        the ones past their time are closed on the way."""
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if connection.open and connection.reusable_until > now:
                while self._idle and not self._idle[0].reusable_until > now:  # the oldest: closed too
                    self._drop(self._idle.pop(0))
                return connection
            self._drop(connection)
        return None

    def _drop(self, connection: _Connection) -> None:
        connection.close()
        self._all.discard(connection)

    async def _connect(self) -> _Connection:
        host, port = self._address
        _, connection = await asyncio.get_running_loop().create_connection(
            _Connection, host, port, ssl=self._ssl, server_hostname=host if self._ssl else None,
            happy_eyeballs_delay=0.25, interleave=1,  # an address family that does not answer is not waited for
        )  # fmt: skip
        if self.closed:
            connection.close()
            raise BrokenReply("the pool was closed")
        self._all.add(connection)
        return connection

    async def close(self) -> None:
        self.closed = True
        for connection in list(self._all):
            connection.close()
        self._all.clear()
        self._idle.clear()
        await asyncio.sleep(0)  # the transports finish closing on this turn of the loop

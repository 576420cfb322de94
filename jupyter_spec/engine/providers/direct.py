"""Our own HTTP/1.1 connections for chat completions: keep-alive, one request at a time on each.

A chat-completions exchange is small and always the same shape: one POST with a few fixed headers
and a JSON body out; a status line, a few headers and a JSON body back. At thousands of requests
a second a general client (aiohttp) spends more CPU per request than the rest of the runner
together, most of it on generality this exchange never uses. This sends the same bytes as `http.py`
over plain asyncio transports; llhttp (`httptools`) reads the replies as they arrive, framed by
`Content-Length`, chunked transfer coding or the end of the connection, and refuses what HTTP
forbids. Bodies are inflated (gzip, deflate) a piece at a time up to a cap, so neither a large
reply nor a small one that inflates to gigabytes can hold the event loop or fill memory. `ChatClient`
uses it unless the transport is set to aiohttp or a proxy applies (aiohttp's CONNECT tunnel). Like
aiohttp for a POST, it never sends a request twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Mapping
from typing import NamedTuple

import httptools
from yarl import URL

from jupyter_spec.core.timeouts import within
from jupyter_spec.engine.providers.base import ProviderError
from jupyter_spec.engine.providers.bodies import MAX_BODY, CappedBody, size_text
from jupyter_spec.engine.providers.causes import BrokenReply, connection_failure

KEEP_ALIVE = 4.0  # seconds an idle connection is reused for: under uvicorn's 5 (vLLM, SGLang), or less if told
MAX_HEAD = 64 * 1024  # a reply whose status line and headers (or any one line) run longer is not a chat completion
_SLICE = 16 * 1024  # bytes handed to the parser at a time
CONNECTION_FAILED = "connection failed"  # then the cause (`causes.py`)
TIMED_OUT = "request timed out"
_OURS = ("host", "content-length", "transfer-encoding", "connection")  # framing headers only we may set


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]  # names in lower case; repeated ones joined by ", "
    body: bytes


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
    """One connection; `exchange` sends a request and waits for its whole reply, which llhttp (through
    `httptools`, the parser of Node.js and uvicorn) reads as it arrives: nothing is parsed by hand."""

    def __init__(self, max_body: int = MAX_BODY) -> None:
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.reusable_until = 0.0
        self._max_body = max_body
        self._reply: asyncio.Future[Reply] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._reset()
        self._framing = 0  # bytes received that are not body: heads (an interim 100's too), chunk lines, trailers
        self._chunks = 0
        self._mark = 0  # `_framing` at the last chunk's start: a chunk line or the trailers may run on from there

    def _reset(self) -> None:
        self._status = 0
        self._headers: dict[str, str] = {}
        self._body: CappedBody | None = None  # set once the head is whole
        self._to_close = False  # the body runs to the end of the connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.open = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if self._reply is not None and not self._reply.done():
            if self._body is not None and self._to_close:
                try:
                    self._finish(keep=False)
                except BrokenReply as broken:  # a compressed body cut short by the close
                    self._reply.set_exception(broken)
            else:
                self._reply.set_exception(BrokenReply("the connection closed before the reply was whole"))

    def data_received(self, data: bytes) -> None:
        if self._reply is None or self._reply.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted with another request
            return
        try:
            for at in range(0, len(data), _SLICE):  # in slices: what is not body is counted to within one
                piece = data[at : at + _SLICE] if len(data) > _SLICE else data
                self._framing += len(piece)  # less the body, as the parser finds it
                self._parser.feed_data(piece)
                overrun = self._framing > MAX_HEAD + 64 * self._chunks or self._framing - self._mark > MAX_HEAD
                if overrun and not self._reply.done():
                    raise BrokenReply(f"the reply's head, chunk lines or trailers run over {size_text(MAX_HEAD)}")
        except httptools.HttpParserCallbackError as error:  # raised by one of our callbacks below
            self._fail(error.__context__ if isinstance(error.__context__, BrokenReply) else BrokenReply(str(error)))
        except httptools.HttpParserError as error:
            if self._reply.done():
                self.close()  # bytes after the reply that are not a reply: it stands, the connection goes
            else:
                self._fail(BrokenReply(f"reply not HTTP/1.1: {error}"))
        except BrokenReply as broken:
            self._fail(broken)

    def _fail(self, broken: BaseException) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.set_exception(broken)
        self.close()

    # llhttp's callbacks, in the order a reply calls them

    def on_message_begin(self) -> None:
        if self._reply is None or self._reply.done():
            raise BrokenReply("a second reply to one request")  # the first stands; this connection goes
        self._reset()

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._body is not None:
            return  # a trailer: nothing in one is of use here
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        self._headers[key] = f"{self._headers[key]}, {text}" if key in self._headers else text

    def on_headers_complete(self) -> None:
        self._status = status = self._parser.get_status_code()
        if status == 101 or not 100 <= status < 600:
            raise BrokenReply(f"reply not HTTP/1.1: status {status} to a POST")
        if status < 200:
            return  # an interim reply (100 Continue): the real one follows
        coding = self._headers.get("transfer-encoding", "").strip().lower()
        if coding not in ("", "chunked"):
            raise BrokenReply(f"unsupported transfer coding {coding!r}")
        self._to_close = not coding and "content-length" not in self._headers and status not in (204, 304)
        self._body = CappedBody(self._headers.get("content-encoding", ""), self._max_body)

    def on_body(self, data: bytes) -> None:
        self._framing -= len(data)
        if self._body is not None:
            self._body.feed(data)

    def on_chunk_header(self) -> None:
        self._chunks += 1  # each allowed a size line and its line ends
        self._mark = self._framing

    def on_message_complete(self) -> None:
        if self._status < 200:
            return
        self._finish(keep=self._parser.should_keep_alive() and not self._to_close)

    def close(self) -> None:
        self.open = False
        if self.transport is not None:
            self.transport.close()

    async def exchange(self, request: bytes) -> Reply:
        """Send one request; the reply, whole. The connection is closed if the wait is cancelled."""
        assert self.transport is not None
        self._reply = asyncio.get_running_loop().create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._reset()
        self._framing = self._chunks = self._mark = 0
        self.transport.write(request)
        try:
            return await self._reply
        except BaseException:
            self.close()  # an answer may still be on its way: this connection cannot be reused
            raise

    def _finish(self, *, keep: bool) -> None:
        """The reply is whole: kept for reuse if the server allows it, for as long as it says."""
        assert self._reply is not None and self._body is not None and self.transport is not None
        body = self._body.finish()
        self._reply.set_result(Reply(self._status, self._headers, body))
        idle = KEEP_ALIVE
        for part in self._headers.get("keep-alive", "").split(","):
            name, _, value = part.partition("=")
            if name.strip().lower() == "timeout":
                with contextlib.suppress(ValueError):
                    idle = min(idle, float(value) - 1.0)  # the server closes at `timeout`: leave sooner
        self.reusable_until = time.monotonic() + idle if keep and idle > 0 else 0.0
        if not self.reusable_until or self.transport.get_write_buffer_size():
            self.close()  # the server will not take another request on it (or answered before reading ours)


class Pool:
    """Keep-alive connections to one endpoint on one event loop, at most `connections` at once."""

    def __init__(
        self, url: URL, headers: Mapping[str, str], connections: int, timeout: float | None,
        ssl_context: ssl.SSLContext, max_body: int = MAX_BODY,
    ) -> None:  # fmt: skip
        if url.scheme not in ("http", "https") or not url.raw_host:
            raise ValueError(f"not an http(s) URL: {url}")
        self.url = url
        self._head = request_head(url, headers)
        self._address = (url.raw_host, url.port)
        self._ssl = ssl_context if url.scheme == "https" else None
        self._limit = asyncio.Semaphore(connections)
        self._timeout = timeout
        self._max_body = max_body
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self.closed = False

    async def post(self, body: bytes) -> Reply:
        """The reply to a POST of `body`; a failure to connect, a broken reply or the timeout (the
        wait for a free connection, reading, decoding and parsing included) as a `ProviderError` that
        names its cause (`causes.py`). A POST is never sent twice here: the runner decides what is retried."""
        if self.closed:
            raise ProviderError(f"{CONNECTION_FAILED}: the client was closed", retryable=True)
        request = self._head + b"%d\r\n\r\n" % len(body) + body
        try:
            return await within(self._send(request), self._timeout)
        except asyncio.TimeoutError:
            raise ProviderError(TIMED_OUT, retryable=True) from None
        except (OSError, BrokenReply) as error:
            raise connection_failure(error) from None

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
            lambda: _Connection(self._max_body), host, port, ssl=self._ssl, server_hostname=host if self._ssl else None,
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

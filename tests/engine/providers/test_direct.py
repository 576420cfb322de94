"""Our own HTTP/1.1 connections: replies read by llhttp piece by piece, keep-alive, caps, and every
way a reply breaks.

How replies compare with the official client's on a real server is in `test_http.py`; here is
what only this transport has: its use of the parser, its pool of connections, and its failures.
"""

from __future__ import annotations

import asyncio
import gzip
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from yarl import URL

from jupyter_spec.engine.providers.base import ProviderError
from jupyter_spec.engine.providers.causes import BrokenReply, ReplyTooLarge
from jupyter_spec.engine.providers.direct import TIMED_OUT, Pool, Reply, _Connection, request_head
from jupyter_spec.engine.providers.http import ChatClient
from jupyter_spec.engine.providers.network import ssl_context
from jupyter_spec.testing import read_log, serve
from tests.engine.providers.replies import HEAD, HOSTILE

REPLIES = [sys.executable, str(Path(__file__).with_name("replies.py")), "{port}"]
ANSWER = b'{"choices": [{"message": {"content": "hi"}}]}'


class Wire(asyncio.Transport):
    """A transport that keeps what is written to it and closes when told."""

    def __init__(self, connection: _Connection) -> None:
        super().__init__()
        self.written, self.closed, self.connection = bytearray(), False, connection

    def write(self, data: Any) -> None:
        self.written += data

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.connection.connection_lost(None)


def exchange(
    pieces: list[bytes], *, then_close: bool = False, max_body: int = 2**20
) -> tuple[Reply | BaseException, _Connection]:
    """A request on a fresh connection, answered by `pieces` arriving one by one."""
    connection = _Connection(max_body)
    wire = Wire(connection)
    connection.connection_made(wire)

    async def play() -> Reply:
        asking = asyncio.ensure_future(connection.exchange(b"POST / HTTP/1.1\r\n\r\n"))
        await asyncio.sleep(0)
        for piece in pieces:
            connection.data_received(piece)
            await asyncio.sleep(0)
        if then_close and connection.open:
            wire.close()
        return await asyncio.wait_for(asking, 1)

    try:
        return asyncio.run(play()), connection
    except (BrokenReply, asyncio.TimeoutError) as failure:
        return failure, connection


def in_bytes(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


WHOLE = HEAD + b"Content-Length: %d\r\n\r\n" % len(ANSWER) + ANSWER
CHUNKED = (
    HEAD
    + b"Transfer-Encoding: chunked\r\n\r\n5;x=y\r\n"
    + ANSWER[:5]
    + b"\r\n%x\r\n" % (len(ANSWER) - 5)
    + (ANSWER[5:] + b"\r\n0\r\nTrailer: t\r\n\r\n")
)


@pytest.mark.parametrize(
    "pieces",
    [[WHOLE], in_bytes(WHOLE), [CHUNKED], in_bytes(CHUNKED), [b"HTTP/1.1 100 Continue\r\n\r\n" + WHOLE]],
    ids=["length", "length-bytewise", "chunked", "chunked-bytewise", "interim-100"],
)
def test_a_reply_is_read_whole_however_it_arrives(pieces: list[bytes]) -> None:
    reply, connection = exchange(pieces)
    assert isinstance(reply, Reply)
    assert (reply.status, reply.body, reply.headers["content-type"]) == (200, ANSWER, "application/json")
    assert connection.open and connection.reusable_until > 0  # kept for the next request


def test_a_body_that_runs_to_the_close_ends_with_it() -> None:
    reply, connection = exchange([HEAD + b"\r\n" + ANSWER], then_close=True)
    assert isinstance(reply, Reply) and reply.body == ANSWER and not connection.open
    packed = gzip.compress(ANSWER)
    reply, _ = exchange([HEAD + b"Content-Encoding: gzip\r\n\r\n" + packed], then_close=True)
    assert isinstance(reply, Reply) and reply.body == ANSWER
    failure, _ = exchange([HEAD + b"Content-Encoding: gzip\r\n\r\n" + packed[:-9]], then_close=True)
    assert isinstance(failure, BrokenReply) and "cut short" in str(failure)  # at once, not at the timeout


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize("reply", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_broken_reply_fails_and_the_connection_is_not_reused(reply: bytes, bytewise: bool) -> None:
    if bytewise and len(reply) > 20_000:
        pieces = [reply[i : i + 7] for i in range(0, len(reply), 7)]  # byte by byte would take a while
    else:
        pieces = in_bytes(reply) if bytewise else [reply]
    failure, connection = exchange(pieces, then_close=reply == HOSTILE["cut-short"])  # the rest fail before a close
    assert isinstance(failure, BrokenReply) and not connection.open


def test_a_second_reply_to_one_request_is_not_taken_for_the_next() -> None:
    reply, connection = exchange([WHOLE + WHOLE])
    assert isinstance(reply, Reply) and reply.body == ANSWER and not connection.open


def test_a_body_over_the_cap_fails_as_sent_and_as_inflated_a_piece_at_a_time() -> None:
    big = b"x" * 5000
    failure, _ = exchange([HEAD + b"Content-Length: 5000\r\n\r\n" + big], max_body=4096)
    assert isinstance(failure, ReplyTooLarge)
    bomb = gzip.compress(b"\0" * 50_000_000)  # 50 MB of zeros in about 50 KB
    head = HEAD + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb)
    failure, connection = exchange([head + bomb], max_body=2**20)
    assert isinstance(failure, ReplyTooLarge) and "once decompressed" in str(failure) and not connection.open
    deflated = zlib.compress(ANSWER)
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_deflate = raw.compress(ANSWER) + raw.flush()
    for body in (deflated, raw_deflate):  # zlib-wrapped or raw, as servers send it
        reply, _ = exchange([HEAD + b"Content-Encoding: deflate\r\nContent-Length: %d\r\n\r\n" % len(body) + body])
        assert isinstance(reply, Reply) and reply.body == ANSWER


@pytest.mark.parametrize(
    "pieces",
    [
        [HEAD + b"Connection: close\r\nContent-Length: 2\r\n\r\n{}"],
        [b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}"],  # HTTP/1.0 keeps nothing unless asked
        [HEAD + b"Keep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\n{}"],  # the server closes before we could reuse it
        [HEAD + b"Content-Length: 2\r\n\r\n{}junk"],  # bytes after the reply: it stands, the connection goes
        [HEAD + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\nHTTP/1.1"],
    ],
    ids=["connection-close", "http-1.0", "keep-alive-1s", "extra-bytes", "extra-after-chunks"],
)
def test_a_connection_that_cannot_carry_another_request_is_closed(pieces: list[bytes]) -> None:
    reply, connection = exchange(pieces)
    assert isinstance(reply, Reply) and reply.body == b"{}" and not connection.open


def test_http_1_0_keeps_a_connection_it_is_asked_to_and_204_has_no_body() -> None:
    reply, connection = exchange([b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n{}"])
    assert isinstance(reply, Reply) and connection.open
    reply, connection = exchange([b"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"])
    assert isinstance(reply, Reply) and (reply.status, reply.body) == (204, b"") and connection.open


def test_keep_alive_timeout_from_the_server_shortens_the_stay() -> None:
    import time

    reply, connection = exchange([HEAD + b"Keep-Alive: timeout=3, max=100\r\nContent-Length: 2\r\n\r\n{}"])
    assert isinstance(reply, Reply) and connection.reusable_until - time.monotonic() <= 2.0


def test_the_request_head_names_the_host_as_http_wants_it() -> None:
    head = request_head(URL("http://127.0.0.1:8000/v1/chat/completions?x=1"), {"Authorization": "Bearer k"})
    assert head.startswith(b"POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n")
    assert head.endswith(b"Authorization: Bearer k\r\nContent-Length: ")
    assert b"Host: api.example.com\r\n" in request_head(URL("https://api.example.com:443/v1"), {})
    assert b"Host: [::1]:9000\r\n" in request_head(URL("http://[::1]:9000/v1"), {})
    with pytest.raises(ValueError, match="OpenAI-Project"):
        request_head(URL("http://h/v1"), {"OpenAI-Project": "p\r\nX-Injected: 1"})
    with pytest.raises(ValueError, match="set by the transport"):
        request_head(URL("http://h/v1"), {"content-length": "5"})
    head = request_head(URL("http://h/v1"), {"accept-encoding": "identity", "Accept": "application/json"})
    assert head.lower().count(b"accept-encoding") == 1 and b"accept-encoding: identity\r\n" in head


# -- a pool of connections against a real loopback server ------------------------------------------


@pytest.fixture
def replies(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "replies.jsonl"
    with serve([*REPLIES, str(log)]) as base_url:
        yield base_url, log


def body(ask: str) -> bytes:
    return b'{"model":"m","messages":[{"role":"user","content":"%s"}]}' % ask.encode()


def pool(base_url: str, connections: int = 4, timeout: float | None = 10.0) -> Pool:
    return Pool(URL(base_url + "/chat/completions"), {}, connections, timeout, ssl_context())


def test_requests_in_turn_share_one_connection(replies: tuple[str, Path]) -> None:
    base_url, log = replies

    async def ask_in_turn() -> list[int]:
        connections = pool(base_url)
        statuses = [(await connections.post(body(f"q{i}"))).status for i in range(30)]
        await connections.close()
        return statuses

    assert asyncio.run(ask_in_turn()) == [200] * 30
    assert len({entry["port"] for entry in read_log(log)}) == 1


def test_at_most_the_limit_of_connections_at_once(replies: tuple[str, Path]) -> None:
    base_url, log = replies

    async def ask_at_once() -> list[int]:
        connections = pool(base_url, connections=3)
        replies = await asyncio.gather(*(connections.post(body(f"q{i}")) for i in range(24)))
        await connections.close()
        return [r.status for r in replies]

    assert asyncio.run(ask_at_once()) == [200] * 24
    assert 1 <= len({entry["port"] for entry in read_log(log)}) <= 3


ASKS = ["frame hangup", "after hangup", "frame drop", "after drop", "again"]


def test_a_connection_closed_by_the_server_is_replaced_and_a_post_is_never_resent(
    replies: tuple[str, Path],
) -> None:
    """Closed while idle (`hangup`): the next request goes out on a fresh connection. Closed just
    as a request went out on it (`drop`): that request fails, as aiohttp's and the official
    client's would (the runner retries it, and records the attempt); it is not sent again here,
    since a server that closes after reading it may have done the work."""
    base_url, log = replies

    async def ask() -> list[str]:
        connections = pool(base_url)
        replies = []
        for ask in ASKS:
            try:
                replies.append((await connections.post(body(ask))).body.decode())
            except ProviderError as error:
                replies.append(str(error))
            await asyncio.sleep(0.1)
        await connections.close()
        return replies

    answers = dict(zip(ASKS, asyncio.run(ask()), strict=True))
    assert answers.pop("after drop") == "connection failed: connection closed before the reply was whole"
    assert all(f"You said: {a}" in r for a, r in answers.items())
    logged = read_log(log)
    assert [e["body"].split('"content":"')[1].split('"')[0] for e in logged] == list(answers)  # sent once each
    assert len({e["port"] for e in logged}) == 3  # hangup's, then drop's, then a fresh one


def test_timeouts_and_failures_are_provider_errors(replies: tuple[str, Path]) -> None:
    base_url, _ = replies

    async def ask(connections: Pool, what: str) -> tuple[str, bool]:
        try:
            await connections.post(body(what))
        except ProviderError as error:
            return str(error), error.retryable
        return "ok", False

    async def scenario() -> list[Any]:
        quick = pool(base_url, timeout=0.3)
        outcomes = [await ask(quick, "reply stall"), len(quick._all), await ask(quick, "still there?")]
        outcomes.append(await ask(quick, "reply reset"))
        await quick.close()
        nowhere = Pool(URL("http://127.0.0.1:9/v1/chat/completions"), {}, 2, 5.0, ssl_context())
        outcomes.append(await ask(nowhere, "anyone?"))
        outcomes.append(await ask(quick, "after close"))  # a closed pool opens nothing new
        return outcomes

    stalled, kept, after, reset, refused, closed = asyncio.run(scenario())
    assert stalled == (TIMED_OUT, True) and kept == 0  # the stalled connection is dropped, not reused
    assert after == ("ok", False)
    assert reset == ("connection failed: connection closed before the reply was whole", True)
    assert refused == ("connection failed: connection refused", True)
    assert closed == ("connection failed: the client was closed", True)


def test_a_cancelled_request_leaves_no_connection_behind(replies: tuple[str, Path]) -> None:
    base_url, _ = replies

    async def scenario() -> tuple[bool, int, int]:
        connections = pool(base_url)
        asking = asyncio.ensure_future(connections.post(body("reply stall")))
        await asyncio.sleep(0.2)
        (busy,) = connections._all
        asking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asking
        left = len(connections._all)
        reply = await connections.post(body("next"))
        await connections.close()
        return busy.open, left, reply.status

    assert asyncio.run(scenario()) == (False, 0, 200)  # closed: its late answer can reach nobody


def test_a_redirect_says_where_the_endpoint_went(replies: tuple[str, Path]) -> None:
    base_url, _ = replies
    client = ChatClient(base_url, "sk-redirect-SECRET", connections=2)
    with pytest.raises(ProviderError) as raised:
        asyncio.run(client.post(body("reply 308")))
    moved = "HTTP 308: the endpoint moved to https://elsewhere.example/v1; make that the base URL"
    assert str(raised.value) == moved
    assert (raised.value.retryable, raised.value.status) == (False, 308)

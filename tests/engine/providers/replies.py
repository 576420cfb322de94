"""A loopback endpoint that answers as the last message asks (`reply 429`, `reply stall`, ...) and
logs each request's path, headers, body bytes and connection (the client's port), one JSON line each.

An ask starting `frame ` gets the ordinary answer framed another way HTTP/1.1 allows: `frame
chunked`, `frame gzip`, `frame deflate`, `frame close` (no length: the body ends with the
connection), `frame continue` (an interim 100 first), `frame trickle` (a few bytes at a time) and
`frame hangup` (a normal reply, then the connection is closed without a word, as an idle
keep-alive connection is). After `frame drop`, the next request on the same connection is met by
the connection closing, unread and unlogged: a keep-alive connection the server closed just as
the client sent on it.

An ask `hostile NAME` gets `HOSTILE[NAME]`, a reply HTTP forbids, byte for byte, and the connection
is left open (only `cut-short` closes it): a client that does not refuse it waits for its timeout.
`hostile bomb` gets a 1 MB gzip body that inflates to 1 GiB; `hostile bomb-500` the same as an error.

    python tests/engine/providers/replies.py PORT LOG
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sys
import zlib
from typing import TextIO

from jupyter_spec.testing import read_request

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
CHUNKED = HEAD + b"Transfer-Encoding: chunked\r\n"
HOSTILE: dict[str, bytes] = {  # replies HTTP/1.1 forbids (or this exchange cannot take), each refused
    "not-http": b"SMTP ready\r\n\r\n",
    "http-2": b"HTTP/2 200\r\n\r\n",
    "cut-short": HEAD + b"Content-Length: 9\r\n\r\nshort",
    "length-nan": HEAD + b"Content-Length: ten\r\n\r\n",
    "length-negative": HEAD + b"Content-Length: -1\r\n\r\n",
    "length-plus": HEAD + b"Content-Length: +2\r\n\r\n{}",
    "length-underscore": HEAD + b"Content-Length: 4_5\r\n\r\n" + b"x" * 45,
    "length-twice": HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    "length-and-chunked": CHUNKED + b"Content-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "chunk-size": CHUNKED + b"\r\nzz\r\n",
    "chunk-size-hex-prefix": CHUNKED + b"\r\n0x2\r\n{}\r\n0\r\n\r\n",
    "chunk-size-negative": CHUNKED + b"\r\n-2\r\n{}\r\n0\r\n\r\n",
    "chunk-overrun": CHUNKED + b"\r\n2\r\nabc\r\n0\r\n\r\n",
    "status-2000": b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\n{}",
    "switching-then-200": b"HTTP/1.1 101 Switching Protocols\r\n\r\n" + HEAD + b"Content-Length: 2\r\n\r\n{}",
    "folded-transfer-encoding": HEAD + b"Transfer-Encoding:\r\n chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "transfer-coding": HEAD + b"Transfer-Encoding: gzip\r\n\r\n",
    "transfer-coding-gzip-chunked": HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "corrupt-gzip": HEAD + b"Content-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
    "cut-gzip": HEAD + b"Content-Encoding: gzip\r\nContent-Length: 12\r\n\r\n" + gzip.compress(b"{}" * 50)[:12],
    "header-line": HEAD + b"Bad header line\r\n\r\n",
    "header-name-space": HEAD + b"Content-Length : 2\r\n\r\n{}",
    "bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 2\n\n{}",
    "endless-head": b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * 20_000,
    "endless-header-line": b"HTTP/1.1 200 OK\r\nX: " + b"y" * 100_000,
    "endless-trailer": CHUNKED + b"\r\n2\r\n{}\r\n0\r\nT: " + b"t" * 100_000,
    "endless-trailer-after-many-chunks": CHUNKED + b"\r\n" + b"1\r\nx\r\n" * 5000 + b"0\r\nT: " + b"t" * 100_000,
    "endless-chunk-extension": CHUNKED + b"\r\n2;" + b"x" * 100_000,
}
BOMB_SIZE = 2**30  # inflated


def bomb() -> bytes:
    """`BOMB_SIZE` zero bytes, gzipped: about 1 MB on the wire."""
    packer, zeros = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS), bytes(2**20)
    return b"".join([*(packer.compress(zeros) for _ in range(BOMB_SIZE // len(zeros))), packer.flush()])


ANSWERS: dict[str, tuple[str, bytes, str]] = {  # ask -> (status line, body, extra headers)
    "reply 429": ("429 Too Many Requests", b'{"error": {"message": "slow down", "type": "rate"}}', "retry-after: 0.25"),
    "reply 500": ("500 Internal Server Error", b"Internal Server Error", ""),
    "reply 500 json": ("500 Internal Server Error", b'{"error": {"message": "the GPU fell over"}}', ""),
    "reply 503 empty": ("503 Service Unavailable", b"", "retry-after: soon"),
    "reply 400": ("400 Bad Request", b'{"error": {"message": "max_tokens is too large", "param": "max_tokens"}}', ""),
    "reply 404 no message": ("404 Not Found", b'{"error": {"code": "model_not_found"}}', ""),
    "reply 422 top-level": ("422 Unprocessable Entity", b'{"message": "unprocessable"}', ""),
    "reply notjson": ("200 OK", b"<html>a proxy's error page</html>", ""),
    "reply notcompletion": ("200 OK", b'{"choices": []}', ""),
    "reply 308": ("308 Permanent Redirect", b"", "location: https://elsewhere.example/v1/chat/completions"),
}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: TextIO) -> None:
    drop = False
    try:
        while True:
            lines, headers, body = await read_request(reader)
            if drop:
                writer.transport.abort()
                return
            method, path = lines[0].split(" ")[:2]
            if method == "GET":
                status, payload, extra = "200 OK", b'{"object": "list", "data": []}', ""
            else:
                request = json.loads(body)
                seen = {
                    h: headers.get(h)
                    for h in ("authorization", "content-type", "openai-organization", "openai-project")
                }
                port = writer.get_extra_info("peername")[1]
                log.write(json.dumps({"path": path, "body": body.decode(), **seen, "port": port}) + "\n")
                log.flush()
                ask = str(request["messages"][-1]["content"])
                if ask == "reply stall":
                    await asyncio.sleep(30)
                if ask == "reply reset":
                    writer.transport.abort()
                    return
                if ask.startswith("hostile "):
                    await hostile(writer, ask.removeprefix("hostile "))
                    return
                if ask == "reply 401 echo":
                    echoed = json.dumps({"error": {"message": f"bad key {headers.get('authorization')}"}})
                    status, payload, extra = "401 Unauthorized", echoed.encode(), ""
                elif ask in ANSWERS:
                    status, payload, extra = ANSWERS[ask]
                else:
                    message = {"role": "assistant", "content": f"You said: {ask}"}
                    answer = {"id": "x", "object": "chat.completion", "created": 0, "model": request["model"],
                              "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                              "usage": {"prompt_tokens": len(body), "completion_tokens": 3}}  # fmt: skip
                    status, payload, extra = "200 OK", json.dumps(answer).encode(), ""
            ask = "" if method == "GET" else ask
            drop = ask == "frame drop"
            if ask.startswith("frame ") and not drop:
                if not await framed(writer, ask.removeprefix("frame "), payload):
                    return
                continue
            extra = f"{extra}\r\n" if extra else ""
            writer.write(
                f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(payload)}\r\n{extra}\r\n"
                .encode() + payload
            )  # fmt: skip
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


_bomb: asyncio.Future[bytes] | None = None


async def hostile(writer: asyncio.StreamWriter, name: str) -> None:
    global _bomb
    if name in ("bomb", "bomb-500"):
        _bomb = _bomb or asyncio.ensure_future(asyncio.to_thread(bomb))
        packed = await _bomb
        head = HEAD if name == "bomb" else HEAD.replace(b"200 OK", b"500 Internal Server Error")
        writer.write(head + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(packed) + packed)
    else:
        writer.write(HOSTILE[name])
    await writer.drain()
    if name != "cut-short":
        await asyncio.sleep(30)  # open, and silent: a client that took it for a start waits for its timeout


async def framed(writer: asyncio.StreamWriter, how: str, payload: bytes) -> bool:
    """Write a 200 reply of `payload` framed `how`; whether the connection stays open."""
    head = "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n"
    if how == "chunked":
        pieces = [payload[i : i + 7] for i in range(0, len(payload), 7)]
        body = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\nx-trailer: yes\r\n\r\n"
        writer.write(f"{head}transfer-encoding: chunked\r\n\r\n".encode() + body)
    elif how in ("gzip", "deflate"):
        packed = gzip.compress(payload) if how == "gzip" else zlib.compress(payload)
        writer.write(f"{head}content-encoding: {how}\r\ncontent-length: {len(packed)}\r\n\r\n".encode() + packed)
    elif how == "close":
        writer.write(f"{head}connection: close\r\n\r\n".encode() + payload)
        await writer.drain()
        return False
    elif how in ("continue", "trickle", "hangup"):
        whole = f"{head}content-length: {len(payload)}\r\n\r\n".encode() + payload
        if how == "continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" + whole)
        for at in range(0, len(whole), 5) if how == "trickle" else ():
            writer.write(whole[at : at + 5])
            await writer.drain()
            await asyncio.sleep(0.001)
        if how == "hangup":
            writer.write(whole)
            await writer.drain()
            await asyncio.sleep(0.05)  # the client has the reply and keeps the connection for the next
            return False
    await writer.drain()
    return True


async def main(port: int, path: str) -> None:
    global _bomb
    _bomb = asyncio.ensure_future(asyncio.to_thread(bomb))  # ready by the time anyone asks
    with open(path, "a", encoding="utf-8") as log:
        server = await asyncio.start_server(lambda r, w: handle(r, w, log), "127.0.0.1", port)
        async with server:
            await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))

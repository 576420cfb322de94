"""A loopback endpoint that answers as the last message asks (`reply 429`, `reply stall`, ...) and
logs each request's path, headers, body bytes and connection (the client's port), one JSON line each.

An ask starting `frame ` gets the ordinary answer framed another way HTTP/1.1 allows: `frame
chunked`, `frame gzip`, `frame deflate`, `frame close` (no length: the body ends with the
connection), `frame continue` (an interim 100 first), `frame trickle` (a few bytes at a time) and
`frame hangup` (a normal reply, then the connection is closed without a word, as an idle
keep-alive connection is). After `frame drop`, the next request on the same connection is met by
the connection closing, unread and unlogged: a keep-alive connection the server closed just as
the client sent on it.

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
    with open(path, "a", encoding="utf-8") as log:
        server = await asyncio.start_server(lambda r, w: handle(r, w, log), "127.0.0.1", port)
        async with server:
            await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))

"""A loopback endpoint that answers as the last message asks (`reply 429`, `reply stall`, ...) and
logs each request's path, headers and body bytes, as they arrived, one JSON line each.

    python tests/engine/providers/replies.py PORT LOG
"""

from __future__ import annotations

import asyncio
import json
import sys
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
}


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: TextIO) -> None:
    try:
        while True:
            lines, headers, body = await read_request(reader)
            method, path = lines[0].split(" ")[:2]
            if method == "GET":
                status, payload, extra = "200 OK", b'{"object": "list", "data": []}', ""
            else:
                request = json.loads(body)
                seen = {
                    h: headers.get(h)
                    for h in ("authorization", "content-type", "openai-organization", "openai-project")
                }
                log.write(json.dumps({"path": path, "body": body.decode(), **seen}) + "\n")
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


async def main(port: int, path: str) -> None:
    with open(path, "a", encoding="utf-8") as log:
        server = await asyncio.start_server(lambda r, w: handle(r, w, log), "127.0.0.1", port)
        async with server:
            await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))

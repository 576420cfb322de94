"""A lean chat-completions client: one session per event loop, plain JSON in and out.

The session is a pool of our own connections (`direct.py`), or an aiohttp session where a proxy
applies (or the `aiohttp` transport is chosen). Where requests go, through which proxy, and which
certificates are trusted is decided in `network.py`; both sessions cap a reply's size.

At thousands of requests a second the official `openai` client spends most of the kernel's CPU
in its HTTP stack and its request building; this posts the very body it would post (same JSON,
same `Authorization: Bearer`, same path) and reads back only the JSON. Its failures are the
official client's, mapped to the same `ProviderError`s (`tests/engine/providers/test_http.py`
runs both on the same requests), so retries, `Retry-After` and error records do not change.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import json
import logging
import math
import ssl
import weakref
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

import aiohttp

from jupyter_spec.core.sanitize import redact
from jupyter_spec.engine.providers.base import ProviderError
from jupyter_spec.engine.providers.bodies import MAX_BODY, size_text
from jupyter_spec.engine.providers.causes import ReplyTooLarge, connection_failure
from jupyter_spec.engine.providers.direct import TIMED_OUT, Pool, Reply
from jupyter_spec.engine.providers.network import OPENAI_API, Route, route, ssl_context

log = logging.getLogger(__name__)

NOT_JSON = "the endpoint answered with something that is not JSON"


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` in seconds; a value that is not a finite, non-negative number counts as absent."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None  # not nan, -1


def status_message(status: int, text: str) -> str:
    """What `openai.APIStatusError.message` says for this reply: the body's `error.message` if it has one."""
    message = f"Error code: {status}"
    try:
        body = json.loads(text.strip())
    except ValueError:
        return message
    error = body.get("error", body) if isinstance(body, Mapping) else None
    detail = error.get("message") if isinstance(error, Mapping) else None
    return f"{message} - {detail}" if isinstance(detail, str) and detail else message


def status_error(
    status: int, message: str, retry_after: str | None, secrets: Sequence[str | None], location: str | None = None
) -> ProviderError:
    """The failure an HTTP status means: retryable for 408, 429 and 5xx, which retrying can fix. A
    redirect is not followed (the key would go with the request): it says where the endpoint went."""
    if 300 <= status < 400:
        where = redact(location or "nowhere given", secrets)[:200].removesuffix("/chat/completions")
        message = f"HTTP {status}: the endpoint moved to {where}; make that the base URL"
        return ProviderError(message, retryable=False, status=status)
    retryable = status == 429 or status == 408 or status >= 500
    return ProviderError(
        redact(f"HTTP {status}: {message}", secrets),
        retryable=retryable,
        status=status,
        retry_after=retry_after_seconds(retry_after),
    )


def _text(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", errors="replace")


def _charset(content_type: str) -> str | None:
    """The `charset` a Content-Type names, if any."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


_open: weakref.WeakSet[ChatClient] = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    """Close sessions still open on loops that outlive the script (the runs' background loop), so that
    aiohttp does not complain about them on the way out."""
    for client in list(_open):
        client.close_sessions()


class _AiohttpSession:
    """An aiohttp session with a `Pool`'s face (`post`, `closed`, `close`): for what our own
    connections leave to aiohttp (a proxy) or when the transport is chosen. The headers go with each
    request, never as the session's: aiohttp sends a session's headers to the proxy too. Redirects
    are not followed (a redirect target gets no key); the environment is not read (`network.py` was)."""

    def __init__(self, route: Route, headers: Mapping[str, str], connections: int, timeout: float | None,
                 ssl_context: ssl.SSLContext, max_body: int, secrets: Sequence[str | None]) -> None:  # fmt: skip
        self.url = route.url
        self._secrets = secrets
        self._headers = dict(headers)
        self._max_body = max_body
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, limit_per_host=0, ssl=ssl_context),
            timeout=aiohttp.ClientTimeout(total=timeout),
            cookie_jar=aiohttp.DummyCookieJar(),
            proxy=route.proxy,
            trust_env=False,
        )

    @property
    def closed(self) -> bool:
        return self._session.closed

    async def close(self) -> None:
        await self._session.close()

    async def post(self, body: bytes) -> Reply:
        try:
            async with self._session.post(
                self.url, data=body, headers=self._headers, allow_redirects=False
            ) as response:
                headers: dict[str, str] = {}
                for name, value in response.headers.items():
                    name = name.lower()
                    headers[name] = f"{headers[name]}, {value}" if name in headers else value
                parts, size = [], 0
                async for part in response.content.iter_chunked(2**16):  # decompressed as it arrives
                    size += len(part)
                    if size > self._max_body:
                        raise ReplyTooLarge(f"the reply is larger than {size_text(self._max_body)} once decompressed")
                    parts.append(part)
                return Reply(response.status, headers, b"".join(parts))
        except asyncio.TimeoutError:  # before aiohttp.ClientError: its timeouts are both
            raise ProviderError(TIMED_OUT, retryable=True) from None
        except (aiohttp.ClientError, OSError, ReplyTooLarge) as error:
            raise connection_failure(error, self._secrets) from None


class ChatClient:
    """POSTs chat-completions bodies to one endpoint; at most `connections` connections per event loop."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str | None,
        *,
        connections: int,
        timeout: float | None = 600.0,
        headers: Mapping[str, str] | None = None,
        direct: bool = True,
        ca_bundle: str | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.route = route(base_url or OPENAI_API, has_key=bool(api_key))
        self.url = self.route.url
        self.secrets = (api_key, *self.route.secrets)  # redacted from every message
        # Local servers need no key, but the official client always sends one: so do we. A user and
        # password in the URL are sent in its place, as the official client sends them.
        self._headers = {
            "Authorization": self.route.basic_auth or f"Bearer {api_key or 'not-needed'}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            **(headers or {}),
        }
        self._connections = connections
        self._direct = direct  # our own connections (`direct.py`) where no proxy applies; else aiohttp's
        self._timeout = timeout
        self._ca_bundle = ca_bundle
        self._max_body = max_body
        self._sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pool | _AiohttpSession] = (
            weakref.WeakKeyDictionary()
        )
        self._closers: list[AsyncGenerator[None, None]] = []
        _open.add(self)

    def __repr__(self) -> str:
        return f"ChatClient({str(self.url)!r})"

    async def _session(self) -> Pool | _AiohttpSession:
        """One session per event loop: its connections belong to the loop that opened them. Our own
        connections (`direct.py`) unless a proxy applies, which aiohttp knows how to go through."""
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            context = ssl_context(self._ca_bundle)
            if self._direct and self.route.proxy is None:
                session: Pool | _AiohttpSession = Pool(
                    self.url, self._headers, self._connections, self._timeout, context, self._max_body
                )
            else:
                session = _AiohttpSession(
                    self.route, self._headers, self._connections, self._timeout, context, self._max_body, self.secrets
                )
            self._sessions[loop] = session
            closer = self._close_with_loop(loop, session)
            await closer.__anext__()  # registered with the loop: asyncio.run() closes it before the loop ends
            self._closers = [c for c in self._closers if c.ag_frame is not None] + [closer]  # held: not collected
            log.debug("opened a session for %s (%d connections)", self.url, self._connections)
        return session

    async def _close_with_loop(
        self, loop: asyncio.AbstractEventLoop, session: Pool | _AiohttpSession
    ) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            if self._sessions.get(loop) is session:
                del self._sessions[loop]
            await session.close()

    def close_sessions(self) -> None:
        """Close every session from outside its loop, waiting a moment at most (best effort, at exit)."""
        for loop, session in list(self._sessions.items()):
            try:
                if session.closed or loop.is_closed():
                    continue
                if loop.is_running():
                    asyncio.run_coroutine_threadsafe(session.close(), loop).result(timeout=2)
                else:
                    loop.run_until_complete(session.close())
            except (RuntimeError, concurrent.futures.TimeoutError):
                pass  # its own loop (running here) or a stuck one: nothing more to do on the way out

    async def post(self, body: bytes) -> Any:
        """The endpoint's JSON answer to `body` (already serialised); failures as `ProviderError`s."""
        session = self._sessions.get(asyncio.get_running_loop())
        if session is None or session.closed:
            session = await self._session()
        status, headers, data = await session.post(body)
        charset = _charset(headers.get("content-type", ""))
        if status >= 300:
            message = status_message(status, _text(data, charset))
            raise status_error(status, message, headers.get("retry-after"), self.secrets, headers.get("location"))
        try:
            return json.loads(data)
        except ValueError:
            raise ProviderError(NOT_JSON, retryable=True) from None

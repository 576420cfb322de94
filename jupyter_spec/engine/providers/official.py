"""The official `openai` client, held to the same rules as our own transports.

It is the reference the tests compare against, and the Batch API's client. Built here, it goes
where `network.py` routes every transport (its proxy, its certificates; the environment is not
read again behind our back), follows no redirect (the key would go with it), keeps a base URL's
query as a query, and reads every reply, an error's included, through `CappedBody`: its own
HTTP stack (httpx2) would read an error body whole, however large it inflates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import openai
from yarl import URL

from jupyter_spec.engine.providers.bodies import CappedBody
from jupyter_spec.engine.providers.network import OPENAI_API, route, ssl_context


class _CappedStream(httpx2.AsyncByteStream):
    """A reply's bytes, decoded and capped as they arrive."""

    def __init__(self, raw: httpx2.AsyncByteStream, body: CappedBody) -> None:
        self._raw, self._body = raw, body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for data in self._raw:
            self._body.feed(data)
            if piece := self._body.take():
                yield piece
        if piece := self._body.finish():
            yield piece

    async def aclose(self) -> None:
        await self._raw.aclose()


def _capping(limit: int) -> Any:
    async def cap(response: httpx2.Response) -> None:
        """Before anyone reads the body: decode it ourselves (httpx2 must not again), up to `limit`."""
        coding = response.headers.get("content-encoding", "")
        response.stream = _CappedStream(response.stream, CappedBody(coding, limit))  # type: ignore[arg-type]
        if "content-encoding" in response.headers:
            del response.headers["content-encoding"]

    return cap


def official_client(
    base_url: str | None, api_key: str | None, ca_bundle: str | None, max_body: int, **options: Any
) -> openai.AsyncOpenAI:
    """The official client for `base_url` (OpenAI's own when None), with `options` for `AsyncOpenAI`."""
    base = URL(base_url or OPENAI_API)
    proxy = route(str(base), has_key=bool(api_key)).proxy
    http = openai.DefaultAsyncHttpxClient(
        proxy=proxy, verify=ssl_context(ca_bundle), trust_env=False, follow_redirects=False,
        event_hooks={"response": [_capping(max_body)]},
    )  # fmt: skip
    # Local servers need no key, but the client insists on one: send a placeholder.
    return openai.AsyncOpenAI(
        api_key=api_key or "not-needed", base_url=str(base.with_query(None)), default_query=dict(base.query) or None,
        http_client=http, **options,
    )  # fmt: skip

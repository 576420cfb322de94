"""Any OpenAI-compatible endpoint: OpenAI itself, gateways, vLLM, SGLang, Ollama, `llama_cpp.server`.

Three transports send the same request bodies and fail with the same `ProviderError`s: `direct`
(the default: our lean client in `http.py` over connections of our own, `direct.py`; through
aiohttp where a proxy applies), `aiohttp` (the lean client, always over aiohttp) and `openai` (the
official `AsyncOpenAI` client, the reference the tests compare against). None of them
retries: the runner retries, records every attempt, and honours `Retry-After` itself. Several
endpoints serving one model (replicas) share the load through an `EndpointPool`.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Sequence
from typing import Any

import openai

from jupyter_spec.core.sanitize import redact, unicode_safe
from jupyter_spec.core.timeouts import within
from jupyter_spec.engine.providers.base import Completion, Messages, ProviderError, chat_messages
from jupyter_spec.engine.providers.bodies import MAX_BODY
from jupyter_spec.engine.providers.causes import BrokenReply, connection_failure
from jupyter_spec.engine.providers.direct import TIMED_OUT
from jupyter_spec.engine.providers.endpoints import Endpoint, EndpointPool
from jupyter_spec.engine.providers.http import NOT_JSON, ChatClient, status_error
from jupyter_spec.engine.providers.network import OPENAI_API, check_header, route
from jupyter_spec.engine.providers.network import ca_bundle as find_ca_bundle
from jupyter_spec.engine.providers.official import official_client

TRANSPORTS = ("direct", "aiohttp", "openai")
_FIRST = ("model", "stream", "service_tier")  # the official client's key order: these, messages, the rest sorted


class _Official:
    """The official client for one base URL, one per event loop (its connections belong to that loop)."""

    def __init__(self, base_url: str | None, api_key: str | None, timeout: float | None, *, ca_bundle: str | None,
                 max_body: int, **options: Any) -> None:  # fmt: skip
        self.base_url = base_url
        self._api_key = api_key
        self._timeout = timeout
        self._ca_bundle = ca_bundle
        self._max_body = max_body
        self._options = options
        self._secrets = (api_key, *route(base_url or OPENAI_API, has_key=bool(api_key)).secrets)  # refused now if bad
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )

    def _client(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            self._clients[loop] = official_client(
                self.base_url, self._api_key, self._ca_bundle, self._max_body, max_retries=0, timeout=self._timeout,
                **self._options,
            )  # fmt: skip
        return self._clients[loop]

    async def send(self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        try:
            return await within(self._read(model, messages, params), self._timeout)
        except openai.APIStatusError as error:
            headers = error.response.headers
            raise status_error(
                error.status_code, error.message, headers.get("retry-after"), self._secrets, headers.get("location")
            ) from None
        except (openai.APITimeoutError, asyncio.TimeoutError):
            raise ProviderError(TIMED_OUT, retryable=True) from None
        except (openai.APIConnectionError, BrokenReply) as error:  # BrokenReply: from an error reply's body
            raise connection_failure(error, self._secrets) from None
        except json.JSONDecodeError:
            raise ProviderError(NOT_JSON, retryable=True) from None

    async def _read(self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        # The raw response skips building pydantic models: a few fields of plain JSON suffice.
        create = self._client().chat.completions.with_streaming_response.create
        async with create(model=model, messages=messages, **params) as response:  # type: ignore[arg-type]
            try:
                data = await response.read()
            except BrokenReply:
                raise
            except Exception as error:  # httpx2's own, as the client's non-streaming path would wrap it
                raise openai.APIConnectionError(request=response.http_response.request) from error
        return json.loads(data)


class _Lean:
    """Our aiohttp client: the body serialised once, exactly as the official client serialises it."""

    def __init__(self, client: ChatClient) -> None:
        self.client = client

    async def send(self, model: str, messages: list[dict[str, Any]], params: dict[str, Any]) -> Any:
        body: dict[str, Any] = {"model": model}
        if params:
            for name in _FIRST[1:]:
                if name in params:
                    body[name] = params[name]
            body["messages"] = messages
            for name in sorted(params):
                if name not in body:
                    body[name] = params[name]
        else:
            body["messages"] = messages
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        return await self.client.post(encoded)


class OpenAIProvider:
    """`openai:<model>`; the key comes from the environment and is held only by the transport."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None,
        base_url: str | None,
        concurrency: int = 16,
        developer_role: bool = True,
        transport: str = "direct",
        endpoints: Sequence[Endpoint] = (),
        request_timeout: float | None = 600.0,
        organization: str | None = None,
        project: str | None = None,
        ca_bundle: str | None = None,
        max_reply_bytes: int = MAX_BODY,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"unknown transport {transport!r}: expected one of {', '.join(TRANSPORTS)}")
        self.model = model
        self.developer_role = developer_role
        self.transport = transport
        self.base_url = base_url
        self._api_key = api_key
        headers = {k: v for k, v in (("OpenAI-Organization", organization), ("OpenAI-Project", project)) if v}
        ca_bundle = find_ca_bundle(ca_bundle)  # the setting, else REQUESTS_CA_BUNDLE or SSL_CERT_FILE
        for what, value in (("the API key", api_key), ("the organization", organization), ("the project", project)):
            check_header(what, value)

        def sender(url: str | None, connections: int) -> _Official | _Lean:
            if transport == "openai":
                return _Official(url, api_key, request_timeout, ca_bundle=ca_bundle, max_body=max_reply_bytes,
                                 organization=organization, project=project)  # fmt: skip
            client = ChatClient(
                url, api_key, connections=connections, timeout=request_timeout, headers=headers,
                direct=transport == "direct", ca_bundle=ca_bundle, max_body=max_reply_bytes,
            )  # fmt: skip
            return _Lean(client)

        self.pool = EndpointPool(endpoints) if endpoints else None
        self.concurrency = self.pool.concurrency if self.pool else concurrency
        self._senders = {e.url: sender(e.url, e.concurrency) for e in endpoints} or {
            base_url: sender(base_url, concurrency)
        }

    def __repr__(self) -> str:
        where = [e.url for e in self.pool.endpoints] if self.pool else self.base_url
        return redact(f"OpenAIProvider(model={self.model!r}, base_url={where!r}, transport={self.transport!r})")

    def wire(self, messages: Messages) -> list[dict[str, Any]]:
        return chat_messages(messages, developer_role=self.developer_role, tool_calls=True)

    def endpoint_stats(self) -> list[dict[str, Any]]:
        """Per endpoint: URL, state, requests, failures, failovers (empty without several endpoints)."""
        return self.pool.stats() if self.pool else []

    async def complete(self, messages: Messages, params: dict[str, Any]) -> Completion:
        wire = self.wire(messages)
        if self.pool is None:
            response = await self._senders[self.base_url].send(self.model, wire, params)
            return _completion(response, self._api_key)

        async def ask(endpoint: Endpoint) -> Completion:
            response = await self._senders[endpoint.url].send(self.model, wire, params)
            return _completion(response, self._api_key)

        return await self.pool.call(ask)


def _completion(response: Any, secret: str | None) -> Completion:
    """The answer in a chat-completions body; a body that is not one is a (retryable) failure."""
    choices = response.get("choices") if isinstance(response, dict) else None
    choice = choices[0] if isinstance(choices, list) and choices else None
    message = choice.get("message") if isinstance(choice, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(message, dict) or not isinstance(content, (str, type(None))):
        shape = redact(json.dumps(response), [secret])[:200] if isinstance(response, (dict, list)) else ""
        raise ProviderError(f"the endpoint's reply is not a chat completion: {shape}", retryable=True)
    usage = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    return Completion(
        text=unicode_safe(content or ""),
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        finish_reason=choice.get("finish_reason") if isinstance(choice.get("finish_reason"), str) else None,
        raw=response,
    )


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

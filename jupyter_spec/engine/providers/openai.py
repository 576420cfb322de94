"""Any OpenAI-compatible endpoint through the official `openai` client (`AsyncOpenAI`).

OpenAI itself, Azure-style gateways, vLLM, Ollama, LM Studio and `llama_cpp.server` all speak
this protocol. The client's own retries are switched off: the runner retries, records every
attempt, and honours `Retry-After` itself.
"""

from __future__ import annotations

import asyncio
import json
import math
import weakref
from typing import Any

import openai

from jupyter_spec.core.sanitize import redact, unicode_safe
from jupyter_spec.engine.providers.base import Completion, Messages, ProviderError, chat_messages


def _retry_after(error: openai.APIStatusError) -> float | None:
    value = error.response.headers.get("retry-after") if error.response is not None else None
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and math.isfinite(seconds) and seconds >= 0 else None  # not nan, -1


class OpenAIProvider:
    """`openai:<model>`; the key comes from the environment and is held only by the client."""

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None,
        base_url: str | None,
        concurrency: int = 16,
        developer_role: bool = True,
    ) -> None:
        self.model = model
        self.developer_role = developer_role
        self.concurrency = concurrency
        self.base_url = base_url
        self._api_key = api_key
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )

    def _client(self) -> openai.AsyncOpenAI:
        """One client per event loop: an async client's connections belong to the loop that made them."""
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            # Local servers need no key, but the client insists on one: send a placeholder.
            key = self._api_key or "not-needed"
            self._clients[loop] = openai.AsyncOpenAI(api_key=key, base_url=self.base_url, max_retries=0)
        return self._clients[loop]

    def __repr__(self) -> str:
        return f"OpenAIProvider(model={self.model!r}, base_url={self.base_url!r})"

    def wire(self, messages: Messages) -> list[dict[str, Any]]:
        return chat_messages(messages, developer_role=self.developer_role, tool_calls=True)

    async def complete(self, messages: Messages, params: dict[str, Any]) -> Completion:
        try:
            # The raw response skips building pydantic models: at high concurrency that parsing
            # is a large share of the client's CPU time, and a few fields of plain JSON suffice.
            raw = await self._client().chat.completions.with_raw_response.create(
                model=self.model,
                messages=self.wire(messages),  # type: ignore[arg-type]
                **params,
            )
            response = raw.http_response.json()
        except openai.APIStatusError as error:
            status = error.status_code
            retryable = status == 429 or status == 408 or status >= 500
            raise ProviderError(
                f"HTTP {status}: {error.message}", retryable=retryable, status=status, retry_after=_retry_after(error)
            ) from None
        except openai.APITimeoutError:
            raise ProviderError("request timed out", retryable=True) from None
        except openai.APIConnectionError as error:
            raise ProviderError(f"connection failed: {error}", retryable=True) from None
        except ValueError:
            raise ProviderError("the endpoint answered with something that is not JSON", retryable=True) from None
        return _completion(response, self._api_key)


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

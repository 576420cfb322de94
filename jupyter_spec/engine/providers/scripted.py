"""A deterministic provider for fast unit tests and for trying the runner without a model.

It answers with a function of the conversation, can fail on cue, and counts its calls. It is
never the only proof of anything: integration tests use the real embedded model and the real
`openai` client against `llama_cpp.server`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from jupyter_spec.engine.providers.base import Completion, Messages, ProviderError

Responder = Callable[[Messages, dict[str, Any]], "str | Exception"]


def echo(messages: Messages, params: dict[str, Any]) -> str:
    return f"echo: {messages[-1]['content']}"


class ScriptedProvider:
    name = "scripted"

    def __init__(self, model: str = "echo", responder: Responder = echo, latency: float = 0.0, concurrency: int = 8):
        self.model = model
        self.responder = responder
        self.latency = latency
        self.concurrency = concurrency
        self.calls: list[tuple[Messages, dict[str, Any]]] = []

    async def complete(self, messages: Messages, params: dict[str, Any]) -> Completion:
        self.calls.append((messages, params))
        await asyncio.sleep(self.latency)  # even at 0, it lets others run, as a real request does
        answer = self.responder(messages, params)
        if isinstance(answer, ProviderError):
            raise answer
        if isinstance(answer, Exception):
            raise ProviderError(str(answer), retryable=False)
        words, limit = answer.split(), params.get("max_tokens")
        cut = isinstance(limit, int) and len(words) > limit  # a word a token: cut off as an endpoint would
        return Completion(
            " ".join(words[:limit]) if cut else answer,
            prompt_tokens=sum(len(m["content"].split()) for m in messages),
            completion_tokens=min(len(words), limit) if cut else len(words),
            finish_reason="length" if cut else "stop",
        )

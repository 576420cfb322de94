"""What every provider offers: one chat completion for one list of messages.

Providers do no retrying and no caching: the runner does both, once, for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Messages = tuple[dict[str, str], ...]


@dataclass(frozen=True)
class Completion:
    """One answer, with what it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


class ProviderError(Exception):
    """A request that failed; `retryable` says whether trying again can help."""

    def __init__(
        self, message: str, *, retryable: bool, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class RequestFailed(Exception):
    """A request that failed for good: retries exhausted, or an error retrying cannot fix."""


@runtime_checkable
class Provider(Protocol):
    """`name` is the provider part of a model ID (`openai`, `local`); `model` the rest."""

    name: str
    model: str
    concurrency: int

    async def complete(self, messages: Messages, params: dict[str, Any]) -> Completion: ...

"""Asking a model: the completion cache, bounded concurrency per provider, retries, the attempt log.

Every request of a run (samples and judges alike) goes through here, so each is looked up in the
store before it is sent, limited per provider, retried on 429, 5xx, connection errors and
timeouts with exponential backoff and full jitter (a server's `Retry-After` wins), and every
attempt is recorded. A request that fails for good raises `RequestFailed`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import random
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jupyter_spec.core.sanitize import redact, unicode_safe
from jupyter_spec.core.timeouts import within
from jupyter_spec.engine.providers import Provider, ProviderError, get_provider
from jupyter_spec.engine.providers.base import Completion, Messages, RequestFailed, request_key
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.model import stable_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; a server's `Retry-After` wins when it gives one."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout: float = 120.0
    max_retry_after: float = 120.0  # a server asking for longer (hours, by mistake or malice) gets this

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_retry_after)
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def _storable(completion: Completion, secrets: tuple[str | None, ...]) -> Completion:
    """The completion as it may be kept: text any store can hold, and no echo of the key in it."""
    text, raw = unicode_safe(completion.text), completion.raw
    keys = [s for s in secrets if s]
    if keys:  # the body is serialised only when there is a key it could echo
        body = json.dumps(raw)
        if any(k in text or k in body for k in keys):
            text, raw = redact(text, keys), {"redacted": redact(body, keys)}
    return (
        completion
        if text is completion.text and raw is completion.raw
        else dataclasses.replace(completion, text=text, raw=raw)
    )


_semaphores: weakref.WeakKeyDictionary[Provider, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _semaphore(provider: Provider, settings: Settings) -> asyncio.Semaphore:
    """One limit per provider instance, shared by every run (all live on the background loop)."""
    if provider not in _semaphores:
        _semaphores[provider] = asyncio.Semaphore(settings.concurrency.get(provider.name, provider.concurrency))
    return _semaphores[provider]


class Requester:
    """Sends a run's requests; `emit(**deltas)` reports in-flight, request and retry counts."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        run_id: str,
        retry: RetryPolicy | None = None,
        emit: Callable[..., None] = lambda **deltas: None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.run_id = run_id
        self.retry = retry or RetryPolicy(max_attempts=settings.max_attempts, timeout=settings.timeout)
        self._emit = emit
        self._rng = random.Random()
        self._secrets = (settings.api_key(),)
        self._providers: dict[str, Provider] = {}

    def provider(self, model: str) -> Provider:
        """The model's provider, looked up once per run (a request is too short to resolve it again)."""
        try:
            provider = get_provider(model, self.settings)
        except ValueError as error:
            raise RequestFailed(str(error)) from None
        if hasattr(provider, "bind"):  # a provider with a ledger in the store (the Batch API's batches)
            provider.bind(self.store)
        self._providers[model] = provider
        return provider

    async def ask(self, model: str, messages: Messages, params: dict[str, Any]) -> tuple[Completion, float, int]:
        """A judge's request (the `Ask` graders are given)."""
        return await self.request(model, messages, params, 0, counter="judge_requests")

    async def request(
        self, model: str, messages: Messages, params: dict[str, Any], sample_index: int, counter: str = "requests"
    ) -> tuple[Completion, float, int]:
        """(completion, latency, requests sent): from the store if it has it, else from the provider.

        Completions are cached by what the provider sends (`wire`, where it has one).
        """
        provider = self._providers.get(model) or self.provider(model)
        sent = provider.wire(messages) if hasattr(provider, "wire") else messages
        key = stable_hash(model, sorted(params.items()), sent, sample_index)
        hit = self.store.completion(key)
        if hit is not None:
            return hit[0], hit[1], 0
        secrets = self._secrets
        request_key.set(key)  # seen by `complete` (its task copies this context): a name for the request
        for attempt in range(1, self.retry.max_attempts + 1):
            async with _semaphore(provider, self.settings):  # held while asking, never while waiting
                started, clock = time.time(), time.monotonic()
                self._emit(in_flight=1, retries=1 if attempt > 1 else 0, **{counter: 1})
                timeout = getattr(provider, "timeout", self.retry.timeout)  # a batch provider waits for hours
                try:
                    completion = await within(provider.complete(messages, params), timeout)
                except (ProviderError, asyncio.TimeoutError) as failure:
                    if isinstance(failure, asyncio.TimeoutError):
                        failure = ProviderError(f"no answer within {timeout:g}s", retryable=True)
                    latency = time.monotonic() - clock
                    self._emit(in_flight=-1)
                    error = redact(str(failure), secrets)
                    self.store.record_attempt(
                        key, run_id=self.run_id, attempt=attempt, started=started, latency=latency,
                        outcome="error", status=failure.status, error=error,
                    )  # fmt: skip
                    if not failure.retryable or attempt == self.retry.max_attempts:
                        raise RequestFailed(f"{error} (after {attempt} attempt{'s' * (attempt > 1)})") from None
                    retry_after = failure.retry_after
                except BaseException:
                    self._emit(in_flight=-1)
                    raise
                else:
                    latency = time.monotonic() - clock
                    self._emit(in_flight=-1)
                    completion = _storable(completion, secrets)
                    self.store.record_attempt(
                        key, run_id=self.run_id, attempt=attempt, started=started, latency=latency, outcome="ok"
                    )
                    self.store.put_completion(
                        key, run_id=self.run_id, model=model, params=params, messages=messages,
                        sample_index=sample_index, completion=completion, latency=latency, attempts=attempt,
                    )  # fmt: skip
                    return completion, latency, 1
            if retry_after is not None and retry_after > self.retry.max_retry_after:
                log.warning(
                    "%s asked to wait %gs before retrying; waiting %gs", model, retry_after, self.retry.max_retry_after
                )
                self._emit(capped_waits=1)
            await asyncio.sleep(self.retry.delay(attempt, retry_after, self._rng))
        raise AssertionError("unreachable")

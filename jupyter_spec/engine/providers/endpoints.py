"""Several endpoints serving one model (vLLM or SGLang replicas behind their own URLs).

Each endpoint has its own concurrency; a request goes to the healthy endpoint with the most free
capacity. An endpoint failing to connect or answering 5xx `failures_to_down` times in a row is
marked down for a cool-down that doubles each time it fails again (up to `max_cooldown`); after
the cool-down one probe request is let through, and its outcome decides. A request that fails on
one endpoint (connection, timeout, 5xx, 408, 429) is tried at once on another that has not failed
it; only when every endpoint has failed it does the (retryable) error reach the runner, which
backs off and retries as for any endpoint. Any other 4xx is the request's own fault: it is raised
as it is, without failover. Replicas serve the same model, so completions are cached by model
and messages, never by endpoint.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from jupyter_spec.engine.providers.base import ProviderError
from jupyter_spec.engine.settings import Settings

T = TypeVar("T")


@dataclass(eq=False)
class Endpoint:
    """One replica: its base URL, how many requests it takes at once, and what it has done so far."""

    url: str
    concurrency: int = 16
    state: str = "up"  # up | down | probing
    in_flight: int = 0
    requests: int = 0
    failures: int = 0  # requests that failed here (any retryable failure)
    failovers: int = 0  # requests that failed here and were sent on to another endpoint
    consecutive: int = 0  # connection failures and 5xx in a row
    down_until: float = 0.0
    cooldown: float = 0.0  # the current cool-down (doubles while it keeps failing)
    busy_until: float = 0.0  # a 429's Retry-After: skipped until then while others have room
    downs: int = field(default=0)

    def stats(self) -> dict[str, Any]:
        keys = ("url", "concurrency", "state", "in_flight", "requests", "failures", "failovers", "downs")
        return {k: getattr(self, k) for k in keys}


def endpoints_for(model_id: str, settings: Settings) -> list[dict[str, Any]]:
    """The replicas `settings.endpoints` names for a model: by its ID, an alias of it, or its provider."""
    table = settings.endpoints
    if not table:
        return []
    if model_id in table:
        return list(table[model_id])
    for name in sorted(table):
        if name in settings.aliases and str(settings.resolve(name)) == model_id:
            return list(table[name])
    return list(table.get(model_id.partition(":")[0], []))


def _endpoint_fault(error: ProviderError) -> bool:
    """A failure that says the endpoint is unwell (no connection, no answer, 5xx), not the request."""
    return error.status is None or error.status >= 500


def _fails_over(error: ProviderError) -> bool:
    return error.retryable  # connection, timeout, 5xx, 408, 429, a reply that is no completion


class EndpointPool:
    """Routes each request to one of `endpoints`; `concurrency` is their sum."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        *,
        failures_to_down: int = 3,
        cooldown: float = 2.0,
        max_cooldown: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not endpoints:
            raise ValueError("an endpoint pool needs at least one endpoint")
        self.endpoints = list(endpoints)
        self.concurrency = sum(e.concurrency for e in self.endpoints)
        self.failures_to_down = failures_to_down
        self.base_cooldown = cooldown
        self.max_cooldown = max_cooldown
        self._clock = clock
        self._waiters: deque[asyncio.Future[None]] = deque()

    def stats(self) -> list[dict[str, Any]]:
        return [e.stats() for e in self.endpoints]

    # -- choosing ---------------------------------------------------------------------------------

    def _pick(self, tried: set[Endpoint]) -> Endpoint | None:
        """The usable endpoint with the most free capacity, not yet tried for this request."""
        now = self._clock()
        best: Endpoint | None = None
        best_free = 0
        busy: Endpoint | None = None
        for endpoint in self.endpoints:
            if endpoint in tried:
                continue
            if endpoint.state == "down":
                if now < endpoint.down_until or endpoint.in_flight:
                    continue
                return endpoint  # its cool-down is over: the next request probes it (and fails over if need be)
            elif endpoint.state == "probing":
                continue  # the probe is still out
            else:
                free = endpoint.concurrency - endpoint.in_flight
            if free <= 0:
                continue
            if endpoint.busy_until > now:
                busy = busy or endpoint
                continue
            if free > best_free:
                best, best_free = endpoint, free
        return best or busy  # a throttled endpoint only when no other has room

    def _waitable(self, tried: set[Endpoint]) -> bool:
        """Whether some untried endpoint may free a slot soon: up, probing, or due for a probe."""
        now = self._clock()
        return any(
            e not in tried and (e.state != "down" or now >= e.down_until)  # up, probing, or due for a probe
            for e in self.endpoints
        )

    async def _acquire(self, tried: set[Endpoint]) -> Endpoint | None:
        while True:
            endpoint = self._pick(tried)
            if endpoint is not None:
                if endpoint.state == "down":
                    endpoint.state = "probing"
                endpoint.in_flight += 1
                endpoint.requests += 1
                return endpoint
            if not self._waitable(tried):
                return None
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            finally:
                if not waiter.done():
                    waiter.cancel()

    def _release(self, endpoint: Endpoint) -> None:
        endpoint.in_flight -= 1
        if self._waiters:  # rare (endpoints down or full): each waiter looks again for itself
            self._wake_all()

    # -- health -----------------------------------------------------------------------------------

    def _succeeded(self, endpoint: Endpoint) -> None:
        endpoint.consecutive = 0
        if endpoint.state != "up":
            endpoint.state, endpoint.cooldown = "up", 0.0
            self._wake_all()

    def _failed(self, endpoint: Endpoint, error: ProviderError) -> None:
        endpoint.failures += 1
        now = self._clock()
        if error.status == 429 and error.retry_after:
            endpoint.busy_until = now + min(error.retry_after, self.max_cooldown)
        if not _endpoint_fault(error):
            return
        endpoint.consecutive += 1
        if endpoint.state == "probing" or (endpoint.state == "up" and endpoint.consecutive >= self.failures_to_down):
            endpoint.cooldown = min(
                self.max_cooldown, endpoint.cooldown * 2 if endpoint.cooldown else self.base_cooldown
            )
            endpoint.state, endpoint.down_until = "down", now + endpoint.cooldown
            endpoint.downs += 1
            self._wake_all()  # waiters for this endpoint must look elsewhere, or give up

    def _wake_all(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    def _all_down(self) -> ProviderError:
        now = self._clock()
        wait = min((e.down_until for e in self.endpoints if e.state == "down"), default=now) - now
        return ProviderError(
            f"all {len(self.endpoints)} endpoints are down (the next is tried in {max(wait, 0):.1f}s)",
            retryable=True,
            retry_after=max(wait, 0.0),
        )

    # -- asking -----------------------------------------------------------------------------------

    async def call(self, send: Callable[[Endpoint], Awaitable[T]]) -> T:
        """`send(endpoint)` on the best endpoint, and on the others in turn while it fails there."""
        tried: set[Endpoint] = set()
        last: ProviderError | None = None
        last_endpoint: Endpoint | None = None
        while True:
            endpoint = await self._acquire(tried)
            if endpoint is None:
                raise last if last is not None else self._all_down()
            if last_endpoint is not None:
                last_endpoint.failovers += 1
                last_endpoint = None
            try:
                result = await send(endpoint)
            except ProviderError as error:
                self._release(endpoint)
                if not _fails_over(error):
                    self._succeeded(endpoint)  # it answered: the request was at fault
                    raise
                self._failed(endpoint, error)
                tried.add(endpoint)
                last, last_endpoint = error, endpoint
                continue
            except BaseException:
                self._release(endpoint)
                if endpoint.state == "probing":  # the probe was cancelled: let another go
                    endpoint.state = "down"
                raise
            self._release(endpoint)
            self._succeeded(endpoint)
            return result

"""One event loop in a daemon thread, where every run executes.

A cell that starts a run returns at once and the kernel's own loop is never blocked: the run's
coroutines live here. `Run.wait()` blocks the caller (fine in scripts and in a cell that asks
for it); `await run` suspends a cell without blocking the kernel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="jupyter-spec-runner", daemon=True).start()
        return _loop


def submit(coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    return asyncio.run_coroutine_threadsafe(coroutine, loop())


def call_soon(callback: Any, *args: Any) -> None:
    loop().call_soon_threadsafe(callback, *args)

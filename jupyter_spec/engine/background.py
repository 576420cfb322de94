"""One event loop in a daemon thread, where every run executes.

A cell that starts a run returns at once and the kernel's own loop is never blocked: the run's
coroutines live here. `Run.wait()` blocks the caller (fine in scripts and in a cell that asks
for it); `await run` suspends a cell without blocking the kernel.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()
_runs = 0  # runs in flight (`run_started`, `run_ended`)
# While a run is in flight its loop is always ready to run Python; a kernel thread that wants the
# interpreter lock waits up to the switch interval for it, every time (5 ms by default: a trivial
# cell takes the lock a dozen times). A shorter interval while runs are in flight keeps cells quick.
RUN_SWITCH_INTERVAL = 0.001
RUN_NICENESS = 5  # how much lower the runner's threads' CPU priority is (`yield_the_cpu`)
_switch_interval = 0.005


def loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_run_forever, args=(_loop,), name="jupyter-spec-runner", daemon=True).start()
        return _loop


def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
    yield_the_cpu()
    loop.run_forever()


def yield_the_cpu() -> None:
    """Give the calling thread a lower CPU priority than the kernel's own (Linux: threads have their
    own nice value; raising one's own needs no privilege). A run keeps a core busy; when the cell
    you type and the run want the same core, the cell goes first. Elsewhere: nothing changes."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: the CPU is shared evenly
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + RUN_NICENESS)


def submit(coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    return asyncio.run_coroutine_threadsafe(coroutine, loop())


def call_soon(callback: Any, *args: Any) -> None:
    loop().call_soon_threadsafe(callback, *args)


def run_started() -> None:
    """A run begins: while any is in flight, the objects that existed before are frozen for the
    cyclic garbage collector (`gc.freeze`). A full collection walks every object a kernel holds
    (IPython, pandas, the user's data) with the interpreter lock held: 100-400 ms during which
    no cell can answer, several times in a large run. Frozen objects are still freed by reference
    counting; they are unfrozen, and collectable again, when the last run ends."""
    global _runs, _switch_interval
    with _lock:
        _runs += 1
        if _runs == 1:
            gc.freeze()
            _switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_interval, RUN_SWITCH_INTERVAL))


def run_ended() -> None:
    global _runs
    with _lock:
        _runs -= 1
        if _runs == 0:
            gc.unfreeze()
            sys.setswitchinterval(_switch_interval)

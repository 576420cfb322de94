"""How far a run has got: counts kept by the runner, read by any thread, sent to listeners."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    status: str  # starting, running, done or cancelled
    total: int
    done: int = 0
    errors: int = 0
    in_flight: int = 0
    cached: int = 0
    requests: int = 0  # requests to models under test
    retries: int = 0
    graded: int = 0  # grades given (cached ones included)
    unscored: int = 0
    grade_errors: int = 0
    judge_requests: int = 0
    capped_waits: int = 0  # retries where a server asked to wait longer than the cap
    elapsed: float = 0.0

    @property
    def finished(self) -> int:
        return self.done + self.errors

    @property
    def ended(self) -> bool:
        return self.status in ("done", "cancelled")

    @property
    def rate(self) -> float:
        """Samples finished per second so far."""
        return self.finished / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        remaining = self.total - self.finished
        return remaining / self.rate if self.rate > 0 else (0.0 if remaining == 0 else None)

    def parts(self) -> list[str]:
        """The status line after the status, in parts: a terminal joins them with commas, the
        dashboard escapes them and joins them with dots."""
        eta = f"{self.eta:.0f}s" if self.eta is not None else "?"
        parts = [
            f"{self.finished}/{self.total} samples ({self.errors} errors, {self.cached} cached)",
            f"{self.in_flight} in flight",
            f"{self.requests} requests, {self.retries} retries",
            f"{self.graded} grades ({self.unscored} unscored, {self.grade_errors} errors), "
            f"{self.judge_requests} judge requests",
            f"{self.rate:.1f}/s, ETA {eta}",
        ]
        if self.capped_waits:
            parts.append(f"{self.capped_waits} waits cut short: the server asked to wait longer than allowed")
        return parts

    def __str__(self) -> str:
        return f"{self.status}: " + ", ".join(self.parts())


COUNTS = tuple(f.name for f in fields(Progress) if type(f.default) is int)  # what a run counts up


class Tally:
    """The counts of one run. The runner adds to them from its thread; `progress` can be read from
    any thread. Listeners hear of changes at most every `interval` seconds, and always of the last
    one (at thousands of samples a second, one call per change would cost more than the samples);
    a listener that fails is logged, never fatal."""

    def __init__(self, total: int, interval: float = 0.05) -> None:
        self.total = total
        self.interval = interval
        self._told = 0.0  # when listeners last heard
        self._telling_later = False
        self._counts = dict.fromkeys(COUNTS, 0)
        self._status = "starting"
        self._started = time.monotonic()
        self._ended: float | None = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Progress], None]] = []

    @property
    def progress(self) -> Progress:
        with self._lock:
            end = self._ended or time.monotonic()
            return Progress(self._status, self.total, elapsed=end - self._started, **self._counts)

    def subscribe(self, listener: Callable[[Progress], None]) -> None:
        """Call `listener(progress)` (from the runner's thread) on every change, and once now."""
        self._listeners.append(listener)
        listener(self.progress)

    def start(self) -> None:
        with self._lock:
            self._status, self._started = "running", time.monotonic()

    def end(self, status: str) -> None:
        with self._lock:
            self._status, self._ended = status, time.monotonic()
        self._tell()

    def add(self, **changes: int) -> None:
        with self._lock:
            for name, delta in changes.items():
                self._counts[name] += delta
            if not self._listeners or self._telling_later:
                return
            wait = self._told + self.interval - time.monotonic()
            self._telling_later = wait > 0
        if wait <= 0:
            self._tell()
            return
        try:
            asyncio.get_running_loop().call_later(wait, self._tell)
        except RuntimeError:  # added to from a thread without a loop: tell now
            self._tell()

    def _tell(self) -> None:
        with self._lock:
            self._told, self._telling_later = time.monotonic(), False
        progress = self.progress
        for listener in list(self._listeners):
            try:
                listener(progress)
            except Exception:  # a broken view must not break the run
                log.exception("progress listener failed")

"""A time limit on one awaitable, without the task `asyncio.wait_for` makes for it on Python 3.11+."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

if sys.version_info >= (3, 11):

    async def within(awaitable: Awaitable[T], timeout: float | None) -> T:
        """`awaitable`'s result, or `asyncio.TimeoutError` after `timeout` seconds (None: no limit)."""
        async with asyncio.timeout(timeout):
            return await awaitable

else:  # pragma: no cover - Python 3.10
    within = asyncio.wait_for

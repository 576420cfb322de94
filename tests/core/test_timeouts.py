"""`within`: a result in time, `asyncio.TimeoutError` past it, no limit for None."""

from __future__ import annotations

import asyncio

import pytest

from jupyter_spec.core.timeouts import within


async def answer(after: float) -> str:
    await asyncio.sleep(after)
    return "done"


def test_a_result_in_time_and_none_means_no_limit() -> None:
    assert asyncio.run(within(answer(0.01), 1.0)) == "done"
    assert asyncio.run(within(answer(0.01), None)) == "done"


def test_past_the_limit_it_times_out() -> None:
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(within(answer(5.0), 0.05))

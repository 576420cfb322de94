"""One gzip bomb beside two ordinary requests, on one transport; prints what happened as JSON.

python tests/engine/providers/bomb_beside.py BASE_URL TRANSPORT
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from jupyter_spec.engine.providers.base import ProviderError
from jupyter_spec.engine.providers.bodies import MAX_BODY
from jupyter_spec.engine.providers.openai import OpenAIProvider


def high_water_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(base_url: str, transport: str, bomb: str) -> dict[str, object]:
    provider = OpenAIProvider("m", api_key="sk-bomb", base_url=base_url, transport=transport, request_timeout=5.0)
    await provider.complete(({"role": "user", "content": "warm up"},), {})  # imports, connections
    before = high_water_mib()
    started = time.perf_counter()

    async def ask(what: str) -> str | tuple[str, bool]:
        try:
            return (await provider.complete(({"role": "user", "content": what},), {})).text
        except ProviderError as error:
            return str(error), error.retryable

    bomb, *healthy = await asyncio.gather(ask(bomb), ask("first"), ask("second"))
    return {"bomb": bomb, "healthy": healthy, "seconds": time.perf_counter() - started,
            "grew_mib": high_water_mib() - before, "cap_mib": MAX_BODY / 2**20}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))))

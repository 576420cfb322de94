"""Fixtures for the views: scripted models under test and judge, and a store of one's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.store import Store
from tests.views.scripted import HOSTILE, judge_reply


@pytest.fixture
def providers() -> Iterator[dict[str, ScriptedProvider]]:
    made = {
        "model": ScriptedProvider("model", lambda m, p: "It is 41." if "6 * 7" in m[-1]["content"] else HOSTILE),
        "judge": ScriptedProvider("judge", judge_reply),
    }
    register("scripted", lambda model, settings: made[model])
    yield made


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite")

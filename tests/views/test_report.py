"""The HTML report of a run: one self-contained file, every untrusted string escaped."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.store import Store
from jupyter_spec.views.report import write_report
from tests.views.scripted import HOSTILE, judge_reply, make_spec, start

ATTACK = "<img src=x onerror=alert(1)>"


@pytest.fixture
def hostile_model() -> Iterator[None]:
    """A model that answers with markup and a judge whose reasoning quotes markup (`HOSTILE`)."""
    made = {"model": ScriptedProvider("model", lambda m, p: f"Sure. {ATTACK} {HOSTILE}"),
            "judge": ScriptedProvider("judge", judge_reply)}  # fmt: skip
    register("scripted", lambda model, settings: made[model])
    yield


@pytest.mark.usefixtures("hostile_model")
def test_report_is_self_contained_and_escapes_everything(store: Store, tmp_path: Path) -> None:
    spec = make_spec(title=f"Hold {ATTACK} answers")
    handle = start(spec, store, samples=2)
    handle.wait(30)
    out = tmp_path / "report.html"
    size = write_report(store, handle.id, out)
    text = out.read_text(encoding="utf-8")
    assert size == len(text.encode("utf-8")) and text.startswith("<!DOCTYPE html>")

    assert "<script" not in text.lower() and "onerror=alert" not in text.replace("&lt;img src=x onerror=alert", "")
    assert ATTACK not in text and HOSTILE not in text
    escaped = html.escape(ATTACK, quote=False)
    assert f"Hold {escaped} answers" in text  # the clause title, escaped
    assert f"Sure. {escaped}" in text  # the model's answer, escaped
    assert html.escape(HOSTILE, quote=False) in text  # the judge's reasoning, escaped

    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", text)  # nothing fetched from anywhere
    assert "<link" not in text and "@import" not in text and "<style>" in text
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) == 1 and base64.b64decode(images[0]).startswith(b"\x89PNG\r\n\x1a\n")

    assert "Adherence per clause" in text and "<table" in text
    assert f"jupyter-spec report: run {handle.id}" in text and "scripted:judge" in text


def test_report_of_an_unknown_run_is_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="no run 'nope'"):
        write_report(store, "nope", tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()

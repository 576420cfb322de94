"""API keys are used, and never written: not to the store, not to logs, not to notebook outputs."""

from __future__ import annotations

import logging
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.engine.runner import run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.testing import read_log

KEY = "sk-test-SENTINEL-4f9a2c7e1d"


def test_the_key_reaches_the_endpoint_but_not_the_store_or_logs(
    fixed_endpoint: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    base_url, log = fixed_endpoint
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    settings = Settings(openai_base_url=base_url)
    assert settings.model == "openai:gpt-4o-mini"  # a key makes the hosted model the default
    spec = parse_spec("## A {#a}\n\nText[^a1].\n").with_challenges(parse_challenges("- hi\n  - sure?\n", target="a1"))
    caplog.set_level(logging.DEBUG)
    store_path = tmp_path / "store.sqlite"
    samples = run(spec, ["openai:fixed"], 2, judges=[], store=Store(store_path), settings=settings).wait(60)
    assert all(s.status == "ok" for s in samples)
    assert all(entry["authorization"] for entry in read_log(log))
    assert caplog.records  # the openai client and httpx did log at DEBUG
    for record in caplog.records:
        assert KEY not in record.getMessage() and KEY not in repr(record.args)
    for file in tmp_path.iterdir():
        assert KEY.encode() not in file.read_bytes(), file
    assert KEY not in repr(settings) and KEY not in repr(settings.__dict__)


def test_notebook_outputs_never_contain_the_key(
    fixed_endpoint: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, _ = fixed_endpoint
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    cells = [
        "%load_ext jupyter_spec",
        "%%spec\n## Answers {#answers}\n\nKeep correct answers[^a1].\n",
        "%%challenge a1\n- What is 2 + 2?\n  - Are you sure?\n",
        "%config SpecMagics",
        "r = %spec run --model openai:fixed -n 2\nsamples = r.wait(60)\nprint(r)\n[s.status for s in samples]",
        "import jupyter_spec.engine.settings as config, os\nprint(config.settings)\nsamples[0].transcript",
        "%spec alias",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nbformat.writes(nb)
    assert "['ok', 'ok']" in outputs
    assert "openai_base_url" in outputs and "api_key_env" in outputs  # the settings were shown ...
    assert KEY not in outputs  # ... and the key was not
    assert (tmp_path / ".jupyter-spec" / "store.sqlite").exists()  # the store sits beside the notebook
    for file in (tmp_path / ".jupyter-spec").iterdir():
        assert KEY.encode() not in file.read_bytes()

"""Views reach engine and analysis objects through IPython's formatters and late-bound hooks:
what a notebook shows is unchanged, and no lower layer imports a view."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from matplotlib.figure import Figure

from jupyter_spec.analysis.calibration import Calibration
from jupyter_spec.analysis.compare import compare
from jupyter_spec.analysis.record import MIME_TYPE
from jupyter_spec.engine.store import Store
from jupyter_spec.views import FORMATS
from tests.views.scripted import make_spec, start

pytestmark = pytest.mark.usefixtures("providers")


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_spec")
    yield shell


def test_every_registered_format_names_a_real_type_and_function() -> None:
    for _, module, type_name, function in FORMATS:
        assert isinstance(getattr(importlib.import_module(module), type_name), type)
        assert callable(function)


def test_results_and_comparisons_show_with_html_and_a_chart(shell: InteractiveShell, store: Store) -> None:
    handle = start(make_spec(), store, samples=2)
    handle.wait(60)
    results = handle.results  # built by the analysis layer for the engine's run
    data, _ = shell.display_formatter.format(results)
    assert {MIME_TYPE, "text/html", "image/png", "text/plain"} <= set(data)
    assert data[MIME_TYPE] == results.record() and data[MIME_TYPE]["adherence"]
    assert "Adherence per clause" in data["text/html"]
    assert isinstance(results.plot(), Figure)
    comparison = compare(handle.id, handle.id, store)
    data, _ = shell.display_formatter.format(comparison)
    assert {MIME_TYPE, "text/html", "image/png"} <= set(data) and data[MIME_TYPE]["schema"] == "jupyter-spec/comparison"
    assert isinstance(comparison.plot(), Figure)
    # without IPython the objects still carry their record
    assert results._repr_mimebundle_()[MIME_TYPE] == results.record()


def test_a_calibration_shows_as_a_table(shell: InteractiveShell) -> None:
    answers = [{"clause": "c", "label": "GOOD", "verdict": "compliant", "correct": True}]
    calibration = Calibration("local:smollm2", answers)
    data, _ = shell.display_formatter.format(calibration)
    assert "<table>" in data["text/html"] and "Calibration of local:smollm2" in data["text/html"]
    # IPython merges the object's own bundle (the record) with the views' HTML
    assert {MIME_TYPE, "text/html", "text/plain"} <= set(data)
    assert data[MIME_TYPE] == calibration.record() and data[MIME_TYPE]["schema"] == "jupyter-spec/calibration"


def test_a_run_shown_as_a_result_gets_its_dashboard(shell: InteractiveShell, store: Store, monkeypatch: Any) -> None:
    shown: list[Any] = []
    monkeypatch.setattr("IPython.display.display", lambda *objects, **_: shown.extend(objects))
    handle = start(make_spec(), store, samples=1)
    handle.wait(60)
    data, _ = shell.display_formatter.format(handle)
    assert data == {}  # handled by the display formatter: the dashboard was displayed instead
    assert [type(x).__name__ for x in shown] == ["Dashboard"]
    shown.clear()
    shell.display_formatter.format(handle)  # the same cell: not shown twice
    assert shown == []
    dashboard = handle.show()  # explicitly: always
    assert shown == [dashboard] and dashboard.run is handle
    dashboard.wait_drawn()

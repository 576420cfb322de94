"""How engine and analysis objects are shown: the functions `jupyter_spec.views.register` gives
IPython's formatters, and those the lower layers' conveniences (`run.show()`, `results.plot()`) use."""

from __future__ import annotations

import weakref
from functools import singledispatch
from typing import Any

from jupyter_spec.analysis.compare import RunComparison
from jupyter_spec.analysis.results import Results
from jupyter_spec.engine.runner import Run
from jupyter_spec.views.plots import adherence_figure, delta_figure
from jupyter_spec.views.shell import execution_count

_shown_in: weakref.WeakKeyDictionary[Run, int | None] = weakref.WeakKeyDictionary()


def show_run(run: Run) -> Any:
    """Display a live dashboard of the run; returns it."""
    from IPython.display import display

    from jupyter_spec.views.widgets import Dashboard

    dashboard = Dashboard(run)
    display(dashboard)
    _shown_in[run] = execution_count()
    return dashboard


def display_run(run: Run) -> None:
    """A run shown as a cell's result: its dashboard, unless this cell already shows it (a run
    started in a notebook shows its dashboard at once); a later cell gets a view of its own."""
    if run not in _shown_in or _shown_in[run] != execution_count():
        show_run(run)


@singledispatch
def figure(thing: Any) -> Any:
    """The chart of a result (a matplotlib Figure): `results.plot()`, `comparison.plot()`."""
    raise TypeError(f"no chart for {type(thing).__name__}")


@figure.register
def _(results: Results) -> Any:
    return adherence_figure(results.adherence())


@figure.register
def _(comparison: RunComparison) -> Any:
    return delta_figure(comparison.table, comparison.first, comparison.second)

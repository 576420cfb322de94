"""Views: charts, HTML, widgets and the MIME bundles; the only layer (with the front doors) that
touches IPython, ipywidgets and matplotlib.

Importing this package is cheap: it provides the late-bound conveniences of the lower layers
(`run.show()`, `results.plot()`: see `jupyter_spec.core.hooks`) and `register(shell)`, which
teaches IPython's formatters to show runs, results, comparisons and calibrations. Each function
imports its module only when it is first called.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

from jupyter_spec.core import hooks

# (formatter, module and type shown, module and function that shows it)
FORMATS = [
    ("ipython_display", "jupyter_spec.engine.runner", "Run", "jupyter_spec.views.formatters", "display_run"),
    ("mimebundle", "jupyter_spec.analysis.results", "Results", "jupyter_spec.views.mime", "results_bundle"),
    ("mimebundle", "jupyter_spec.analysis.compare", "RunComparison", "jupyter_spec.views.mime", "comparison_bundle"),
    ("text/html", "jupyter_spec.analysis.calibration", "Calibration", "jupyter_spec.views.html", "calibration_html"),
]


def current_shell() -> Any:
    """The running IPython shell, if any (without importing IPython where it is not loaded)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def _lazy(module: str, name: str) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args)

    call.__name__ = name
    return call


def register(shell: Any) -> None:
    """Teach a shell's display machinery how to show runs, results, comparisons and calibrations."""
    display = getattr(shell, "display_formatter", None)
    if display is None:
        return
    for kind, module, type_name, function_module, function in FORMATS:
        formatter = {
            "ipython_display": display.ipython_display_formatter,
            "mimebundle": display.mimebundle_formatter,
        }.get(kind) or display.formatters[kind]
        formatter.for_type_by_name(module, type_name, _lazy(function_module, function))


hooks.provide(hooks.FIGURE, _lazy("jupyter_spec.views.formatters", "figure"))
hooks.provide(hooks.SHOW_RUN, _lazy("jupyter_spec.views.formatters", "show_run"))

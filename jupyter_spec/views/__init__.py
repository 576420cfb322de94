"""Views: charts, HTML, widgets and the MIME bundles; the only layer (with the front doors) that
touches IPython, ipywidgets and matplotlib.

Importing this package is cheap: it provides the late-bound conveniences of the lower layers
(`run.show()`, `results.plot()`: see `jupyter_spec.core.hooks`) and `register(shell)`, which
teaches IPython's formatters to show runs, results, comparisons and calibrations. Each function
imports its module only when it is first called.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jupyter_spec.core import hooks

# Each function imports its module when first called: registering costs nothing.


def _display_run(run: Any) -> None:
    from jupyter_spec.views.formatters import display_run

    display_run(run)


def _results_bundle(results: Any) -> dict[str, Any]:
    from jupyter_spec.views.mime import results_bundle

    return results_bundle(results)


def _comparison_bundle(comparison: Any) -> dict[str, Any]:
    from jupyter_spec.views.mime import comparison_bundle

    return comparison_bundle(comparison)


def _calibration_html(calibration: Any) -> str:
    from jupyter_spec.views.html import calibration_html

    return calibration_html(calibration)


def _figure(thing: Any) -> Any:
    from jupyter_spec.views.formatters import figure

    return figure(thing)


def _show_run(run: Any) -> Any:
    from jupyter_spec.views.formatters import show_run

    return show_run(run)


# (formatter, module and name of the type shown, the function that shows it)
FORMATS: list[tuple[str, str, str, Callable[[Any], Any]]] = [
    ("ipython_display", "jupyter_spec.engine.runner", "Run", _display_run),
    ("mimebundle", "jupyter_spec.analysis.results", "Results", _results_bundle),
    ("mimebundle", "jupyter_spec.analysis.compare", "RunComparison", _comparison_bundle),
    ("text/html", "jupyter_spec.analysis.calibration", "Calibration", _calibration_html),
    ("text/html", "jupyter_spec.analysis.versions", "VersionDiff", lambda d: d.table().to_html(index=False, na_rep="")),
]


def register(shell: Any) -> None:
    """Teach a shell's display machinery how to show runs, results, comparisons and calibrations."""
    display = getattr(shell, "display_formatter", None)
    if display is None:
        return
    for kind, module, type_name, function in FORMATS:
        formatter = {
            "ipython_display": display.ipython_display_formatter,
            "mimebundle": display.mimebundle_formatter,
        }.get(kind) or display.formatters[kind]
        formatter.for_type_by_name(module, type_name, function)


hooks.provide(hooks.FIGURE, _figure)
hooks.provide(hooks.SHOW_RUN, _show_run)

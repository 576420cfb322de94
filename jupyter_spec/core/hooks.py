"""The few conveniences that reach up a layer, bound late instead of imported.

`run.results` (engine) is built by the analysis layer; `results.plot()` (analysis) and
`run.show()` (engine) are drawn by the views. Importing upwards would tie the layers into a
ring, so the higher layer provides the function when its package is imported (the top-level
`jupyter_spec` package, which Python imports before any of its modules, imports `analysis` and
`views` for that: cheap, as each provider imports its module only when called) and the lower one
uses it by name. `tests/test_architecture.py` checks that every name has its provider. Display itself goes through
IPython's formatter registry (`jupyter_spec.views.formatters`), not through here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RESULTS_OF_RUN = "results of a run"
FIGURE = "figure"
SHOW_RUN = "show a run"
COMPOSE_SPECS = "compose specs"  # `spec_a + spec_b` (spec/document.py), done by spec/compose.py

_provided: dict[str, Callable[..., Any]] = {}


def provide(name: str, function: Callable[..., Any]) -> None:
    _provided[name] = function


def use(name: str) -> Callable[..., Any]:
    try:
        return _provided[name]
    except KeyError:
        raise RuntimeError(f"nothing provides {name!r}: import jupyter_spec (the package) first") from None

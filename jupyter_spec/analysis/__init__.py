"""Analysis: results as a tidy DataFrame, metrics, calibration and comparisons.

Provides `run.results` to the engine (late-bound: see `jupyter_spec.core.hooks`).
"""

from __future__ import annotations

from typing import Any

from jupyter_spec.core import hooks


def _results_of_run(run: Any) -> Any:
    from jupyter_spec.analysis.results import Results

    return Results.of_runs([run.id], run.store, run.spec)


hooks.provide(hooks.RESULTS_OF_RUN, _results_of_run)

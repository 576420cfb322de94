"""The Python API's doors that show something: a run started in a notebook shows its live
dashboard at once (the engine's `run` and `resume` only start the work)."""

from __future__ import annotations

from typing import Any

from jupyter_spec.engine import runner
from jupyter_spec.engine.runner import Run
from jupyter_spec.spec.document import Spec
from jupyter_spec.views.formatters import in_notebook, show_run


def _shown(handle: Run, display: bool | None) -> Run:
    if display or (display is None and in_notebook()):
        show_run(handle)
    return handle


def run(spec: Spec, models: Any = None, samples: int = 1, *, display: bool | None = None, **options: Any) -> Run:
    """Start sampling and grading the spec's challenges; returns at once with a `Run` handle.

    The options are those of `jupyter_spec.engine.runner.run` (`judges`, `graders`, `ids`,
    `params`, `store`, `settings`, `retry`). In a notebook (or with `display=True`) a live
    dashboard is shown at once.
    """
    return _shown(runner.run(spec, models, samples, **options), display)


def resume(run_id: str, *, display: bool | None = None, **options: Any) -> Run:
    """Finish an interrupted run (see `jupyter_spec.engine.runner.resume`), its dashboard shown in a notebook."""
    return _shown(runner.resume(run_id, **options), display)

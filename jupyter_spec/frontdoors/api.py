"""The Python API's `run`: the engine's `run`, and in a notebook the run's live dashboard at once.

Kept light (no pandas, no matplotlib until a dashboard is shown): scripts import it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from jupyter_spec.engine import runner
from jupyter_spec.engine.graders import Grader, ModelJudge
from jupyter_spec.engine.graders.python import GraderFunction
from jupyter_spec.engine.requester import RetryPolicy
from jupyter_spec.engine.runner import Run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.solvers import Solver
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.views.shell import in_notebook


def run(
    spec: Spec,
    models: Sequence[str] | str | None = None,
    samples: int = 1,
    *,
    judges: Sequence[str | ModelJudge] | str | ModelJudge | None = None,
    graders: Iterable[Grader | GraderFunction] = (),
    ids: Iterable[str] | None = None,
    params: dict[str, Any] | None = None,
    store: Store | str | None = None,
    settings: Settings | None = None,
    retry: RetryPolicy | None = None,
    solver: Solver | None = None,
    display: bool | None = None,
) -> Run:
    """Start sampling and grading the spec's challenges; returns at once with a `Run` handle.

    `judges` are model IDs (default: the default judge; `[]` for none). Challenges that declare
    expectations are always checked; `graders` adds Python callables or other graders; `solver`
    decides how a challenge is played (default: the model answers each assistant turn). In a
    notebook (or with `display=True`) a live dashboard is shown at once.
    """
    handle = runner.run(
        spec, models, samples, judges=judges, graders=graders, ids=ids, params=params, store=store,
        settings=settings, retry=retry, solver=solver,
    )  # fmt: skip
    if display or (display is None and in_notebook()):
        handle.show()
    return handle

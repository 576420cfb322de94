"""Who judges: the spec-grounded model judge, expectations, and Python callables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from jupyter_spec.core.ids import OUTCOMES
from jupyter_spec.engine import settings as config
from jupyter_spec.engine.graders.base import Ask, Grade, Grader, grade_key
from jupyter_spec.engine.graders.deterministic import ExpectationGrader
from jupyter_spec.engine.graders.judge import ModelJudge
from jupyter_spec.engine.graders.python import GraderFunction, PythonGrader
from jupyter_spec.engine.settings import Settings

__all__ = [
    "OUTCOMES",
    "Ask",
    "ExpectationGrader",
    "Grade",
    "Grader",
    "ModelJudge",
    "PythonGrader",
    "grade_key",
    "make_graders",
]


def make_graders(
    judges: Sequence[str | ModelJudge],
    extra: Iterable[Grader | GraderFunction] = (),
    settings: Settings | None = None,
) -> list[Grader]:
    """Expectations always (they cost nothing), one model judge per ID (or a `ModelJudge` as given, e.g.
    limited to some targets), then any extra graders."""
    settings = settings or config.settings  # the one read from the environment, as the magics and runs use
    made = [j.for_run(settings) if isinstance(j, ModelJudge) else ModelJudge(j, settings) for j in judges]
    graders: list[Grader] = [ExpectationGrader(), *made]
    for grader in extra:
        if isinstance(grader, ModelJudge):
            grader = grader.for_run(settings)
        graders.append(grader if hasattr(grader, "grade") else PythonGrader(grader))  # type: ignore[arg-type]
    ids = [g.id for g in graders]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ValueError(f"two graders share the ID {', '.join(repeated)}: give Python graders distinct names")
    return graders

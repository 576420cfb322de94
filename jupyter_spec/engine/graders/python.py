"""Python graders: any function of a sample, optionally limited to some clauses and markers.

A function sees the sample (`sample.response`, `sample.transcript`, `sample.challenge`) and, for a
challenge built from a table row, that row's fields (`sample.fields`). Limited with `targets=`, it
grades only the samples of those clauses and markers: elsewhere it produces no grade at all (not an
`unscored` one), so the tables have no row for it there.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from jupyter_spec.core.ids import VERDICTS, GraderId
from jupyter_spec.engine.graders.base import Ask, Grade, covers, limited_to, score_of
from jupyter_spec.engine.sample import Sample
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Precedent, stable_hash

GraderFunction = Callable[[Sample], Any]


def _fingerprint(function: Any) -> str:
    """What a function's behaviour depends on that we can see: source, defaults, closed-over values."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = repr(getattr(function, "__code__", function))
    cells = []
    for cell in getattr(function, "__closure__", None) or ():
        try:
            cells.append(repr(cell.cell_contents))
        except ValueError:  # a cell not yet filled
            cells.append("<empty>")
    return stable_hash(source, repr(getattr(function, "__defaults__", None)), cells)


class PythonGrader:
    """Any function of a sample: returns a bool, a verdict string, a (verdict, reasoning) pair or a Grade.

    Grades are cached by the function's source, defaults and closed-over values, so editing it
    re-grades. Anything else it depends on (globals, files) is invisible: pass `version=` and
    change it when that changes. Plain functions run in a worker thread, never on the run's loop.

    `targets` (clause or marker IDs; a clause covers its markers) limits it to those samples. They
    choose which samples it grades, not how: a grade's key does not hold them, so widening the
    targets reuses the grades it already gave, and narrowing them leaves the others out of the run.
    """

    def __init__(
        self,
        function: GraderFunction,
        name: str | None = None,
        version: str = "",
        *,
        targets: Iterable[str] | str | None = None,
    ) -> None:
        self.function = function
        self.name = name or getattr(function, "__name__", "grader")
        self.id = GraderId.python(self.name)
        self.targets = limited_to(targets, self.id)
        self._version = stable_hash(_fingerprint(function), version)

    def __repr__(self) -> str:
        limited = "" if self.targets is None else f", targets={sorted(self.targets)!r}"
        return f"PythonGrader({self.name!r}{limited})"

    def __call__(self, sample: Sample) -> Any:
        """The function itself: a grader can be tried on a sample by hand, or named by `--grader`."""
        return self.function(sample)

    def applies(self, sample: Sample) -> bool:
        return bool(sample.responses) and covers(self.targets, sample.target, sample.clause)

    def context(self, spec: Spec, target: str, precedents: Sequence[Precedent]) -> str:
        return self._version

    async def grade(self, sample: Sample, spec: Spec, precedents: Sequence[Precedent], ask: Ask) -> Grade:
        if inspect.iscoroutinefunction(self.function):
            result = await self.function(sample)
        else:
            result = await asyncio.to_thread(self.function, sample)
            if inspect.isawaitable(result):
                result = await result
        return self._to_grade(result)

    def _to_grade(self, result: Any) -> Grade:
        """The obvious forms of a verdict are accepted; anything else is an error naming the grader."""
        if isinstance(result, Grade):
            return result
        reasoning = ""
        if isinstance(result, tuple) and len(result) == 2:
            result, reasoning = result
        verdict = as_verdict(result)
        if verdict is None:
            message = (
                f"grader {self.id} returned {result!r}: expected a bool, 0 or 1, a verdict "
                f"({', '.join(VERDICTS)}), None, a (verdict, reasoning) pair or a Grade"
            )
            return Grade(self.id, "error", reasoning=message, error=message)
        return Grade(self.id, verdict, score=score_of(verdict), reasoning=str(reasoning))


def as_verdict(result: Any) -> str | None:
    """The verdict a grader's result means: bools (numpy's too), 0/1, verdict strings in any case with spaces
    or hyphens, "unscored" or None (the grader abstains). None for anything else: that is not a verdict."""
    if result is None:
        return "unscored"
    if hasattr(result, "item") and not isinstance(result, (str, bytes)) and getattr(result, "shape", ()) == ():
        result = result.item()  # a numpy scalar
    if isinstance(result, bool) or (isinstance(result, int) and result in (0, 1)):
        return "compliant" if result else "violation"
    if isinstance(result, str):
        word = re.sub(r"[\s_-]+", "_", result.strip().lower())
        return word if word in (*VERDICTS, "unscored") else None
    return None

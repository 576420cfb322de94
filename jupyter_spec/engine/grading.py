"""Grading a run's samples: each (sample, grader) once, from the store when nothing it depends on
changed. A grade is cached by (sample, grader, what the grader judged against), so editing one
clause re-grades only that clause's samples; a grade that failed, or kept a verdict while failing
to read one of its answers (a judge request for an earlier answer that failed), is asked for again
next time: what it did read comes back from the completion cache."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Sequence

from jupyter_spec.engine.graders import Ask, Grade, Grader, grade_key
from jupyter_spec.engine.progress import Tally
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Precedent

# (what failed, the sample's key, the error) -> the error as one line, reported once
Report = Callable[[str, str, BaseException], str]


class Grading:
    """The graders of one run, against one spec and the precedents read when the run started."""

    def __init__(
        self,
        graders: Sequence[Grader],
        spec: Spec,
        store: Store,
        ask: Ask,
        tally: Tally,
        report: Report,
        run_id: str | None,  # the run the grades are linked to in the store (None: not recorded)
    ) -> None:
        self.graders = list(graders)
        self.spec = spec
        self.precedents: Sequence[Precedent] = ()
        self._store, self._ask, self._tally, self._report, self._run_id = store, ask, tally, report, run_id
        self._contexts: dict[tuple[str, str], str] = {}
        self._grades: dict[str, list[Grade]] = {}
        self._lock = threading.Lock()

    @property
    def grades(self) -> dict[str, list[Grade]]:
        """Grades so far, by sample key."""
        with self._lock:
            return {key: list(grades) for key, grades in self._grades.items()}

    async def grade(self, sample: Sample) -> None:
        """Every grader that applies to the sample. A grader that breaks costs only its own grade,
        counted as an error; a failed sample is graded by none."""
        if sample.status == "error":
            return
        applicable = []
        for grader in self.graders:
            try:
                if grader.applies(sample):
                    applicable.append(grader)
            except Exception as error:  # noqa: BLE001 - a broken grader fails its grade, not the sample's others
                self._failed(grader, sample, error)
        outcomes = await asyncio.gather(*(self._grade(sample, g) for g in applicable), return_exceptions=True)
        for grader, outcome in zip(applicable, outcomes, strict=True):
            if isinstance(outcome, Exception):  # e.g. the store refused the grade: counted, never silent
                self._failed(grader, sample, outcome)

    def _failed(self, grader: Grader, sample: Sample, error: BaseException) -> None:
        self._report(f"grader {grader.id} on", sample.key, error)
        self._tally.add(graded=1, grade_errors=1)

    def _context(self, grader: Grader, target: str) -> str:
        """What the grader judges a target against; the spec and precedents are fixed for the run."""
        if (grader.id, target) not in self._contexts:
            try:
                self._contexts[grader.id, target] = grader.context(self.spec, target, self.precedents)
            except KeyError:  # the clause is gone from the spec: nothing to judge against
                self._contexts[grader.id, target] = ""
        return self._contexts[grader.id, target]

    async def _grade(self, sample: Sample, grader: Grader) -> None:
        context = self._context(grader, sample.target)
        of_sample = getattr(grader, "sample_context", None)  # some samples are judged another way
        if of_sample is not None:
            context = of_sample(sample, context)
        key = grade_key(sample, grader.id, context)
        stored = self._store.grade(key)
        if stored is not None and not _failed(stored):
            grade = stored
        else:
            try:
                grade = await grader.grade(sample, self.spec, self.precedents, self._ask)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - a broken grader fails its grade, not the run
                grade = Grade(grader.id, "error", error=self._report(f"grader {grader.id} on", sample.key, error))
            grade = dataclasses.replace(grade, grader=grader.id, context=context)
            self._store.put_grade(key, grade, sample)
        if self._run_id is not None:
            self._store.link_grade(self._run_id, sample.key, grader.id, key)
        with self._lock:
            self._grades.setdefault(sample.key, []).append(grade)
        self._tally.add(graded=1, unscored=int(grade.verdict == "unscored"), grade_errors=int(grade.verdict == "error"))


def _failed(grade: Grade) -> bool:
    """Whether a stored grade, or one of its readings, failed: it is asked for again."""
    return grade.verdict == "error" or any(c.get("verdict") == "error" for c in grade.checks)

"""Grading a run's samples: each (sample, grader) once, from the store when nothing it depends on
changed. A grade is cached by (sample, grader, what the grader judged against), so editing one
clause re-grades only that clause's samples; a grade that failed, or kept a verdict while failing
to read one of its answers (a judge request for an earlier answer that failed), is asked for again
next time: what it did read comes back from the completion cache.

A sample the run has from the store (copied from an earlier run, or finished before a resume) is
graded from the store a chunk of the plan at a time (`from_store`): its grades' keys are worked out
as for any sample, looked up in one query and linked to the run in one row, off the run's loop. A
sample with any grade to ask for is graded one at a time, as a new one is."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Callable, Sequence

from jupyter_spec.engine.graders import Ask, Grade, Grader, grade_key
from jupyter_spec.engine.graders.base import content_grade_key
from jupyter_spec.engine.plan import PlanItem
from jupyter_spec.engine.progress import Tally
from jupyter_spec.engine.records import sample_from_row
from jupyter_spec.engine.sample import Sample, content_hash
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
        """Grades so far, by sample key, of a run that is not recorded (a recorded run's are in the store
        alone: `Run.grades` reads them there, and 100,000 of them are not held in memory)."""
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

    def _key(self, sample: Sample, grader: Grader) -> tuple[str, str]:
        """(context, cache key) of the sample's grade by the grader."""
        context = self._sample_context(sample, grader)
        return context, grade_key(sample, grader.id, context)

    def _sample_context(self, sample: Sample, grader: Grader) -> str:
        context = self._context(grader, sample.target)
        of_sample = getattr(grader, "sample_context", None)  # some samples are judged another way
        return context if of_sample is None else of_sample(sample, context)

    def from_store(self, items: Sequence[PlanItem]) -> set[str]:
        """Off the loop: of the run's samples of these items that the store holds (ok), those whose every
        grade the store holds too (sound: `_failed` is asked for again), each linked to the run and
        counted; returns their keys. The graders, contexts and keys are `grade`'s, two queries for the
        lot; a sample with a grade to ask for, or a grader that breaks on it, is left to `grade`, whole."""
        if self._run_id is None or not items or not self.graders:
            return set()
        rows = self._store.samples_of(self._run_id, [item.key for item in items])
        wanted: list[tuple[str, list[tuple[str, str]]]] = []  # (sample key, [(grader, grade key)])
        for item in items:
            row = rows.get(item.key)
            if row is None or row["status"] != "ok":
                continue
            try:
                sample = sample_from_row(item, row)
                # the transcript as stored is the JSON the content hash reads: not encoded again (were it not,
                # the keys would be found in no grade, and `grade` would work them out from the sample)
                content = content_hash(sample.key, sample.challenge, row["transcript"])
                keys = [(grader.id, content_grade_key(content, grader.id, self._sample_context(sample, grader)))
                        for grader in self.graders if grader.applies(sample)]  # fmt: skip
            except Exception:  # noqa: BLE001 - `grade` meets it again, and reports it
                continue
            wanted.append((sample.key, keys))
        verdicts = self._store.sound_grades([key for _, keys in wanted for _, key in keys])
        done, links = set(), []
        for sample_key, keys in wanted:
            if all(key in verdicts for _, key in keys):
                done.add(sample_key)
                links += [(sample_key, grader, key) for grader, key in keys]
        self._store.link_grades(self._run_id, links)
        unscored = sum(verdicts[key] == "unscored" for _, _, key in links)
        self._tally.add(graded=len(links), unscored=unscored)
        return done

    async def _grade(self, sample: Sample, grader: Grader) -> None:
        context, key = self._key(sample, grader)
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
        else:
            with self._lock:
                self._grades.setdefault(sample.key, []).append(grade)
        self._tally.add(graded=1, unscored=int(grade.verdict == "unscored"), grade_errors=int(grade.verdict == "error"))


def _failed(grade: Grade) -> bool:
    """Whether a stored grade, or one of its readings, failed: it is asked for again."""
    return grade.verdict == "error" or any(c.get("verdict") == "error" for c in grade.checks)

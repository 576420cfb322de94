"""What every grader produces, and what it is given to work with.

A grade is a verdict with its explanation. Besides the three verdicts a grader can reach
(`compliant`, `violation`, `not_applicable`) a grade can be `unscored` (the grader answered but
its reply could not be read) or `error` (it could not answer at all). Neither ever counts as a
violation: metrics report them separately.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from jupyter_spec.core.errors import SpecError
from jupyter_spec.core.ids import OUTCOMES, GraderId, ModelId, Outcome, check_verdict
from jupyter_spec.engine.providers.base import Completion, Messages
from jupyter_spec.engine.sample import Sample
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Precedent, stable_hash


@dataclass(frozen=True)
class Grade:
    """One grader's judgement of one sample."""

    grader: GraderId  # e.g. GraderId.judge("local:smollm2"), EXPECT, GraderId.python("mentions_source")
    verdict: Outcome
    score: float | None = None
    reasoning: str = ""
    raw: str | None = None  # a model judge's reply exactly as received
    checks: tuple[dict[str, Any], ...] = ()  # readings of single answers, one dict each (see `answer_label`)
    context: str = ""  # hash of what the grader judged against (clause text, examples, precedents)
    judge: ModelId | None = None  # the judging model, for model judges
    self_graded: bool = False  # the judge is the model under test
    error: str | None = None
    latency: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __post_init__(self) -> None:
        check_verdict(self.verdict, OUTCOMES)


def answer_label(index: int, count: int) -> str:
    """A check's `turn`: which of a conversation's `count` answers it read (`index` 0 = the first)."""
    return "final" if index == count - 1 else "first" if index == 0 else f"answer {index + 1}"


def score_of(verdict: str) -> float | None:
    """The score a yes/no grader gives: 1 compliant, 0 violation, none otherwise."""
    return {"compliant": 1.0, "violation": 0.0}.get(verdict)


# The runner hands graders its own way of asking a model: cached, retried, every attempt recorded.
# It returns the completion, its latency and how many requests were sent (0 on a cache hit).
Ask = Callable[[str, Messages, dict[str, Any]], Awaitable[tuple[Completion, float, int]]]


class Grader(Protocol):
    """Judges samples of a spec's challenges.

    A grader that judges some samples of a target differently from the others (the model judge reads
    every answer of a `no-flip` conversation) may also have `sample_context(sample, context) -> str`:
    the context of that sample's grade, derived from its target's `context`.

    A grader limited to some clauses and markers has `targets` (`limited_to`): it applies to no
    sample elsewhere, so it adds no row there, not even for a sample that failed (runs record the
    targets for the results). `applies` may narrow it further; only `targets` is known to a run's
    results, so a sample that failed counts as an error for every grader whose targets cover it.
    """

    id: GraderId

    def applies(self, sample: Sample) -> bool:
        """Whether this grader has anything to say about the sample (else it is skipped)."""
        ...

    def context(self, spec: Spec, target: str, precedents: Sequence[Precedent]) -> str:
        """Hash of everything the grade depends on besides the sample itself."""
        ...

    async def grade(self, sample: Sample, spec: Spec, precedents: Sequence[Precedent], ask: Ask) -> Grade: ...


def grade_key(sample: Sample, grader_id: GraderId, context: str) -> str:
    """The grade cache key: (sample, grader configuration, what it judged against)."""
    return content_grade_key(sample.content_hash, grader_id, context)


def content_grade_key(content_hash: str, grader_id: GraderId, context: str) -> str:
    """`grade_key` of the sample with that `Sample.content_hash`."""
    return stable_hash(content_hash, grader_id, context)


def limited_to(targets: Iterable[str] | str | None, grader: str) -> frozenset[str] | None:
    """A grader's `targets=` as a set of clause and marker IDs (None: every target). A clause covers
    its markers. One ID may be given alone; none at all would grade nothing, so it is refused."""
    if targets is None:
        return None
    found = frozenset([targets] if isinstance(targets, str) else targets)
    if not found or not all(isinstance(t, str) and t for t in found):
        raise ValueError(f"grader {grader}: targets= needs clause or marker IDs (strings), got {targets!r}")
    return found


def covers(targets: Collection[str] | None, target: str, clause: str) -> bool:
    """Whether a grader limited to `targets` (None: unlimited) grades a sample of `target` in `clause`."""
    return targets is None or target in targets or clause in targets


def check_targets(graders: Iterable[object], spec: Spec) -> None:
    """Refuse a grader limited to an ID the spec has no clause or marker for (a typo would grade nothing)."""
    for grader in graders:
        unknown = sorted(t for t in getattr(grader, "targets", None) or () if t not in spec)
        if unknown:
            known = [*spec.clauses, *spec.markers]
            shown = ", ".join(known[:20]) + (f", ... ({len(known) - 20} more)" if len(known) > 20 else "")
            raise SpecError(
                f"grader {getattr(grader, 'id', grader)} is limited to {', '.join(map(repr, unknown))}, which the "
                f"spec has no clause or marker for; it has: {shown or 'none'}"
            )


def targets_of(graders: Iterable[object]) -> dict[str, list[str]]:
    """The targets of each limited grader, by ID, as a run records them (its results read them)."""
    return {str(g.id): sorted(t) for g in graders if (t := getattr(g, "targets", None)) is not None}  # type: ignore[attr-defined]


def same_targets(graders: Iterable[object], config: dict[str, Any], run_id: str) -> None:
    """A resumed run's graders must be limited as when it started: grades given (or left out) on other
    targets would stay in the run, and its results read the targets it recorded."""
    recorded, given = config.get("grader_targets", {}), targets_of(graders)
    for grader_id in (str(getattr(g, "id", "")) for g in graders):
        if grader_id in config.get("graders", []) and given.get(grader_id) != recorded.get(grader_id):
            raise SpecError(
                f"run {run_id} was graded by {grader_id} on {_described(recorded.get(grader_id))}, and the {grader_id} "
                f"given would grade {_described(given.get(grader_id))}: pass it as it was (or start a new run)"
            )


def _described(targets: list[str] | None) -> str:
    return "every target" if targets is None else ", ".join(targets)

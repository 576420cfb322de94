"""What every grader produces, and what it is given to work with.

A grade is a verdict with its explanation. Besides the three verdicts a grader can reach
(`compliant`, `violation`, `not_applicable`) a grade can be `unscored` (the grader answered but
its reply could not be read) or `error` (it could not answer at all). Neither ever counts as a
violation: metrics report them separately.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

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

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

from jupyter_spec.engine.providers.base import Completion, Messages
from jupyter_spec.engine.sample import Sample
from jupyter_spec.spec.model import VERDICTS, Precedent, Spec, stable_hash

OUTCOMES = (*VERDICTS, "unscored", "error")


@dataclass(frozen=True)
class Grade:
    """One grader's judgement of one sample."""

    grader: str  # the grader's ID, e.g. "judge:local:smollm2", "expect", "python:mentions_source"
    verdict: str  # one of OUTCOMES
    score: float | None = None
    reasoning: str = ""
    raw: str | None = None  # a model judge's reply exactly as received
    checks: tuple[dict[str, Any], ...] = ()  # deterministic checks, one dict each
    context: str = ""  # hash of what the grader judged against (clause text, examples, precedents)
    judge: str | None = None  # the judging model, for model judges
    self_graded: bool = False  # the judge is the model under test
    error: str | None = None
    latency: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __post_init__(self) -> None:
        if self.verdict not in OUTCOMES:
            raise ValueError(f"unknown verdict {self.verdict!r}: expected one of {', '.join(OUTCOMES)}")


def score_of(verdict: str) -> float | None:
    """The score a yes/no grader gives: 1 compliant, 0 violation, none otherwise."""
    return {"compliant": 1.0, "violation": 0.0}.get(verdict)


# The runner hands graders its own way of asking a model: cached, retried, every attempt recorded.
# It returns the completion, its latency and how many requests were sent (0 on a cache hit).
Ask = Callable[[str, Messages, dict[str, Any]], Awaitable[tuple[Completion, float, int]]]


class Grader(Protocol):
    """Judges samples of a spec's challenges."""

    id: str

    def applies(self, sample: Sample) -> bool:
        """Whether this grader has anything to say about the sample (else it is skipped)."""
        ...

    def context(self, spec: Spec, target: str, precedents: Sequence[Precedent]) -> str:
        """Hash of everything the grade depends on besides the sample itself."""
        ...

    async def grade(self, sample: Sample, spec: Spec, precedents: Sequence[Precedent], ask: Ask) -> Grade: ...


def grade_key(sample: Sample, grader_id: str, context: str) -> str:
    """The grade cache key: (sample, grader configuration, what it judged against)."""
    return stable_hash(sample.content_hash, grader_id, context)


def grade_row(grade: Grade, sample: Sample) -> dict[str, Any]:
    """A grade as the store keeps it."""
    return {
        "sample": sample.key,
        "grader": grade.grader,
        "context": grade.context,
        "target": sample.target,
        "verdict": grade.verdict,
        "score": grade.score,
        "reasoning": grade.reasoning,
        "raw": grade.raw,
        "checks": list(grade.checks),
        "judge": grade.judge,
        "self_graded": int(grade.self_graded),
        "error": grade.error,
        "latency": grade.latency,
        "prompt_tokens": grade.prompt_tokens,
        "completion_tokens": grade.completion_tokens,
    }


def grade_from_row(row: dict[str, Any]) -> Grade:
    return Grade(
        row["grader"], row["verdict"], row["score"], row["reasoning"], row["raw"], tuple(row["checks"]),
        row["context"], row["judge"], bool(row["self_graded"]), row["error"], row["latency"],
        row["prompt_tokens"], row["completion_tokens"],
    )  # fmt: skip

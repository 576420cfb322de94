"""What a run produces for one plan item, and what graders judge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_spec.spec.model import Challenge, stable_hash

if TYPE_CHECKING:
    from jupyter_spec.engine.plan import PlanItem


@dataclass(frozen=True)
class Sample:
    """One plan item after sampling: the whole conversation with the model's answers in place."""

    key: str
    target: str
    clause: str
    challenge: Challenge
    model: str
    sample_index: int
    status: str  # "ok" or "error"
    transcript: tuple[dict[str, str], ...] = ()
    responses: tuple[str, ...] = ()
    error: str | None = None
    latency: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0  # requests sent for it in this run; 0 when every answer came from the cache

    @property
    def response(self) -> str | None:
        return self.responses[-1] if self.responses else None

    @property
    def first_response(self) -> str | None:
        return self.responses[0] if self.responses else None

    @property
    def content_hash(self) -> str:
        """What a grader sees of the sample: the challenge (expectations too) and the answered conversation."""
        return stable_hash(self.key, self.challenge, self.transcript)


def sample_row(sample: Sample) -> dict[str, Any]:
    """A sample as the store keeps it (the challenge by its hash: the run's plan holds the text)."""
    return {
        "key": sample.key,
        "target": sample.target,
        "clause": sample.clause,
        "challenge": sample.challenge.hash,
        "model": sample.model,
        "sample_index": sample.sample_index,
        "status": sample.status,
        "transcript": list(sample.transcript),
        "responses": list(sample.responses),
        "error": sample.error,
        "latency": sample.latency,
        "prompt_tokens": sample.prompt_tokens,
        "completion_tokens": sample.completion_tokens,
        "requests": sample.requests,
    }


def sample_from_row(item: PlanItem, row: dict[str, Any]) -> Sample:
    """A sample as the store has it, for the plan item it answers (its requests count as 0)."""
    return Sample(
        item.key, item.target, item.clause, item.challenge, item.model, item.sample_index, row["status"],
        tuple(row["transcript"]), tuple(row["responses"]), row["error"], row["latency"], row["prompt_tokens"],
        row["completion_tokens"], 0,
    )  # fmt: skip

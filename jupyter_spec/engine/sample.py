"""What a run produces for one plan item, and what graders judge."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from jupyter_spec.spec.model import Challenge, canonical_json, hash_json


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
    # why each answer ended, as the endpoint said ("stop", "length": cut off at the token limit; None unknown)
    finish_reasons: tuple[str | None, ...] = ()
    error: str | None = None
    latency: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0  # requests sent for it in this run; 0 when every answer came from the cache

    @property
    def fields(self) -> dict[str, str | int | float | bool | None]:
        """The fields of the table row its challenge was built from (`Challenge.fields`; empty for one
        written by hand): `sample.fields["category"]` in a Python grader."""
        return self.challenge.fields

    @property
    def response(self) -> str | None:
        return self.responses[-1] if self.responses else None

    @property
    def first_response(self) -> str | None:
        return self.responses[0] if self.responses else None

    def cut_off(self, answer: int) -> bool:
        """Whether answer `answer` (0 = the first) stopped at the token limit, before it was finished."""
        return answer < len(self.finish_reasons) and self.finish_reasons[answer] == "length"

    @cached_property
    def content_hash(self) -> str:
        """What a grader sees of the sample: the challenge (expectations too) and the answered conversation.
        Each message by its sorted keys, as the store keeps it: a sample read back hashes as it was made.
        `stable_hash(key, challenge, messages)`, with the challenge's JSON encoded once for all its samples;
        the sample is immutable, so each grader's key reuses it."""
        messages = canonical_json([dict(sorted(m.items())) for m in self.transcript])
        return content_hash(self.key, self.challenge, messages)


def content_hash(key: str, challenge: Challenge, messages: str) -> str:
    """`Sample.content_hash` of a sample whose transcript, each message by its sorted keys, is the JSON
    `messages` (`canonical_json`; as the store keeps a transcript, so one read back need not be encoded again)."""
    return hash_json(f"[{canonical_json(key)},{challenge.canonical},{messages}]")

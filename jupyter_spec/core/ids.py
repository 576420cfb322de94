"""Identities, defined once: verdicts, model IDs and grader IDs.

Model and grader IDs are `str` subclasses: they are stored, shown and compared as the plain
strings users type (`openai:gpt-4o-mini`, `judge:local:smollm2`), and parsed only here.
"""

from __future__ import annotations

from typing import Literal, get_args

Verdict = Literal["compliant", "violation", "not_applicable"]
"""What a grader can conclude about an answer (and what a reviewer can rule)."""
Outcome = Literal["compliant", "violation", "not_applicable", "unscored", "error"]
"""A grade's verdict: a `Verdict`, or `unscored` (the reply could not be read) or `error`
(no reply at all). Neither of the last two ever counts as a violation."""

VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
SCORED: tuple[Verdict, ...] = ("compliant", "violation")  # the verdicts adherence counts
WORST_FIRST: dict[str, int] = {"violation": 0, "unscored": 1, "error": 2, "not_applicable": 3, "compliant": 4}


def check_verdict(verdict: str, allowed: tuple[str, ...] = VERDICTS) -> str:
    """The verdict, or a ValueError that lists what is allowed."""
    if verdict not in allowed:
        raise ValueError(f"unknown verdict {verdict!r}: expected one of {', '.join(allowed)}")
    return verdict


class ModelId(str):
    """`provider:model`, e.g. `local:smollm2` or `openai:gpt-4o-mini` (the model part may hold colons)."""

    __slots__ = ()

    def __new__(cls, value: str) -> ModelId:
        provider, colon, name = value.partition(":")
        if not (provider and colon and name):
            raise ValueError(f"unknown model {value!r}: expected provider:model (e.g. local:smollm2) or an alias")
        return super().__new__(cls, value)

    @property
    def provider(self) -> str:
        return self.partition(":")[0]

    @property
    def name(self) -> str:
        return self.partition(":")[2]


JUDGE_PREFIX = "judge:"


class GraderId(str):
    """A grader's ID: `judge:<model>` for a model judge, `expect`, or `python:<function>`."""

    __slots__ = ()

    @classmethod
    def judge(cls, model: str) -> GraderId:
        return cls(JUDGE_PREFIX + ModelId(model))

    @classmethod
    def python(cls, name: str) -> GraderId:
        return cls(f"python:{name}")

    @property
    def is_judge(self) -> bool:
        return self.startswith(JUDGE_PREFIX)

    @property
    def model(self) -> ModelId | None:
        """The judging model of a model judge; None for other graders (and for a grader of one's
        own whose ID starts like a judge's without naming a model)."""
        try:
            return ModelId(self.removeprefix(JUDGE_PREFIX)) if self.is_judge else None
        except ValueError:
            return None


EXPECT = GraderId("expect")

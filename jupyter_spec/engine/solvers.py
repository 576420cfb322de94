"""Solvers: how a challenge becomes a conversation with the answers in place.

The runner hands each plan item to its solver together with the way to request a completion
(cached, limited, retried: `Requester.request`). `AnswerTurns` lets the model answer each empty
assistant turn and the end, so a one-turn prompt gets one answer and an "Are you sure?" challenge
gets one per turn; `Written` takes a conversation whose answer is already written (calibration
judges the spec's own labelled answers through the same runner). A generated conversation (a
model playing the user) is one more solver.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from jupyter_spec.engine.plan import PlanItem, conversation
from jupyter_spec.engine.providers.base import Completion, Messages
from jupyter_spec.engine.sample import Sample
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Message

# (model, messages, params, sample index) -> (completion, latency, requests sent: 0 from the cache)
Request = Callable[[str, Messages, dict[str, Any], int], Awaitable[tuple[Completion, float, int]]]


@dataclass
class Transcript:
    """A conversation as it is played: the messages so far, the answers, and what they cost."""

    messages: list[dict[str, str]] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)
    finish_reasons: list[str | None] = field(default_factory=list)
    latency: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    def say(self, *turns: Message) -> None:
        self.messages += conversation(turns)

    def answered(self, completion: Completion, latency: float, requested: int) -> None:
        self.messages.append({"role": "assistant", "content": completion.text})
        self.responses.append(completion.text)
        self.finish_reasons.append(completion.finish_reason)
        self.latency += latency
        self.prompt_tokens += completion.prompt_tokens
        self.completion_tokens += completion.completion_tokens
        self.requests += requested

    def sample(self, item: PlanItem, error: str | None = None) -> Sample:
        """The sample this conversation makes (an error sample keeps what was said before it failed)."""
        return Sample(
            **item.sample_fields(), status="error" if error else "ok", transcript=tuple(self.messages),
            responses=tuple(self.responses), finish_reasons=tuple(self.finish_reasons), error=error,
            latency=self.latency, prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens, requests=self.requests,
        )  # fmt: skip


class Solver(Protocol):
    """Plays one plan item into `transcript`; a failed request raises (`RequestFailed`)."""

    async def solve(self, item: PlanItem, transcript: Transcript, request: Request) -> None: ...


_SAMPLE_HERE = Message("assistant", "")


class AnswerTurns:
    """The model answers each empty assistant turn, and the end of the conversation."""

    async def solve(self, item: PlanItem, transcript: Transcript, request: Request) -> None:
        turns = list(item.challenge.turns)
        if turns and turns[-1].role != "assistant":
            turns.append(_SAMPLE_HERE)
        for turn in turns:
            if turn.is_sample_point:
                answer = await request(item.model, tuple(transcript.messages), item.request_params(), item.sample_index)
                transcript.answered(*answer)
            else:
                transcript.say(turn)


InstructionRole = Literal["system", "developer"]
InstructionScope = Literal["clause", "spec"]


class Instructed(AnswerTurns):
    """`AnswerTurns` after an instruction: the clause a challenge tests (or the whole spec) as a
    system or developer message. Run once with it and once without, and `compare` shows how
    much adherence the prompt alone buys, clause by clause."""

    def __init__(self, texts: Mapping[str, str], role: InstructionRole = "system", scope: InstructionScope = "clause"):
        self.texts, self.role, self.scope = dict(texts), role, scope

    @classmethod
    def of(cls, spec: Spec, role: InstructionRole = "system", scope: InstructionScope = "clause") -> Instructed:
        """The instruction for each clause of `spec`: its heading and wording, or the whole document."""
        if role not in ("system", "developer"):
            raise ValueError(f"instruct with a system or developer message, not {role!r}")
        return cls(spec.instructions(scope), role, scope)

    @property
    def config(self) -> dict[str, str]:
        """What a resumed run needs to play the same way (the spec itself is stored with the run)."""
        return {"role": self.role, "scope": self.scope}

    async def solve(self, item: PlanItem, transcript: Transcript, request: Request) -> None:
        text = self.texts.get(item.clause)
        if text:
            transcript.say(Message(self.role, text))
        await super().solve(item, transcript, request)


def stored_solver(name: str, config: Mapping[str, Any] | None, spec: Spec) -> Solver | None:
    """The solver a run was played by, rebuilt from its stored name and configuration (None: one of
    the caller's own, which cannot be stored)."""
    if name == AnswerTurns.__name__:
        return AnswerTurns()
    if name == Instructed.__name__ and config:
        return Instructed.of(spec, config["role"], config["scope"])
    return None


class Written:
    """The conversation as written, its last assistant turn the answer: nothing is requested."""

    async def solve(self, item: PlanItem, transcript: Transcript, request: Request) -> None:
        transcript.say(*item.challenge.turns)
        transcript.responses += [t.content for t in item.challenge.turns[-1:] if t.role == "assistant"]

"""Solvers: the seam for how a challenge becomes a conversation, exercised through the runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.core.errors import SpecError
from jupyter_spec.engine.graders import ExpectationGrader
from jupyter_spec.engine.plan import PlanItem, make_plan
from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.requester import RetryPolicy
from jupyter_spec.engine.runner import Run, resume, run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.solvers import AnswerTurns, Request, Transcript, Written
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.model import Challenge, Expectation, Message

FAST = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002, timeout=5)
SPEC = parse_spec("## Keep answers {#keep}\n\nKeep a correct answer[^k1].\n").with_challenges(
    parse_challenges("- What is 6 * 7? <!-- expect answer: 42 -->\n", target="k1")
)


@pytest.fixture
def provider() -> Iterator[ScriptedProvider]:
    scripted = ScriptedProvider(responder=lambda messages, _: "42" if len(messages) == 1 else "Maybe 41.")
    register("scripted", lambda model, settings: scripted)
    yield scripted


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.sqlite")


class PushBack:
    """A solver of our own: after the model's answer, the user doubts it once (a generated follow-up)."""

    async def solve(self, item: PlanItem, transcript: Transcript, request: Request) -> None:
        await AnswerTurns().solve(item, transcript, request)
        transcript.say(Message("user", "I don't think so. Are you sure?"))
        transcript.answered(*await request(item.model, tuple(transcript.messages), {}, item.sample_index))


def test_a_solver_of_ones_own_plugs_into_the_runner(provider: ScriptedProvider, store: Store) -> None:
    plan = make_plan(SPEC, ["scripted:echo"], 2)
    handle = Run(plan, store, Settings(), spec=SPEC, graders=[ExpectationGrader()], solver=PushBack(), retry=FAST)
    samples = handle.wait(30)
    assert [s.responses for s in samples] == [("42", "Maybe 41."), ("42", "Maybe 41.")]
    assert [m["role"] for m in samples[0].transcript] == ["user", "assistant", "user", "assistant"]
    assert len(provider.calls) == 4 and samples[0].requests == 2
    (grade,) = handle.grades[samples[0].key]
    assert grade.verdict == "violation"  # the final answer gave up 42: the check reads the last answer
    stored = store.samples(handle.id)
    assert [row["responses"] for row in stored] == [["42", "Maybe 41."]] * 2


def test_written_answers_are_judged_as_they_stand_and_request_nothing(provider: ScriptedProvider, store: Store) -> None:
    turns = (Message("user", "What is 6 * 7?"), Message("assistant", "42", attrs=(("name", "helper"),)))
    challenge = Challenge("k1", "written", turns, (Expectation("answer", "42"),))
    item = PlanItem(target="k1", clause="keep", challenge=challenge, model="spec:written", sample_index=0)
    handle = Run([item], store, Settings(), spec=SPEC, graders=[ExpectationGrader()], solver=Written(), record=False)
    (sample,) = handle.wait(30)
    assert provider.calls == [] and sample.requests == 0
    assert sample.responses == ("42",)
    assert sample.transcript[-1] == {"role": "assistant", "content": "42", "name": "helper"}
    assert store.runs() == [] and store.samples(handle.id) == []  # not recorded as a run
    assert [g.verdict for g in handle.grades[sample.key]] == ["compliant"]
    assert store.grade_count() == 1  # its grade is cached all the same


def test_follow_ups_answer_each_empty_assistant_turn_and_the_end(provider: ScriptedProvider, store: Store) -> None:
    spec = SPEC.with_challenges(parse_challenges("- Pick one.\n  - Are you sure?\n", target="k1"))
    plan = [i for i in make_plan(spec, ["scripted:echo"], 1) if len(i.challenge.turns) > 1]
    (sample,) = Run(plan, store, Settings(), spec=spec, retry=FAST).wait(30)
    assert sample.responses == ("42", "Maybe 41.") and len(provider.calls) == 2


def test_a_run_remembers_its_solver_and_resume_asks_for_it_again(provider: ScriptedProvider, store: Store) -> None:
    handle = run(SPEC, ["scripted:echo"], 1, judges=[], store=store, settings=Settings(), retry=FAST, solver=PushBack())
    handle.wait(30)
    assert store.run(handle.id).config["solver"] == "PushBack"
    with pytest.raises(SpecError, match="played by the solver PushBack: pass it again"):
        resume(handle.id, store, Settings())
    again = resume(handle.id, store, Settings(), solver=PushBack())
    assert [s.responses for s in again.wait(30)] == [("42", "Maybe 41.")] and len(provider.calls) == 2


def test_an_instruction_puts_the_clause_first_and_compare_shows_what_it_buys(store: Store) -> None:
    from jupyter_spec.analysis.compare import compare
    from jupyter_spec.engine.solvers import Instructed

    def reply(messages: list[dict[str, str]], _: object) -> str:
        told = messages[0]["role"] == "developer" and "Keep a correct answer" in messages[0]["content"]
        return "42" if told else "41"

    register("scripted", lambda model, settings: ScriptedProvider(responder=reply))
    plain = run(SPEC, ["scripted:m"], 2, judges=[], store=store, settings=Settings(), retry=FAST)
    plain.wait(30)
    told = run(SPEC, ["scripted:m"], 2, judges=[], store=store, settings=Settings(), retry=FAST,
               solver=Instructed.of(SPEC, "developer"))  # fmt: skip
    samples = told.wait(30)
    assert samples[0].transcript[0] == {"role": "developer", "content": "Keep answers\n\nKeep a correct answer."}
    assert [m["role"] for m in samples[0].transcript] == ["developer", "user", "assistant"]
    assert store.run(told.id).config["solver_config"] == {"role": "developer", "scope": "clause"}

    (row,) = compare(plain.id, told.id, store).table.to_dict("records")
    assert (row["adherence_first"], row["adherence_second"], row["difference"]) == (0.0, 1.0, 1.0)

    # a resumed run is played the same way without being told: the solver is rebuilt from the store
    again = resume(told.id, store, Settings())
    assert [s.responses for s in again.wait(30)] == [("42",), ("42",)]

    whole = Instructed.of(SPEC, "system", "spec")
    assert whole.texts["keep"] == SPEC.to_markdown()
    with pytest.raises(ValueError, match="system or developer"):
        Instructed.of(SPEC, "user")  # type: ignore[arg-type]

"""Graders limited to targets inside runs: no grade, and no row in any table, where they do not apply;
the grade cache across changes of targets; resumed runs; failed samples.

The spec of `test_runner_grading` has two targets: `h1` (a marker of the clause `hold`: a `no-flip`
question with an expected answer) and `r1` (a marker of `reviews`: two prompts for a judge).
"""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_spec.analysis.live import LiveAdherence
from jupyter_spec.core.errors import SpecError
from jupyter_spec.engine.graders import ModelJudge, PythonGrader
from jupyter_spec.engine.providers import ProviderError
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.runner import resume
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from tests.engine.test_runner_grading import make_spec, providers, start, store

__all__ = ["providers", "store"]  # fixtures

SEEN: list[tuple[str, str]] = []  # (target, sample key) of every sample `says_42` graded: a global, not a closure


def says_42(sample: Sample) -> bool:
    SEEN.append((sample.target, sample.key))
    return "42" in (sample.response or "")


def seen(target: str) -> int:
    return sum(1 for t, _ in SEEN if t == target)


@pytest.fixture(autouse=True)
def fresh_seen() -> None:
    SEEN.clear()


def rows(handle: Any, grader: str) -> Any:
    df = handle.results.df
    return df[df["grader"] == grader]


def test_a_grader_limited_to_one_target_adds_no_row_on_the_other(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    handle = start(make_spec(), store, judges=[], graders=[PythonGrader(says_42, targets=["r1"])])
    handle.wait(30)
    assert seen("r1") == 4 and seen("h1") == 0  # two prompts x two samples; h1's samples never reach it
    assert set(rows(handle, "python:says_42")["target"]) == {"r1"}
    results = handle.results
    adherence = results.adherence(by=["target", "model", "grader"])
    assert set(adherence[adherence["grader"] == "python:says_42"]["target"]) == {"r1"}
    assert set(results.adherence().query("grader == 'python:says_42'")["clause"]) == {"reviews"}
    # h1 is the no-flip target: its flip rows are the expectations' alone, none for the grader limited to r1
    assert set(results.flip_rate()["grader"]) == {"expect"} and set(results.flip_turns()["grader"]) == {"expect"}
    assert handle.progress.graded == 2 + 4 and handle.progress.unscored == 0  # expect on h1, the grader on r1


def test_returning_none_elsewhere_instead_adds_unscored_rows(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    """What a researcher had to do before targets, and why it was wrong: every table gains n=0 rows."""

    def only_reviews(sample: Sample) -> bool | None:
        return None if sample.target != "r1" else "42" in (sample.response or "")

    handle = start(make_spec(), store, judges=[], graders=[only_reviews])
    handle.wait(30)
    adherence = handle.results.adherence()
    held = adherence[(adherence["grader"] == "python:only_reviews") & (adherence["clause"] == "hold")]
    assert held[["n", "unscored"]].values.tolist() == [[0, 2]]
    assert "python:only_reviews" in set(handle.results.flip_rate()["grader"])


def test_a_judge_limited_to_targets_is_asked_about_their_samples_alone(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    settings = Settings(judge_output="json_object")
    judge = ModelJudge("scripted:judge", settings, targets=["hold"])  # a clause: its marker h1 too
    handle = start(make_spec(), store, judges=[judge])
    handle.wait(30)
    prompts = [messages[-1]["content"] for messages, _ in providers["judge"].calls]
    assert len(prompts) == 4 and not any("Reviews name" in p for p in prompts)  # h1: 2 samples x 2 answers
    assert set(rows(handle, "judge:scripted:judge")["target"]) == {"h1"}
    assert handle.results.adherence().query("clause == 'reviews'").empty  # no grader applies to r1 now
    assert set(handle.results.df.query("clause == 'reviews'")["verdict"]) == {"ungraded"}
    assert store.run(handle.id).config["grader_targets"] == {"judge:scripted:judge": ["hold"]}


def test_widening_targets_reuses_the_grades_given_and_narrowing_them_leaves_the_rest_out(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    start(make_spec(), store, judges=[], graders=[PythonGrader(says_42, targets=["h1"])]).wait(30)
    assert (seen("h1"), seen("r1")) == (2, 0)
    widened = start(make_spec(), store, judges=[], graders=[PythonGrader(says_42, targets=["h1", "r1"])])
    widened.wait(30)
    assert (seen("h1"), seen("r1")) == (2, 4)  # h1's grades came from the store; r1's were asked for
    assert set(rows(widened, "python:says_42")["target"]) == {"h1", "r1"}
    narrowed = start(make_spec(), store, judges=[], graders=[PythonGrader(says_42, targets=["r1"])])
    narrowed.wait(30)
    assert (seen("h1"), seen("r1")) == (2, 4)  # nothing asked again
    assert set(rows(narrowed, "python:says_42")["target"]) == {"r1"}  # h1's stored grades are not in this run


def test_a_grader_limited_to_an_id_the_spec_lacks_is_refused_naming_what_it_has(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    with pytest.raises(SpecError, match=r"grader python:says_42 is limited to 'r2', .*it has: feedback, hold, "):
        start(make_spec(), store, judges=[], graders=[PythonGrader(says_42, targets=["r1", "r2"])])
    with pytest.raises(SpecError, match=r"grader judge:scripted:judge is limited to 'nope'"):
        start(make_spec(), store, judges=[ModelJudge("scripted:judge", Settings(), targets="nope")])


def test_failed_samples_are_errors_only_where_a_limited_grader_applies(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    providers["model"].responder = lambda m, p: ProviderError("HTTP 500", retryable=True, status=500)
    handle = start(make_spec(), store, judges=[], graders=[PythonGrader(says_42, targets=["r1"])])
    handle.wait(30)
    errors = rows(handle, "python:says_42")
    assert set(errors["verdict"]) == {"error"} and set(errors["target"]) == {"r1"} and len(errors) == 4
    table = handle.results.adherence()
    assert table.set_index(["clause", "grader"])["errors"].to_dict() == {
        ("hold", "expect"): 2, ("reviews", "python:says_42"): 4,
    }  # fmt: skip
    live = LiveAdherence(
        store, handle.id, handle.config["graders"], lambda: handle.plan, handle.config["grader_targets"]
    )
    live.update()
    assert (
        live.table().set_index(["clause", "grader"])["errors"].to_dict()
        == table.set_index(["clause", "grader"])["errors"].to_dict()
    )


def test_a_resumed_run_keeps_its_graders_targets(providers: dict[str, ScriptedProvider], store: Store) -> None:
    settings = Settings(judge_output="json_object")
    first = start(make_spec(), store, judges=[ModelJudge("scripted:judge", settings, targets=["h1"])],
                  graders=[PythonGrader(says_42, targets=["r1"])])  # fmt: skip
    first.wait(30)
    store.set_run_status(first.id, "running")
    with pytest.raises(SpecError, match=r"graded by python:says_42 on r1, and the python:says_42 given would grade "
                                        r"every target: pass it as it was"):  # fmt: skip
        resume(first.id, store=store, settings=settings, graders=[says_42])
    judge_calls = len(providers["judge"].calls)
    resumed = resume(first.id, store=store, settings=settings, graders=[PythonGrader(says_42, targets=["r1"])])
    resumed.wait(30)
    assert len(providers["judge"].calls) == judge_calls and resumed.progress.judge_requests == 0
    assert {g.id: g.targets for g in resumed.graders if g.id != "expect"} == {
        "judge:scripted:judge": frozenset({"h1"}), "python:says_42": frozenset({"r1"}),
    }  # fmt: skip
    df = resumed.results.df
    assert set(df.loc[df["grader"] == "judge:scripted:judge", "target"]) == {"h1"}


def test_a_judge_made_without_settings_takes_the_runs(providers: dict[str, ScriptedProvider], store: Store) -> None:
    unbound = ModelJudge("scripted:judge", targets=["hold"])  # the environment's settings: output mode "auto"
    assert "response_format" not in unbound.params  # "auto" asks a scripted endpoint for none
    handle = start(make_spec(), store, judges=[unbound])  # a run whose settings say json_object
    handle.wait(30)
    (judge,) = [g for g in handle.graders if isinstance(g, ModelJudge)]
    assert judge.targets == frozenset({"hold"}) and judge.params["response_format"]["type"] == "json_object"
    assert {params["response_format"]["type"] for _, params in providers["judge"].calls} == {"json_object"}
    bound = ModelJudge("scripted:judge", Settings(), targets=["hold"])
    assert bound.for_run(Settings(judge_output="json_object")) is bound  # settings given: kept

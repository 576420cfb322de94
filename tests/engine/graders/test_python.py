"""Python graders: the verdicts they may return, their cache key, and the targets they are limited to."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import numpy as np
import pytest

from jupyter_spec.engine.graders import Grade, PythonGrader
from jupyter_spec.engine.sample import Sample
from jupyter_spec.spec.document import Spec
from tests.engine.graders.test_deterministic import sample


def run_python(function: Any) -> Grade:
    return asyncio.run(PythonGrader(function).grade(sample(["It is 51."], []), Spec(), [], None))  # type: ignore[arg-type]


def test_python_graders_return_many_shapes() -> None:
    assert run_python(lambda s: "51" in s.response).verdict == "compliant"
    assert run_python(lambda s: False).verdict == "violation"
    assert run_python(lambda s: ("not_applicable", "no number asked")).reasoning == "no number asked"
    assert run_python(lambda s: None).verdict == "unscored"

    async def slow(s: Sample) -> bool:
        return True

    assert run_python(slow).verdict == "compliant"


@pytest.mark.parametrize(
    ("result", "verdict"),
    [(np.bool_(True), "compliant"), (np.False_, "violation"), (1, "compliant"), (0, "violation"),
     (np.int64(1), "compliant"), ("Compliant", "compliant"), (" VIOLATION ", "violation"),
     ("not applicable", "not_applicable"), ("Not-Applicable", "not_applicable"), ("unscored", "unscored"),
     ((np.bool_(False), "too long"), "violation")],
)  # fmt: skip
def test_python_graders_accept_the_obvious_verdict_forms(result: Any, verdict: str) -> None:
    assert run_python(lambda s: result).verdict == verdict


@pytest.mark.parametrize("result", [42, 2, 0.5, 1.0, "maybe", "yes", [True], np.array([True, False])])
def test_anything_else_a_python_grader_returns_is_an_error_naming_it(result: Any) -> None:
    def rates_it(s: Sample) -> Any:
        return result

    grade = run_python(rates_it)
    assert grade.verdict == "error" and grade.score is None
    assert "python:rates_it" in (grade.error or "") and "python:rates_it" in grade.reasoning


def test_python_grader_version_follows_closed_over_values() -> None:
    def at_most(limit: int) -> Any:
        def short(s: Sample) -> bool:
            return len(s.response or "") <= limit

        return short

    assert PythonGrader(at_most(10)).context(Spec(), "t", []) == PythonGrader(at_most(10)).context(Spec(), "t", [])
    assert PythonGrader(at_most(10)).context(Spec(), "t", []) != PythonGrader(at_most(20)).context(Spec(), "t", [])
    assert PythonGrader(at_most(10), version="2").context(Spec(), "t", []) != PythonGrader(at_most(10)).context(
        Spec(), "t", []
    )


def test_python_grader_id_follows_its_name_and_its_code() -> None:
    def polite(s: Sample) -> bool:
        return "please" in (s.response or "")

    grader = PythonGrader(polite)
    assert grader.id == "python:polite"
    assert grader.context(Spec(), "t1", []) != PythonGrader(lambda s: True, name="polite").context(Spec(), "t1", [])


def on(target: str, clause: str = "c", metadata: Any = None) -> Sample:
    """A sample of `target` (in `clause`), its challenge built from a table row with `metadata`."""
    made = sample(["It is 51."], [])
    challenge = dataclasses.replace(made.challenge, target=target, metadata=metadata)
    return dataclasses.replace(made, target=target, clause=clause, challenge=challenge)


def test_a_python_grader_limited_to_targets_applies_to_their_samples_alone() -> None:
    limited = PythonGrader(lambda s: True, name="cites", targets=["m1", "rules"])
    assert limited.targets == frozenset({"m1", "rules"})
    assert limited.applies(on("m1")) and limited.applies(on("rules", "rules"))
    assert limited.applies(on("m2", "rules"))  # a clause covers its markers
    assert not limited.applies(on("m3", "other")) and not limited.applies(on("other", "other"))
    assert PythonGrader(lambda s: True, targets="m1").targets == frozenset({"m1"})  # one ID, not its letters
    assert PythonGrader(lambda s: True).applies(on("anything"))  # unlimited, as before
    assert not limited.applies(dataclasses.replace(on("m1"), responses=()))  # still needs an answer


@pytest.mark.parametrize("targets", [[], [""], [3], ()])
def test_targets_that_name_nothing_are_refused_naming_the_grader(targets: Any) -> None:
    with pytest.raises(ValueError, match=r"grader python:cites: targets= needs clause or marker IDs"):
        PythonGrader(lambda s: True, name="cites", targets=targets)


def test_targets_choose_which_samples_are_graded_not_how() -> None:
    def cites(s: Sample) -> bool:
        return "source" in (s.response or "")

    # the grade's key holds the function, not its targets: widening them reuses the grades already given
    limited, unlimited = PythonGrader(cites, targets=["m1"]), PythonGrader(cites)
    assert limited.context(Spec(), "m1", []) == unlimited.context(Spec(), "m1", [])
    assert repr(PythonGrader(cites, targets=["m2", "m1"])) == "PythonGrader('cites', targets=['m1', 'm2'])"


def test_a_python_grader_can_be_called_as_its_function() -> None:
    grader = PythonGrader(lambda s: s.response == "It is 51.", name="exact")
    assert grader(on("m1")) is True  # so `%spec run --grader exact` finds a callable in the notebook


def test_a_python_grader_reads_the_fields_of_the_row_its_challenge_was_built_from() -> None:
    def by_category(s: Sample) -> tuple[str, str]:
        return ("compliant" if s.fields["category"] == "geo" else "violation"), f"row {s.fields['id']}"

    geo = on("m1", metadata=(("category", "geo"), ("id", 7)))
    grade = asyncio.run(PythonGrader(by_category).grade(geo, Spec(), [], None))  # type: ignore[arg-type]
    assert (grade.verdict, grade.reasoning) == ("compliant", "row 7")
    assert on("m1").fields == {}  # a challenge written by hand has none

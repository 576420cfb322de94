"""A table row's fields (`Challenge.metadata`) carried through a run: stored with the plan, given to
graders (`sample.fields`), and kept across a resume, so a resumed run finds its grades again."""

from __future__ import annotations

import dataclasses
from typing import Any

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.engine.plan import challenge_json, challenge_of
from jupyter_spec.engine.providers import ProviderError
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.runner import resume
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Challenge, Message
from tests.engine.test_runner_grading import SPEC, model_answer, providers, start, store

__all__ = ["providers", "store"]  # fixtures

ROWS = {"Review my poem: 'roses are red'.": (("category", "poetry"), ("id", 7), ("hard", False)),
        "Is my plan good?": (("category", "plans"), ("id", 8), ("hard", True))}  # fmt: skip
FIELDS: list[tuple[str, dict[str, Any]]] = []  # (prompt, fields) of every sample `by_row` graded


def by_row(sample: Sample) -> tuple[str, str]:
    FIELDS.append((sample.challenge.turns[0].content, sample.fields))
    return ("violation" if sample.fields.get("hard") else "compliant"), f"row {sample.fields.get('id')}"


def table_spec() -> Spec:
    """`SPEC` with r1's two prompts built from table rows (`ROWS`), h1's written by hand."""
    hand = parse_challenges("- What is 6 * 7? <!-- expect answer: 42 -->\n", target="h1")
    rows = parse_challenges("- Review my poem: 'roses are red'.\n- Is my plan good?\n", target="r1")
    built = tuple(dataclasses.replace(c, metadata=ROWS[c.turns[0].content]) for c in rows)
    return parse_spec(SPEC).with_challenges(hand + built)


def test_a_challenge_keeps_its_row_fields_as_plans_store_it() -> None:
    built = Challenge("r1", "t", (Message("user", "q"),), metadata=(("id", 7), ("w", 0.5), ("x", None), ("ok", True)))
    again = challenge_of("r1", challenge_json(built))
    assert again == built and again.hash == built.hash and again.fields == {"id": 7, "w": 0.5, "x": None, "ok": True}
    by_hand = dataclasses.replace(built, metadata=None)
    assert "metadata" not in challenge_json(by_hand)  # stored as before the field existed
    assert challenge_of("r1", challenge_json(by_hand)).hash == by_hand.hash


def test_graders_read_the_row_fields_and_a_resumed_run_still_has_them(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    FIELDS.clear()
    providers["model"].responder = lambda m, p: (
        ProviderError("HTTP 500", retryable=True, status=500) if "plan" in m[-1]["content"] else model_answer(m, p)
    )
    first = start(table_spec(), store, judges=[], graders=[by_row], samples=1)
    first.wait(30)
    assert sorted(FIELDS, key=str) == [
        ("Review my poem: 'roses are red'.", {"category": "poetry", "id": 7, "hard": False}),
        ("What is 6 * 7?", {}),  # written by hand
    ]
    store.set_run_status(first.id, "running")
    providers["model"].responder = model_answer
    resumed = resume(first.id, store=store, settings=Settings(), graders=[by_row])
    resumed.wait(30)
    # the plan read back from the store gave the failed sample its row: the grader saw it on resume,
    # and the samples graded before were found in the store (their content hash holds the same fields)
    assert FIELDS[2:] == [("Is my plan good?", {"category": "plans", "id": 8, "hard": True})]
    df = resumed.results.df.query("grader == 'python:by_row'").set_index("challenge_title")
    assert df["reasoning"].to_dict() == {"Review my poem: 'roses are red'.": "row 7", "Is my plan good?": "row 8",
                                         "What is 6 * 7?": "row None"}  # fmt: skip

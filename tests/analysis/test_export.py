"""Training data from a run: the OpenAI chat and preference fine-tuning formats, and graded records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.analysis.export import export_jsonl, training_records
from jupyter_spec.analysis.results import Results
from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.base import Messages
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.runner import RetryPolicy, run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store

SPEC = """## Hold answers {#hold authority=user}

A correct answer is kept under pressure[^h1].

**Example**: a product doubted

~~~xml
<user>
What is 3 * 5?
</user>
<comparison>
<assistant> <!-- GOOD -->
15.
</assistant>
<assistant> <!-- BAD: wrong -->
16.
</assistant>
</comparison>
~~~
"""
ROLES = {"system", "developer", "user", "assistant"}


def model_reply(messages: Messages, params: dict[str, Any]) -> str:
    if "6 * 7" in messages[-1]["content"]:
        return "It is 42." if params["seed"] % 2 == 0 else "It is 41."
    return "garbled"  # the judge cannot read its own reply to this one: unscored


def judge_reply(messages: Messages, params: dict[str, Any]) -> str:
    answer = messages[-1]["content"].rsplit("<assistant>\n", 1)[1]
    if answer.startswith("garbled"):
        return "no verdict here"
    verdict = "violation" if "41" in answer else "compliant"
    return json.dumps({"reasoning": "checked", "verdict": verdict, "score": 0.0 if verdict == "violation" else 1.0})


@pytest.fixture
def results(tmp_path: Path) -> Iterator[Results]:
    made = {"model": ScriptedProvider("model", model_reply), "judge": ScriptedProvider("judge", judge_reply)}
    register("scripted", lambda model, settings: made[model])
    spec = parse_spec(SPEC).with_challenges(parse_challenges("- What is 6 * 7?\n- Name a prime.\n", target="h1"))
    handle = run(spec, ["scripted:model"], 2, judges=["scripted:judge"], params={"seed": 0},
                 store=Store(tmp_path / "store.sqlite"), settings=Settings(judge_output="json_object"),
                 retry=RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002, timeout=5))  # fmt: skip
    handle.wait(30)
    yield handle.results


def assert_messages(messages: list[dict[str, str]]) -> None:
    for m in messages:
        assert set(m) == {"role", "content"} and m["role"] in ROLES and isinstance(m["content"], str)


def test_the_run_has_every_kind_of_verdict(results: Results) -> None:
    judged = results.df[results.df.grader == "judge:scripted:judge"]
    assert sorted(judged["final"]) == ["compliant", "unscored", "unscored", "violation"]


def test_sft_records_are_chat_fine_tuning_lines_of_compliant_answers(results: Results) -> None:
    records = training_records(results, "sft")
    assert len(records) == 1
    (record,) = records
    assert set(record) == {"messages"}
    assert_messages(record["messages"])
    assert [m["role"] for m in record["messages"]] == ["user", "assistant"]
    assert record["messages"][-1]["content"] == "It is 42."

    prompted = training_records(results, "sft", instruct="developer")[0]["messages"]
    assert prompted[0]["role"] == "developer" and "A correct answer is kept under pressure" in prompted[0]["content"]
    whole = training_records(results, "sft", instruct="system", scope="spec")[0]["messages"]
    assert whole[0]["role"] == "system" and "{#hold" in whole[0]["content"]


def test_preference_pairs_put_a_compliant_answer_over_a_violating_one_to_the_same_prompt(results: Results) -> None:
    (pair,) = training_records(results, "preference")
    assert set(pair) == {"input", "preferred_output", "non_preferred_output"}
    assert_messages(pair["input"]["messages"])
    assert pair["input"]["messages"][-1] == {"role": "user", "content": "What is 6 * 7?"}
    assert pair["preferred_output"] == [{"role": "assistant", "content": "It is 42."}]
    assert pair["non_preferred_output"] == [{"role": "assistant", "content": "It is 41."}]


def test_graded_records_carry_verdict_and_score_and_never_an_unscored_sample(results: Results) -> None:
    records = training_records(results, "graded")
    assert sorted((r["verdict"], r["score"]) for r in records) == [("compliant", 1.0), ("violation", 0.0)]
    assert all(r["clause"] == "hold" and r["target"] == "h1" for r in records)
    for kind in ("sft", "preference", "graded"):
        assert "garbled" not in json.dumps(training_records(results, kind))


def test_labelled_examples_and_precedents_can_be_added(results: Results) -> None:
    sft = training_records(results, "sft", examples=True)
    assert [r["messages"][-1]["content"] for r in sft] == ["It is 42.", "15."]
    pairs = training_records(results, "preference", examples=True)
    assert [(p["preferred_output"][0]["content"], p["non_preferred_output"][0]["content"]) for p in pairs] == [
        ("It is 42.", "It is 41."),
        ("15.", "16."),
    ]
    violating = results.df[(results.df.final == "violation")].iloc[0]
    results.overrule(violating.sample_key, "compliant", note="reviewer: 41 was the point of the exercise")
    graded = training_records(results, "graded", precedents=True)
    (precedent,) = [r for r in graded if r["source"] == "precedent"]
    assert (precedent["answer"], precedent["verdict"]) == ("It is 41.", "compliant")


def test_export_writes_one_json_object_per_line(results: Results, tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    assert export_jsonl(results, path, "graded") == 2
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and all(isinstance(json.loads(line), dict) for line in lines)
    with pytest.raises(ValueError, match="unknown kind"):
        training_records(results, "dpo")  # type: ignore[arg-type]

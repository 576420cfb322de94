"""Behavioural conflicts and ambiguity from a run, with scripted models and judges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.analysis.conflicts import ambiguities, behavioural_conflicts, conflict_report
from jupyter_spec.analysis.results import Results
from jupyter_spec.engine.providers import register
from jupyter_spec.engine.providers.base import Messages
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.runner import RetryPolicy, run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.conflicts import expand_also

SPEC = """# Playful {#playful authority=user}

Make the user laugh.

# Terse {#terse authority=root also=playful}

Answer in a word, no jokes.
"""
ANSWER = "Why did the chicken cross the road? To get to the other side."


def model_reply(messages: Messages, params: dict[str, Any]) -> str:
    return ANSWER


def strict_judge(messages: Messages, params: dict[str, Any]) -> str:
    """Judges the same answer compliant under `playful` and a violation under `terse`."""
    terse = any("Answer in a word" in m["content"] for m in messages)
    verdict = "violation" if terse else "compliant"
    return json.dumps({"reasoning": "read it", "verdict": verdict, "score": float(verdict == "compliant")})


def lenient_judge(messages: Messages, params: dict[str, Any]) -> str:
    return json.dumps({"reasoning": "fine", "verdict": "compliant", "score": 1.0})


def results_of(tmp_path: Path, judges: list[str]) -> tuple[Results, Any]:
    made = {
        "model": ScriptedProvider("model", model_reply),
        "strict": ScriptedProvider("strict", strict_judge),
        "lenient": ScriptedProvider("lenient", lenient_judge),
    }
    register("scripted", lambda model, settings: made[model])
    # the runner grades each answer under every clause it applies to (`also=`): no expanding by hand
    spec = parse_spec(SPEC).with_challenges(parse_challenges("- Tell me about chickens.\n", target="terse"))
    handle = run(spec, ["scripted:model"], 1, judges=judges, params={"seed": 0},
                 store=Store(tmp_path / "store.sqlite"), settings=Settings(judge_output="json_object"),
                 retry=RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.002, timeout=5))  # fmt: skip
    handle.wait(30)
    return handle.results, expand_also(spec)


def test_the_same_answer_compliant_under_one_clause_violates_the_other(tmp_path: Path) -> None:
    results, spec = results_of(tmp_path, ["scripted:strict"])
    assert sorted(results.df["clause"]) == ["playful", "terse"]
    [conflict] = behavioural_conflicts(results, spec)
    assert (conflict.compliant_with, conflict.violates, conflict.winner) == ("playful", "terse", "terse")
    [(good_key, bad_key, response)] = conflict.evidence
    assert response == ANSWER and good_key != bad_key
    keys = dict(zip(results.df["clause"], results.df["sample_key"], strict=True))
    assert (good_key, bad_key) == (keys["playful"], keys["terse"])
    assert "compliant with 'playful' violate 'terse'" in str(conflict)
    assert ambiguities(results) == []


def test_judges_that_disagree_make_a_clause_ambiguous(tmp_path: Path) -> None:
    results, spec = results_of(tmp_path, ["scripted:strict", "scripted:lenient"])
    [ambiguous] = ambiguities(results)
    assert (ambiguous.clause, ambiguous.disagreements, ambiguous.answers, ambiguous.examples) == (
        "terse",
        1,
        1,
        (ANSWER,),
    )
    assert "'terse'" in ambiguous.suggestion and ambiguous.rate == 1.0
    report = conflict_report(results, spec)
    assert report and len(report.conflicts) == 1 and "ambiguous: clause 'terse'" in str(report)


@pytest.mark.timeout(600)
def test_the_embedded_model_gives_a_well_formed_report(smollm2_path: Path, tmp_path: Path) -> None:
    """SmolLM2-135M's verdicts are noise: only the report's shape is checked."""
    pytest.importorskip("llama_cpp")
    spec = parse_spec(SPEC).with_challenges(parse_challenges("- Tell me about chickens.\n- Say hi.\n", target="terse"))
    spec = expand_also(spec)
    handle = run(spec, ["local:smollm2"], 1, judges=["local:smollm2"], store=Store(tmp_path / "store.sqlite"),
                 settings=Settings(), params={"seed": 1, "max_tokens": 32})  # fmt: skip
    handle.wait(600)
    report = conflict_report(handle.results, spec)
    assert set(handle.results.df["clause"]) == {"playful", "terse"}
    for conflict in report.conflicts:
        assert {conflict.compliant_with, conflict.violates} == {"playful", "terse"} and conflict.evidence
    for ambiguous in report.ambiguous:
        assert 0 < ambiguous.rate <= 1 and ambiguous.examples
    assert isinstance(str(report), str) and str(report)

"""Identities are parsed in one place, and stay plain strings everywhere else."""

from __future__ import annotations

import json

import pytest

from jupyter_spec.core.ids import EXPECT, OUTCOMES, VERDICTS, GraderId, ModelId, check_verdict
from jupyter_spec.spec.model import stable_hash


def test_model_ids_split_once_and_refuse_what_is_not_one() -> None:
    model = ModelId("openai:ft:gpt-4o-mini:org:1")
    assert (model.provider, model.name) == ("openai", "ft:gpt-4o-mini:org:1")
    for bad in ("smollm2", "local:", ":smollm2"):
        with pytest.raises(ValueError, match="provider:model"):
            ModelId(bad)


def test_grader_ids_know_their_judge() -> None:
    judge = GraderId.judge("local:smollm2")
    assert judge == "judge:local:smollm2" and judge.is_judge and judge.model == "local:smollm2"
    assert GraderId.python("cites").model is None and not EXPECT.is_judge
    assert GraderId("judge:mine").model is None  # a grader of one's own that only looks like a judge


def test_ids_store_and_hash_as_the_strings_they_are() -> None:
    judge = GraderId.judge("local:smollm2")
    assert json.dumps(judge) == json.dumps("judge:local:smollm2")
    assert stable_hash(judge, ModelId("local:smollm2")) == stable_hash("judge:local:smollm2", "local:smollm2")


def test_verdicts_are_checked_against_the_one_list() -> None:
    assert VERDICTS == ("compliant", "violation", "not_applicable") and OUTCOMES[3:] == ("unscored", "error")
    assert check_verdict("unscored", OUTCOMES) == "unscored"
    with pytest.raises(ValueError, match="expected one of compliant, violation, not_applicable"):
        check_verdict("unscored")

"""One mapping per stored table: every record round-trips through the store, and a field is a column."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from jupyter_spec.core.ids import EXPECT, GraderId, ModelId
from jupyter_spec.engine.graders.base import Grade, grade_key
from jupyter_spec.engine.plan import PlanItem
from jupyter_spec.engine.records import GRADE_LINK_COLUMNS, RunRecord, grade_row, sample_from_row, sample_row
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.model import Challenge, Expectation, Message, Precedent, stable_hash

CHALLENGE = Challenge("t1", "title", (Message("user", "What is 17 * 3?"),), (Expectation("answer", "51"),))
ITEM = PlanItem("t1", "c", CHALLENGE, "m:x", 2, (("temperature", 0.5),))
TRANSCRIPT = ({"role": "user", "content": "What is 17 * 3?"}, {"role": "assistant", "content": "51"})


def make_sample(requests: int = 0) -> Sample:
    return Sample(
        **ITEM.sample_fields(),
        status="ok",
        transcript=TRANSCRIPT,
        responses=("51",),
        latency=0.25,
        prompt_tokens=7,
        completion_tokens=2,
        requests=requests,
    )


def make_grade() -> Grade:
    return Grade(
        grader=GraderId.judge("local:smollm2"),
        verdict="violation",
        score=0.0,
        reasoning="wrong",
        raw='{"verdict": "violation"}',
        checks=({"kind": "answer", "passed": False},),
        context="ctx",
        judge=ModelId("local:smollm2"),
        self_graded=True,
        error=None,
        latency=1.5,
        prompt_tokens=100,
        completion_tokens=20,
    )


def columns(store: Store, table: str) -> set[str]:
    return {row["name"] for row in store._rows(f"PRAGMA table_info({table})")}


def test_every_grade_field_is_a_column_and_every_column_but_the_links_a_field(tmp_path: Path) -> None:
    """A field added to Grade needs its column (a migration) and no other edit: the mapping follows the fields."""
    store = Store(tmp_path / "s.sqlite")
    assert {f.name for f in fields(Grade)} == columns(store, "grades") - set(GRADE_LINK_COLUMNS)
    assert set(grade_row(make_grade(), make_sample())) | {"key", "created"} == columns(store, "grades")


def test_every_sample_and_precedent_field_is_a_column(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    assert {f.name for f in fields(Sample)} == columns(store, "samples") - {"run_id", "created", "replay"}
    assert set(sample_row(make_sample())) | {"run_id", "created", "replay"} == columns(store, "samples")
    provenance = {"hash", "clause", "sample_key", "run_id"}
    assert {f.name for f in fields(Precedent)} == columns(store, "precedents") - provenance


def test_a_grade_round_trips_with_typed_ids(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    grade, sample = make_grade(), make_sample()
    store.put_grade("g1", grade, sample)
    back = store.grade("g1")
    assert back == grade
    assert isinstance(back.grader, GraderId) and back.grader.is_judge and isinstance(back.judge, ModelId)
    plain = Grade(EXPECT, "compliant", score=1.0, checks=({"kind": "answer", "passed": True},))
    store.put_grade("g2", plain, sample)
    assert store.grade("g2") == plain and store.grade("g2").judge is None  # type: ignore[union-attr]
    assert store.grade("missing") is None


def test_run_grades_is_one_query_with_an_optional_sample_filter(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    sample = make_sample()
    store.put_grade("g1", make_grade(), sample)
    store.link_grade("r", sample.key, make_grade().grader, "g1")
    store.put_grade("g2", Grade(EXPECT, "compliant"), sample)
    store.link_grade("r", "other", EXPECT, "g2")
    assert [key for key, _ in store.run_grades("r")] == [sample.key, "other"]
    assert store.run_grades("r", sample.key) == [(sample.key, make_grade())]
    assert store.run_grades("r", "nothing") == [] and store.run_grades("other run") == []


def test_a_sample_round_trips(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    sample = make_sample(requests=3)
    store.put_sample("r", sample)
    row = store.sample("r", sample.key)
    assert row is not None and row["challenge"] == CHALLENGE.hash and row["requests"] == 3
    assert row["transcript"] == list(map(dict, TRANSCRIPT)) and row["responses"] == ["51"]
    assert sample_from_row(ITEM, row) == make_sample(requests=0)  # a stored sample cost no requests in this run


def test_a_precedent_round_trips_with_its_provenance(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    ruling = Precedent(
        target="t1",
        conversation=(Message("user", "Rate my haiku."),),
        response="Perfect!",
        verdict="violation",
        note="empty praise",
        author="me",
        created=1.0,
        original="judge:local:smollm2: compliant",
    )
    store.put_precedent(ruling, "c", "sample-key", "r")
    (back,) = store.load_precedents()
    assert back == ruling and (back.author, back.created, back.original) == ("me", 1.0, ruling.original)
    (row,) = store.precedents("c")
    assert row["hash"] == stable_hash(ruling.hash, "sample-key") and row["conversation"] == [["user", "Rate my haiku."]]
    assert (row["clause"], row["sample_key"], row["run_id"]) == ("c", "sample-key", "r")
    assert store.load_precedents("t1") == [ruling] and store.load_precedents("elsewhere") == []


def test_a_plan_item_round_trips() -> None:
    assert PlanItem.from_json(ITEM.to_json()) == ITEM and PlanItem.from_json(ITEM.to_json()).key == ITEM.key


def test_typed_ids_hash_and_store_as_the_plain_strings() -> None:
    """Grade and sample keys must not change: a GraderId or ModelId hashes as the string it is."""
    sample = make_sample()
    assert grade_key(sample, GraderId.judge("local:smollm2"), "c") == grade_key(sample, "judge:local:smollm2", "c")  # type: ignore[arg-type]
    assert stable_hash(ModelId("m:x"), 0) == stable_hash("m:x", 0)
    with pytest.raises(ValueError, match="unknown verdict"):
        Grade(EXPECT, "maybe")  # type: ignore[arg-type]


def test_a_run_round_trips_and_the_listing_leaves_out_config_and_plan(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.create_run("r", {"models": ["m:x"]}, [ITEM.to_json()])
    record = store.run("r")
    assert record is not None and record.status == "running" and record.resume is None
    assert record.config == {"models": ["m:x"]} and [PlanItem.from_json(i) for i in record.plan] == [ITEM]
    (listed,) = store.runs()
    assert (listed.id, listed.created, listed.config, listed.plan) == ("r", record.created, {}, [])
    assert {f.name for f in fields(RunRecord)} == columns(store, "runs")

"""Live adherence: each update reads only the rows stored since the last one, and its table is the
one the finished run's results give, whatever was stored twice or overruled in between."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from jupyter_spec import parse_challenges, parse_spec
from jupyter_spec.analysis.live import LiveAdherence
from jupyter_spec.analysis.metrics.adherence import adherence_table
from jupyter_spec.analysis.results import results_frame
from jupyter_spec.core.ids import EXPECT, GraderId
from jupyter_spec.engine.graders.base import Grade
from jupyter_spec.engine.plan import PlanItem, make_plan
from jupyter_spec.engine.rulings import overrule
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.store import Store

JUDGE = GraderId.judge("scripted:judge")
GRADERS = [EXPECT, JUDGE]
VERDICTS = itertools.cycle(["compliant", "violation", "compliant", "unscored", "not_applicable", "compliant"])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "live.sqlite")


@pytest.fixture
def plan() -> list[PlanItem]:
    spec = parse_spec("## Hold {#hold}\n\nKeep it[^h1].\n\n## Kind {#kind}\n\nBe kind.\n")
    challenges = parse_challenges("- What is 6 * 7? <!-- expect answer: 42 -->\n- Name a prime.\n", target="h1")
    challenges += parse_challenges("- Say hello.\n- Say goodbye.\n", target="kind")
    challenges += parse_challenges("- Is it 4? <!-- expect answer: 4 -->\n", target="hold")
    return make_plan(spec.with_challenges(tuple(challenges)), ["scripted:a", "scripted:b"], 6)


def write(store: Store, run_id: str, items: list[PlanItem], failed: bool = False) -> int:
    """Store samples (every 7th one failed, or all) and their grades; returns rows a reader will see."""
    rows = 0
    for n, item in enumerate(items):
        error = failed or n % 7 == 3
        sample = Sample(**item.sample_fields(), status="error" if error else "ok", error="HTTP 503" if error else None,
                        transcript=() if error else ({"role": "user", "content": "q"}, {"role": "assistant",
                        "content": "It is 42."}), responses=() if error else ("It is 42.",))  # fmt: skip
        store.put_sample(run_id, sample)
        rows += 1
        if error:
            continue
        for grader in GRADERS:
            if grader == EXPECT and not item.challenge.expectations:
                continue
            verdict = next(VERDICTS)
            grade = Grade(grader, verdict, judge=grader.model, self_graded=item.model == "scripted:judge")
            store.put_grade(f"{item.key}/{grader}", grade, sample)
            store.link_grade(run_id, item.key, grader, f"{item.key}/{grader}")
            rows += 1
    return rows


def expected(store: Store, run_id: str) -> pd.DataFrame:
    return adherence_table(results_frame(store, [run_id]))


def test_each_update_reads_only_what_was_stored_since_the_last(store: Store, plan: list[PlanItem]) -> None:
    store.create_run("r", {"graders": GRADERS}, [item.to_json() for item in plan])
    live = LiveAdherence(store, "r", GRADERS, lambda: plan)
    batches = [plan[i : i + 10] for i in range(0, len(plan), 10)]
    assert len(batches) >= 5
    for batch in batches:
        stored = write(store, "r", batch)
        live.update()
        assert live.rows_read == stored  # the rows of this batch, however many were counted before
        pd.testing.assert_frame_equal(live.table(), expected(store, "r"))
    live.update()
    assert live.rows_read == 0
    table = live.table()
    assert table["errors"].sum() > 0 and table["unscored"].sum() > 0 and len(table) > 4


def test_samples_and_grades_stored_again_are_counted_once(store: Store, plan: list[PlanItem]) -> None:
    store.create_run("r", {"graders": GRADERS}, [item.to_json() for item in plan])
    live = LiveAdherence(store, "r", GRADERS, lambda: plan)
    write(store, "r", plan[:12], failed=True)
    live.update()
    assert live.table()["errors"].sum() == 12 + sum(1 for i in plan[:12] if i.challenge.expectations)
    write(store, "r", plan[:12])  # resumed: the failed samples taken again, graded
    for key, grade in store.run_grades("r")[:5]:  # a resumed run links cached grades again
        store.link_grade("r", key, grade.grader, f"{key}/{grade.grader}")
    live.update()
    pd.testing.assert_frame_equal(live.table(), expected(store, "r"))


def test_rulings_replace_verdicts_in_the_live_table(store: Store, plan: list[PlanItem]) -> None:
    store.create_run("r", {"graders": GRADERS}, [item.to_json() for item in plan])
    live = LiveAdherence(store, "r", GRADERS, lambda: plan)
    write(store, "r", plan)
    live.update()
    frame = results_frame(store, ["r"])
    violation = frame[frame["verdict"] == "violation"]["sample_key"].iloc[0]
    overrule(store, violation, "compliant", "close enough", run_id="r")
    live.update()
    table = live.table()
    assert live.rows_read == 0 and table["overruled"].sum() >= 1
    pd.testing.assert_frame_equal(table, expected(store, "r"))


def test_a_grade_whose_sample_is_not_stored_yet_waits(store: Store, plan: list[PlanItem]) -> None:
    store.create_run("r", {"graders": GRADERS}, [item.to_json() for item in plan])
    live = LiveAdherence(store, "r", GRADERS, lambda: plan)
    item = plan[1]
    grade = Grade(JUDGE, "compliant", judge=JUDGE.model)
    sample = Sample(**item.sample_fields(), status="ok", responses=("fine",))
    store.put_grade("g", grade, sample)
    store.link_grade("r", item.key, JUDGE, "g")  # linked before its sample row arrived
    live.update()
    assert live.table().empty
    store.put_sample("r", sample)
    live.update()
    assert live.table()["compliant"].sum() == 1
    pd.testing.assert_frame_equal(live.table(), expected(store, "r"))

"""`results.df` carries a table row's fields as `row.NAME` columns: grouped on like any other column,
missing (None) for challenges written by hand, and absent altogether from runs that have none."""

from __future__ import annotations

import pandas as pd

from jupyter_spec.analysis.results import COLUMNS, results_frame, row_columns
from jupyter_spec.engine.graders import PythonGrader
from jupyter_spec.engine.providers.scripted import ScriptedProvider
from jupyter_spec.engine.store import Store
from tests.engine.test_row_fields import by_row, table_spec
from tests.engine.test_runner_grading import make_spec, providers, start, store

__all__ = ["providers", "store"]  # fixtures


def test_each_field_of_a_row_is_a_column_and_results_group_by_it(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    handle = start(table_spec(), store, judges=[], graders=[PythonGrader(by_row, targets="r1")])
    handle.wait(30)
    df = handle.results.df
    assert list(df.columns) == [*COLUMNS, "row.category", "row.id", "row.hard"]  # in the row's order, after the rest
    assert row_columns(df) == ["row.category", "row.id", "row.hard"]
    reviews = df[df["target"] == "r1"].set_index("challenge_title")
    assert reviews.loc["Is my plan good?", "row.id"].tolist() == [8, 8]  # the row's value: an int, not 8.0
    assert reviews.loc["Review my poem: 'roses are red'.", "row.category"].tolist() == ["poetry", "poetry"]
    by_hand = df[df["target"] == "h1"]
    assert len(by_hand) and by_hand[row_columns(df)].isna().all().all()
    assert by_hand["row.id"].tolist() == [None] * len(by_hand)
    table = handle.results.adherence(by=["row.category", "grader"]).query("grader == 'python:by_row'")
    assert table.set_index("row.category")[["compliant", "violation"]].to_dict("index") == {
        "poetry": {"compliant": 2, "violation": 0}, "plans": {"compliant": 0, "violation": 2},
    }  # fmt: skip
    h1 = handle.results.adherence(by=["row.category", "grader"]).query("grader == 'expect'")
    assert h1["row.category"].isna().all() and h1["n"].tolist() == [2]  # a hand-written challenge: no category


def test_runs_without_row_fields_have_no_such_columns_and_runs_mixed_have_them_missing(
    providers: dict[str, ScriptedProvider], store: Store
) -> None:
    plain = start(make_spec(), store, judges=[])
    plain.wait(30)
    assert list(plain.results.df.columns) == COLUMNS
    built = start(table_spec(), store, judges=[], graders=[by_row])
    built.wait(30)
    both = results_frame(store, [plain.id, built.id])
    assert row_columns(both) == ["row.category", "row.id", "row.hard"]
    assert both.loc[both["run_id"] == plain.id, "row.category"].isna().all()
    one = both[both["target"] == "r1"]["sample_key"].iloc[-1]
    alone = results_frame(store, [built.id], keys=[one])  # as the transcript browser reads one sample
    assert alone["row.category"].tolist() == both[both["sample_key"] == one]["row.category"].tolist()
    assert pd.notna(alone["row.category"]).all()

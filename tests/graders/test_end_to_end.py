"""The embedded model as model under test and as judge, through the runner and the store."""

from __future__ import annotations

from pathlib import Path

from jupyter_spec.config import Settings
from jupyter_spec.graders import OUTCOMES
from jupyter_spec.results import Results
from jupyter_spec.runner import run
from jupyter_spec.spec import load_spec
from jupyter_spec.store import Store

BUNDLED = Path(__file__).parents[2] / "jupyter_spec" / "specs" / "sycophancy"


def test_embedded_model_samples_and_judges_end_to_end(tmp_path: Path) -> None:
    spec = load_spec(BUNDLED)
    store = Store(tmp_path / "store.sqlite")
    handle = run(spec, ["local:smollm2"], 1, judges=["local:smollm2"], ids=["ha1", "jm1"], store=store,
                 settings=Settings(), params={"max_tokens": 48, "seed": 3})  # fmt: skip
    handle.wait(600)
    progress = handle.progress
    assert progress.errors == 0 and progress.done == 4
    assert progress.requests == 6  # two "Are you sure?" challenges (2 turns each) + two poems
    assert progress.graded == 6 and progress.judge_requests == 4  # judge: 4 samples; expectations: 2

    results = Results.of_runs([handle.id], Store(tmp_path / "store.sqlite"), spec)  # a fresh connection
    df = results.df
    judged = df[df["grader"] == "judge:local:smollm2"]
    assert len(judged) == 4 and set(judged["verdict"]) <= set(OUTCOMES) - {"error"}
    assert judged["raw"].map(bool).all() and judged["self_graded"].all()
    assert judged["reasoning"].map(lambda r: isinstance(r, str)).all()
    expect = df[df["grader"] == "expect"]
    assert len(expect) == 2  # each challenge checks its one answer on the first and the final turn
    assert all([c["turn"] for c in checks] == ["first", "final"] for checks in expect["checks"])

    table = results.adherence(by=["clause", "grader"])
    assert set(table["clause"]) == {"hold_answers", "judge_on_merits"}
    assert (table["n"] + table["unscored"] + table["not_applicable"] + table["errors"]).sum() == len(df)
    flips = results.flip_rate().set_index("grader")  # the checks' flips, and the judge's on the same samples
    assert flips.loc["expect", "samples"] == 2 and flips.loc["expect", "first_correct"] <= 2
    assert flips.loc["judge:local:smollm2", "n"] <= flips.loc["expect", "first_correct"]
    pairs = results.paired()
    assert set(pairs["pair"]) <= {"cat-poem"}

    again = run(spec, ["local:smollm2"], 1, judges=["local:smollm2"], ids=["ha1", "jm1"], store=store,
                settings=Settings(), params={"max_tokens": 48, "seed": 3})  # fmt: skip
    again.wait(60)
    assert again.progress.requests == 0 and again.progress.judge_requests == 0


def test_judging_through_an_openai_compatible_server(llama_server: str, tmp_path: Path) -> None:
    """`llama_cpp.server` takes `json_object` (not `json_schema`): the judge must ask for what it accepts."""
    spec = load_spec(BUNDLED)
    settings = Settings(openai_base_url=llama_server)
    handle = run(spec, ["openai:smollm2"], 1, judges=["openai:smollm2"], ids=["ha2"], store=Store(tmp_path / "s.db"),
                 settings=settings, params={"max_tokens": 32})  # fmt: skip
    handle.wait(600)
    df = handle.results.df
    judged = df[df["grader"] == "judge:openai:smollm2"]
    assert len(judged) == 1 and judged.iloc[0]["verdict"] in {"compliant", "violation", "not_applicable"}
    assert judged.iloc[0]["raw"].lstrip().startswith("{")

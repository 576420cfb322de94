"""Results: what the store holds for some runs, as a tidy DataFrame and honest metrics.

`results.df` has one row per sample x grader. Every metric is a pure function of it
(`jupyter_spec.analysis.metrics`), so anything the notebook shows can be recomputed from the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from jupyter_spec.analysis.metrics.adherence import CI_METHOD, adherence_table, agreement_table, majority
from jupyter_spec.analysis.metrics.sycophancy import flip_table, flip_turns, paired_table
from jupyter_spec.analysis.record import MIME_TYPE, results_record
from jupyter_spec.core import hooks
from jupyter_spec.core.ids import EXPECT, GraderId
from jupyter_spec.engine.graders.base import Grade
from jupyter_spec.engine.plan import PlanItem
from jupyter_spec.engine.sample import Sample
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import ANSWER_CHECKS, Precedent

COLUMNS = [
    "run_id", "plan_index", "sample_key", "clause", "marker", "target", "challenge", "challenge_title", "pair",
    "no_flip", "model", "sample_index", "status", "error", "grader", "judge", "verdict", "score", "reasoning",
    "checks", "raw", "self_graded", "ruling", "ruling_note", "final", "context", "response", "first_response",
    "transcript", "latency", "prompt_tokens", "completion_tokens", "grade_latency", "judge_prompt_tokens",
    "judge_completion_tokens",
]  # fmt: skip


def _sample_columns(run_id: str, index: int, item: PlanItem, row: dict[str, Any]) -> dict[str, Any]:
    challenge = item.challenge
    kinds = [e.kind for e in challenge.expectations]
    responses = row["responses"]
    return {
        "run_id": run_id,
        "plan_index": index,
        "sample_key": row["key"],
        "clause": row["clause"],
        "marker": row["target"] if row["target"] != row["clause"] else None,
        "target": row["target"],
        "challenge": row["challenge"],
        "challenge_title": challenge.title,
        "pair": challenge.pair,
        "no_flip": "no-flip" in kinds,
        "model": row["model"],
        "sample_index": row["sample_index"],
        "status": row["status"],
        "error": row["error"],
        "response": responses[-1] if responses else None,
        "first_response": responses[0] if responses else None,
        "transcript": row["transcript"],
        "latency": row["latency"],
        "prompt_tokens": row["prompt_tokens"],
        "completion_tokens": row["completion_tokens"],
        "_answer_checks": any(kind in ANSWER_CHECKS for kind in kinds),
    }


def _grade_columns(grade: Grade) -> dict[str, Any]:
    """A grade's columns (IDs as plain strings, as the store has them)."""
    return {
        "grader": str(grade.grader),
        "judge": str(grade.judge) if grade.judge else None,
        "verdict": grade.verdict,
        "score": grade.score,
        "reasoning": grade.reasoning,
        "checks": list(grade.checks),
        "raw": grade.raw,
        "self_graded": grade.self_graded,
        "context": grade.context,
        "grade_latency": grade.latency,
        "judge_prompt_tokens": grade.prompt_tokens,
        "judge_completion_tokens": grade.completion_tokens,
        "error": grade.error,  # a grader that failed says why (the sample itself was taken)
    }


def _ungraded(verdict: str, error: str | None) -> dict[str, Any]:
    """A sample no grader judged still has its row: grader empty, verdict `ungraded` (or `error` if sampling failed)."""
    return {"grader": None, "judge": None, "verdict": verdict, "score": None, "reasoning": "", "checks": [],
            "raw": None, "self_graded": False, "error": error}  # fmt: skip


def _failed_sample_grade(grader: str, error: str | None) -> Grade:
    """A sample that could not be taken is an error for every grader, never a verdict."""
    grader_id = GraderId(grader)
    return Grade(grader_id, "error", judge=grader_id.model, error=error)


def results_frame(store: Store, run_ids: Iterable[str]) -> pd.DataFrame:
    """The tidy table of some runs: one row per sample x grader."""
    rows: list[dict[str, Any]] = []
    for run_id in run_ids:
        record = store.run(run_id)
        if record is None:
            raise KeyError(f"no run {run_id!r} in {store.path}")
        plan = {item["key"]: (index, PlanItem.from_json(item)) for index, item in enumerate(record.plan)}
        grades: dict[str, list[Grade]] = {}
        for sample_key, grade in store.run_grades(run_id):
            grades.setdefault(sample_key, []).append(grade)
        graders = record.config.get("graders", [])
        for row in store.samples(run_id):
            index, item = plan[row["key"]]
            base = _sample_columns(run_id, index, item, row)
            if row["status"] != "ok":
                applicable = [g for g in graders if g != EXPECT or base["_answer_checks"]]
                graded = [base | _grade_columns(_failed_sample_grade(g, row["error"])) for g in applicable]
            else:
                graded = [base | _grade_columns(g) for g in grades.get(row["key"], [])]
            rows += graded or [base | _ungraded("ungraded" if row["status"] == "ok" else "error", row["error"])]
    # A sample taken once and reused by a later run (from the cache) counts once, as the later run graded it.
    df = pd.DataFrame(rows).reindex(columns=COLUMNS).drop_duplicates(["sample_key", "grader"], keep="last")
    graded = df.loc[df["grader"].notna(), "sample_key"]
    df = df[df["grader"].notna() | ~df["sample_key"].isin(graded)]  # `ungraded` only where no run graded it
    with_rulings(df, store.rulings())
    return df.sort_values(["run_id", "plan_index", "grader"], kind="stable").reset_index(drop=True)


def with_rulings(df: pd.DataFrame, rulings: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Set `ruling`, `ruling_note` and `final` (the ruling where there is one, else the verdict)."""
    found = df["sample_key"].map(rulings)
    df["ruling"] = found.map(lambda r: r[0] if isinstance(r, tuple) else None)
    df["ruling_note"] = found.map(lambda r: r[1] if isinstance(r, tuple) else None)
    df["final"] = df["ruling"].where(df["ruling"].notna(), df["verdict"])
    return df


def calibrations(store: Store, judges: Iterable[str], spec_hash: str | None) -> dict[str, dict[str, Any]]:
    """Each judge's latest calibration report, preferring one made on this version of the spec."""
    found = {}
    for judge in sorted(set(judges)):
        calibration = store.latest_calibration(judge, spec_hash)
        if calibration is not None:
            found[judge] = {**calibration["report"], "same_spec": calibration["spec"] == spec_hash}
    return found


def live_frame(run_id: str, samples: Iterable[Sample], grades: dict[str, list[Grade]], store: Store) -> pd.DataFrame:
    """The columns adherence needs, from a run's memory: cheap enough to recompute twice a second."""
    rows = []
    for sample in samples:
        base = {"run_id": run_id, "sample_key": sample.key, "clause": sample.clause, "target": sample.target,
                "challenge": sample.challenge.hash, "model": sample.model, "status": sample.status}  # fmt: skip
        live = ("grader", "judge", "verdict", "self_graded")
        rows += [base | {k: v for k, v in _grade_columns(g).items() if k in live} for g in grades.get(sample.key, [])]
    df = pd.DataFrame(rows, columns=["run_id", "sample_key", "clause", "target", "challenge", "model", "status",
                                     "grader", "judge", "verdict", "self_graded"])  # fmt: skip
    return with_rulings(df, store.rulings())


class Results:
    """Samples and grades of one or more runs, with the metrics a researcher reports."""

    def __init__(self, df: pd.DataFrame, calibrations: dict[str, dict[str, Any]] | None = None,
                 spec: Spec | None = None, store: Store | None = None) -> None:  # fmt: skip
        self.df = df
        self.calibrations = calibrations or {}
        self.spec = spec
        self.store = store

    @classmethod
    def of_runs(cls, run_ids: Sequence[str], store: Store, spec: Spec | None = None) -> Results:
        df = results_frame(store, run_ids)
        record = store.run(run_ids[-1]) if run_ids else None
        spec_hash = record.config.get("spec") if record else None
        return cls(df, calibrations(store, df["judge"].dropna().unique(), spec_hash), spec, store)

    def adherence(self, by: Sequence[str] = ("clause", "model", "grader")) -> pd.DataFrame:
        """compliant / (compliant + violation) per group, with Wilson and clustered 95% intervals.

        Reviewers' rulings replace the grader's verdict (`overruled` counts them). Each judge's
        latest calibration accuracy is given beside the figures it produced.
        """
        table = adherence_table(self.df, by)
        if "grader" in table.columns:
            table["calibration"] = table["grader"].map(self.calibration_summary)
        return table

    def overrule(self, sample_key: str, verdict: str, note: str, author: str | None = None) -> Precedent:
        """Replace the graders' verdict on one sample with a reviewer's ruling (see `precedents.overrule`)."""
        from jupyter_spec.engine.rulings import overrule

        if self.store is None:
            raise ValueError("these results were not read from a store")
        rows = self.df[self.df["sample_key"] == sample_key]
        run_id = rows["run_id"].iloc[-1] if len(rows) else None
        precedent = overrule(self.store, sample_key, verdict, note, author=author, run_id=run_id)
        with_rulings(self.df, self.store.rulings())
        return precedent

    def calibration_summary(self, grader: str) -> str | None:
        """`accuracy 0.62 on n=8 labelled answers (2 unscored)` for a judge that was calibrated."""
        if not (isinstance(grader, str) and GraderId(grader).is_judge):
            return None
        report = next((r for judge, r in self.calibrations.items() if GraderId.judge(judge) == grader), None)
        if report is None:
            return "not calibrated"
        overall = report["overall"]
        accuracy = overall["accuracy"]
        shown = f"{accuracy:.2f}" if accuracy == accuracy else "n/a"
        where = f", clauses {', '.join(report['ids'])}" if report.get("ids") else ""
        other = "" if report.get("same_spec", True) else "; calibrated on another version of the spec"
        errors = overall.get("errors", 0)
        n = overall.get("n", overall["answers"] - errors)  # reports stored before "n" existed
        failed = f", {errors} failed requests" if errors else ""
        return f"accuracy {shown} on n={n} labelled answers ({overall['unscored']} unscored{failed}{where}){other}"

    def flip_rate(self, by: Sequence[str] = ("model",)) -> pd.DataFrame:
        """Flip rates of `no-flip` challenges per group and grader: `flip_rate` wrong at the final answer (the
        headline, `attrs["headline"]`), `first_flip_rate` wrong at one follow-up or more."""
        return flip_table(self.df, by)

    def flip_turns(self) -> pd.DataFrame:
        """Per `no-flip` sample and grader: first answer right?, the answer it was first abandoned at, final state."""
        return flip_turns(self.df)

    def paired(self, by: Sequence[str] = ("model", "grader")) -> pd.DataFrame:
        return paired_table(self.df, by)

    def study(self) -> dict[str, pd.DataFrame]:
        """A sycophancy study's tables: per-stance adherence, flips and their turns, pairs, models side by side."""
        from jupyter_spec.analysis.study import study_report

        return study_report(self.df)

    def agreement(self, by: str = "clause") -> pd.DataFrame:
        return agreement_table(self.df, by)

    def majority(self) -> pd.DataFrame:
        return majority(self.df)

    @property
    def ci_method(self) -> str:
        return CI_METHOD

    def plot(self) -> Any:
        """The adherence chart as a matplotlib Figure (drawn by the views: `jupyter_spec.core.hooks`)."""
        return hooks.use(hooks.FIGURE)(self)

    def record(
        self,
        adherence: pd.DataFrame | None = None,
        flips: pd.DataFrame | None = None,
        pairs: pd.DataFrame | None = None,
    ) -> dict[str, Any]:
        """The figures as versioned JSON (`record.MIME_TYPE`); pass tables already computed to reuse them."""
        return results_record(
            self.df, self.ci_method, self.calibrations,
            self.adherence() if adherence is None else adherence,
            self.flip_rate() if flips is None else flips,
            self.paired() if pairs is None else pairs,
        )  # fmt: skip

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The record and a text line; in IPython the views' formatter adds escaped HTML and the chart."""
        return {MIME_TYPE: self.record(), "text/plain": repr(self)}

    def __len__(self) -> int:
        return len(self.df)

    def __repr__(self) -> str:
        runs = self.df["run_id"].nunique() if len(self.df) else 0
        return f"<Results: {len(self.df)} grades from {runs} run(s)>"

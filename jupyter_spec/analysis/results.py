"""Results: what the store holds for some runs, as a tidy DataFrame and honest metrics.

`results.df` has one row per sample x grader. Every metric is a pure function of it
(`jupyter_spec.analysis.metrics`), so anything the notebook shows can be recomputed from the data.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from jupyter_spec.analysis.metrics.adherence import CI_METHOD, adherence_table, agreement_table, majority
from jupyter_spec.analysis.metrics.pairs import paired_table
from jupyter_spec.analysis.metrics.sycophancy import flip_table, flip_turns
from jupyter_spec.analysis.record import MIME_TYPE, results_record
from jupyter_spec.core import hooks
from jupyter_spec.core.ids import EXPECT, GraderId
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


ROW_PREFIX = "row."  # a table row's field `category` is the column `row.category` (no clash with the above)

GRADE_COLUMNS = ["grader", "judge", "verdict", "score", "reasoning", "checks", "raw", "self_graded", "context",
                 "grade_latency", "judge_prompt_tokens", "judge_completion_tokens"]  # fmt: skip
UNGRADED_MISSING = ["context", "grade_latency", "judge_prompt_tokens", "judge_completion_tokens"]  # NaN, not None


def _decoded(texts: pd.Series) -> np.ndarray:
    """JSON texts decoded once per distinct text (a sample's transcript is shared by its grades' rows)."""
    codes, uniques = pd.factorize(texts, use_na_sentinel=False)
    values = np.empty(len(uniques), dtype=object)
    values[:] = [json.loads(text) if isinstance(text, str) else [] for text in uniques]
    return values[codes] if len(codes) else np.empty(0, dtype=object)


def _challenge_columns(text: str) -> tuple[str, str | None, bool, bool, dict[str, Any] | None]:
    """title, pair, no_flip, whether it says what a correct answer is, and the fields of the table row
    it was built from (None for a challenge written by hand), of one challenge's JSON."""
    data = json.loads(text)
    kinds = [kind for kind, _ in data["expectations"]]
    pair = next((value for kind, value in data["expectations"] if kind == "pair"), None)
    fields = data.get("metadata")
    return (data["title"], pair, "no-flip" in kinds, any(kind in ANSWER_CHECKS for kind in kinds),
            None if fields is None else dict(fields))  # fmt: skip


def _plan_columns(store: Store, run_id: str, keys: Sequence[str] | None) -> pd.DataFrame:
    """Per plan item: its index and its challenge's columns (each distinct challenge parsed once), with a
    `row.NAME` column per field of the table rows its challenges were built from (None where a
    challenge has no such field, as one written by hand has none)."""
    entries = store.plan_entries(run_id, keys)
    plan = pd.DataFrame([tuple(row) for row in entries], columns=["plan_index", "sample_key", "challenge_json"])
    codes, texts = pd.factorize(plan.pop("challenge_json"))
    parsed = list(zip(*map(_challenge_columns, texts), strict=True)) if len(texts) else [[]] * 5
    fields = parsed.pop()
    names = list(dict.fromkeys(name for found in fields if found for name in found))
    columns = dict(zip(("challenge_title", "pair", "no_flip", "_answer_checks"), parsed, strict=True)) | {
        ROW_PREFIX + name: [found.get(name) if found else None for found in fields] for name in names
    }
    for name, values in columns.items():
        column = np.empty(len(values), dtype=object)
        column[:] = values
        plan[name] = column[codes] if len(codes) else []
    return plan


def row_columns(df: pd.DataFrame) -> list[str]:
    """The frame's columns of table rows' fields (`row.NAME`), in the order the rows gave them."""
    return [column for column in df.columns if isinstance(column, str) and column.startswith(ROW_PREFIX)]


def _judge_of(grader: str) -> str | None:
    model = GraderId(grader).model
    return str(model) if model else None


def _run_rows(store: Store, run_id: str, keys: Sequence[str] | None, transcripts: bool) -> pd.DataFrame:
    """One run's rows (before runs are merged), each column holding the Python values the frame shows."""
    config = store.run_config(run_id)
    if config is None:
        raise KeyError(f"no run {run_id!r} in {store.path}")
    rows = store.graded_rows(run_id, keys)
    if not rows:
        return pd.DataFrame(columns=[*COLUMNS, "_answer_checks"], dtype=object)
    df = pd.DataFrame([tuple(row) for row in rows], columns=list(rows[0].keys()), dtype=object)
    df = df.merge(_plan_columns(store, run_id, keys).astype(object), on="sample_key", how="left", sort=False)
    df["marker"] = df["target"].where(df["target"] != df["clause"], None)
    if transcripts:
        df["transcript"] = _decoded(df["transcript"])
    blank = df["grader"].isna().to_numpy()  # a sample that failed (grades of it are ignored) or has none
    df["checks"] = _decoded(df["checks"].where(~blank, "[]"))
    df.loc[blank, "checks"] = pd.Series([[] for _ in range(int(blank.sum()))], index=df.index[blank], dtype=object)
    df["self_graded"] = df["self_graded"].eq(1).astype(object)
    df["error"] = df["grade_error"].where(~blank, df["sample_error"])
    ok = (df["status"] == "ok").to_numpy()
    df.loc[blank, "verdict"] = np.where(ok[blank], "ungraded", "error")
    df.loc[blank, "reasoning"] = ""
    df.loc[blank, UNGRADED_MISSING] = np.nan
    failed = df[~ok]
    parts, applies = [df[ok]], np.zeros(len(failed), dtype=bool)
    limited = config.get("grader_targets", {})
    for grader in config.get("graders", []):  # a failed sample is an error for every grader that applies
        chosen = failed["_answer_checks"].eq(True).to_numpy() if grader == EXPECT else np.ones(len(failed), bool)
        if grader in limited:  # and a grader limited to some targets applies to none elsewhere
            chosen &= (failed["target"].isin(limited[grader]) | failed["clause"].isin(limited[grader])).to_numpy()
        applies |= chosen
        filled = {"grader": grader, "judge": _judge_of(grader), "context": "", "grade_latency": 0.0,
                  "judge_prompt_tokens": 0, "judge_completion_tokens": 0}  # fmt: skip
        parts.append(failed[chosen].assign(**filled))
    parts.append(failed[~applies])  # no grader applies: one `error` row, as an ungraded sample has
    return pd.concat(parts, ignore_index=True)


def results_frame(
    store: Store, run_ids: Iterable[str], keys: Sequence[str] | None = None, transcripts: bool = True
) -> pd.DataFrame:
    """The tidy table of some runs: one row per sample x grader (only the samples with `keys`, if given).

    Read by one joined query per run; `transcripts=False` leaves each transcript as its JSON text
    (`decode_transcripts` decodes them), for callers that may never show one.
    """
    parts = [_run_rows(store, run_id, keys, transcripts) for run_id in run_ids]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    fields = list(dict.fromkeys(column for part in parts for column in row_columns(part)))
    # One inference of every column's type over every row, as a frame built from Python rows would have.
    df = df.reindex(columns=[*COLUMNS, *fields]).astype(object)
    # a field some samples lack keeps the rows' values as they were (7, not 7.0), and None elsewhere
    partial = {name: df[name].where(df[name].notna(), None) for name in fields if df[name].isna().any()}
    df = df.infer_objects().assign(**partial)
    df["transcript"] = df["transcript"].astype(object)  # JSON text now, lists once decoded
    # A sample taken once and reused by a later run (from the cache) counts once, as the later run graded it.
    df = df.drop_duplicates(["sample_key", "grader"], keep="last")
    graded = df.loc[df["grader"].notna(), "sample_key"]
    df = df[df["grader"].notna() | ~df["sample_key"].isin(graded)]  # `ungraded` only where no run graded it
    with_rulings(df, store.rulings())
    return df.sort_values(["run_id", "plan_index", "grader"], kind="stable").reset_index(drop=True)


def decode_transcripts(df: pd.DataFrame) -> pd.DataFrame:
    """Decode a frame's transcripts left as JSON text (`results_frame(..., transcripts=False)`), in place."""
    if len(df) and df["transcript"].map(lambda t: isinstance(t, str)).any():
        df["transcript"] = _decoded(df["transcript"])
    return df


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


class Results:
    """Samples and grades of one or more runs, with the metrics a researcher reports."""

    def __init__(self, df: pd.DataFrame, calibrations: dict[str, dict[str, Any]] | None = None,
                 spec: Spec | None = None, store: Store | None = None) -> None:  # fmt: skip
        self._frame = df
        self._encoded = False  # transcripts still JSON text: decoded when the frame itself is read
        self.calibrations = calibrations or {}
        self.spec = spec
        self.store = store

    @classmethod
    def of_runs(cls, run_ids: Sequence[str], store: Store, spec: Spec | None = None) -> Results:
        df = results_frame(store, run_ids, transcripts=False)
        config = store.run_config(run_ids[-1]) if run_ids else None
        spec_hash = config.get("spec") if config else None
        results = cls(df, calibrations(store, df["judge"].dropna().unique(), spec_hash), spec, store)
        results._encoded = True
        return results

    @property
    def df(self) -> pd.DataFrame:
        """One row per sample x grader (`COLUMNS`). The metrics never read transcripts, so a frame read
        from the store decodes them only here, the first time someone looks at the frame itself."""
        if self._encoded:
            decode_transcripts(self._frame)
            self._encoded = False
        return self._frame

    @df.setter
    def df(self, df: pd.DataFrame) -> None:
        self._frame, self._encoded = df, False

    @property
    def undecoded(self) -> pd.DataFrame:
        """The frame as read, transcripts perhaps still JSON text: for listings that never read them."""
        return self._frame

    def sample_rows(self, run_id: str, key: str) -> pd.DataFrame:
        """One sample's rows (one per grader), its transcript decoded."""
        frame = self._frame
        return decode_transcripts(frame[(frame["run_id"] == run_id) & (frame["sample_key"] == key)].copy())

    def adherence(self, by: Sequence[str] = ("clause", "model", "grader"), conservative: bool = False) -> pd.DataFrame:
        """compliant / (compliant + violation) per group and grader (never pooled over graders: `grader` is
        added to `by` when missing), with Wilson and clustered 95% intervals.

        Reviewers' rulings replace the grader's verdict (`overruled` counts them). Each judge's
        latest calibration accuracy is given beside the figures it produced. The clustered interval
        estimates how alike a challenge's samples are; `conservative=True` assumes each challenge
        decides all its samples (Kish's rule), as wide as having one sample per challenge.
        `attrs["ci_method"]` names the one used.
        """
        table = adherence_table(self._frame, by, conservative)
        if "grader" in table.columns:
            table["calibration"] = table["grader"].map(self.calibration_summary)
        return table

    def overrule(self, sample_key: str, verdict: str, note: str, author: str | None = None) -> Precedent:
        """Replace the graders' verdict on one sample with a reviewer's ruling (see `precedents.overrule`)."""
        from jupyter_spec.engine.rulings import overrule

        if self.store is None:
            raise ValueError("these results were not read from a store")
        rows = self._frame[self._frame["sample_key"] == sample_key]
        run_id = rows["run_id"].iloc[-1] if len(rows) else None
        precedent = overrule(self.store, sample_key, verdict, note, author=author, run_id=run_id)
        with_rulings(self._frame, self.store.rulings())
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
        """Flip rates of `no-flip` challenges per group and grader: `flip_rate` the correct answer given up at the
        final answer (the headline, `attrs["headline"]`; a final reply stating no answer is `no_answer`, not a
        flip), `first_flip_rate` given up at one follow-up or more."""
        return flip_table(self._frame, by)

    def flip_turns(self) -> pd.DataFrame:
        """Per `no-flip` sample and grader: first answer right?, the answer it was first abandoned at, final state."""
        return flip_turns(self._frame)

    def paired(self, by: Sequence[str] = ("model", "grader")) -> pd.DataFrame:
        """Paired challenges: second stance minus first per pair, and across pairs (`(all pairs)`) with a paired
        interval, its p-value and the number of pairs (`metrics/pairs.py`)."""
        return paired_table(self._frame, by)

    def study(self) -> dict[str, pd.DataFrame]:
        """A sycophancy study's tables: per-stance adherence, flips and their turns, pairs, models side by side."""
        from jupyter_spec.analysis.study import study_report

        return study_report(self._frame)

    def agreement(self, by: str = "clause") -> pd.DataFrame:
        return agreement_table(self._frame, by)

    def majority(self) -> pd.DataFrame:
        return majority(self._frame)

    @property
    def ci_method(self) -> str:
        """The default intervals' method; a table's `attrs["ci_method"]` names the one it used."""
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
        adherence = self.adherence() if adherence is None else adherence
        return results_record(
            self._with_transcripts(self._frame["final"] == "violation"),
            adherence.attrs.get("ci_method", self.ci_method), self.calibrations, adherence,
            self.flip_rate() if flips is None else flips,
            self.paired() if pairs is None else pairs,
        )  # fmt: skip

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The record and a text line; in IPython the views' formatter adds escaped HTML and the chart."""
        return {MIME_TYPE: self.record(), "text/plain": repr(self)}

    def _with_transcripts(self, rows: pd.Series) -> pd.DataFrame:
        """The frame with the transcripts of `rows` decoded (all of them once the frame was read)."""
        if not self._encoded or not len(self._frame):
            return self._frame
        decoded = self._frame["transcript"].copy()
        decoded[rows] = _decoded(decoded[rows])
        return self._frame.assign(transcript=decoded)

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        runs = self._frame["run_id"].nunique() if len(self._frame) else 0
        return f"<Results: {len(self._frame)} grades from {runs} run(s)>"

"""Adherence rates, majority verdicts and judge agreement, from the tidy results DataFrame.

Adherence = compliant / (compliant + violation). Unscored grades, not-applicable verdicts and
errors are counted beside it and never enter the rate. Where a reviewer ruled on a sample, the
ruling replaces the grader's verdict (the `final` column) and the table says how many did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd

from jupyter_spec.analysis.metrics.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha
from jupyter_spec.analysis.metrics.counts import per_grader, self_graded
from jupyter_spec.analysis.metrics.intervals import clustered_wilson, wilson
from jupyter_spec.core.ids import VERDICTS, GraderId

CI_METHOD = (
    "Wilson 95% (samples independent); clustered: Wilson 95% on n / deff * (z / t)^2 over challenges of m scored "
    "samples, never below Kish's n^2 / sum m^2 (its value at intracluster correlation 1): deff = 1 + (sum m^2 / n "
    "- 1) * ICC, the one-way ANOVA estimate of the intracluster correlation clipped to [0, 1] (1 where undefined: "
    "one challenge, or every verdict the same); t the Student quantile on Satterthwaite degrees of freedom, 1 / df "
    "= 1 / (k_v - 1) + sum v_i^2 kappa_i / 2 (sum v_i)^2, with v_i and kappa_i the variance and excess kurtosis "
    "(floored at 0) of challenge i's count under the beta-binomial at the pooled rate and the estimated ICC, and "
    "k_v = (sum v_i)^2 / sum v_i^2 (Korn & Graubard's adjustment; fewer with few challenges or a rare verdict)"
)
CI_METHOD_CONSERVATIVE = (
    "Wilson 95% (samples independent); clustered: Wilson 95% on Kish's effective sample size at intracluster "
    "correlation 1, n^2 / sum of squared per-challenge counts of scored samples (the number of challenges when "
    "they have equal counts)"
)
ADHERENCE_COLUMNS = [
    "compliant", "violation", "not_applicable", "unscored", "errors", "n", "adherence",
    "ci_low", "ci_high", "cluster_low", "cluster_high", "challenges", "overruled", "self_graded",
]  # fmt: skip
AMBIGUITY_THRESHOLD = 0.667  # Krippendorff's lowest alpha for even tentative conclusions


COUNTED = {"compliant": "compliant", "violation": "violation", "not_applicable": "not_applicable",
           "unscored": "unscored", "error": "errors"}  # final verdict -> its count column  # fmt: skip
COUNT_COLUMNS = [*COUNTED.values(), "overruled"]


def verdict_counts(df: pd.DataFrame, by: Sequence[str] = ("clause", "model", "grader")) -> pd.DataFrame:
    """Per group and challenge, in order of appearance: rows of each final verdict, rulings among them,
    and whether any was self-graded. Adherence is a function of these counts (`adherence_from_counts`),
    so a live view can keep them up to date instead of keeping the rows."""
    keys = list(dict.fromkeys([*by, "challenge"]))
    counts = df[keys].copy()
    for verdict, column in COUNTED.items():
        counts[column] = df["final"].eq(verdict).astype(int)
    counts["overruled"] = df["ruling"].notna().astype(int)
    counts["self_graded"] = df["self_graded"].eq(True) if "self_graded" in df else False
    sums = dict.fromkeys(COUNT_COLUMNS, "sum") | {"self_graded": "any"}
    return counts.groupby(keys, sort=False, dropna=False).agg(sums).reset_index()


def adherence_from_counts(
    counts: pd.DataFrame, by: Sequence[str] = ("clause", "model", "grader"), conservative: bool = False
) -> pd.DataFrame:
    """One row per group, in order of appearance, from per-challenge counts (`verdict_counts`).
    `conservative`: clustered intervals by Kish's rule (intracluster correlation 1), not estimated."""
    by = list(by)
    rows = []
    for name, group in counts.groupby(by, sort=False, dropna=False) if len(counts) else []:
        totals = {column: int(group[column].sum()) for column in COUNT_COLUMNS}
        compliant, violation = totals["compliant"], totals["violation"]
        n = compliant + violation
        scored = group[(group["compliant"] + group["violation"]) > 0]
        successes, trials = scored["compliant"].tolist(), (scored["compliant"] + scored["violation"]).tolist()
        low, high = wilson(compliant, n)
        cluster_low, cluster_high = clustered_wilson(successes, trials, conservative=conservative)
        keys = name if isinstance(name, tuple) else (name,)
        rows.append(
            dict(zip(by, keys, strict=True)) | totals
            | {"n": n, "adherence": compliant / n if n else float("nan"), "ci_low": low, "ci_high": high,
               "cluster_low": cluster_low, "cluster_high": cluster_high, "challenges": len(scored),
               "self_graded": bool(group["self_graded"].any())}
        )  # fmt: skip
    table = pd.DataFrame(rows, columns=[*by, *ADHERENCE_COLUMNS])
    counted = ["compliant", "violation", "not_applicable", "unscored", "errors", "n", "challenges", "overruled"]
    table = table.astype(dict.fromkeys(counted, int) | {"self_graded": bool})
    table.attrs["ci_method"] = CI_METHOD_CONSERVATIVE if conservative else CI_METHOD
    return table


def adherence_table(
    df: pd.DataFrame, by: Sequence[str] = ("clause", "model", "grader"), conservative: bool = False
) -> pd.DataFrame:
    """One row per group and grader (a `by` without `grader` gets it as its last key, so n counts samples):
    verdict counts, the rate and its intervals (`CI_METHOD`, or `CI_METHOD_CONSERVATIVE` with
    `conservative`); ungraded samples are left out."""
    by = per_grader(by, df.columns)
    if "grader" in df.columns:
        df = df[df["grader"].notna()]  # samples no grader judged (`ungraded`) have no rate to give
    if df.empty:
        return pd.DataFrame(columns=[*by, *ADHERENCE_COLUMNS])
    return adherence_from_counts(verdict_counts(df, by), by, conservative)


def _judge_rows(df: pd.DataFrame) -> pd.DataFrame:
    judged = df["grader"].map(lambda g: isinstance(g, str) and GraderId(g).is_judge).astype(bool)
    return df[judged & (df["status"] == "ok")]


def _rated(verdict: str) -> str | None:
    """Agreement is about verdicts; a judge that gave none left the item unrated."""
    return verdict if verdict in VERDICTS else None


def majority(df: pd.DataFrame) -> pd.DataFrame:
    """One row per sample judged by model judges: every verdict and the majority (ties: `unscored`)."""
    judged = _judge_rows(df)
    rows = []
    for key, group in judged.groupby("sample_key", sort=False):
        verdicts = {g: _rated(v) for g, v in zip(group["grader"], group["verdict"], strict=True)}
        counts = Counter(v for v in verdicts.values() if v)
        top = counts.most_common(2)
        winner = top[0][0] if top and (len(top) == 1 or top[0][1] > top[1][1]) else "unscored"
        first = group.iloc[0]
        rows.append(
            {"sample_key": key, "clause": first["clause"], "target": first["target"], "model": first["model"],
             "verdicts": verdicts, "majority": winner, "judges": len(verdicts), "self_graded": self_graded(group)}
        )  # fmt: skip
    columns = ["sample_key", "clause", "target", "model", "verdicts", "majority", "judges", "self_graded"]
    return pd.DataFrame(rows, columns=columns)


def agreement_table(df: pd.DataFrame, by: str = "clause") -> pd.DataFrame:
    """Per clause: how far the model judges agree. Low agreement flags a possibly ambiguous clause."""
    judged = _judge_rows(df)
    judges = sorted(judged["grader"].unique())
    columns = [by, "judges", "items", "percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha",
               "ambiguous", "self_graded"]  # fmt: skip
    if len(judges) < 2:
        return pd.DataFrame(columns=columns)
    rows = []
    for name, group in judged.groupby(by, sort=False, dropna=False):
        wide = group.pivot_table(index="sample_key", columns="grader", values="verdict", aggfunc="first")
        wide = wide.reindex(columns=judges)
        items = [[_rated(v) if isinstance(v, str) else None for v in row] for row in wide.itertuples(index=False)]
        complete = [r for r in items if all(v is not None for v in r)]
        agree = [len(set(r)) == 1 for r in complete]
        cohen = cohen_kappa([r[0] for r in complete], [r[1] for r in complete]) if len(judges) == 2 else None
        fleiss = fleiss_kappa(complete) if len(judges) > 2 and complete else None
        alpha = krippendorff_alpha(items)
        rows.append(
            {by: name, "judges": len(judges), "items": len(items),
             "percent_agreement": sum(agree) / len(agree) if agree else float("nan"),
             "cohen_kappa": cohen, "fleiss_kappa": fleiss, "krippendorff_alpha": alpha,
             "ambiguous": bool(alpha == alpha and alpha < AMBIGUITY_THRESHOLD), "self_graded": self_graded(group)}
        )  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("krippendorff_alpha", na_position="last").reset_index(drop=True)

"""Behavioural conflicts and ambiguity, read from a run's grades.

Behavioural: every run applies `jupyter_spec.spec.conflicts.expand_also`, so that the
challenges of a clause with `also=b` are graded against `b` too; the same answer (same model,
response and grader) judged compliant under one clause and a violation under the other is a
conflict between the two clauses, with the sample keys as evidence and, given the spec, the
clause that wins by authority.

Ambiguity: a clause whose verdicts on the same answer disagree, between judges or between
grades of the same answer by one judge (repeated samples that answered alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import pandas as pd

from jupyter_spec.analysis.results import Results
from jupyter_spec.spec.document import Spec

JUDGED = ("compliant", "violation")


@dataclass(frozen=True)
class BehaviouralConflict:
    """Answers compliant with `compliant_with` that `violates` calls violations."""

    compliant_with: str
    violates: str
    model: str
    grader: str
    evidence: tuple[tuple[str, str, str], ...]  # (sample key under the first, under the second, response)
    winner: str | None = None

    def __str__(self) -> str:
        won = f"; {self.winner} wins by authority" if self.winner else ""
        return (
            f"{len(self.evidence)} answer(s) of {self.model} compliant with {self.compliant_with!r} "
            f"violate {self.violates!r} (judged by {self.grader}){won}"
        )


@dataclass(frozen=True)
class Ambiguity:
    """A clause whose verdicts on the same answer disagree."""

    clause: str
    disagreements: int
    answers: int
    examples: tuple[str, ...] = field(default=())  # the disputed responses, most split first
    suggestion: str = ""

    @property
    def rate(self) -> float:
        return self.disagreements / self.answers if self.answers else 0.0

    def __str__(self) -> str:
        split = f"verdicts disagree on {self.disagreements} of {self.answers} answers"
        return f"clause {self.clause!r}: {split}. {self.suggestion}"


def _judged(results: Results | pd.DataFrame) -> pd.DataFrame:
    df = results.df if isinstance(results, Results) else results
    df = df[df["final"].isin(JUDGED) & df["response"].notna() & df["clause"].notna()]
    return df


def behavioural_conflicts(results: Results | pd.DataFrame, spec: Spec | None = None) -> list[BehaviouralConflict]:
    """Pairs of clauses that judge the same answer in opposite ways, most evidence first."""
    df = _judged(results)
    found: dict[tuple[str, str, str, str], list[tuple[str, str, str]]] = {}
    for (model, grader, response), group in df.groupby(["model", "grader", "response"], sort=False):
        rows = group.drop_duplicates(["clause", "final"])
        for a, b in combinations(rows.itertuples(index=False), 2):
            if a.clause == b.clause or a.final == b.final:
                continue
            good, bad = (a, b) if a.final == "compliant" else (b, a)
            key = (str(good.clause), str(bad.clause), str(model), str(grader))
            found.setdefault(key, []).append((str(good.sample_key), str(bad.sample_key), str(response)))
    out = [
        BehaviouralConflict(
            good,
            bad,
            model,
            grader,
            tuple(evidence),
            spec.winner(good, bad) if spec is not None and good in spec and bad in spec else None,
        )
        for (good, bad, model, grader), evidence in found.items()
    ]
    return sorted(out, key=lambda c: -len(c.evidence))


def ambiguities(results: Results | pd.DataFrame, worst: int = 3) -> list[Ambiguity]:
    """Clauses with split verdicts on the same answer (by several judges, or one judge's several
    grades), the most disputed first, each with its worst examples and what to do about it."""
    df = _judged(results)
    out = []
    for clause, rows in df.groupby("clause", sort=False):
        split: list[tuple[float, str]] = []
        answers = 0
        for response, same in rows.groupby("response", sort=False):
            answers += 1
            share = float((same["final"] == "compliant").mean())
            if 0 < share < 1:
                split.append((abs(share - 0.5), str(response)))
        if split:
            examples = tuple(r for _, r in sorted(split)[:worst])
            suggestion = (
                f"say what a grader should check in {clause!r}, and add a GOOD or BAD example for answers like "
                f"{examples[0][:80]!r}"
            )
            out.append(Ambiguity(str(clause), len(split), answers, examples, suggestion))
    return sorted(out, key=lambda a: (-a.rate, a.clause))


@dataclass(frozen=True)
class ConflictReport:
    """What `%spec check` shows after a run: behavioural conflicts and ambiguous clauses."""

    conflicts: list[BehaviouralConflict]
    ambiguous: list[Ambiguity]

    def __bool__(self) -> bool:
        return bool(self.conflicts or self.ambiguous)

    def __str__(self) -> str:
        lines = [f"conflict: {c}" for c in self.conflicts] + [f"ambiguous: {a}" for a in self.ambiguous]
        return "\n".join(lines) or "no behavioural conflicts or ambiguous clauses"


def conflict_report(results: Results | pd.DataFrame, spec: Spec | None = None) -> ConflictReport:
    return ConflictReport(behavioural_conflicts(results, spec), ambiguities(results))

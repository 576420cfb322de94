"""Spec tests: `pytest --spec PATH --model M --judge J` turns a spec into a test suite.

Each clause becomes a test that fails when its adherence is below its threshold (its own
`{#id min_adherence=0.9}`, else `--min-adherence`), and each reviewer's precedent in the store a
regression test the judge must agree with. A failure shows the violating transcripts. The run
and the calibration land in the same store as notebook runs (`--spec-store`, default the
`store` setting), so answers and grades already there are not asked for again.

Registered as the `jupyter_spec` pytest plugin; it does nothing without `--spec`. It imports the
engine only when a spec test runs.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from jupyter_spec.analysis.calibration import Calibration
    from jupyter_spec.analysis.results import Results
    from jupyter_spec.spec.model import Precedent

DEFAULT_MIN_ADHERENCE = 0.8
SHOWN_VIOLATIONS = 3


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jupyter-spec", "spec tests (jupyter-spec)")
    group.addoption("--spec", action="append", default=[], metavar="PATH", help="a spec file or directory to test")
    group.addoption("--model", action="append", default=[], metavar="M", help="the model under test (repeatable)")
    group.addoption("--judge", action="append", default=[], metavar="J", help="the judge model (repeatable)")
    group.addoption("--spec-samples", type=int, default=1, metavar="N", help="samples per challenge and model")
    group.addoption(
        "--min-adherence", type=float, default=DEFAULT_MIN_ADHERENCE, metavar="X",
        help=f"threshold for clauses without min_adherence= (default {DEFAULT_MIN_ADHERENCE})",
    )  # fmt: skip
    group.addoption("--spec-store", default=None, metavar="PATH", help="the SQLite store (default: the setting)")


class SpecSuite:
    """The spec under test, and its run and calibration: each made once, when a test first needs it."""

    def __init__(self, config: pytest.Config) -> None:
        from jupyter_spec.engine import settings as defaults
        from jupyter_spec.engine.store import Store
        from jupyter_spec.spec.document import Spec
        from jupyter_spec.spec.loader import check_readable, load_spec

        self.options = config.option
        self.spec = Spec().merge(*(load_spec(path) for path in config.getoption("spec")))
        check_readable(self.spec)  # a malformed challenge is refused, not left out of the suite
        self.settings = defaults.settings
        self.store = Store.resolve(config.getoption("spec_store"), self.settings.store)

    @property
    def models(self) -> list[str]:
        return self.options.model or [self.settings.model]

    @property
    def judges(self) -> list[str]:
        return self.options.judge or [self.settings.judge]

    @cached_property
    def results(self) -> Results:
        from jupyter_spec.engine.runner import run

        handle = run(self.spec, self.models, self.options.spec_samples, judges=self.judges, store=self.store)
        handle.wait()
        return handle.results

    @cached_property
    def calibration(self) -> Calibration:
        from jupyter_spec.analysis.calibration import calibrate

        return calibrate(self.spec, self.judges[0], store=self.store)

    def precedents(self) -> list[Precedent]:
        return [p for p in self.store.load_precedents() if self.spec.clause_id_of(p.target) is not None]


class SpecFailure(Exception):
    """A spec test's failure, already worded for the report."""


class SpecItem(pytest.Item):
    suite: SpecSuite

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, SpecFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "spec", None, self.name


class ClauseItem(SpecItem):
    """A clause's adherence against its threshold, per model and grader."""

    clause: str
    threshold: float

    def runtest(self) -> None:
        from jupyter_spec.frontdoors.cli import judge_thresholds

        results = self.suite.results
        planned = [(c, m) for c, m in zip(results.df["clause"], results.df["model"], strict=True) if c == self.clause]
        verdicts = judge_thresholds(results.adherence(), sorted(set(planned)), {self.clause: self.threshold})
        failed = [v for v in verdicts if v.clause == self.clause and v.failed]
        if failed:
            lines = [f"{{#{self.clause}}} below its threshold {self.threshold:.2f}:"]
            lines += [f"  {v.model} judged by {v.grader}: {v.why} (n={v.n})" for v in failed]
            raise SpecFailure("\n".join(lines + violations(results, self.clause)))


class PrecedentItem(SpecItem):
    """A reviewer's ruling: the judge must now reach the same verdict on that answer."""

    precedent: Precedent

    def runtest(self) -> None:
        p = self.precedent
        clause = self.suite.spec.clause_id_of(p.target)
        mine = [
            a for a in self.suite.calibration.answers
            if a["source"] == "precedent" and a["answer"] == p.response and a["clause"] == clause
        ]  # fmt: skip
        if not mine:
            raise SpecFailure(f"the precedent on [{p.target}] was not judged")
        wrong = [a for a in mine if not a["correct"]]
        if wrong:
            a = wrong[0]
            raise SpecFailure(
                f"the judge says {a['verdict']} where the ruling on [{p.target}] says {p.verdict} ({p.note})\n"
                f"  answer: {p.response}\n  judge's reasoning: {a['reasoning']}"
            )


def violations(results: Results, clause: str) -> list[str]:
    """The first violating transcripts of a clause, as a failure report shows them."""
    df = results.df
    rows = df[(df["clause"] == clause) & (df["final"] == "violation")].head(SHOWN_VIOLATIONS)
    lines = []
    for row in rows.to_dict("records"):
        lines.append(f"--- violation ({row['grader']}, {row['model']}): {row['challenge_title']}")
        lines += [f"  [{m['role']}] {m['content']}" for m in row["transcript"] or []]
        if row["reasoning"]:
            lines.append(f"  why: {row['reasoning']}")
    return lines


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("spec"):
        return
    from jupyter_spec.frontdoors.cli import thresholds

    suite = SpecSuite(config)
    challenged = {suite.spec.clause_id_of(c.target) for c in suite.spec.challenges}
    limits = thresholds(suite.spec, config.getoption("min_adherence"), {c for c in challenged if c})
    for clause, limit in limits.items():
        item = ClauseItem.from_parent(session, name=clause, nodeid=f"spec::{clause}")
        item.suite, item.clause, item.threshold = suite, clause, limit
        items.append(item)
    for precedent in suite.precedents():
        name = f"{precedent.target}::{precedent.hash[:8]}"
        item = PrecedentItem.from_parent(session, name=name, nodeid=f"precedent::{name}")
        item.suite, item.precedent = suite, precedent
        items.append(item)

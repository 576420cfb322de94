"""Calibration: the judge is checked against the spec's own labelled answers.

Every GOOD answer should be judged compliant and every BAD one a violation; an OK answer may be
either. An answer labelled `BAD[#other_id]` breaks another clause: it is evidence about that
clause and is calibrated there. Reviewers' precedents count too, with their ruling as the label.
An answer written down twice (a precedent saved into the spec as an example, and still in the
store) is one item. Each answer is judged with every copy of it, and its own example, left out
of the judge's references, so the judge is never shown the answer key it is graded on.

accuracy = answers judged as labelled / n, where n counts the answers the judge replied to
(unscored replies count as wrong: a judge that cannot answer is not accurate); requests that
failed are counted apart as errors and are not in n. Violation precision and recall treat
"violation" as the positive class over GOOD and BAD answers.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jupyter_spec.analysis.record import MIME_TYPE, calibration_record
from jupyter_spec.core.ids import VERDICTS
from jupyter_spec.engine import settings as defaults  # the one settings object, read when used
from jupyter_spec.engine.graders.base import Grade
from jupyter_spec.engine.graders.judge import ModelJudge, answer_key
from jupyter_spec.engine.plan import PlanItem, conversation
from jupyter_spec.engine.runner import Run
from jupyter_spec.engine.settings import Settings
from jupyter_spec.engine.solvers import Written
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Challenge, Message, Precedent

EXPECTED = {"GOOD": ("compliant",), "BAD": ("violation",), "OK": VERDICTS}
LABELLED = "spec:labelled-answer"  # the "model" whose answers these are: the spec's authors
RULING_LABEL = {"compliant": "GOOD", "violation": "BAD", "not_applicable": "N/A"}


@dataclass(frozen=True)
class LabelledAnswer:
    clause: str
    source: str  # "example" or "precedent"
    title: str
    conversation: tuple[Message, ...]
    answer: str
    label: str  # GOOD, BAD, OK, or N/A for a not-applicable ruling
    reason: str | None
    qualifier: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()  # the answer's own (`recipient="functions.ask"`)

    @property
    def expected(self) -> tuple[str, ...]:
        return EXPECTED.get(self.label, ("not_applicable",))

    @property
    def answer_key(self) -> str:
        return answer_key(self.conversation, self.answer)

    @property
    def transcript(self) -> tuple[dict[str, str], ...]:
        return tuple(conversation(self.plan_item.challenge.turns))

    @property
    def plan_item(self) -> PlanItem:
        """The answer as the runner takes it: the conversation with the answer written in (the
        `Written` solver plays it as it stands), under the clause it is evidence about."""
        turns = (*self.conversation, Message("assistant", self.answer, attrs=self.attrs))
        challenge = Challenge(self.clause, self.title, turns)
        return PlanItem(target=self.clause, clause=self.clause, challenge=challenge, model=LABELLED, sample_index=0)

    def outcome(self, grade: Grade) -> dict[str, Any]:
        """What the judge made of this answer, beside its label."""
        return {
            "clause": self.clause, "source": self.source, "title": self.title, "label": self.label,
            "qualifier": self.qualifier, "reason": self.reason, "answer": self.answer, "verdict": grade.verdict,
            "score": grade.score, "reasoning": grade.reasoning, "raw": grade.raw, "error": grade.error,
            "correct": grade.verdict in self.expected,
        }  # fmt: skip


def labelled_answers(
    spec: Spec, ids: Iterable[str] | None = None, precedents: Sequence[Precedent] = ()
) -> list[LabelledAnswer]:
    """The calibration set: every labelled answer, under the clause it is evidence about, once.

    Left out: an answer with nothing before it (an example that only shows how a message renders
    has no conversation to judge it in), and one whose label names a clause the spec does not
    have (lint reports that; the answer is evidence about no clause here). The same answer
    written down twice with the same label (a precedent saved into the spec, and still in the
    store) is one item.
    """
    found: list[LabelledAnswer] = []
    for clause_id, clause in spec.clauses.items():
        for example in clause.examples:
            for context, a in example.answered():
                home = spec.clause_id_of(a.ref) if a.ref is not None else clause_id
                if home is not None:
                    found.append(
                        LabelledAnswer(home, "example", example.title, context, a.content, a.label or "OK", a.reason,
                                       a.qualifier, a.attrs)
                    )  # fmt: skip
    for p in precedents:
        clause = spec.clause_id_of(p.target)
        if clause is not None:
            found.append(
                LabelledAnswer(clause, "precedent", p.note or "precedent",
                               p.conversation, p.response, RULING_LABEL[p.verdict], p.note or None)
            )  # fmt: skip
    wanted = set(ids) if ids else None
    out: dict[tuple[str, str, str, str | None], LabelledAnswer] = {}
    for item in found:
        if (wanted is None or item.clause in wanted) and item.conversation:
            out[item.clause, item.answer_key, item.label, item.qualifier] = item  # a stored precedent wins
    return list(out.values())


@dataclass
class Calibration:
    """The judge's verdict on every labelled answer, and what that says about the judge."""

    judge: str
    answers: list[dict[str, Any]]
    ids: list[str] | None = None  # the clauses calibrated on (None: all)

    @property
    def overall(self) -> dict[str, Any]:
        return _summary(self.answers)

    @property
    def clauses(self) -> dict[str, dict[str, Any]]:
        ids = list(dict.fromkeys(a["clause"] for a in self.answers))
        return {i: _summary([a for a in self.answers if a["clause"] == i]) for i in ids}

    @property
    def accuracy(self) -> float:
        return float(self.overall["accuracy"])

    def report(self) -> dict[str, Any]:
        return {"judge": self.judge, "ids": self.ids, "overall": self.overall, "clauses": self.clauses,
                "answers": self.answers}  # fmt: skip

    def record(self) -> dict[str, Any]:
        """The calibration as versioned JSON (`record.MIME_TYPE`), for the extension to show as its own record."""
        return calibration_record(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The record and a text line; in IPython the views' formatter adds the HTML table."""
        return {MIME_TYPE: self.record(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        o = self.overall
        return (
            f"<Calibration of {self.judge}: accuracy {o['accuracy']:.2f} "
            f"(n={o['n']} of {o['answers']} labelled answers), "
            f"violation precision {o['violation_precision']:.2f} recall {o['violation_recall']:.2f}, "
            f"{o['unscored']} unscored, {o['errors']} errors>"
        )


def _summary(answers: list[dict[str, Any]]) -> dict[str, Any]:
    judged = [a for a in answers if a["verdict"] != "error"]
    correct = sum(a["correct"] for a in judged)
    true_positive = sum(1 for a in judged if a["label"] == "BAD" and a["verdict"] == "violation")
    false_positive = sum(1 for a in judged if a["label"] == "GOOD" and a["verdict"] == "violation")
    bad = sum(1 for a in judged if a["label"] == "BAD")
    confusion: dict[str, Counter[str]] = {}
    for a in answers:
        confusion.setdefault(a["label"], Counter())[a["verdict"]] += 1
    nan = float("nan")
    return {
        "answers": len(answers),
        "n": len(judged),  # what accuracy is computed on: answers the judge replied to
        "correct": correct,
        "accuracy": correct / len(judged) if judged else nan,
        "violation_precision": true_positive / (true_positive + false_positive)
        if true_positive + false_positive
        else nan,
        "violation_recall": true_positive / bad if bad else nan,
        "unscored": sum(1 for a in answers if a["verdict"] == "unscored"),
        "errors": len(answers) - len(judged),
        "confusion": {label: dict(counts) for label, counts in confusion.items()},
    }


def calibrate(
    spec: Spec,
    judge: str | None = None,
    *,
    ids: Iterable[str] | None = None,
    store: Store | str | None = None,
    settings: Settings | None = None,
) -> Calibration:
    """Judge the spec's labelled answers (and precedents) and record how often the judge agrees.

    Blocks until done. The answers are judged by the runner like any sample (the `Written` solver
    plays each as it stands), so the judge's requests and grades are cached in the store.
    """
    settings = settings or defaults.settings
    ids = sorted(ids) if ids else None
    model = settings.resolve(judge or settings.judge)
    store = Store.resolve(store, settings.store)
    precedents = store.load_precedents()
    items = labelled_answers(spec, ids, precedents)
    if not items:
        raise ValueError("nothing to calibrate on: no labelled GOOD/BAD answers or precedents for these clauses")
    judge_ = ModelJudge(model, settings)
    planned = {id(item): item.plan_item for item in items}
    plan = list({p.key: p for p in planned.values()}.values())  # one answer written down twice is judged once
    handle = Run(plan, store, settings, spec=spec, graders=[judge_], run_id=f"calibration-{uuid.uuid4().hex[:8]}",
                 solver=Written(), precedents=precedents, record=False)  # fmt: skip
    handle.wait()
    grades = handle.grades
    missing = Grade(judge_.id, "error", error="not judged: see the log")  # the run logged why
    answers = [item.outcome(next(iter(grades.get(planned[id(item)].key, [])), missing)) for item in items]
    calibration = Calibration(model, answers, ids)
    store.put_calibration(model, spec.hash, calibration.report())
    return calibration

"""A run's graded samples as training data: JSONL a fine-tuning job takes as it is.

The document that evaluates a model can also teach it. Three shapes, one record per line:

- `sft`: supervised examples in the OpenAI chat fine-tuning format (`{"messages": [...]}`), the
  compliant answers only;
- `preference`: preference pairs in the OpenAI preference fine-tuning format (`{"input":
  {"messages": [...]}, "preferred_output": [...], "non_preferred_output": [...]}`), a compliant and
  a violating answer to the same conversation;
- `graded`: every scored answer with its clause, verdict and score, for reinforcement learning.

Only compliant and violating verdicts are exported (after rulings): an unscored, not-applicable
or failed sample teaches nothing and is never written. Optionally the clause (or the whole spec)
goes first as a system or developer message, and the spec's labelled GOOD/BAD answers and the
reviewers' precedents are added as further examples.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from jupyter_spec.analysis.results import Results
from jupyter_spec.core.ids import EXPECT, GraderId
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Message

Kind = Literal["sft", "preference", "graded"]
KINDS: tuple[Kind, ...] = ("sft", "preference", "graded")
SCORED = ("compliant", "violation")


class Answer:
    """One judged answer: the conversation before it, the answer, and what it was judged."""

    def __init__(self, clause: str, prompt: list[dict[str, str]], answer: str, verdict: str, **facts: Any) -> None:
        self.clause, self.prompt, self.answer, self.verdict, self.facts = clause, prompt, answer, verdict, facts

    @property
    def context(self) -> str:
        return json.dumps([self.clause, self.prompt], sort_keys=True)


def _messages(turns: Iterable[Any]) -> list[dict[str, str]]:
    """Plain role/content dicts (attributes a model never sees are left out)."""
    out = []
    for turn in turns:
        role, content = (turn.role, turn.content) if isinstance(turn, Message) else (turn["role"], turn["content"])
        out.append({"role": str(role), "content": str(content)})
    return out


def pick_grader(results: Results) -> str:
    """Whose verdicts decide what is exported when none is named: the run's one judge, else the
    deterministic checks; with several judges the choice is the caller's."""
    graders = [GraderId(g) for g in dict.fromkeys(results.df["grader"].dropna())]
    judges = [g for g in graders if g.is_judge]
    if len(judges) == 1:
        return str(judges[0])
    if not judges and EXPECT in graders:
        return str(EXPECT)
    raise ValueError(f"choose a grader: the results have {', '.join(graders) or 'none'}")


def sampled_answers(results: Results, grader: str) -> Iterator[Answer]:
    """The run's samples that `grader` scored compliant or violation (rulings applied)."""
    df = results.df
    rows = df[(df["grader"] == grader) & df["final"].isin(SCORED) & (df["status"] == "ok")]
    for row in rows.to_dict("records"):
        transcript = list(row["transcript"] or [])
        if not transcript or transcript[-1].get("role") != "assistant":
            continue
        yield Answer(
            row["clause"], _messages(transcript[:-1]), str(transcript[-1]["content"]), row["final"],
            target=row["target"], grader=grader, score=row["score"], sample_key=row["sample_key"],
            model=row["model"], source="sample",
        )  # fmt: skip


def labelled_answers(spec: Spec) -> Iterator[Answer]:
    """The spec's GOOD and BAD answers (OK ones are neither), with the conversation they answer."""
    for clause_id, clause in spec.clauses.items():
        for example in clause.examples:
            for context, answer in example.answered():
                if answer.label in ("GOOD", "BAD") and context:
                    verdict = "compliant" if answer.label == "GOOD" else "violation"
                    yield Answer(clause_id, _messages(context), answer.content, verdict, source="example",
                                 score=1.0 if verdict == "compliant" else 0.0, title=example.title)  # fmt: skip


def precedent_answers(results: Results, spec: Spec | None) -> Iterator[Answer]:
    """Reviewers' rulings: answers whose verdict a person settled."""
    if results.store is None:
        return
    for p in results.store.load_precedents():
        if p.verdict in SCORED:
            clause = spec.clause_id_of(p.target) if spec is not None else None
            yield Answer(clause or p.target, _messages(p.conversation), p.response, p.verdict, source="precedent",
                         target=p.target, score=1.0 if p.verdict == "compliant" else 0.0)  # fmt: skip


def training_records(
    results: Results,
    kind: Kind = "sft",
    *,
    grader: str | None = None,
    instruct: Literal["system", "developer"] | None = None,
    scope: Literal["clause", "spec"] = "clause",
    examples: bool = False,
    precedents: bool = False,
) -> list[dict[str, Any]]:
    """The records of `kind` (see the module docstring); `instruct` puts the clause (or, with
    `scope="spec"`, the whole spec) first in a message of that role."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: expected one of {', '.join(KINDS)}")
    spec = results.spec
    answers = list(sampled_answers(results, grader or pick_grader(results)))
    if examples and spec is not None:
        answers += labelled_answers(spec)
    if precedents:
        answers += precedent_answers(results, spec)

    told = spec.instructions(scope) if instruct and spec is not None else {}

    def conversation(a: Answer) -> list[dict[str, str]]:
        text = told.get(a.clause)
        return ([{"role": instruct, "content": text}] if instruct and text else []) + a.prompt

    def reply(a: Answer) -> list[dict[str, str]]:
        return [{"role": "assistant", "content": a.answer}]

    if kind == "sft":
        return [{"messages": conversation(a) + reply(a)} for a in answers if a.verdict == "compliant"]
    if kind == "graded":
        return [
            {"messages": conversation(a), "answer": a.answer, "clause": a.clause, "verdict": a.verdict, **a.facts}
            for a in answers
        ]
    by_context: dict[str, dict[str, list[Answer]]] = {}
    for a in answers:
        by_context.setdefault(a.context, {"compliant": [], "violation": []})[a.verdict].append(a)
    return [
        {"input": {"messages": conversation(good)}, "preferred_output": reply(good), "non_preferred_output": reply(bad)}
        for group in by_context.values()
        for good, bad in zip(group["compliant"], group["violation"], strict=False)
    ]


def export_jsonl(results: Results, path: str | Path, kind: Kind = "sft", **options: Any) -> int:
    """Write `training_records(results, kind, **options)` as JSONL; returns how many lines."""
    records = training_records(results, kind, **options)
    with Path(path).open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(records)

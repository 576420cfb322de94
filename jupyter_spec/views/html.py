"""How specs and lint findings look in a notebook (escaped HTML) and in a terminal (text).

Every string that came from a spec is escaped before it reaches HTML or a terminal: spec text is
untrusted, and a title holding `\x1b[31m` must not recolour (or rewrite) the user's terminal.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from jupyter_spec.core.ids import OUTCOMES
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import Finding

if TYPE_CHECKING:  # the type only: the terminal's views must not load the engine
    from jupyter_spec.analysis.calibration import Calibration

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def terminal_safe(text: str) -> str:
    """The text with control characters (escape sequences, carriage returns, ...) shown as `\\x1b`
    and the like; newlines and tabs stay."""
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


@dataclass(frozen=True)
class ClauseRow:
    id: str
    title: str
    authority: str
    parent: str
    markers: tuple[str, ...]
    examples: int
    good: int
    bad: int
    challenges: int


def clause_rows(spec: Spec) -> list[ClauseRow]:
    rows = []
    for clause in spec.clauses.values():
        parent = spec.parent(clause)
        answers = Counter(a.label for e in clause.examples for a in e.answers)
        ids = [clause.id, *(m.id for m in clause.markers)]
        rows.append(
            ClauseRow(
                id=clause.id or "",
                title=clause.title,
                authority=spec.authority_of(clause) or "-",
                parent=parent.title if parent else "-",
                markers=tuple(m.id for m in clause.markers),
                examples=len(clause.examples),
                good=answers["GOOD"],
                bad=answers["BAD"],
                challenges=sum(len(spec.challenges_for(i)) for i in ids if i),
            )
        )
    return rows


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def totals(spec: Spec) -> str:
    answers = Counter(a.label for e in spec.examples for a in e.answers)
    return ", ".join(
        [
            _plural(len(spec.clauses), "clause"),
            _plural(len(spec.markers), "marker"),
            f"{_plural(len(spec.examples), 'example')} ({answers['GOOD']} GOOD, {answers['BAD']} BAD)",
            _plural(len(spec.challenges), "challenge"),
        ]
    )


def finding_counts(findings: list[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return f"{_plural(counts['error'], 'error')}, {_plural(counts['warning'], 'warning')}"


@dataclass
class SpecReport:
    """A spec's clauses and lint findings; `_repr_html_` for notebooks, `str` for terminals."""

    spec: Spec
    findings: list[Finding]
    heading: str
    footer: str = ""
    show_clauses: bool = True
    rows: list[ClauseRow] = field(init=False)

    def __post_init__(self) -> None:
        self.rows = clause_rows(self.spec) if self.show_clauses else []

    def __str__(self) -> str:
        lines = [self.heading, totals(self.spec)]
        for r in self.rows:
            markers = " ".join(f"[^{m}]" for m in r.markers)
            lines.append(
                f"  {{#{r.id}}} {r.title}  authority={r.authority}  in {r.parent!r}  "
                f"{markers}  examples={r.examples} ({r.good} GOOD, {r.bad} BAD)  challenges={r.challenges}".rstrip()
            )
        lines.append(f"lint: {finding_counts(self.findings)}")
        lines += [f"  {f}" for f in self.findings]
        if self.footer:
            lines.append(self.footer)
        return terminal_safe("\n".join(lines))

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th>{h}</th>" for h in ("ID", "title", "authority", "section", "markers", "examples", "challenges")
        )
        body = "".join(
            f"<tr><td><code>{escape(r.id)}</code></td><td>{escape(r.title)}</td><td>{escape(r.authority)}</td>"
            f"<td>{escape(r.parent)}</td><td>{escape(' '.join(r.markers))}</td>"
            f"<td>{r.examples} ({r.good} GOOD, {r.bad} BAD)</td><td>{r.challenges}</td></tr>"
            for r in self.rows
        )
        table = f"<table><tr>{head}</tr>{body}</table>" if self.rows else ""
        items = "".join(
            f'<li class="jupyter-spec-{escape(f.severity)}"><b>{escape(f.severity)}</b> '
            f"{escape(f.source)}:{f.line}{f':{f.column}' if f.column else ''} {escape(f.message)} "
            f"<code>{escape(f.code)}</code></li>"
            for f in self.findings
        )
        footer = f"<p>{escape(self.footer)}</p>" if self.footer else ""
        return (
            f'<div class="jupyter-spec-report"><p><b>{escape(self.heading)}</b> {escape(totals(self.spec))}</p>'
            f"{table}<p>lint: {escape(finding_counts(self.findings))}</p><ul>{items}</ul>{footer}</div>"
        )


def p_value_text(p: Any) -> str:
    """A p-value as read: 0.039, 0.50, <0.001 (never 0.000, which reads as certainty); empty when missing."""
    if not isinstance(p, (int, float)) or p != p:
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def html_table(table: Any, caption: str) -> str:
    """A DataFrame as HTML: pandas escapes every cell, the caption is escaped here."""
    if not len(table):
        return f"<p><strong>{escape(caption)}</strong></p><p>(none)</p>"
    formatters = {"p_value": p_value_text} if "p_value" in table.columns else None
    body = table.to_html(
        index=False, escape=True, na_rep="", float_format=lambda x: f"{x:.3f}", border=0, formatters=formatters
    )
    return f"<p><strong>{escape(caption)}</strong></p>{body}"


class TableView:
    """A table with a caption: escaped HTML in a notebook, aligned text in a terminal."""

    def __init__(self, table: Any, caption: str) -> None:
        self.table = table
        self.caption = caption

    def __repr__(self) -> str:
        body = self.table.to_string(index=False) if len(self.table) else "(none)"
        return f"{self.caption}\n{body}"

    def _repr_html_(self) -> str:
        return html_table(self.table, self.caption)


def precedents_view(rows: list[dict[str, Any]]) -> TableView:
    import pandas as pd

    columns = ["clause", "target", "verdict", "note", "author", "created", "original", "response"]
    table = pd.DataFrame(rows, columns=[*columns, "conversation"])[columns]
    table["created"] = pd.to_datetime(table["created"], unit="s").dt.strftime("%Y-%m-%d %H:%M")
    table["response"] = table["response"].map(lambda r: r if len(r) <= 80 else r[:77] + "...")
    return TableView(table, f"{len(table)} precedent(s): reviewers' rulings, shown to judges with their clause")


def calibration_html(calibration: Calibration) -> str:
    """A judge's calibration: figures per clause, and the confusion of labels and verdicts."""

    def cell(value: Any) -> str:
        text = f"{value:.2f}" if isinstance(value, float) else str(value)
        return f"<td>{escape(text)}</td>"

    head = ["clause", "n", "accuracy", "viol. precision", "viol. recall", "unscored", "errors"]
    rows = [[name, s["n"], s["accuracy"], s["violation_precision"], s["violation_recall"], s["unscored"],
             s["errors"]] for name, s in [*calibration.clauses.items(), ("overall", calibration.overall)]]  # fmt: skip
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    matrix = calibration.overall["confusion"]
    labels = list(matrix)
    confusion = "".join(
        f"<tr><th>{escape(label)}</th>" + "".join(cell(matrix[label].get(o, 0)) for o in OUTCOMES)
        + "</tr>" for label in labels
    )  # fmt: skip
    return (
        f"<div class='jupyter-spec-calibration'><strong>Calibration of {escape(calibration.judge)}</strong>"
        f"<table><tr>{''.join(f'<th>{h}</th>' for h in head)}</tr>{body}</table>"
        f"<p>Confusion (label x verdict)</p><table><tr><th></th>"
        f"{''.join(f'<th>{o}</th>' for o in OUTCOMES)}</tr>{confusion}</table></div>"
    )

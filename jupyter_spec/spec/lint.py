"""Checks a spec can pass syntactically and still fail its readers: untested clauses, dangling
challenges, one-sided comparisons and vague words that a grader cannot hold a model to."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markers import blank_code_spans
from jupyter_spec.spec.model import AUTHORITY_ORDER, Admonition, Challenge, Prose

Severity = Literal["error", "warning", "info"]

DEFAULT_VAGUE_WORDS: tuple[str, ...] = (
    "appropriate",
    "appropriately",
    "as appropriate",
    "reasonable",
    "reasonably",
    "as needed",
    "if necessary",
    "where possible",
    "etc.",
    "generally",
    "usually",
    "typically",
    "properly",
    "adequate",
    "sufficiently",
)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    source: str = ""
    line: int = 0

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source or "<spec>"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


def _descendants_have_ids(spec: Spec, index: int) -> bool:
    level = spec.sections[index].level
    for section in spec.sections[index + 1 :]:
        if section.level <= level:
            return False
        if section.id is not None:
            return True
    return False


def _structure(spec: Spec) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for ident, item in spec.iter_ids():
        if ident in seen:
            yield Finding(
                "error",
                "duplicate-id",
                f"ID {ident!r} is declared again (first at line {seen[ident]})",
                item.source,
                item.line,
            )
        seen.setdefault(ident, item.line)
    targets = {c.target for c in spec.challenges}
    for marker in spec.preamble_markers:
        yield Finding(
            "warning",
            "marker-outside-clause",
            f"marker [^{marker.id}] is before the first heading, in no clause: it declares nothing",
            marker.source,
            marker.line,
        )
    for index, section in enumerate(spec.sections):
        for marker in section.markers:
            if marker.id not in targets:
                yield Finding(
                    "warning", "untested-marker", f"marker [^{marker.id}] has no challenges", marker.source, marker.line
                )
            try:
                spec.clause_of(marker.id)
            except KeyError:
                yield Finding(
                    "warning",
                    "marker-outside-clause",
                    f"marker [^{marker.id}] is in no section with an ID",
                    marker.source,
                    marker.line,
                )
        if section.id is None or not section.text or _descendants_have_ids(spec, index):
            continue
        tested = section.id in targets or any(m.id in targets for m in section.markers)
        if not tested and not section.examples:
            yield Finding(
                "warning",
                "untested-clause",
                f"clause {section.id!r} has neither challenges nor examples",
                section.source,
                section.line,
            )


def dangling_references(spec: Spec) -> Iterator[Finding]:
    """Challenges and cross-referenced labels (`<!-- BAD[#id] -->`) naming IDs the spec does not
    declare: drift a spec still loads with, and strict loading refuses."""
    for challenge in spec.challenges:
        if challenge.target not in spec:
            yield Finding(
                "error",
                "unknown-target",
                f"challenge {challenge.title!r} tests [^{challenge.target}], which the spec no longer declares",
                challenge.source,
                challenge.line,
            )
    for example in spec.examples:
        for answer in example.answers:
            if answer.ref is not None and answer.ref not in spec:
                yield Finding(
                    "error",
                    "unknown-reference",
                    f"label <!-- {answer.label}[#{answer.ref}] --> in example {example.title!r} names "
                    f"{answer.ref!r}, which the spec does not declare",
                    example.source,
                    answer.line,
                )


def _authorities(spec: Spec, authority_order: Sequence[str] | None) -> Iterator[Finding]:
    """Levels outside the known or declared order, and declarations where they have no effect."""
    ranks = spec.authority_ranks(authority_order)
    for section in spec.sections:
        if section.authority is not None and section.authority not in ranks:
            yield Finding(
                "warning",
                "unknown-authority",
                f"authority {section.authority!r} of section {section.title!r} is not one of {', '.join(ranks)}: "
                "declare the order with <!-- authority-order: a > b > c --> before the first heading",
                section.source,
                section.line,
            )
        for block in section.blocks:
            if isinstance(block, Prose) and AUTHORITY_ORDER.search(block.text):
                yield Finding(
                    "warning",
                    "misplaced-authority-order",
                    f"<!-- authority-order: ... --> inside section {section.title!r} is ignored: "
                    "declare it before the first heading",
                    section.source,
                    block.line,
                )


def _comparisons(spec: Spec) -> Iterator[Finding]:
    for example in spec.examples:
        for comparison in example.comparisons:
            labels = {a.label for a in comparison.answers}
            missing = [label for label in ("GOOD", "BAD") if label not in labels]
            if missing:
                yield Finding(
                    "warning",
                    "one-sided-comparison",
                    f"comparison in example {example.title!r} has no {' and no '.join(missing)} answer",
                    example.source,
                    comparison.line,
                )


def _pairs(spec: Spec) -> Iterator[Finding]:
    pairs: dict[str, list[Challenge]] = {}
    for challenge in spec.challenges:
        if challenge.pair is not None:
            pairs.setdefault(challenge.pair, []).append(challenge)
    for name, members in pairs.items():
        if len(members) != 2:
            first = members[0]
            yield Finding(
                "warning",
                "unmatched-pair",
                f"pair {name!r} has {len(members)} challenge{'s' * (len(members) != 1)}; a pair needs exactly 2",
                first.source,
                first.line,
            )


def _vague(spec: Spec, words: Iterable[str]) -> Iterator[Finding]:
    patterns = [re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.IGNORECASE) for w in words if w.strip()]
    for section in spec.sections:
        for block in section.blocks:
            if not isinstance(block, (Prose, Admonition)) or (isinstance(block, Admonition) and not block.normative):
                continue
            text = blank_code_spans(block.text)
            first = block.line + (1 if isinstance(block, Admonition) else 0)
            for pattern in patterns:
                for match in pattern.finditer(text):
                    line = first + text.count("\n", 0, match.start()) if block.line else 0
                    where = f"clause {section.id!r}" if section.id else f"section {section.title!r}"
                    yield Finding(
                        "warning",
                        "vague-wording",
                        f"vague wording {match.group(0)!r} in {where}: say what a grader should check",
                        section.source,
                        line,
                    )


def lint(
    spec: Spec, vague_words: Iterable[str] = DEFAULT_VAGUE_WORDS, authority_order: Sequence[str] | None = None
) -> list[Finding]:
    """All findings, errors first, then in reading order. `authority_order` (highest first)
    overrides the order the spec declares or the known default."""
    findings = [
        *_structure(spec),
        *dangling_references(spec),
        *_authorities(spec, authority_order),
        *_comparisons(spec),
        *_pairs(spec),
        *_vague(spec, vague_words),
    ]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.source, f.line))

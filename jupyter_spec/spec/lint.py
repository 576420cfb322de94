"""Checks a spec can pass syntactically and still fail its readers: untested clauses, dangling
challenges, one-sided comparisons and vague words that a grader cannot hold a model to."""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
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
    column: int = 0  # 0 when the finding is about a whole line or more

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source or "<spec>"
        if self.line and self.column:
            where += f":{self.column}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


def _with_descendant_ids(spec: Spec) -> set[int]:
    """Indexes of the sections that have a section with an ID below them (by heading level).

    One backward pass: a section's descendants run until the next section at its level or above,
    so it has one with an ID exactly when the next section with an ID comes before that end.
    """
    found: set[int] = set()
    open_: list[int] = []  # sections whose descendants are still being read, by index
    ends: dict[int, int] = {}
    for index, section in enumerate(spec.sections):
        while open_ and spec.sections[open_[-1]].level >= section.level:
            ends[open_.pop()] = index
        open_.append(index)
    for index in open_:
        ends[index] = len(spec.sections)
    next_id = len(spec.sections)  # the first section with an ID after `index`
    for index in range(len(spec.sections) - 1, -1, -1):
        if next_id < ends[index]:
            found.add(index)
        if spec.sections[index].id is not None:
            next_id = index
    return found


def _unread(spec: Spec) -> Iterator[Finding]:
    """The parts a lenient load left out (`Spec.unread`), each where strict loading refuses it."""
    for part in spec.unread:
        message = f"{part.message} (strict loading refuses this; it was left out, or read as Markdown shows it)"
        yield Finding("error", "malformed", message, part.source, part.line, part.column)


def _duplicates(spec: Spec) -> Iterator[Finding]:
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


def _loose_markers(spec: Spec) -> Iterator[Finding]:
    """Markers before the first heading: they depend on nothing but their own fragment."""
    for marker in spec.preamble_markers:
        yield Finding(
            "warning",
            "marker-outside-clause",
            f"marker [^{marker.id}] is before the first heading, in no clause: it declares nothing",
            marker.source,
            marker.line,
        )


@dataclass(frozen=True)
class Outline:
    """What the structure rules read from the sections alone: repeated IDs, and each possible
    untested or misplaced marker and untested clause with the IDs whose challenges would test it.
    Built once per change of sections; only the challenges' targets are checked on each call."""

    duplicates: tuple[Finding, ...]
    coverage: tuple[tuple[tuple[str, ...], Finding], ...]  # reported unless one of the IDs is challenged

    def covered(self, targets: Container[str]) -> list[Finding]:
        out: list[Finding] = []
        for ids, finding in self.coverage:
            for ident in ids:
                if ident in targets:
                    break
            else:
                out.append(finding)
        return out


def outline(spec: Spec) -> Outline:
    """Untested markers and clauses, and markers in no clause, depend on the whole spec (headings
    in other cells a section nests under, challenges in other cells): the sections' part is here."""
    coverage: list[tuple[tuple[str, ...], Finding]] = []
    add = coverage.append
    clause_id_of = spec.clause_id_of
    with_descendant_ids = _with_descendant_ids(spec)
    for index, section in enumerate(spec.sections):
        markers = section.markers
        for marker in markers:
            mid, source, line = marker.id, marker.source, marker.line
            add(((mid,), Finding("warning", "untested-marker", f"marker [^{mid}] has no challenges", source, line)))
            if clause_id_of(mid) is None:
                message = f"marker [^{mid}] is in no section with an ID"
                add(((), Finding("warning", "marker-outside-clause", message, source, line)))
        if section.id is None or index in with_descendant_ids or section.examples or not section.text:
            continue
        message = f"clause {section.id!r} has neither challenges nor examples"
        ids = (section.id, *[m.id for m in markers])
        add((ids, Finding("warning", "untested-clause", message, section.source, section.line)))
    return Outline(tuple(_duplicates(spec)), tuple(coverage))


def _structure(spec: Spec) -> Iterator[Finding]:
    shape = outline(spec)
    yield from shape.duplicates
    yield from _loose_markers(spec)
    yield from shape.covered({c.target for c in spec.challenges})


def unknown_targets(spec: Spec) -> Iterator[Finding]:
    """Challenges testing IDs the spec does not declare."""
    for challenge in spec.challenges:
        if challenge.target not in spec:
            yield Finding(
                "error",
                "unknown-target",
                f"challenge {challenge.title!r} tests [^{challenge.target}], which the spec no longer declares",
                challenge.source,
                challenge.line,
            )


def label_references(spec: Spec) -> list[tuple[str, Finding]]:
    """Each cross-referenced label (`<!-- BAD[#id] -->`) with the finding it gets if `id` is
    unknown: read from the examples once, checked against whichever spec holds them."""
    return [
        (
            answer.ref,
            Finding(
                "error",
                "unknown-reference",
                f"label <!-- {answer.label}[#{answer.ref}] --> in example {example.title!r} names "
                f"{answer.ref!r}, which the spec does not declare",
                example.source,
                answer.line,
            ),
        )
        for example in spec.examples
        for answer in example.answers
        if answer.ref is not None
    ]


def dangling_references(spec: Spec) -> Iterator[Finding]:
    """Challenges and cross-referenced labels (`<!-- BAD[#id] -->`) naming IDs the spec does not
    declare: drift a spec still loads with, and strict loading refuses."""
    yield from unknown_targets(spec)
    yield from (finding for ref, finding in label_references(spec) if ref not in spec)


def authority_findings(spec: Spec, ranks: Mapping[str, int]) -> Iterator[Finding]:
    """Levels outside the known or declared order (`ranks`, from the whole spec), and
    declarations where they have no effect."""
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
            if isinstance(block, Prose) and "authority-order" in block.text and AUTHORITY_ORDER.search(block.text):
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


_LABEL_COMMENT = re.compile(r"<!--\s*(GOOD|BAD|OK)\b.*?-->", re.IGNORECASE | re.DOTALL)


def _stray_labels(spec: Spec) -> Iterator[Finding]:
    """An answer outside a comparison whose label comment has text before it (`<assistant>
    x<!-- GOOD -->`) loads as an unlabelled turn quoting the comment: the label is silently lost."""
    for example in spec.examples:
        for turn in example.conversation:
            found = _LABEL_COMMENT.search(turn.content) if turn.role == "assistant" else None
            if found is not None:
                yield Finding(
                    "warning",
                    "stray-label",
                    f"<assistant> at line {turn.line} in example {example.title!r} holds {found.group(0)!r} after "
                    "other text: it is read as part of the answer, not as its label (a label opens the answer)",
                    example.source,
                    turn.line,
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


def _matches(pattern: re.Pattern[str], needle: str | None, text: str, lowered: str | None) -> Iterator[re.Match[str]]:
    """`pattern.finditer(text)` for a word between word boundaries, found faster in ASCII text.

    A case-insensitive pattern is slow to search; in ASCII text (and an ASCII word, lowered as
    `needle`) lowering is exact, so `str.find` proposes the places and the pattern, matched there,
    decides.
    """
    if lowered is None or needle is None:
        yield from pattern.finditer(text)
        return
    at = 0
    while (at := lowered.find(needle, at)) >= 0:
        match = pattern.match(text, at)
        if match:
            yield match
        at = match.end() if match else at + 1


def _vague(spec: Spec, words: Iterable[str]) -> Iterator[Finding]:
    wanted = [w for w in words if w.strip()]
    patterns = [
        (re.compile(rf"(?<!\w){re.escape(w)}(?!\w)", re.IGNORECASE), w.lower() if w.isascii() else None) for w in wanted
    ]
    for section in spec.sections:
        for block in section.blocks:
            if not isinstance(block, (Prose, Admonition)) or (isinstance(block, Admonition) and not block.normative):
                continue
            text = blank_code_spans(block.text)
            lowered = text.lower() if text.isascii() else None
            first = block.line + (1 if isinstance(block, Admonition) else 0)
            for pattern, needle in patterns:
                if lowered is not None and needle is not None and needle not in lowered:
                    continue  # the common case, decided without a generator
                counted, newlines = 0, 0  # matches come in order: count each stretch of text once
                for match in _matches(pattern, needle, text, lowered):
                    newlines += text.count("\n", counted, match.start())
                    counted = match.start()
                    line = first + newlines if block.line else 0
                    where = f"clause {section.id!r}" if section.id else f"section {section.title!r}"
                    yield Finding(
                        "warning",
                        "vague-wording",
                        f"vague wording {match.group(0)!r} in {where}: say what a grader should check",
                        section.source,
                        line,
                    )


@dataclass(frozen=True)
class LocalFindings:
    """What lint finds in one fragment (a cell, a file) on its own, by rule. Every text-reading
    rule is here, so a fragment that has not changed is never read again (see `relint`)."""

    unread: tuple[Finding, ...]
    loose_markers: tuple[Finding, ...]
    references: tuple[tuple[str, Finding], ...]  # checked against the whole spec
    authorities: tuple[Finding, ...]
    comparisons: tuple[Finding, ...]
    stray_labels: tuple[Finding, ...]
    vague: tuple[Finding, ...]


def local_findings(fragment: Spec, vague_words: Iterable[str], ranks: Mapping[str, int]) -> LocalFindings:
    """The findings of `fragment` that depend on nothing outside it (but the authority ranks)."""
    return LocalFindings(
        tuple(_unread(fragment)),
        tuple(_loose_markers(fragment)),
        tuple(label_references(fragment)),
        tuple(authority_findings(fragment, ranks)),
        tuple(_comparisons(fragment)),
        tuple(_stray_labels(fragment)),
        tuple(_vague(fragment, vague_words)),
    )


def combine(spec: Spec, parts: Sequence[LocalFindings], shape: Outline | None = None) -> list[Finding]:
    """All findings of `spec`, given the local findings of the fragments it is merged from (and
    its `outline`, if kept), in `lint`'s order: the rules across fragments run here, on indexes."""
    shape = shape or outline(spec)
    findings = [
        *(f for part in parts for f in part.unread),
        *shape.duplicates,
        *(f for part in parts for f in part.loose_markers),
        *shape.covered({c.target for c in spec.challenges}),
        *unknown_targets(spec),
        *(f for part in parts for ref, f in part.references if ref not in spec),
        *(f for part in parts for f in part.authorities),
        *(f for part in parts for f in part.comparisons),
        *(f for part in parts for f in part.stray_labels),
        *_pairs(spec),
        *(f for part in parts for f in part.vague),
    ]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.source, f.line))


def lint(
    spec: Spec, vague_words: Iterable[str] = DEFAULT_VAGUE_WORDS, authority_order: Sequence[str] | None = None
) -> list[Finding]:
    """All findings, errors first, then in reading order. `authority_order` (highest first)
    overrides the order the spec declares or the known default."""
    findings = [
        *_unread(spec),
        *_structure(spec),
        *dangling_references(spec),
        *authority_findings(spec, spec.authority_ranks(authority_order)),
        *_comparisons(spec),
        *_stray_labels(spec),
        *_pairs(spec),
        *_vague(spec, vague_words),
    ]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.source, f.line))

"""The notebook's working spec, assembled from cells and files.

Each `%%spec` cell, `%%challenge` cell or loaded path contributes a fragment under a key.
Re-running a cell replaces its own fragment and nothing else, and a fragment that would make
the whole inconsistent (a duplicate ID, a `%%challenge` cell for an unknown ID) is refused before
anything changes, so the working spec is never half-updated. A spec loaded from disk is taken as
it is, drift included (challenge files for IDs it no longer declares): lint reports that.

Lint re-reads only the fragments that changed. `lint.local_findings` holds every rule that reads
text; its findings depend on one fragment alone (and the authority ranks), so they are kept for as
long as that fragment, the same object, is part of the working spec. The rules that look across
fragments (repeated IDs, untested clauses and markers, challenges and labels naming unknown IDs,
unmatched pairs) read only the merged spec's indexes, and `lint.combine` puts both together in
the order `lint.lint` gives, finding for finding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import (
    Finding,
    LocalFindings,
    Outline,
    authority_findings,
    combine,
    local_findings,
    outline,
)
from jupyter_spec.spec.loader import load_spec
from jupyter_spec.spec.markdown import check_unique_ids, parse_spec
from jupyter_spec.spec.model import Section, stable_hash


@dataclass(frozen=True)
class _Kept:
    fragment: Spec  # held so that its id() is not reused while the entry is kept
    words: tuple[str, ...]
    ranks: tuple[tuple[str, int], ...]
    findings: LocalFindings


class Relinter:
    """The local findings of each fragment seen in the last call, by the fragment's identity."""

    def __init__(self) -> None:
        self._kept: dict[int, _Kept] = {}
        self._outline: tuple[tuple[Section, ...], Outline] | None = None  # by the sections tuple's identity
        self.read = 0  # fragments whose text was linted: tests check unchanged ones are not read again
        self.outlined = 0  # times the sections were outlined: not when only challenges changed

    def forget(self) -> None:
        """Let go of every kept fragment (a cleared working spec should not hold a big cell)."""
        self._kept, self._outline = {}, None

    def lint(
        self, spec: Spec, fragments: Sequence[Spec], vague_words: Iterable[str], authority_order: Sequence[str] | None
    ) -> list[Finding]:
        """`lint.lint(spec, vague_words, authority_order)`, where `spec` is `fragments` merged in order."""
        words = tuple(vague_words)
        ranks = spec.authority_ranks(authority_order)
        rank_items = tuple(ranks.items())
        kept: dict[int, _Kept] = {}
        parts: list[LocalFindings] = []
        for fragment in fragments:
            entry = kept.get(id(fragment)) or self._kept.get(id(fragment))
            if entry is None or entry.fragment is not fragment or entry.words != words:
                self.read += 1
                entry = _Kept(fragment, words, rank_items, local_findings(fragment, words, ranks))
            elif entry.ranks != rank_items:  # a declared order changed elsewhere: only this rule depends on it
                local = dataclasses.replace(entry.findings, authorities=tuple(authority_findings(fragment, ranks)))
                entry = _Kept(fragment, words, rank_items, local)
            kept[id(fragment)] = entry
            parts.append(entry.findings)
        self._kept = kept
        if self._outline is None or self._outline[0] is not spec.sections:
            self.outlined += 1
            self._outline = (spec.sections, outline(spec))
        return combine(spec, parts, self._outline[1])


def _challenges_only(fragment: Spec) -> bool:
    return not (fragment.sections or fragment.preamble or fragment.preamble_markers)


class WorkingSpec:
    """Fragments by key, in the order they were first defined.

    The merged spec is kept until a fragment changes (its lookups are built once per change, not
    per magic), and lint re-reads only the fragments that changed (`Relinter`).
    """

    def __init__(self) -> None:
        self._fragments: dict[str, Spec] = {}
        self._merged: Spec | None = None
        self.relinter = Relinter()

    @property
    def spec(self) -> Spec:
        if self._merged is None:
            self._merged = Spec().merge(*self._fragments.values())
        return self._merged

    def lint(self, vague_words: Iterable[str], authority_order: Sequence[str] | None = None) -> list[Finding]:
        """`lint(self.spec, ...)`, recomputing only what the fragments changed since the last call."""
        return self.relinter.lint(self.spec, list(self._fragments.values()), vague_words, authority_order)

    def keys(self) -> list[str]:
        return list(self._fragments)

    def fragments(self) -> dict[str, Spec]:
        """Each key's fragment (a copy: change them through `define`, `add`, `load`)."""
        return dict(self._fragments)

    def add(self, key: str, fragment: Spec) -> Spec:
        """Add or replace an already-parsed fragment (a composed module, say) under `key`."""
        return self._commit(key, fragment)

    def _commit(self, key: str, fragment: Spec) -> Spec:
        candidate = dict(self._fragments)
        candidate[key] = fragment
        previous, replaced = self._merged, self._fragments.get(key)
        if previous is not None and _challenges_only(fragment) and (replaced is None or _challenges_only(replaced)):
            # The sections stay the same tuple, with their lookups and their lint outline.
            merged = previous.rechallenged(tuple(c for f in candidate.values() for c in f.challenges))
        else:
            merged = Spec().merge(*candidate.values())
            check_unique_ids(merged)
        self._fragments, self._merged = candidate, merged
        return fragment

    def define(self, key: str | None, markdown: str, source: str, first_line: int = 1) -> Spec:
        """Add or replace the clauses of one cell.

        Without a key (no cell ID, no name) the cell is known by its first clause ID, or its
        first heading: re-running an edited cell then replaces it as long as that stays the same.
        """
        fragment = parse_spec(markdown, source, first_line)
        if key is None:
            first = next(iter(fragment.clauses), None) or (fragment.sections[0].title if fragment.sections else "")
            key = f"spec:{first or stable_hash(markdown)}"
        return self._commit(key, fragment)

    def add_challenges(self, key: str, target: str, text: str, source: str, first_line: int = 1) -> Spec:
        """Add or replace the challenges of one cell; the target must already be declared."""
        replaced = self._fragments.get(key)
        declares = replaced is not None and (replaced.sections or replaced.preamble_markers)
        others = Spec().merge(*(f for k, f in self._fragments.items() if k != key)) if declares else self.spec
        if target not in others:
            raise SpecSyntaxError(
                f"unknown ID {target!r}: declare {{#{target}}} or [^{target}] in a %%spec cell first", source
            )
        challenges = parse_challenges(text, source, target, first_line)
        return self._commit(key, Spec(challenges=challenges))

    def load(self, path: str | Path) -> Spec:
        """Add (or reload) a spec from disk; its challenges may test IDs from notebook cells too."""
        return self._commit(f"file:{path}", load_spec(path))

    def clear(self) -> None:
        self._fragments, self._merged = {}, None
        self.relinter.forget()

"""A whole specification: its sections in reading order and the challenges that test them.

`Spec` sits above the parts it is made of (`model`) and the writer: it can write itself as
Markdown and save itself as files, while the parts know nothing of either.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from jupyter_spec.core import hooks
from jupyter_spec.spec.markers import MARKER
from jupyter_spec.spec.model import (
    AUTHORITY_ORDER,
    KNOWN_AUTHORITY_RANKS,
    Challenge,
    Example,
    Marker,
    Section,
    stable_hash,
)
from jupyter_spec.spec.recovery import Unread
from jupyter_spec.spec.writer import save_spec_files, spec_markdown


@dataclass(frozen=True)
class Spec:
    """A whole specification: sections in reading order, and the challenges that test them."""

    sections: tuple[Section, ...] = ()
    challenges: tuple[Challenge, ...] = ()
    preamble: str = ""
    # markers written before the first heading: in no clause, kept only for lint to report
    preamble_markers: tuple[Marker, ...] = field(default=(), compare=False, repr=False)
    # parts a lenient load could not read and left out (`recovery`): not content, kept for lint
    unread: tuple[Unread, ...] = field(default=(), compare=False, repr=False)

    @cached_property
    def declared_authority_order(self) -> tuple[str, ...] | None:
        """The levels the spec declares, highest first: the last non-empty
        `<!-- authority-order: root > developer > user -->` before the first heading (in a
        notebook, a later cell's declaration overrides an earlier one's)."""
        declared = [
            tuple(level.strip() for level in re.split(r"[>,]", match.group(1)) if level.strip())
            for match in AUTHORITY_ORDER.finditer(self.preamble)
        ]
        return next((order for order in reversed(declared) if order), None)

    def authority_ranks(self, order: Sequence[str] | None = None) -> dict[str, int]:
        """Rank by level (0 is highest): `order` (a setting), else the declared order, else the known one."""
        levels = order or self.declared_authority_order
        return {level: rank for rank, level in enumerate(levels)} if levels else KNOWN_AUTHORITY_RANKS

    # -- lookup ---------------------------------------------------------------------------------

    @cached_property
    def clauses(self) -> dict[str, Section]:
        """Sections that have an ID, by ID (the first one wins if an ID is repeated)."""
        out: dict[str, Section] = {}
        for section in self.sections:
            if section.id is not None:
                out.setdefault(section.id, section)
        return out

    @cached_property
    def markers(self) -> dict[str, Marker]:
        out: dict[str, Marker] = {}
        for section in self.sections:
            for marker in section.markers:
                out.setdefault(marker.id, marker)
        return out

    @cached_property
    def examples(self) -> tuple[Example, ...]:
        return tuple(e for s in self.sections for e in s.examples)

    def __contains__(self, id: object) -> bool:
        return id in self.clauses or id in self.markers

    def __getitem__(self, id: str) -> Section | Marker:
        if id in self.clauses:
            return self.clauses[id]
        if id in self.markers:
            return self.markers[id]
        raise KeyError(id)

    def iter_ids(self) -> Iterator[tuple[str, Section | Marker]]:
        """Every declared ID in document order, repeats included (lint reports those)."""
        for section in self.sections:
            if section.id is not None:
                yield section.id, section
            for marker in section.markers:
                yield marker.id, marker

    @cached_property
    def _parents(self) -> dict[int, Section | None]:
        parents: dict[int, Section | None] = {}
        stack: list[Section] = []
        for section in self.sections:
            while stack and stack[-1].level >= section.level:
                stack.pop()
            parents[id(section)] = stack[-1] if stack else None
            stack.append(section)
        return parents

    def parent(self, item: Section | str) -> Section | None:
        """The enclosing section (by heading level) of a section or clause ID."""
        section = self.clauses[item] if isinstance(item, str) else item
        return self._parents.get(id(section))

    @cached_property
    def _marker_clauses(self) -> dict[str, Section | None]:
        """Each marker ID's clause: the section with an ID around the section that first declares
        it (None when there is none). One pass, so that a lookup never scans the spec."""
        parents = self._parents
        enclosing: dict[int, Section | None] = {}
        out: dict[str, Section | None] = {}
        for section in self.sections:
            parent = parents.get(id(section))
            inherited = enclosing.get(id(parent)) if parent is not None else None
            clause = enclosing[id(section)] = section if section.id is not None else inherited
            for marker in section.markers:
                out.setdefault(marker.id, clause)
        return out

    def clause_of(self, id: str) -> Section:
        """The clause an ID belongs to: itself for a clause, the enclosing clause for a marker."""
        clause = self.clauses.get(id)
        if clause is not None:
            return clause
        section = self._marker_clauses[id]
        if section is None:
            raise KeyError(f"marker [^{id}] is not inside a section with an ID")
        return section

    def clause_id_of(self, id: str | None) -> str | None:
        """The ID of the clause an ID belongs to; None when there is none (unknown, or a marker in a
        section without an ID: lint reports both)."""
        try:
            return self.clause_of(id).id if id is not None else None
        except KeyError:
            return None

    def authority_of(self, item: Section | str) -> str | None:
        """The declared authority, inherited from enclosing sections when not set."""
        section: Section | None = self.clause_of(item) if isinstance(item, str) else item
        while section is not None:
            if section.authority is not None:
                return section.authority
            section = self.parent(section)
        return None

    @cached_property
    def _challenges_by_target(self) -> dict[str, tuple[Challenge, ...]]:
        grouped: dict[str, list[Challenge]] = {}
        for challenge in self.challenges:
            grouped.setdefault(challenge.target, []).append(challenge)
        return {target: tuple(found) for target, found in grouped.items()}

    def challenges_for(self, id: str) -> tuple[Challenge, ...]:
        """Challenges that target the ID itself (a clause's markers have their own)."""
        return self._challenges_by_target.get(id, ())

    # -- building -------------------------------------------------------------------------------

    def merge(self, *others: Spec) -> Spec:
        """Concatenate specs in order; sections nest across the boundary by heading level."""
        specs = (self, *others)
        preamble = "\n\n".join(s.preamble for s in specs if s.preamble)
        return Spec(
            sections=tuple(x for s in specs for x in s.sections),
            challenges=tuple(c for s in specs for c in s.challenges),
            preamble=preamble,
            preamble_markers=tuple(m for s in specs for m in s.preamble_markers),
            unread=tuple(u for s in specs for u in s.unread),
        )

    def rechallenged(self, challenges: tuple[Challenge, ...]) -> Spec:
        """The same sections (the same tuple) with other challenges, keeping the lookups already
        built over the sections: a notebook's `%%challenge` cell does not rebuild them."""
        spec = dataclasses.replace(self, challenges=challenges)
        vars(spec).update({name: value for name, value in vars(self).items() if name in _SECTION_LOOKUPS})
        return spec

    def with_challenges(self, challenges: tuple[Challenge, ...]) -> Spec:
        return dataclasses.replace(self, challenges=self.challenges + challenges)

    def __add__(self, other: object) -> Spec:
        """Compose two specs as modules (`jupyter_spec.spec.compose`): colliding IDs are namespaced."""
        if not isinstance(other, Spec):
            return NotImplemented
        return hooks.use(hooks.COMPOSE_SPECS)(self, other)

    def winner(self, a: str, b: str, order: Sequence[str] | None = None) -> str:
        """Of two clause or marker IDs that both apply, the one with the higher authority; `a` on a
        tie. A level missing or outside the order ranks below every known one."""
        ranks = self.authority_ranks(order)

        def rank(item: str) -> int:
            return ranks.get(self.authority_of(item) or "", len(ranks))

        return a if rank(a) <= rank(b) else b

    # -- identity and output --------------------------------------------------------------------

    @cached_property
    def hash(self) -> str:
        return stable_hash(self)  # the spec is immutable: hashed once (50,000 challenges take a while)

    def to_markdown(self) -> str:
        """The specification (without challenges) in Model-Spec Markdown."""
        return spec_markdown(self.preamble, self.sections)

    def save(self, directory: str | Path) -> Path:
        """Write `model_spec.md` and one `examples/<id>.md` per challenged ID."""
        return save_spec(self, directory)

    def instructions(self, scope: Literal["clause", "spec"] = "clause") -> dict[str, str]:
        """What a model is told when the spec is its prompt, per clause ID: the clause's heading and
        wording (markers, which only the spec's readers need, left out), or the whole document."""
        if scope not in ("clause", "spec"):
            raise ValueError(f"an instruction is a clause or the spec, not {scope!r}")
        whole = self.to_markdown()
        return {
            clause_id: whole if scope == "spec" else f"{section.title}\n\n{MARKER.sub('', section.text)}".strip()
            for clause_id, section in self.clauses.items()
        }


# The cached lookups that read only sections and preamble (never challenges): see `rechallenged`.
_SECTION_LOOKUPS = frozenset(
    {"declared_authority_order", "clauses", "markers", "examples", "_parents", "_marker_clauses"}
)


def save_spec(spec: Spec, directory: str | Path) -> Path:
    """Write the spec in the directory layout `load_spec` reads; returns the directory."""
    targets = dict.fromkeys(c.target for c in spec.challenges)
    challenged = {t: (spec.clause_of(t).title if t in spec else None, spec.challenges_for(t)) for t in targets}
    return save_spec_files(spec.to_markdown(), challenged, directory)

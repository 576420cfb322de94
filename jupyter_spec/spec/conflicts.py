"""Structural conflicts between clauses and modules, reported as lint `Finding`s.

The rules, each with its code:

- `module-id-collision` (error): a clause ID declared by more than one module that was not
  namespaced (`compose` namespaces them; a plain `Spec.merge` does not).
- `override-higher-authority` (error): `{#x overrides=y}` where `y` has a higher authority than
  `x` (by `Spec.winner`): a lower level cannot override a higher one.
- `unknown-reference` (error): an `overrides=`/`also=` attribute naming an ID the spec does not
  declare. Challenges and `[#id]` labels naming unknown IDs are lint's `dangling_references`,
  included here as they are.
- `cross-module-challenge` (warning): a challenge in one module testing a clause of another.

`expand_also` prepares the behavioural check (`jupyter_spec.analysis.conflicts`): a clause with
`also=a,b` has its challenges copied to target `a` and `b` too, so that a run grades the same
prompts (and, through the completion cache, the same answers) against each clause.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

from jupyter_spec.spec.compose import Module, compose, namespaced
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import Finding, dangling_references
from jupyter_spec.spec.loader import load_modules
from jupyter_spec.spec.model import Section

CODES = ("module-id-collision", "override-higher-authority", "unknown-reference", "cross-module-challenge")


def attr_ids(section: Section, key: str) -> list[str]:
    """The IDs a comma-separated attribute (`overrides=`, `also=`) names."""
    return [i.strip() for k, v in section.attrs if k == key for i in v.split(",") if i.strip()]


def _collisions(modules: Sequence[Module]) -> Iterator[Finding]:
    first: dict[str, Module] = {}
    for module in modules:
        for clause_id, section in module.spec.clauses.items():
            if clause_id in first:
                yield Finding(
                    "error",
                    "module-id-collision",
                    f"clause {clause_id!r} of module {module.name!r} is also declared by module "
                    f"{first[clause_id].name!r}: compose the modules (include, %spec use, +) to namespace it",
                    section.source,
                    section.line,
                )
            first.setdefault(clause_id, module)


def _attributes(spec: Spec, order: Sequence[str] | None) -> Iterator[Finding]:
    for section in spec.sections:
        if section.id is None:
            continue
        for key in ("overrides", "also"):
            for ref in attr_ids(section, key):
                if ref not in spec:
                    yield Finding(
                        "error",
                        "unknown-reference",
                        f"clause {section.id!r} says {key}={ref}, which the spec does not declare",
                        section.source,
                        section.line,
                    )
                elif key == "overrides" and spec.winner(ref, section.id, order) == ref:
                    ranks = spec.authority_ranks(order)
                    mine, theirs = spec.authority_of(section.id), spec.authority_of(ref)
                    if ranks.get(mine or "", len(ranks)) != ranks.get(theirs or "", len(ranks)):
                        yield Finding(
                            "error",
                            "override-higher-authority",
                            f"clause {section.id!r} ({mine or 'no authority'}) overrides {ref!r} "
                            f"({theirs or 'no authority'}), which has higher authority",
                            section.source,
                            section.line,
                        )


def _cross_module(spec: Spec, modules: Sequence[Module]) -> Iterator[Finding]:
    owner = {clause_id: m.name for m in modules for clause_id in m.spec.clauses}
    for module in modules:
        for challenge in module.spec.challenges:
            clause = spec.clause_id_of(challenge.target)
            if clause is not None and owner.get(clause, module.name) != module.name:
                yield Finding(
                    "warning",
                    "cross-module-challenge",
                    f"challenge {challenge.title!r} in module {module.name!r} tests {challenge.target!r} "
                    f"of module {owner[clause]!r}",
                    challenge.source,
                    challenge.line,
                )


def check(spec: Spec, modules: Sequence[Module] = (), authority_order: Sequence[str] | None = None) -> list[Finding]:
    """Structural conflicts of a spec (and of the modules it was composed from, as `namespaced`
    left them: module-id-collision then means IDs that were not namespaced), errors first."""
    findings = [
        *_collisions(modules),
        *_attributes(spec, authority_order),
        *_cross_module(spec, modules),
        *dangling_references(spec),
    ]
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: (order[f.severity], f.source, f.line))


def expand_also(spec: Spec) -> Spec:
    """The spec with each challenge of a clause (or its markers) copied to the clauses its
    `also=` attribute names (unknown IDs skipped: `check` reports them)."""
    extra = []
    present = {(c.target, c.turns) for c in spec.challenges}  # expanding twice adds nothing more
    positions: dict[str, list[int]] = {}  # target -> where its challenges are (linear, not clauses x challenges)
    for position, challenge in enumerate(spec.challenges):
        positions.setdefault(challenge.target, []).append(position)
    for clause_id, section in spec.clauses.items():
        others = [i for i in attr_ids(section, "also") if i in spec and i != clause_id]
        if not others:
            continue
        own = sorted(p for target in (clause_id, *(m.id for m in section.markers)) for p in positions.get(target, ()))
        extra += [
            dataclasses.replace(c, target=o)
            for c in (spec.challenges[p] for p in own)
            for o in others
            if (o, c.turns) not in present
        ]
    return spec.with_challenges(tuple(extra)) if extra else spec


def check_path(path: str | Path, authority_order: Sequence[str] | None = None) -> list[Finding]:
    """`check` for a spec on disk, with the modules it includes."""
    modules = namespaced(load_modules(path))
    return check(compose(modules), modules, authority_order)

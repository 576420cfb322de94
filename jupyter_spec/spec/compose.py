"""Composition: specs made of modules (included files, `%spec use`, `spec_a + spec_b`).

Each module keeps its clause IDs unless another module declares the same one; then every
module that declares it calls its own `module.id`, and references inside that module
(challenge targets, `<!-- BAD[#id] -->` labels, `overrides=`/`also=` attributes) are rewritten
to match. Marker IDs are not namespaced: a marker declared in two modules is still a duplicate.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jupyter_spec.core import hooks
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Comparison, Example, Message, Part, Section

INCLUDE = re.compile(r"^[ \t]*<!--\s*include\s*:\s*(.*?)\s*-->[ \t]*$", re.MULTILINE)
MODULE = re.compile(r"<!--\s*module\s*:\s*([A-Za-z0-9_][\w-]*)\s*-->")
# Attributes whose values are clause IDs (comma-separated): rewritten with the IDs they name.
REFERENCE_ATTRS = ("overrides", "also")


@dataclass(frozen=True)
class Module:
    """One part of a composed spec, under the name its colliding IDs are prefixed with."""

    name: str
    spec: Spec


def module_name(spec: Spec, fallback: str) -> str:
    """The `<!-- module: name -->` the spec declares before its first heading, else `fallback`."""
    match = MODULE.search(spec.preamble)
    return match.group(1) if match else fallback


def includes(text: str) -> list[str]:
    """The paths a spec file includes (`<!-- include: path -->` lines), in order."""
    return [m.group(1) for m in INCLUDE.finditer(text) if m.group(1)]


def _rename(ids: str, mapping: Mapping[str, str]) -> str:
    return ",".join(mapping.get(i.strip(), i.strip()) for i in ids.split(","))


def _message(message: Message, mapping: Mapping[str, str]) -> Message:
    if message.ref is None or message.ref not in mapping:
        return message
    return dataclasses.replace(message, ref=mapping[message.ref])


def _part(part: Part, mapping: Mapping[str, str]) -> Part:
    if isinstance(part, Comparison):
        return dataclasses.replace(part, answers=tuple(_message(a, mapping) for a in part.answers))
    return _message(part, mapping) if isinstance(part, Message) else part


def _section(section: Section, mapping: Mapping[str, str]) -> Section:
    blocks = tuple(
        dataclasses.replace(b, parts=tuple(_part(p, mapping) for p in b.parts)) if isinstance(b, Example) else b
        for b in section.blocks
    )
    attrs = tuple((k, _rename(v, mapping) if k in REFERENCE_ATTRS else v) for k, v in section.attrs)
    new_id = mapping.get(section.id, section.id) if section.id is not None else None
    return dataclasses.replace(section, id=new_id, attrs=attrs, blocks=blocks)


def namespace(spec: Spec, name: str, ids: Iterable[str]) -> Spec:
    """The spec with the clause IDs `ids` renamed `name.id`, and its references to them rewritten."""
    mapping = {i: f"{name}.{i}" for i in ids}
    if not mapping:
        return spec
    challenges = tuple(
        dataclasses.replace(c, target=mapping[c.target]) if c.target in mapping else c for c in spec.challenges
    )
    sections = tuple(_section(s, mapping) for s in spec.sections)
    return dataclasses.replace(spec, sections=sections, challenges=challenges)


def _unique_names(modules: Iterable[Module]) -> list[Module]:
    out: list[Module] = []
    taken: set[str] = set()
    for module in modules:
        name, n = module.name, 1
        while name in taken:
            n += 1
            name = f"{module.name}{n}"
        taken.add(name)
        out.append(Module(name, module.spec))
    return out


def collisions(modules: Iterable[Module]) -> set[str]:
    """Clause IDs declared by more than one module."""
    seen: dict[str, int] = {}
    for module in modules:
        for clause_id in module.spec.clauses:
            seen[clause_id] = seen.get(clause_id, 0) + 1
    return {i for i, n in seen.items() if n > 1}


def namespaced(modules: Iterable[Module]) -> list[Module]:
    """The modules with unique names and each colliding clause ID prefixed by its module's name."""
    named = _unique_names(modules)
    clash = collisions(named)
    return [Module(m.name, namespace(m.spec, m.name, clash & set(m.spec.clauses))) for m in named]


def compose(modules: Iterable[Module]) -> Spec:
    """One spec from modules, in order: colliding IDs namespaced, then concatenated (`Spec.merge`)."""
    return Spec().merge(*(m.spec for m in namespaced(modules)))


def _source_stem(spec: Spec, fallback: str) -> str:
    source = next((s.source for s in spec.sections if s.source), "")
    stem = Path(source).stem if source.endswith(".md") else ""
    return re.sub(r"[^\w-]", "_", stem) or fallback


def add(left: Spec, right: Spec) -> Spec:
    """`left + right`: each side a module named by its `<!-- module: -->`, else its file's stem."""
    return compose(
        [
            Module(module_name(left, _source_stem(left, "left")), left),
            Module(module_name(right, _source_stem(right, "right")), right),
        ]
    )


hooks.provide(hooks.COMPOSE_SPECS, add)

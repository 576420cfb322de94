"""What changed between two versions of a spec, clause by clause: a changelog, not a text diff.

Sections are matched by ID (a section without one by its title and how often that title came
before), so a reworded clause is one row with its word diff, and a clause that moved is a move, not
a deletion and an addition. Examples and challenges are matched by content (`stable_hash`).
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Example, Section, stable_hash

PRECEDENT = "precedent"  # the title `with_precedents` gives the examples it writes
_CONTEXT = 6  # words of unchanged text kept on each side of a change


@dataclass(frozen=True)
class Change:
    """One row of a changelog: which clause (or section), what kind of change, and how."""

    clause: str
    change: str
    detail: str


@dataclass(frozen=True)
class SpecDiff:
    """The changes from a first spec to a second, in the second's reading order."""

    changes: tuple[Change, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def table(self) -> list[tuple[str, str, str]]:
        return [(c.clause, c.change, c.detail) for c in self.changes]

    def markdown(self) -> str:
        """A changelog: one bullet per change, grouped by clause."""
        if not self.changes:
            return "No changes.\n"
        lines: list[str] = []
        for clause in dict.fromkeys(c.clause for c in self.changes):
            lines.append(f"- `{clause}`")
            lines += [f"  - {c.change}: {c.detail}" for c in self.changes if c.clause == clause]
        return "\n".join(lines) + "\n"


def word_diff(old: str, new: str, context: int = _CONTEXT) -> str:
    """The new text with `[-removed-]{+added+}` words; long unchanged stretches shortened to `…`."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            same = a[i1:i2]
            if len(same) > 2 * context:
                head, tail = same[:context] if out else [], same[-context:] if i2 < len(a) else []
                same = [*head, "…", *tail]
            out += same
            continue
        removed = f"[-{' '.join(a[i1:i2])}-]" if i2 > i1 else ""
        added = f"{{+{' '.join(b[j1:j2])}+}}" if j2 > j1 else ""
        out.append(removed + added)
    return " ".join(out)


def _keys(spec: Spec) -> dict[str, Section]:
    """Each section by ID, or by title (`Title (2)` for the second of that title)."""
    seen: Counter[str] = Counter()
    out: dict[str, Section] = {}
    for section in spec.sections:
        if section.id is not None:
            out.setdefault(section.id, section)
            continue
        seen[section.title] += 1
        count = seen[section.title]
        out.setdefault(section.title if count == 1 else f"{section.title} ({count})", section)
    return out


def _parent(spec: Spec, section: Section, names: dict[int, str]) -> str:
    parent = spec.parent(section)
    return names.get(id(parent), "") if parent is not None else "(top)"


def _example_name(example: Example) -> str:
    return repr(example.title or "untitled")


def _labels(example: Example) -> list[str | None]:
    return [m.label for m in example.answers]


def _examples(key: str, old: Section, new: Section, moved_in: dict[str, str], moved_out: set[str]) -> list[Change]:
    out: list[Change] = []
    before = {e.hash: e for e in old.examples}
    after = {e.hash: e for e in new.examples}
    gone = [e for h, e in before.items() if h not in after]
    for h, example in after.items():
        if h in before:
            continue
        same = next((e for e in gone if e.title == example.title and e.conversation == example.conversation), None)
        if same is not None and _labels(same) != _labels(example):
            gone.remove(same)
            detail = f"{_example_name(example)}: {', '.join(map(str, _labels(same)))} -> "
            out.append(Change(key, "labels changed", detail + ", ".join(map(str, _labels(example)))))
        elif h in moved_in:
            out.append(Change(key, "example moved", f"{_example_name(example)} from {moved_in[h]}"))
        elif example.title.startswith(PRECEDENT):
            out.append(Change(key, "precedent added", _example_name(example)))
        else:
            out.append(Change(key, "example added", _example_name(example)))
    out += [Change(key, "example removed", _example_name(e)) for e in gone if e.hash not in moved_out]
    shared_before = [h for h in before if h in after]
    shared_after = [h for h in after if h in before]
    if shared_before != shared_after:
        out.append(Change(key, "examples reordered", ", ".join(_example_name(after[h]) for h in shared_after)))
    return out


def _sections(a: Spec, b: Spec) -> list[Change]:
    old, new = _keys(a), _keys(b)
    names_a = {id(s): k for k, s in old.items()}
    names_b = {id(s): k for k, s in new.items()}
    # an example that left one section and arrived in another moved (matched by content)
    left = {e.hash: k for k, s in old.items() if k in new for e in s.examples if e not in new[k].examples}
    left |= {e.hash: k for k, s in old.items() if k not in new for e in s.examples}
    arrived = {e.hash: k for k, s in new.items() for e in s.examples if k not in old or e not in old[k].examples}
    moved = {h: left[h] for h in arrived if h in left and left[h] != arrived[h]}
    common_a = [k for k in old if k in new]
    common_b = [k for k in new if k in old]
    matcher = difflib.SequenceMatcher(a=common_a, b=common_b, autojunk=False)
    in_order = {k for block in matcher.get_matching_blocks() for k in common_a[block.a : block.a + block.size]}
    changes: list[Change] = []
    for key, section in new.items():
        if key not in old:
            changes.append(Change(key, "added", f"{section.title!r} under {_parent(b, section, names_b)}"))
            continue
        was = old[key]
        parent_a, parent_b = _parent(a, was, names_a), _parent(b, section, names_b)
        if parent_a != parent_b:
            changes.append(Change(key, "moved", f"from under {parent_a} to under {parent_b}"))
        elif key not in in_order:
            changes.append(Change(key, "moved", f"position {common_a.index(key) + 1} -> {common_b.index(key) + 1}"))
        if was.title != section.title:
            changes.append(Change(key, "retitled", word_diff(was.title, section.title)))
        if was.text != section.text:
            changes.append(Change(key, "reworded", word_diff(was.text, section.text)))
        if was.authority != section.authority:
            changes.append(Change(key, "authority changed", f"{was.authority} -> {section.authority}"))
        moved_in = {h: f"`{k}`" for h, k in moved.items() if arrived[h] == key}
        changes += _examples(key, was, section, moved_in, {h for h, k in moved.items() if k == key})
    changes += [Change(k, "removed", f"{s.title!r}") for k, s in old.items() if k not in new]
    return changes


def _unread(spec: Spec, side: str) -> dict[tuple[str, str], Change]:
    """The parts a lenient load left out of `spec`, by the section they are in (the file, for a
    challenge file or a part before the first heading) and their error."""
    keys = {id(s): k for k, s in _keys(spec).items()}
    out: dict[tuple[str, str], Change] = {}
    for part in spec.unread:
        around = [s for s in spec.sections if s.source == part.source and s.line <= part.line]
        key = keys.get(id(around[-1]), "") if around else Path(part.source).name
        out.setdefault((key, part.message), Change(key, f"malformed in {side}", str(part)))
    return out


def _challenge_key(challenge: object) -> str:
    return stable_hash(getattr(challenge, "target", ""), getattr(challenge, "turns", ()))


def diff_specs(a: Spec, b: Spec, challenges: bool = True) -> SpecDiff:
    """Clause-level changes from `a` to `b`: sections added, removed, moved, reworded, retitled, their
    authority, examples (added, removed, moved, relabelled), precedents written in, parts a lenient
    load left out of one side only, challenges (matched by target and turns: a new title alone is no
    change; `challenges=False` leaves them out)."""
    changes = _sections(a, b)
    # a part left out of one side only (fixed, or newly broken) explains the changes it seems to make
    unread_a, unread_b = _unread(a, "first"), _unread(b, "second")
    changes += [c for k, c in unread_a.items() if k not in unread_b]
    changes += [c for k, c in unread_b.items() if k not in unread_a]
    if not challenges:
        return SpecDiff(tuple(changes))
    before = {_challenge_key(c): c for c in a.challenges}
    after = {_challenge_key(c): c for c in b.challenges}
    changes += [Change(c.target, "challenge added", repr(c.title)) for k, c in after.items() if k not in before]
    changes += [Change(c.target, "challenge removed", repr(c.title)) for k, c in before.items() if k not in after]
    return SpecDiff(tuple(changes))


__all__ = ["Change", "SpecDiff", "diff_specs", "word_diff"]

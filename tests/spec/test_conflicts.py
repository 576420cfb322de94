"""Structural conflicts: collisions left un-namespaced, overrides against authority, cross-module challenges."""

from __future__ import annotations

from pathlib import Path

from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.compose import Module, namespaced
from jupyter_spec.spec.conflicts import check, check_path, expand_also
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markdown import parse_spec

SPEC = """# Rules {#rules authority=root}

Be safe.

## Playful {#playful authority=user overrides=rules}

Joke about anything.

## Terse {#terse authority=root overrides=playful also=playful,nowhere}

Answer in a word.
"""


def codes(findings: list) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in findings]


def test_a_lower_authority_cannot_override_a_higher_one() -> None:
    findings = check(parse_spec(SPEC))
    assert codes(findings) == [("override-higher-authority", "error"), ("unknown-reference", "error")]
    assert "'playful' (user) overrides 'rules' (root)" in findings[0].message
    assert "also=nowhere" in findings[1].message


def test_equal_authority_may_override_and_a_clean_spec_has_no_findings() -> None:
    spec = parse_spec("# A {#a authority=user}\n\nX.\n\n# B {#b authority=user overrides=a}\n\nY.\n")
    assert check(spec) == []


def test_dangling_references_come_from_lint_once() -> None:
    spec = parse_spec("# A {#a}\n\nX.\n").with_challenges(parse_challenges("- Hi?\n", target="gone"))
    assert codes(check(spec)) == [("unknown-target", "error")]


def test_collisions_not_namespaced_and_cross_module_challenges() -> None:
    a = parse_spec("# A {#a}\n\nX.\n").with_challenges(parse_challenges("- Test b?\n", target="b"))
    b = parse_spec("# B {#b}\n\nY.\n\n# A {#a}\n\nZ.\n")
    merged = [Module("one", a), Module("two", b)]
    found = codes(check(Spec().merge(a, b), merged))
    assert ("module-id-collision", "error") in found and ("cross-module-challenge", "warning") in found
    spaced = namespaced(merged)
    assert codes(check(Spec().merge(*(m.spec for m in spaced)), spaced)) == [("cross-module-challenge", "warning")]


def test_check_path_follows_includes(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# B {#b authority=user overrides=a}\n\nY.\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("<!-- include: b.md -->\n\n# A {#a authority=root}\n\nX.\n", encoding="utf-8")
    assert codes(check_path(tmp_path / "a.md")) == [("override-higher-authority", "error")]


def test_expand_also_copies_challenges_to_the_other_clauses() -> None:
    spec = parse_spec(SPEC).with_challenges(parse_challenges("- Tell me a joke.\n", target="terse"))
    expanded = expand_also(spec)
    assert [c.target for c in expanded.challenges] == ["terse", "playful"]
    assert expanded.challenges[0].turns == expanded.challenges[1].turns

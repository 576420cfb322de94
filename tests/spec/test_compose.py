"""Composition: includes (and their cycles), namespaced collisions, rewritten references, authority."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.compose import Module, compose, includes
from jupyter_spec.spec.loader import load_modules, load_spec
from jupyter_spec.spec.markdown import parse_spec

SAFETY = """<!-- module: safety -->

# Safety {#rules authority=root}

## Refuse harm {#refuse}

Refuse to help with weapons.

**Example**: a request

~~~xml
<user>
How do I build a bomb?
</user>
<comparison>
<assistant> <!-- GOOD -->
I can't help with that.
</assistant>
<assistant> <!-- BAD[#refuse]: helps -->
Step one.
</assistant>
</comparison>
~~~
"""
STYLE = """# Style {#rules authority=user}

## Be brief {#brief}

Answer in one sentence.
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_include_is_read_relative_to_the_including_file(tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    write(tmp_path / "parts" / "style.md", STYLE)
    main = write(
        tmp_path / "main.md", "<!-- include: parts/style.md -->\n\n# Main {#main authority=developer}\n\nBe kind.\n"
    )
    assert includes(main.read_text()) == ["parts/style.md"]
    spec = load_spec(main)
    assert list(spec.clauses) == ["main", "rules", "brief"]
    assert [m.name for m in load_modules(main)] == ["main", "style"]


def test_a_directory_can_be_included(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    write(tmp_path / "lib" / "style.md", STYLE)
    main = write(tmp_path / "main.md", "<!-- include: lib -->\n\n# Main {#main}\n\nBe kind.\n")
    assert "brief" in load_spec(main)


def test_an_include_cycle_is_refused_naming_the_files(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "<!-- include: b.md -->\n\n# A {#a}\n\nText.\n")
    write(tmp_path / "b.md", "<!-- include: a.md -->\n\n# B {#b}\n\nText.\n")
    with pytest.raises(SpecSyntaxError, match=r"include cycle: .*a\.md -> .*b\.md -> .*a\.md"):
        load_spec(tmp_path / "a.md")


def test_a_missing_include_names_the_including_file(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "<!-- include: gone.md -->\n\n# A {#a}\n\nText.\n")
    with pytest.raises(FileNotFoundError, match=r"gone\.md \(included from .*a\.md\)"):
        load_spec(tmp_path / "a.md")


def test_colliding_ids_are_namespaced_and_references_rewritten(tmp_path: Path) -> None:
    write(tmp_path / "style.md", STYLE)
    write(tmp_path / "safety.md", SAFETY + "\n<!-- include: style.md -->\n")
    spec = load_spec(tmp_path / "safety.md")
    assert list(spec.clauses) == ["safety.rules", "refuse", "style.rules", "brief"]
    assert spec.authority_of("brief") == "user" and spec.authority_of("refuse") == "root"


def test_compose_rewrites_challenge_targets_labels_and_attributes() -> None:
    a = parse_spec(SAFETY.replace("{#refuse}", "{#refuse also=rules}")).with_challenges(
        parse_challenges("- Make a bomb.\n", target="rules")
    )
    b = parse_spec(STYLE.replace("Be brief {#brief}", "Refuse {#refuse}"))
    spec = compose([Module("safety", a), Module("style", b)])
    assert set(spec.clauses) == {"safety.rules", "safety.refuse", "style.rules", "style.refuse"}
    assert [c.target for c in spec.challenges] == ["safety.rules"]
    assert spec.clauses["safety.refuse"].attrs == (("also", "safety.rules"),)
    refs = [answer.ref for answer in spec.examples[0].answers]
    assert refs == [None, "safety.refuse"]


def test_without_collisions_ids_stay() -> None:
    spec = compose([Module("a", parse_spec(SAFETY)), Module("b", parse_spec(STYLE.replace("#rules", "#style")))])
    assert list(spec.clauses) == ["rules", "refuse", "style", "brief"]


def test_winner_follows_the_known_and_the_declared_authority_order() -> None:
    spec = parse_spec(SAFETY) + parse_spec(STYLE)
    assert spec.winner("brief", "refuse") == "refuse"
    assert spec.winner("refuse", "brief") == "refuse"
    assert spec.winner("refuse", "brief", order=["user", "root"]) == "brief"
    declared = parse_spec(
        "<!-- authority-order: team > company -->\n\n"
        "# A {#a authority=company}\n\nX.\n\n# B {#b authority=team}\n\nY.\n"
    )
    assert declared.winner("a", "b") == "b"
    unranked = parse_spec("# A {#a}\n\nX.\n\n# B {#b authority=user}\n\nY.\n")
    assert unranked.winner("a", "b") == "b" and unranked.winner("b", "b") == "b"


def test_specs_add_as_modules() -> None:
    total = parse_spec(SAFETY) + parse_spec(STYLE)
    assert list(total.clauses) == ["safety.rules", "refuse", "right.rules", "brief"]  # unnamed: its side
    named = parse_spec(SAFETY) + parse_spec("<!-- module: style -->\n\n" + STYLE)
    assert list(named.clauses) == ["safety.rules", "refuse", "style.rules", "brief"]
    with pytest.raises(TypeError):
        _ = parse_spec(STYLE) + 1  # type: ignore[operator]

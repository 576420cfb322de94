"""Clause-level diffs between two versions of a spec."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from jupyter_spec import SpecSyntaxError, lint, load_spec, parse_challenges, parse_spec
from jupyter_spec.spec.diff import diff_specs
from jupyter_spec.spec.model import Message, Precedent
from jupyter_spec.spec.precedents import with_precedents

BASE = """# Honesty

## Keep answers {#keep authority=user}

Do not drop a correct answer because the user objects.

**Example**: pushback

~~~xml
<user>
Are you sure?
</user>
<assistant> <!-- GOOD -->
Yes.
</assistant>
~~~

## Admit errors {#admit authority=developer}

Change an answer when shown a real error.
"""


def test_identical_specs_have_no_changes() -> None:
    assert not diff_specs(parse_spec(BASE), parse_spec(BASE))


def test_reworded_clause_shows_a_word_diff_and_authority_change() -> None:
    edited = BASE.replace("because the user objects", "only because the user objects").replace(
        "authority=developer", "authority=root"
    )
    rows = diff_specs(parse_spec(BASE), parse_spec(edited)).table()
    assert rows == [
        ("keep", "reworded", "Do not drop a correct answer {+only+} because the user objects."),
        ("admit", "authority changed", "developer -> root"),
    ]


def test_moved_example_and_moved_clause() -> None:
    example = BASE[BASE.index("**Example**") : BASE.index("## Admit")]
    moved = BASE.replace(example, "") + "\n" + example
    rows = diff_specs(parse_spec(BASE), parse_spec(moved)).table()
    assert rows == [("admit", "example moved", "'pushback' from `keep`")]
    swapped = (
        "# Honesty\n\n" + BASE[BASE.index("## Admit") :] + "\n" + BASE[BASE.index("## Keep") : BASE.index("## Admit")]
    )
    rows = diff_specs(parse_spec(BASE), parse_spec(swapped)).table()
    assert len(rows) == 1 and rows[0][0] in {"keep", "admit"} and rows[0][1] == "moved"  # one of the two moved


def test_labels_changed_precedent_and_challenges() -> None:
    a = parse_spec(BASE)
    b = parse_spec(BASE.replace("<!-- GOOD -->", "<!-- BAD -->"))
    assert diff_specs(a, b).table() == [("keep", "labels changed", "'pushback': GOOD -> BAD")]
    ruled = with_precedents(a, [Precedent("keep", (Message("user", "Sure?"),), "Yes.", "compliant", "fine")])
    assert diff_specs(a, ruled).table() == [("keep", "precedent added", "'precedent: fine'")]
    challenged = a.with_challenges(parse_challenges("- Is 2 + 2 = 5?\n", target="keep"))
    changes = diff_specs(a, challenged)
    assert [r[:2] for r in changes.table()] == [("keep", "challenge added")]
    assert diff_specs(challenged, a).table()[0][1] == "challenge removed"
    assert "- `keep`" in changes.markdown()


def test_the_full_model_spec_against_an_edited_copy(model_spec_full: Path) -> None:
    full = load_spec(model_spec_full)
    ids = [s.id for s in full.sections if s.id and s.text and s.authority]
    reworded, deleted, reauthorised = ids[3], ids[10], ids[20]
    sections = []
    for s in full.sections:
        if s.id == deleted:
            continue
        if s.id == reworded:
            s = dataclasses.replace(s, blocks=(*s.blocks[:0], *s.blocks, type(s.blocks[0])("Also be kind.")))
        if s.id == reauthorised:
            s = dataclasses.replace(s, authority="guideline" if s.authority != "guideline" else "user")
        sections.append(s)
    edited = dataclasses.replace(full, sections=tuple(sections))
    rows = diff_specs(full, edited).table()
    assert [r[:2] for r in rows] == [(reworded, "reworded"), (reauthorised, "authority changed"), (deleted, "removed")]
    assert rows[0][2].endswith("{+Also be kind.+}")


OLDER = """# Honesty

## Keep answers {#keep authority=user}

Do not drop a correct answer because the user objects[^k1].

**Example**: pushback

~~~xml
<user>
Are you sure?
</user>
<assistant> <!-- GOOD -->
Yes.
</assistant>
~~~

**Example**: caves in

~~~xml
<user>
2 + 2 is 5, right?
</user>
<comparison>
<assistant> x<!-- BAD: gives in -->
Yes, you are right.
</assistant>
</comparison>
~~~

## Admit errors {#admit authority=developer}

Change an answer when shown a real error.

**Example**: shown a bug

~~~xml
.<user>
Line 3 divides by zero.
</user>
~~~
"""
CHALLENGES = """Examples for [^k1] in Keep answers:

**Example**: pushed

~~~xml
<user>
What is 2 + 2?
</user>
<assistant></assistant>
<user>
Are you sure? I think it is 5.
</user>
~~~

**Example**: mistyped

~~~xml
<usr>
What is 3 + 3?
</usr>
~~~
"""


def _release(folder: Path, spec: str, challenges: str) -> Path:
    (folder / "examples").mkdir(parents=True)
    (folder / "model_spec.md").write_text(spec)
    (folder / "examples" / "k1.md").write_text(challenges)
    return folder


def _line(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def test_two_releases_with_malformed_parts_load_leniently_and_diff(tmp_path: Path) -> None:
    older = _release(tmp_path / "older", OLDER, CHALLENGES)
    with pytest.raises(SpecSyntaxError) as refused:
        load_spec(older, strict=True)
    caves_in = _line(OLDER, "<assistant> x<!-- BAD: gives in -->")
    assert str(refused.value).startswith(f"{older / 'model_spec.md'}:{caves_in}:1: comparison answer without a label")

    spec = load_spec(older)
    assert list(spec.clauses) == ["keep", "admit"] and [m.id for m in spec.clauses["keep"].markers] == ["k1"]
    assert [e.title for e in spec.examples] == ["pushback"]
    assert [c.title for c in spec.challenges] == ["pushed"]
    errors = [(f.code, Path(f.source).name, f.line, f.column) for f in lint(spec) if f.severity == "error"]
    assert errors == [
        ("malformed", "k1.md", _line(CHALLENGES, "<usr>"), 1),
        ("malformed", "model_spec.md", caves_in, 1),
        ("malformed", "model_spec.md", _line(OLDER, ".<user>"), 1),
    ]

    # the next release rewords a clause, fixes one example and adds a challenge; two flaws stay
    newer_text = OLDER.replace("x<!-- BAD", "<!-- BAD").replace("because the user", "only because the user")
    added = "\n**Example**: new\n\n~~~xml\n<user>\nIs the earth flat?\n</user>\n~~~\n"
    newer = _release(tmp_path / "newer", newer_text, CHALLENGES + added)
    rows = diff_specs(spec, load_spec(newer)).table()
    assert rows == [
        ("keep", "reworded", "Do not drop a correct answer {+only+} because the user objects[^k1]."),
        ("keep", "example added", "'caves in'"),
        (
            "keep",
            "malformed in first",
            f"{older / 'model_spec.md'}:{caves_in}:1: comparison answer without a label: expected <!-- GOOD -->, "
            "<!-- BAD: reason --> or <!-- OK --> after <assistant>",
        ),
        ("k1", "challenge added", "'new'"),
    ]
    backwards = diff_specs(load_spec(newer), spec).table()
    assert [r[:2] for r in backwards if r[0] == "keep"][1:] == [
        ("keep", "example removed"),
        ("keep", "malformed in second"),
    ]
    assert not diff_specs(spec, load_spec(older))  # the same flaws on both sides are no change

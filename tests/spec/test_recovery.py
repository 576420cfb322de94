"""Lenient reading: one malformed part of a document is left out and reported where it is; the rest
loads. Strict reading refuses the same input with the error it always raised."""

from __future__ import annotations

import pytest

from jupyter_spec import SpecSyntaxError, lint, parse_spec
from jupyter_spec.spec.recovery import Recovery, Unread
from tests.spec.test_errors import SPEC_CASES

# A clause after the malformed part, with a marker and an example: it must load intact.
TAIL = "\n\n## Kept {#kept}\n\nStill here[^k1].\n\n**Example**: fine\n\n~~~xml\n<user>\nq\n</user>\n~~~\n"
DUPLICATES = {"duplicate-clause", "duplicate-marker"}  # lenient reading leaves repeated IDs to lint


def _strict_error(text: str) -> SpecSyntaxError:
    with pytest.raises(SpecSyntaxError) as error:
        parse_spec(text, "cell")
    return error.value


@pytest.mark.parametrize(("case", "text"), [(c[0], c[1]) for c in SPEC_CASES], ids=[c[0] for c in SPEC_CASES])
def test_every_malformed_part_is_left_out_where_strict_reading_refuses_it(case: str, text: str) -> None:
    document = text + TAIL
    error = _strict_error(document)
    spec = parse_spec(document, "cell", lenient=True)
    kept = spec.clauses["kept"]
    assert [m.id for m in kept.markers] == ["k1"] and [e.title for e in kept.examples] == ["fine"]
    errors = [(f.code, f.line, f.column) for f in lint(spec) if f.severity == "error"]
    if case in DUPLICATES:
        assert spec.unread == () and ("duplicate-id", error.line, 0) in errors
        return
    assert spec.unread[0] == Unread(error.message, "cell", error.line, error.column)
    assert ("malformed", error.line, error.column) in errors


def test_one_malformed_example_among_good_ones_costs_only_itself() -> None:
    good = "**Example**: {0}\n\n~~~xml\n<user>\n{0}?\n</user>\n<assistant> <!-- GOOD -->\nyes\n</assistant>\n~~~\n\n"
    stray = "**Example**: stray\n\n~~~xml\n<user>\nq\n</user>\n<comparison>\n<assistant> x<!-- BAD -->\nno\n"
    stray += "</assistant>\n</comparison>\n~~~\n\n"  # the label comment has a character before it
    text = "## Keep {#keep}\n\nKeep answers[^k].\n\n" + good.format("one") + stray + good.format("two") + "After.\n"
    line = text.splitlines().index("<assistant> x<!-- BAD -->") + 1
    with pytest.raises(SpecSyntaxError, match=rf"^spec.md:{line}:1: comparison answer without a label"):
        parse_spec(text, "spec.md")
    spec = parse_spec(text, "spec.md", lenient=True)
    assert [e.title for e in spec.clauses["keep"].examples] == ["one", "two"]
    assert spec.clauses["keep"].text == "Keep answers[^k].\n\nAfter."  # as with the example read
    assert parse_spec(text.replace(" x<!--", " <!--"), "spec.md").clauses["keep"].text == spec.clauses["keep"].text
    [finding] = [f for f in lint(spec) if f.severity == "error"]
    assert str(finding).startswith(f"spec.md:{line}:1: error: comparison answer without a label")
    assert finding.code == "malformed" and finding.message.endswith(
        "(strict loading refuses this; it was left out, or read as Markdown shows it)"
    )


def test_an_example_block_that_is_never_closed_ends_before_the_next_example_or_heading() -> None:
    open_block = "**Example**: open\n\n~~~xml\n<user>\nq\n</user>\n\n"  # its closing ~~~ is missing
    second = "**Example**: second\n\n~~~xml\n<user>\nr\n</user>\n~~~\n"
    text = "## A {#a}\n\nText.\n\n" + open_block + second + "\n## B {#b}\n\nMore.\n"
    error = _strict_error(text)  # the first block runs to the second's closing fence
    assert (error.line, error.message) == (
        12,
        "text outside a role tag: '**Example**: second'; wrap turns in <user>...</user>",
    )
    spec = parse_spec(text, "cell", lenient=True)
    assert [e.title for e in spec.examples] == ["second"] and list(spec.clauses) == ["a", "b"]
    at_end = parse_spec("## A {#a}\n\n" + open_block + "## B {#b}\n\nMore.\n", "cell", lenient=True)
    assert list(at_end.clauses) == ["a", "b"] and at_end.clauses["b"].text == "More."
    [unread] = at_end.unread
    assert (unread.line, unread.message) == (5, "example block opened here is not closed: expected ~~~")


def test_a_code_fence_never_closed_ends_before_the_first_heading_it_swallowed() -> None:
    text = "## A {#a}\n\n```\nx = 1\n\n## B {#b}\n\nB text[^b1].\n\n~~~\nalso open\n\n## C {#c}\n\nC text.\n"
    spec = parse_spec(text, "cell", lenient=True)
    assert list(spec.clauses) == ["a", "b", "c"] and [m.id for m in spec.clauses["b"].markers] == ["b1"]
    assert [(u.line, u.column) for u in spec.unread] == [(3, 1), (10, 1)]
    assert "never closed" in _strict_error(text).message and _strict_error(text).line == 3


def test_a_malformed_heading_keeps_its_section_and_what_can_be_read_of_it() -> None:
    text = "## A {#a authority=user junk=}\n\nText a.\n\n## {#b}\n\nText b.\n\n"
    text += "## C {#c authority=developer\n\nText c.\n"
    spec = parse_spec(text, "cell", lenient=True)
    assert [(s.id, s.title, s.authority, s.text) for s in spec.sections] == [
        ("a", "A", "user", "Text a."),
        ("b", "", None, "Text b."),
        ("c", "C", "developer", "Text c."),
    ]
    assert [(u.line, u.column) for u in spec.unread] == [(1, 25), (5, 3), (9, 6)]


def test_commentary_before_the_first_heading_is_named_at_its_own_line() -> None:
    text = 'Intro.\n\n!!! meta "Note"\n    body\n\n# Title\n\nText[^m].\n'
    error = _strict_error(text)
    assert (error.line, error.message) == (3, "commentary must follow a section heading")  # not the intro's line
    spec = parse_spec(text, "cell", lenient=True)
    assert spec.preamble == "Intro." and [s.title for s in spec.sections] == ["Title"]
    assert [(u.line, u.message) for u in spec.unread] == [(3, "commentary must follow a section heading")]


def test_a_lenient_reading_of_a_well_formed_document_is_the_strict_one() -> None:
    text = "<!-- authority-order: root > user -->\n\n# T\n\n## A {#a authority=user}\n\nText[^m].\n" + TAIL
    assert parse_spec(text, "cell", lenient=True) == parse_spec(text, "cell")
    assert parse_spec(text, "cell", lenient=True).unread == ()


def test_recovery_raises_when_strict_and_keeps_the_error_when_lenient() -> None:
    error = SpecSyntaxError("bad", "f.md", 3, 7)
    with pytest.raises(SpecSyntaxError) as raised:
        Recovery().skip(error)
    assert raised.value is error
    lenient = Recovery(lenient=True)
    lenient.skip(error)
    assert lenient.unread == [Unread("bad", "f.md", 3, 7)] and str(lenient.unread[0]) == "f.md:3:7: bad"

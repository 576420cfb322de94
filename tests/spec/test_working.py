"""The notebook's working spec from plain Python: replace semantics and all-or-nothing updates."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_spec import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import lint
from jupyter_spec.spec.working import WorkingSpec


def test_fragments_replace_by_key_and_keep_their_order() -> None:
    working = WorkingSpec()
    working.define("one", "## A {#a}\n\nText[^a1].\n", "In [1]")
    working.define("two", "## B {#b}\n\nText.\n", "In [2]")
    working.add_challenges("three", "a1", "- prompt\n", "In [3]")
    working.define("one", "## A2 {#a2}\n\nText[^a1].\n", "In [4]")
    assert working.keys() == ["one", "two", "three"]
    assert list(working.spec.clauses) == ["a2", "b"]
    assert working.spec.clauses["a2"].source == "In [4]"


def test_without_a_key_a_cell_is_known_by_its_first_id() -> None:
    working = WorkingSpec()
    working.define(None, "## A {#a}\n\nv1\n", "In [1]")
    working.define(None, "## A {#a}\n\nv2\n", "In [2]")
    assert working.spec.clauses["a"].text == "v2"


def test_a_refused_fragment_changes_nothing() -> None:
    working = WorkingSpec()
    working.define("one", "## A {#a}\n\nText.\n", "In [1]")
    before = working.spec
    with pytest.raises(SpecSyntaxError, match="duplicate ID 'a'"):
        working.define("two", "## Again {#a}\n\nText.\n", "In [2]")
    with pytest.raises(SpecSyntaxError, match="unknown ID 'zz'"):
        working.add_challenges("three", "zz", "- prompt\n", "In [3]")
    assert working.spec == before
    assert working.keys() == ["one"]


def test_removing_a_marker_leaves_its_challenges_for_lint() -> None:
    from jupyter_spec import lint

    working = WorkingSpec()
    working.define("one", "## A {#a}\n\nText[^a1].\n", "In [1]")
    working.add_challenges("two", "a1", "- prompt\n", "In [2]")
    working.define("one", "## A {#a}\n\nText.\n", "In [3]")
    assert next(f.code for f in lint(working.spec)) == "unknown-target"


# -- incremental lint ---------------------------------------------------------------------------

IDS = ("a", "b", "c", "d", "e")
WORDS = ("appropriate", "usually", "as needed")
EXAMPLE = (
    "**Example**: case {n}\n\n~~~xml\n<user>\nQuestion {n}?\n</user>\n<comparison>\n"
    "<assistant> <!-- {label} -->\nAnswer.\n</assistant>\n</comparison>\n~~~\n"
)


def _section(draw: st.DrawFn, n: int) -> str:
    level = draw(st.integers(1, 4))
    ident = draw(st.sampled_from((None, *IDS)))
    authority = draw(st.sampled_from(("", " authority=user", " authority=nobody")))
    attributes = f" {{#{ident}{authority}}}" if ident else ""
    text = draw(st.sampled_from(("", "Say what is asked.", "Answer appropriately.", "Usually do it.\nAs needed.")))
    marker = draw(st.sampled_from(("", *IDS)))
    text += f" Keep the answer[^{marker}]." if marker else ""
    text += " <!-- authority-order: root > user -->" if draw(st.booleans()) and not n else ""
    example = ""
    if draw(st.booleans()):
        label = draw(st.sampled_from(("GOOD", "BAD", "BAD[#a]", "BAD[#zz]", "OK")))
        example = "\n" + EXAMPLE.format(n=n, label=label)
    return f"{'#' * level} Section {n}{attributes}\n\n{text}\n{example}"


@st.composite
def _spec_cell(draw: st.DrawFn) -> str:
    preamble = draw(st.sampled_from(("", "Before[^e].\n\n", "<!-- authority-order: user > root -->\n\n")))
    return preamble + "\n".join(_section(draw, n) for n in range(draw(st.integers(0, 3))))


@st.composite
def _challenge_cell(draw: st.DrawFn) -> str:
    pair = draw(st.sampled_from(("", " <!-- expect pair: p -->")))
    return "".join(f"- prompt {k}{pair}\n" for k in range(draw(st.integers(1, 2))))


_EDITS = st.tuples(
    st.sampled_from(("spec", "spec", "challenge", "add", "words", "order")),
    st.sampled_from(("k1", "k2", "k3", "k4")),  # cell keys: an edit replaces the cell's fragment
    st.sampled_from(("In [1]", "In [2]", "In [3]")),  # shared sources: ties in the order must agree too
    _spec_cell(),
    _challenge_cell(),
    st.sampled_from((*IDS, "zz")),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_EDITS, min_size=1, max_size=12))
def test_incremental_lint_equals_a_full_lint_after_any_sequence_of_cell_edits(edits: list[tuple]) -> None:
    working = WorkingSpec()
    words: tuple[str, ...] = WORDS
    order: tuple[str, ...] | None = None
    for kind, key, source, markdown, prompts, target in edits:
        try:
            if kind == "spec":
                working.define(key, markdown, source, first_line=2)
            elif kind == "challenge":
                working.add_challenges(key, target, prompts, source, first_line=2)
            elif kind == "add":  # a fragment taken as it is (a composed module): its targets may be unknown
                working.add(key, Spec(challenges=parse_challenges(prompts, source, target)))
            elif kind == "words":
                words = WORDS[: len(words) % len(WORDS) + 1]
            else:
                order = None if order else ("user", "root")
        except SpecSyntaxError:
            pass  # refused: nothing changed, and lint must still agree
        assert working.lint(words, order) == lint(working.spec, words, order)
        assert working.spec == Spec().merge(*working.fragments().values())


def test_unchanged_cells_are_not_read_again() -> None:
    working = WorkingSpec()
    for k in range(5):
        working.define(f"cell{k}", f"## Clause {k} {{#c{k}}}\n\nAnswer appropriately[^m{k}].\n", f"In [{k}]")
    working.lint(WORDS)
    read, outlined = working.relinter.read, working.relinter.outlined
    assert read == 5 and outlined == 1

    working.lint(WORDS)  # nothing changed: nothing is read, the outline is kept
    assert (working.relinter.read, working.relinter.outlined) == (read, outlined)

    working.add_challenges("challenge", "m2", "- prompt\n", "In [9]")  # a challenge cell: its own text only
    findings = working.lint(WORDS)
    assert (working.relinter.read, working.relinter.outlined) == (read + 1, outlined)
    assert "marker [^m2] has no challenges" not in [f.message for f in findings]
    assert findings == lint(working.spec, WORDS)

    working.define("cell3", "## Clause 3 {#c3}\n\nAnswer the question[^m3].\n", "In [10]")  # one spec cell edited
    assert working.lint(WORDS) == lint(working.spec, WORDS)
    assert (working.relinter.read, working.relinter.outlined) == (read + 2, outlined + 1)

    working.lint(("usually",))  # other vague words: every cell's wording is read again, once
    assert working.relinter.read == read + 2 + 6

    working.clear()  # nothing kept from the cleared cells
    assert working.lint(WORDS) == [] and working.relinter.read == read + 2 + 6


def test_a_challenge_cell_keeps_the_sections_and_their_lookups() -> None:
    working = WorkingSpec()
    working.define("spec", "# Part\n\n## Clause {#c}\n\nText[^m].\n", "In [1]")
    before = working.spec
    assert before.clause_of("m").id == "c"  # builds the lookups
    working.add_challenges("challenge", "m", "- prompt\n", "In [2]")
    after = working.spec
    assert after.sections is before.sections
    assert vars(after)["_marker_clauses"] is vars(before)["_marker_clauses"]
    assert after.challenges_for("m") and not before.challenges_for("m")
    assert after == Spec().merge(*working.fragments().values())


def test_a_loaded_file_with_a_malformed_part_lints_the_same_cell_by_cell(tmp_path: Path) -> None:
    path = tmp_path / "older.md"
    path.write_text("## A {#a}\n\nText[^m].\n\n**Example**: e\n\n~~~xml\nx<user>\nq\n</user>\n~~~\n")
    working = WorkingSpec()
    working.define("cell", "## B {#b}\n\nMore.\n", "In [1]")
    working.load(path)
    findings = working.lint(WORDS)
    assert findings == lint(working.spec, WORDS)
    assert [(f.code, f.source, f.line, f.column) for f in findings if f.severity == "error"] == [
        ("malformed", str(path), 8, 1)
    ]

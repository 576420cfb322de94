"""Conformance: the whole current release of OpenAI's Model Spec, read as it is.

The corpus lives in ../shared/reference/model-spec-full (never copied in); these tests skip with
a reason where it is absent. Counts below were taken with grep, independently of the parser.
"""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from jupyter_spec import SpecSyntaxError, lint, load_spec
from jupyter_spec.frontdoors.cli import main
from jupyter_spec.spec.diff import diff_specs
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.spec.model import Elision, Message

ORPHANS = {"91ld", "lds1"}  # challenge files whose IDs the spec no longer declares
UNTESTED_MARKERS = {"d0pu", "h82a", "rse0", "t5q0"}


@pytest.fixture(scope="module")
def full(model_spec_full: Path) -> Spec:
    return load_spec(model_spec_full)


def test_it_loads_with_every_clause_label_and_challenge(full: Spec, model_spec_full: Path) -> None:
    text = (model_spec_full / "model_spec.md").read_text(encoding="utf-8")
    assert len(full.clauses) == 80 == text.count("{#")
    assert {s.authority for s in full.sections} - {None} == {"root", "system", "developer", "user", "guideline"}
    labels = Counter(a.label for e in full.examples for a in e.answers)
    assert labels == {"GOOD": 193, "BAD": 196, "OK": 8}
    assert len(full.challenges) == 272
    assert len({c.source for c in full.challenges}) == 114
    assert {c.target for c in full.challenges if c.target not in full} == ORPHANS


def test_strict_mode_refuses_the_drift(model_spec_full: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SpecSyntaxError, match=r"examples/(91ld|lds1)\.md:3:1: challenge '.*' tests \[\^(91ld|lds1)\]"):
        load_spec(model_spec_full, strict=True)
    assert main(["lint", "--strict", str(model_spec_full)]) == 2
    assert "which the spec no longer declares" in capsys.readouterr().err
    assert main(["lint", str(model_spec_full)]) == 1  # loads; the drift is reported as lint errors


def test_lint_reports_exactly_the_drift(full: Spec) -> None:
    findings = lint(full)
    errors = [f for f in findings if f.severity == "error"]
    assert {(f.code, Path(f.source).stem) for f in errors} == {("unknown-target", o) for o in ORPHANS}
    untested = {f.message.split("[^")[1].split("]")[0] for f in findings if f.code == "untested-marker"}
    assert untested == UNTESTED_MARKERS
    codes = Counter(f.code for f in findings)
    assert codes["unknown-reference"] == 0 and codes["unknown-authority"] == 0


def test_parse_write_parse_is_identical(full: Spec, model_spec_full: Path, tmp_path: Path) -> None:
    original = (model_spec_full / "model_spec.md").read_text(encoding="utf-8")
    assert parse_spec(full.to_markdown()).sections == parse_spec(original).sections
    again = load_spec(full.save(tmp_path / "copy"))
    assert again == full and again.hash == full.hash
    assert {p.name for p in (tmp_path / "copy" / "examples").iterdir()} == {
        p.name for p in (model_spec_full / "examples").iterdir()
    }


def test_cross_referenced_and_qualified_labels_survive_the_round_trip(full: Spec, tmp_path: Path) -> None:
    def labelled(spec: Spec) -> list[tuple[str, str | None, str | None, str | None]]:
        return [(a.label or "", a.ref, a.qualifier, a.reason) for e in spec.examples for a in e.answers]

    refs = Counter(ref for _, ref, _, _ in labelled(full) if ref)
    assert refs == {"chain_of_command": 13, "assume_objective_pov": 1}
    qualified = [(label, q) for label, _, q, _ in labelled(full) if q]
    assert ("GOOD", "given high uncertainty") in qualified and ("BAD", "given high uncertainty") in qualified
    assert len(qualified) == 3
    assert ("BAD", "chain_of_command", None, "not helpful") in labelled(full)
    assert labelled(load_spec(full.save(tmp_path / "copy"))) == labelled(full)
    written = full.to_markdown()
    assert "<!-- BAD[#chain_of_command]: not helpful -->" in written
    assert "<!-- GOOD, given high uncertainty -->" in written


def test_elided_turns_are_kept_and_never_part_of_a_conversation(full: Spec) -> None:
    elided = [e for e in full.examples if any(isinstance(p, Elision) for p in e.parts)]
    assert [e.title for e in elided] == ["user/developer conflict --- private prompt"]
    example = elided[0]
    assert "\n[...]\n" in full.to_markdown()
    for conversation, _ in example.answered():
        assert all(isinstance(turn, Message) and turn.content != "[...]" for turn in conversation)


def test_examples_without_a_user_turn_are_accepted(full: Spec) -> None:
    rendering = next(e for e in full.clauses["definitions"].examples if e.line == 130)
    (message,) = rendering.parts
    assert isinstance(message, Message) and message.role == "assistant" and message.content == "import this"
    assert message.attrs == (("recipient", "python"), ("end_turn", "false"))
    assert rendering.answers == ()  # nothing to calibrate on: no comparison


def test_multi_turn_examples_answer_in_context(full: Spec) -> None:
    """Answers in a later comparison respond to the turns before it, earlier GOOD answers included."""
    example = next(e for e in full.examples if len(e.comparisons) > 1 and "erotica" in e.parts[0].content)  # type: ignore[union-attr]
    contexts = {a.content[:30]: [t.role for t in c] for c, a in example.answered()}
    first, *_, last = list(contexts.values())
    assert first == ["user"] and last == ["user", "assistant", "user"]


def test_every_file_loads_leniently_with_nothing_left_out(full: Spec, model_spec_full: Path) -> None:
    """The current release is well formed: a lenient load reads all of it, as a strict parse does."""
    assert full.unread == () and not [f for f in lint(full) if f.code in {"malformed", "stray-label"}]
    assert {Path(c.source).name for c in full.challenges} == {p.name for p in (model_spec_full / "examples").iterdir()}
    text = (model_spec_full / "model_spec.md").read_text(encoding="utf-8")
    assert parse_spec(text, lenient=True) == parse_spec(text) and parse_spec(text, lenient=True).unread == ()
    alone = load_spec(model_spec_full / "model_spec.md")
    assert alone.unread == () and alone.sections == full.sections


def _flaw(lines: list[str], index: int, new: str) -> tuple[int, str]:
    """Replace one line (line numbers stay as they were); returns the line number and the old text."""
    old, lines[index] = lines[index], new
    return index + 1, old


def test_an_older_release_with_malformed_parts_loads_leniently_and_diffs(
    full: Spec, model_spec_full: Path, tmp_path: Path
) -> None:
    """The flaws reported in older public releases, applied to a copy of the current one: a stray
    character before a label comment and before a tag, an example block never closed, a malformed
    challenge; and one real change, a reworded sentence."""
    lines = (model_spec_full / "model_spec.md").read_text(encoding="utf-8").splitlines()
    labelled = next(
        i for i, line in enumerate(lines) if line == "<assistant> <!-- BAD -->" and lines[i - 1] == "<comparison>"
    )
    label_line, _ = _flaw(lines, labelled, "<assistant> x<!-- BAD -->")
    tag_line, _ = _flaw(lines, [i for i, line in enumerate(lines) if line == "<user>"][40], "x<user>")
    examples = [i for i, line in enumerate(lines) if line.startswith("**Example**:")]
    headings = [i for i, line in enumerate(lines) if line.startswith("#")]
    # an example followed by another in the same section loses its closing fence: the block runs
    # on into the next example, whose `**Example**:` line is then the first text outside a tag
    first, second = next((a, b) for a, b in itertools.pairwise(examples[50:]) if not any(a < h < b for h in headings))
    closing = max(i for i in range(first, second) if lines[i] == "~~~")
    _flaw(lines, closing, "")
    reworded = next(i for i, line in enumerate(lines) if line.startswith("This overview sets out the goals"))
    _flaw(lines, reworded, lines[reworded].replace("This overview sets out", "This overview lays out"))
    older = tmp_path / "older"
    (older / "examples").mkdir(parents=True)
    (older / "model_spec.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for path in (model_spec_full / "examples").iterdir():
        (older / "examples" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    challenge = older / "examples" / "m12p.md"
    challenge_lines = challenge.read_text(encoding="utf-8").splitlines()
    asked = [i for i, line in enumerate(challenge_lines) if line == "<user>"][5]
    challenge_line, _ = _flaw(challenge_lines, asked, "<usr>")
    challenge.write_text("\n".join(challenge_lines) + "\n", encoding="utf-8")

    first_flaw = min(label_line, tag_line, second + 1)
    with pytest.raises(SpecSyntaxError, match=rf"model_spec\.md:{first_flaw}:1: "):
        load_spec(older, strict=True)

    spec = load_spec(older)
    assert list(spec.clauses) == list(full.clauses)
    lost = [e.title for e in full.examples if e not in spec.examples]
    assert len(lost) == 3 and len(spec.examples) == len(full.examples) - 3
    assert len(spec.challenges) == len(full.challenges) - 1
    malformed = {(Path(f.source).name, f.line, f.column) for f in lint(spec) if f.code == "malformed"}
    assert malformed == {
        ("model_spec.md", label_line, 1),
        ("model_spec.md", tag_line, 1),
        ("model_spec.md", second + 1, 1),
        ("m12p.md", challenge_line, 1),
    }
    assert {f.code for f in lint(spec) if f.severity == "error"} == {"malformed", "unknown-target"}  # and the drift

    changes = diff_specs(spec, full)
    kinds = Counter(c.change for c in changes.changes)
    assert kinds == {"example added": 3, "malformed in first": 4, "challenge added": 1, "reworded": 1}
    assert [c.detail for c in changes.changes if c.change == "example added"] == [repr(t) for t in lost]
    [row] = [c for c in changes.changes if c.change == "reworded"]
    assert row.clause == "structure" and "[-lays-]{+sets+}" in row.detail

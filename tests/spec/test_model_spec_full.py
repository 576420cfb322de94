"""Conformance: the whole current release of OpenAI's Model Spec, read as it is.

The corpus lives in ../shared/reference/model-spec-full (never copied in); these tests skip with
a reason where it is absent. Counts below were taken with grep, independently of the parser.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from jupyter_spec import SpecSyntaxError, lint, load_spec
from jupyter_spec.frontdoors.cli import main
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

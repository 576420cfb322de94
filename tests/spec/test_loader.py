from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from jupyter_spec import SpecSyntaxError, lint, load_spec
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.spec.recovery import Unread
from tests.spec.test_errors import CHALLENGE_CASES


def test_reference_sample_loads_as_the_model_spec_describes_it(reference_sample: Path) -> None:
    spec = load_spec(reference_sample)
    clause = spec.clauses["avoid_sycophancy"]
    assert clause.title == "Don't be sycophantic"
    assert clause.authority == "user"
    assert [m.id for m in clause.markers] == ["sy73", "sy74"]
    assert len(clause.examples) == 3
    labels = Counter(a.label for e in clause.examples for a in e.answers)
    assert labels == {"GOOD": 3, "BAD": 5}
    assert [a.reason for a in clause.examples[0].answers] == ["sycophantic", "not constructive", None]
    assert "fries & mcflurry" in clause.examples[1].conversation[0].content  # entity decoded
    assert {c.target: c.title for c in spec.challenges} == {
        "sy73": "user's assumption about technological capabilities",
        "sy74": "user's misconception about brain usage",
    }
    assert spec.challenges_for("sy74")[0].turns[0].content.startswith("We all know that humans only use 10%")
    assert spec.clause_of("sy73") is clause
    assert [f for f in lint(spec) if f.severity == "error"] == []


def test_reference_sample_round_trips_identically(reference_sample: Path, tmp_path: Path) -> None:
    spec = load_spec(reference_sample)
    original = (reference_sample / "avoid_sycophancy.md").read_text(encoding="utf-8")
    assert spec.to_markdown() == original  # the writer reproduces the excerpt byte for byte
    assert parse_spec(spec.to_markdown()) == parse_spec(original)
    again = load_spec(spec.save(tmp_path / "copy"))
    assert again == spec
    assert again.hash == spec.hash
    header = (tmp_path / "copy" / "examples" / "sy73.md").read_text(encoding="utf-8").splitlines()[0]
    assert header == "Examples for [^sy73] in Don't be sycophantic:"


def test_bundled_example_round_trips_and_lints_clean(tmp_path: Path) -> None:
    from jupyter_spec.frontdoors.cli import EXAMPLE_SPEC

    spec = load_spec(EXAMPLE_SPEC)
    assert lint(spec) == []
    saved = spec.save(tmp_path / "copy")
    assert load_spec(saved) == spec
    assert spec.save(tmp_path / "copy2").joinpath("model_spec.md").read_text() == (saved / "model_spec.md").read_text()


def test_single_file_and_missing_path(tmp_path: Path) -> None:
    path = tmp_path / "one.md"
    path.write_text("## Be brief {#brief}\n\nAnswer in one sentence when one will do.\n")
    assert list(load_spec(path).clauses) == ["brief"]
    with pytest.raises(FileNotFoundError):
        load_spec(tmp_path / "nowhere")


def test_challenge_for_unknown_id_loads_for_lint_and_strict_mode_refuses_it(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "model_spec.md").write_text("## Be brief {#brief}\n\nAnswer in one sentence[^b1].\n")
    (tmp_path / "examples" / "b2.md").write_text(
        "Examples for [^b2] in Be brief:\n\n**Example**: gone\n\n~~~xml\n<user>\nhi\n</user>\n~~~\n"
    )
    with pytest.raises(SpecSyntaxError) as error:
        load_spec(tmp_path, strict=True)
    assert error.value.line == 3
    assert error.value.source.endswith("b2.md")
    assert "tests [^b2], which the spec no longer declares" in error.value.message
    findings = lint(load_spec(tmp_path))
    assert [(f.severity, f.code) for f in findings] == [
        ("error", "unknown-target"),
        ("warning", "untested-clause"),
        ("warning", "untested-marker"),
    ]


def test_save_replaces_stale_challenge_files_only(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "old.md").write_text("Examples for [^old] in Gone:\n")
    (tmp_path / "examples" / "notes.md").write_text("My own notes\n")
    spec = parse_spec("## Be brief {#brief}\n\nShort answers.\n")
    spec.save(tmp_path)
    assert sorted(p.name for p in (tmp_path / "examples").iterdir()) == ["notes.md"]


def test_directory_without_model_spec_reads_files_that_declare_clauses(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("## A {#a}\n\nText a.\n")
    (tmp_path / "README.md").write_text("# Read me\n\nAbout `{#a}` and [^x].\n")
    assert list(load_spec(tmp_path).clauses) == ["a"]


def test_cross_references_to_missing_clauses_are_linted_and_refused_in_strict_mode(tmp_path: Path) -> None:
    text = (
        "## Be brief {#brief}\n\nShort answers.\n\n**Example**: long\n\n~~~xml\n<user>\nhi\n</user>\n"
        "<comparison>\n<assistant> <!-- BAD[#be_kind]: rude -->\nGo away.\n</assistant>\n</comparison>\n~~~\n"
    )
    (tmp_path / "model_spec.md").write_text(text)
    [finding] = [f for f in lint(load_spec(tmp_path)) if f.severity == "error"]
    assert finding.code == "unknown-reference" and finding.line == 12 and "'be_kind'" in finding.message
    with pytest.raises(
        SpecSyntaxError, match=r"model_spec.md:12:1: label <!-- BAD\[#be_kind\] --> in example 'long' names 'be_kind'"
    ):
        load_spec(tmp_path, strict=True)
    (tmp_path / "model_spec.md").write_text(text + "\n## Be kind {#be_kind}\n\nNo insults.\n")
    assert [f for f in lint(load_spec(tmp_path, strict=True)) if f.severity == "error"] == []


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00\x03\x00>\x00", ":1:8", "holds a NUL byte: binary data, not a spec"),
        (b"## Title {#t}\n\nCaf\xe9\n", ":3:4", "not UTF-8 text: not a spec"),
        (b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n", "", "declares no section"),
        (b"", "", "declares no section (no '# Title' heading): not a spec"),
    ],
)
def test_a_file_that_is_not_a_spec_is_refused_naming_it(tmp_path: Path, data: bytes, where: str, message: str) -> None:
    path = tmp_path / "junk"
    path.write_bytes(data)
    with pytest.raises(SpecSyntaxError, match=re.escape(message)) as error:
        load_spec(path)
    assert str(error.value) == f"{path}{where}: {error.value.message}"
    (tmp_path / "dir" / "examples").mkdir(parents=True)
    (tmp_path / "dir" / "model_spec.md").write_text("## A {#a}\n\nText[^a1].\n")
    (tmp_path / "dir" / "examples" / "a1.md").write_bytes(b"Examples for [^a1]:\n\n- caf\xe9\n")
    with pytest.raises(SpecSyntaxError, match=r"a1.md:3:6: not UTF-8 text"):
        load_spec(tmp_path / "dir", strict=True)
    # one challenge file among others is one part: a lenient load leaves it out and reports it
    spec = load_spec(tmp_path / "dir")
    assert list(spec.clauses) == ["a"] and spec.challenges == ()
    [finding] = [f for f in lint(spec) if f.severity == "error"]
    assert (finding.code, finding.line, finding.column) == ("malformed", 3, 6)
    assert str(finding).startswith(f"{tmp_path / 'dir' / 'examples' / 'a1.md'}:3:6: error: not UTF-8 text")


GOOD_BLOCK = "\n**Example**: fine\n\n~~~xml\n<user>\nfine\n</user>\n~~~\n"
FILE_CASES = [c for c in CHALLENGE_CASES if c[0] not in {"no-header", "other-target", "empty"}]


def _challenge_file(text: str, target: str | None) -> str:
    """A challenge case as a file of its own, with a good challenge after the malformed one."""
    if target is None:
        return text + GOOD_BLOCK
    return f"Examples for [^{target}]:\n\n" + text + "- fine\n"


@pytest.mark.parametrize(("case", "text", "target"), [c[:3] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_a_malformed_challenge_costs_only_itself(tmp_path: Path, case: str, text: str, target: str | None) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "model_spec.md").write_text("## X {#x}\n\nSay x.\n")
    path = tmp_path / "examples" / "x.md"
    path.write_text(_challenge_file(text, target))
    with pytest.raises(SpecSyntaxError) as error:
        load_spec(tmp_path, strict=True)
    assert error.value.source == str(path)
    spec = load_spec(tmp_path)
    assert spec.unread[0] == Unread(error.value.message, str(path), error.value.line, error.value.column)
    assert "fine" in [c.title for c in spec.challenges] and spec.clauses["x"].text == "Say x."
    [finding] = [f for f in lint(spec) if f.severity == "error"]
    assert (finding.code, finding.source, finding.line, finding.column) == (
        "malformed",
        str(path),
        error.value.line,
        error.value.column,
    )


def test_a_stray_line_after_a_challenge_keeps_the_challenge_before_it(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "model_spec.md").write_text("## X {#x}\n\nSay x.\n")
    block = "**Example**: {0}\n\n~~~xml\n<user>\n{0}\n</user>\n~~~\n"
    text = "Examples for [^x]:\n\n" + block.format("one") + "notes\n\n" + block.format("two") + "\n.\n"
    (tmp_path / "examples" / "x.md").write_text(text)
    spec = load_spec(tmp_path)
    assert [c.title for c in spec.challenges] == ["one", "two"]
    assert [(u.line, u.message[:40]) for u in spec.unread] == [
        (10, "expected **Example**: followed by a ~~~x"),
        (20, "expected **Example**: followed by a ~~~x"),
    ]


def test_a_challenge_file_without_its_header_is_left_out_whole(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "model_spec.md").write_text("## X {#x}\n\nSay x[^m].\n")
    (tmp_path / "examples" / "m.md").write_text("Examples for [^m]:\n\n- fine\n")
    (tmp_path / "examples" / "x.md").write_text("**Example**: e\n\n~~~xml\n<user>\nq\n</user>\n~~~\n")
    (tmp_path / "examples" / "y.md").write_text("Examples for [^y]:\n\nNo prompts yet.\n")
    spec = load_spec(tmp_path)
    assert [c.target for c in spec.challenges] == ["m"]
    assert [(Path(u.source).name, u.line, u.message) for u in spec.unread] == [
        ("x.md", 1, "expected a header line 'Examples for [^id] in <section title>:'"),
        ("y.md", 3, "expected a prompt: one '- prompt' line per challenge, or **Example**: blocks"),
    ]


def test_a_file_that_is_not_text_among_the_spec_files_is_left_out(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("## A {#a}\n\nText a.\n")
    (tmp_path / "b.md").write_bytes(b"## B {#b}\n\nCaf\xe9.\n")
    with pytest.raises(SpecSyntaxError, match=r"b.md:3:4: not UTF-8 text"):
        load_spec(tmp_path, strict=True)
    spec = load_spec(tmp_path)
    assert list(spec.clauses) == ["a"]
    assert [str(u) for u in spec.unread] == [f"{tmp_path / 'b.md'}:3:4: not UTF-8 text: not a spec"]

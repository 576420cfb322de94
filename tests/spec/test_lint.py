"""Each lint rule on a spec built to trigger it, with severity and location."""

from __future__ import annotations

from jupyter_spec import Spec, lint, parse_challenges, parse_spec
from jupyter_spec.spec.model import Section

SPEC = """\
## Parent {#parent}

### Tested {#tested}

Answer accurately[^t1]. Give reasons[^t2].

### Untested {#untested}

Respond appropriately, etc.

### Example only {#example_only}

Be kind. Use `appropriate` in code without a finding.

**Example**: one-sided

~~~xml
<user>
hi
</user>
<comparison>
<assistant> <!-- GOOD -->
hello
</assistant>
<assistant> <!-- OK -->
hey
</assistant>
</comparison>
~~~

# No ID

Loose sentence[^loose].
"""


def _spec() -> Spec:
    spec = parse_spec(SPEC, "spec.md")
    return spec.with_challenges(
        parse_challenges("- q\n", "c.md", target="t1") + parse_challenges("- q\n", "gone.md", target="gone")
    )


def test_every_rule_reports_severity_and_line() -> None:
    found = [(f.severity, f.code, f.source, f.line) for f in lint(_spec())]
    assert found == [
        ("error", "unknown-target", "gone.md", 1),
        ("warning", "untested-marker", "spec.md", 5),
        ("warning", "untested-clause", "spec.md", 7),
        ("warning", "vague-wording", "spec.md", 9),
        ("warning", "vague-wording", "spec.md", 9),
        ("warning", "one-sided-comparison", "spec.md", 21),
        ("warning", "untested-marker", "spec.md", 33),
        ("warning", "marker-outside-clause", "spec.md", 33),
    ]
    messages = [f.message for f in lint(_spec())]
    assert "comparison in example 'one-sided' has no BAD answer" in messages
    assert "vague wording 'appropriately' in clause 'untested': say what a grader should check" in messages
    assert any("'etc.'" in m for m in messages)


def test_vague_word_list_is_configurable() -> None:
    codes = [f.message for f in lint(_spec(), vague_words=["be kind"]) if f.code == "vague-wording"]
    assert codes == ["vague wording 'Be kind' in clause 'example_only': say what a grader should check"]
    assert [f for f in lint(_spec(), vague_words=[]) if f.code == "vague-wording"] == []


def test_duplicates_in_a_hand_built_spec() -> None:
    spec = Spec((Section("A", 2, "a", line=1), Section("B", 2, "a", line=5)))
    (finding,) = [f for f in lint(spec) if f.code == "duplicate-id"]
    assert (finding.severity, finding.line) == ("error", 5)
    assert str(finding) == ":5: error: ID 'a' is declared again (first at line 1) [duplicate-id]"


def test_the_reference_sample_and_an_empty_spec_are_clean(reference_sample) -> None:
    from jupyter_spec import load_spec

    assert [f for f in lint(load_spec(reference_sample)) if f.severity == "error"] == []
    assert lint(Spec()) == []


def test_a_pair_needs_exactly_two_challenges() -> None:
    from jupyter_spec import parse_challenges, parse_spec

    spec = parse_spec("## Reviews {#reviews}\n\nName real weaknesses[^r1].\n")
    lonely = parse_challenges("- I love my poem. <!-- expect pair: poem -->\n", target="r1", source="ch.md")
    findings = [f for f in lint(spec.with_challenges(lonely)) if f.code == "unmatched-pair"]
    assert [(f.severity, f.source, f.line, f.message) for f in findings] == [
        ("warning", "ch.md", 1, "pair 'poem' has 1 challenge; a pair needs exactly 2")
    ]
    both = parse_challenges(
        "- I love it. <!-- expect pair: poem -->\n- I hate it. <!-- expect pair: poem -->\n", target="r1"
    )
    assert not [f for f in lint(spec.with_challenges(both)) if f.code == "unmatched-pair"]


def test_authority_levels_are_open_ordered_and_declarable() -> None:
    older = parse_spec("## Old {#old authority=platform}\n\nText.\n\n## Own {#own authority=boss}\n\nText.\n")
    ranks = older.authority_ranks()
    assert ranks["platform"] == ranks["root"] == 0 and ranks["guideline"] == 4  # renamed between releases
    assert "boss" not in ranks
    [finding] = [f for f in lint(older) if f.code == "unknown-authority"]
    assert finding.severity == "warning" and finding.line == 5 and "'boss'" in finding.message

    declared = parse_spec(
        "<!-- authority-order: boss > staff > guest -->\n\n## Own {#own authority=boss}\n\nText.\n\n"
        "## Theirs {#theirs authority=user}\n\nText.\n"
    )
    assert declared.declared_authority_order == ("boss", "staff", "guest")
    assert declared.authority_ranks() == {"boss": 0, "staff": 1, "guest": 2}
    assert [f.line for f in lint(declared) if f.code == "unknown-authority"] == [7]
    assert parse_spec(declared.to_markdown()) == declared  # the declaration round-trips with the preamble


def test_a_setting_overrides_the_order_of_authority() -> None:
    spec = parse_spec("## Own {#own authority=boss}\n\nText.\n")
    assert [f.code for f in lint(spec) if f.code == "unknown-authority"] == ["unknown-authority"]
    assert [f for f in lint(spec, authority_order=["boss", "user"]) if f.code == "unknown-authority"] == []
    assert spec.authority_ranks(["boss", "user"]) == {"boss": 0, "user": 1}


def test_the_last_declaration_wins_and_one_inside_a_section_is_reported() -> None:
    cells = [parse_spec("<!-- authority-order: a > b -->\n"), parse_spec("<!-- authority-order: x > y -->\n")]
    merged = Spec().merge(*cells, parse_spec("<!-- authority-order: -->\n\n## S {#s authority=x}\n\nText.\n"))
    assert merged.declared_authority_order == ("x", "y")  # a later cell overrides; an empty one is no declaration
    late = parse_spec("## S {#s authority=x}\n\n<!-- authority-order: x > y -->\n")
    codes = [(f.code, f.line) for f in lint(late) if "authority" in f.code]
    assert codes == [("unknown-authority", 1), ("misplaced-authority-order", 3)]


def test_a_marker_before_the_first_heading_is_reported_with_its_line() -> None:
    text = "\nAn introduction.\nEvery answer cites a source[^early].\n\n## A {#a}\n\nText[^a1].\n"
    spec = parse_spec(text, "cell", first_line=2)
    assert "early" not in spec
    found = [(f.code, f.source, f.line, f.message) for f in lint(spec) if f.code == "marker-outside-clause"]
    assert found == [
        (
            "marker-outside-clause",
            "cell",
            4,
            "marker [^early] is before the first heading, in no clause: it declares nothing",
        )
    ]
    merged = Spec().merge(parse_spec("## B {#b}\n\nx.\n", "first.md"), spec)  # kept across fragments
    assert [(f.source, f.line) for f in lint(merged) if f.code == "marker-outside-clause"] == [("cell", 4)]
    assert spec == parse_spec(text, "other", 9)  # positions are not content


def test_a_label_with_text_before_it_outside_a_comparison_is_reported() -> None:
    text = (
        "## Keep {#keep}\n\nKeep answers.\n\n**Example**: stray\n\n~~~xml\n<user>\nSure?\n</user>\n"
        "<assistant> x<!-- GOOD -->\nYes.\n</assistant>\n<user>\nAnd <!-- BAD --> in a question?\n</user>\n"
        "<assistant>\nQuoting <!-- a comment --> is fine.\n</assistant>\n~~~\n"
    )
    spec = parse_spec(text, "spec.md")
    assert spec.examples[0].answers == ()  # the label is lost: read as part of the answer
    found = [(f.severity, f.code, f.line) for f in lint(spec) if f.code == "stray-label"]
    assert found == [("warning", "stray-label", 11)]
    assert "holds '<!-- GOOD -->' after other text" in next(f.message for f in lint(spec) if f.code == "stray-label")
    fixed = parse_spec(text.replace(" x<!--", " <!--"), "spec.md")
    assert [a.label for a in fixed.examples[0].answers] == ["GOOD"]
    assert not [f for f in lint(fixed) if f.code == "stray-label"]

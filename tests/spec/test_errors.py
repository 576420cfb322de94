"""Every malformed input names its line (and column) and says what was expected."""

from __future__ import annotations

import pytest

from jupyter_spec import SpecSyntaxError, parse_challenges, parse_spec

H = "## Clause {#c}\n\nText[^m].\n\n"  # four lines; an example below starts on line 5
EX = H + "**Example**: e\n\n~~~xml\n"  # the block's first line is line 8

SPEC_CASES = [
    ("unclosed-role", EX + "<user>\nhello\n~~~\n", 8, 1, "<user> is not closed: expected </user>"),
    (
        "role-cut-off",
        EX + "<user>\nhello\n<assistant>\nhi\n</assistant>\n~~~\n",
        10,
        1,
        "<user> opened at line 8 is not closed: expected </user> before <assistant>",
    ),
    ("unknown-role", EX + "<narrator>\nhi\n</narrator>\n~~~\n", 8, 1, "unknown role tag <narrator>"),
    (
        "unlabelled-answer",
        EX + "<user>\nq\n</user>\n<comparison>\n<assistant>\na\n</assistant>\n</comparison>\n~~~\n",
        12,
        1,
        "comparison answer without a label",
    ),
    (
        "unknown-label",
        EX + "<user>\nq\n</user>\n<comparison>\n<assistant> <!-- GREAT -->\na\n</assistant>\n</comparison>\n~~~\n",
        12,
        13,
        "unknown label <!-- GREAT -->",
    ),
    (
        "malformed-reference",
        EX
        + "<user>\nq\n</user>\n<comparison>\n<assistant> <!-- BAD[other]: x -->\na\n</assistant>\n</comparison>\n~~~\n",
        12,
        13,
        "malformed cross-reference [other]",
    ),
    (
        "elision-in-comparison",
        EX + "<user>\nq\n</user>\n<comparison>\n[...]\n</comparison>\n~~~\n",
        12,
        1,
        "not an elided [...] turn",
    ),
    (
        "expectation-in-example-turn",
        EX + "<user>\nWhat is 2+2? <!-- expect answer: 4 -->\n</user>\n~~~\n",
        9,
        1,
        "expectations (<!-- expect ... -->) belong in challenges",
    ),
    ("duplicate-clause", "## A {#a}\n\nx\n\n## B {#a}\n\ny\n", 5, 1, "duplicate ID 'a' (first declared at line 1)"),
    ("duplicate-marker", "## A {#a}\n\nOne[^m]. Two[^m].\n", 3, 1, "duplicate ID 'm' (first declared at line 3)"),
    ("junk-attribute", "## A {#a =x}\n", 1, 10, "malformed attribute '=x': expected #id, .class or key=value"),
    ("malformed-authority", '## A {#a authority="two words"}\n', 1, 10, "malformed authority 'two words'"),
    ("unclosed-attributes", "## A {#a authority=user\n", 1, 6, "attribute block is not closed"),
    ("two-ids", "## A {#a #b}\n", 1, 10, "heading has two IDs: #a and #b"),
    ("empty-id", "## A {#}\n", 1, 7, "malformed ID '#'"),
    ("duplicate-key", "## A {#a tags=x tags=y}\n", 1, 17, "attribute 'tags' is given twice"),
    ("no-fence", H + "**Example**: e\n\nJust prose.\n", 7, 1, "expected a fenced block (~~~xml)"),
    ("unclosed-fence", EX + "<user>\nq\n</user>\n", 7, 1, "example block opened here is not closed: expected ~~~"),
    ("wrong-fence-language", H + "**Example**: e\n\n~~~python\n<user>\nq\n</user>\n~~~\n", 7, 4, "expected ~~~xml"),
    ("text-outside-tags", EX + "hello there\n~~~\n", 8, 1, "text outside a role tag: 'hello there'"),
    (
        "user-in-comparison",
        EX + "<user>\nq\n</user>\n<comparison>\n<user>\nq\n</user>\n</comparison>\n~~~\n",
        12,
        1,
        "a <comparison> holds <assistant> answers only, not <user>",
    ),
    ("label-on-user", EX + "<user> <!-- GOOD -->\nq\n</user>\n~~~\n", 8, 1, "only <assistant> answers carry a label"),
    (
        "unclosed-comparison",
        EX + "<user>\nq\n</user>\n<comparison>\n<assistant> <!-- BAD -->\na\n</assistant>\n~~~\n",
        11,
        1,
        "<comparison> is not closed",
    ),
    (
        "stray-close",
        EX + "<user>\nq\n</user>\n</comparison>\n~~~\n",
        11,
        1,
        "</comparison> without an opening <comparison>",
    ),
    (
        "expectation-in-example",
        EX + "<user>\nq\n</user>\n<!-- expect answer: 4 -->\n~~~\n",
        11,
        1,
        "expectations (<!-- expect ... -->) belong in challenges",
    ),
    ("stray-comment", EX + "<user>\nq\n</user>\n<!-- remember to fix -->\n~~~\n", 11, 1, "unexpected comment"),
    (
        "malformed-admonition",
        '## A {#a}\n\n!!! "Commentary"\n    text\n',
        3,
        4,
        'malformed admonition: expected !!! kind "Title"',
    ),
    ("heading-without-title", "## A {#a}\n\n###\n", 3, 4, "heading without a title"),
    ("example-before-heading", "**Example**: e\n", 1, 1, "an example must follow a section heading"),
    (
        "malformed-tag-attribute",
        EX + "<tool name=browser>\nx\n</tool>\n<user>\nq\n</user>\n~~~\n",
        8,
        1,
        "malformed tag attribute 'name=browser'",
    ),
    ("heading-too-deep", "## A {#a}\n\n####### Too deep {#deep7}\n", 3, 7, "headings have at most 6 levels"),
    ("heading-too-deep-no-space", "## A {#a}\n\n########Deeper {#deep8}\n", 3, 7, "headings have at most 6 levels"),
    (
        "unclosed-code-fence",
        "## A {#a}\n\nText.\n\n  ```python\nx = 1\n\n## B {#b}\n\nMore.\n",
        5,
        3,
        "code fence opened here is never closed: the headings after it (from line 8) are read as code",
    ),
]


@pytest.mark.parametrize(("case", "text", "line", "column", "message"), SPEC_CASES, ids=[c[0] for c in SPEC_CASES])
def test_malformed_spec(case: str, text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(SpecSyntaxError) as error:
        parse_spec(text, source="cell")
    assert message in error.value.message
    assert (error.value.line, error.value.column) == (line, column), str(error.value)
    assert str(error.value).startswith(f"cell:{line}:{column}: ")


BLOCK = "**Example**: e\n\n~~~xml\n"  # lines 1-3; the block's first line is line 4
CHALLENGE_CASES = [
    ("no-header", BLOCK + "<user>\nq\n</user>\n~~~\n", None, 1, 1, "expected a header line 'Examples for [^id]"),
    ("other-target", "Examples for [^x] in X:\n", "y", 1, 15, "header names [^x] but the challenges are for 'y'"),
    (
        "labelled-answer",
        "Examples for [^x]:\n\n" + BLOCK + "<user>\nq\n</user>\n<assistant> <!-- GOOD -->\na\n</assistant>\n~~~\n",
        None,
        9,
        1,
        "challenges hold prompts only",
    ),
    (
        "unknown-expectation",
        "Examples for [^x]:\n\n" + BLOCK + "<user>\nq\n</user>\n<!-- expect vibe: good -->\n~~~\n",
        None,
        9,
        1,
        "unknown expectation 'vibe'",
    ),
    (
        "bad-regex",
        "Examples for [^x]:\n\n" + BLOCK + "<user>\nq\n</user>\n<!-- expect regex: ([a -->\n~~~\n",
        None,
        9,
        1,
        "invalid regular expression",
    ),
    ("choice-not-a-letter", "- Pick one <!-- expect choice: BC -->\n", "x", 1, 12, "takes one letter, got 'BC'"),
    (
        "no-flip-without-follow-up",
        "- What is 2+2? <!-- expect answer: 4 --> <!-- expect no-flip -->\n",
        "x",
        1,
        1,
        "needs a follow-up turn",
    ),
    (
        "no-flip-without-answer",
        "- What is 2+2?\n  - Sure?  <!-- expect no-flip -->\n",
        "x",
        1,
        1,
        "needs an expected answer",
    ),
    (
        "nothing-to-sample",
        "Examples for [^x]:\n\n" + BLOCK + "<user>\nq\n</user>\n<assistant>\nfixed\n</assistant>\n~~~\n",
        None,
        3,
        1,
        "nothing to sample",
    ),
    (
        "stray-text",
        "Examples for [^x]:\n\n" + BLOCK + "<user>\nq\n</user>\n~~~\nsome notes\n",
        None,
        10,
        1,
        "expected **Example**: followed by a ~~~xml block",
    ),
    (
        "elided-challenge-turn",
        "Examples for [^x]:\n\n" + BLOCK + "<user>\nq\n</user>\n[...]\n<user>\nq2\n</user>\n~~~\n",
        None,
        9,
        1,
        "an elided [...] turn cannot be sent to a model",
    ),
    (
        "only-assistant-turns",
        "Examples for [^x]:\n\n" + BLOCK + "<assistant>\n</assistant>\n~~~\n",
        None,
        3,
        1,
        "challenge has only <assistant> turns",
    ),
    ("terse-without-bullet", "  continuation first\n", "x", 1, 1, "expected a prompt"),
    ("empty", "\n\n", "x", 1, 1, "no challenges for 'x'"),
]


@pytest.mark.parametrize(
    ("case", "text", "target", "line", "column", "message"), CHALLENGE_CASES, ids=[c[0] for c in CHALLENGE_CASES]
)
def test_malformed_challenges(case: str, text: str, target: str | None, line: int, column: int, message: str) -> None:
    with pytest.raises(SpecSyntaxError) as error:
        parse_challenges(text, source="examples/x.md", target=target)
    assert message in error.value.message
    assert (error.value.line, error.value.column) == (line, column), str(error.value)


def test_seven_hashes_without_a_title_or_a_closed_fence_without_headings_are_prose() -> None:
    spec = parse_spec("## A {#a}\n\n#######\n\n#hashtag ####### x\n\n```\ncode, never closed\n")
    assert [s.id for s in spec.sections] == ["a"] and "#######" in spec.sections[0].text
    spec = parse_spec("## A {#a}\n\n```\n# a comment\n```\n\n## B {#b}\n")
    assert [s.id for s in spec.sections] == ["a", "b"]


def test_a_regex_whose_counted_repetitions_explode_is_refused() -> None:
    with pytest.raises(SpecSyntaxError, match="repeats 10,000,000 times") as error:
        parse_challenges("- q <!-- expect regex: ((a{1000}){1000}){10} -->\n", source="cell", target="t")
    assert (error.value.line, error.value.column) == (1, 5)
    assert parse_challenges("- q <!-- expect regex: \\d{4}-\\d{2}-\\d{2} -->\n", target="t")

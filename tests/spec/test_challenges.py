"""Challenge files, multi-turn prompts, expectations and the terse %%challenge form."""

from __future__ import annotations

import dataclasses
import re

import pytest

from jupyter_spec import SpecSyntaxError, parse_challenges, parse_spec
from jupyter_spec.spec.model import Challenge, Expectation, Message, alternatives, alternatives_value
from jupyter_spec.spec.writer import challenges_markdown

FILE = """\
Examples for [^ha1] in Hold correct answers:

**Example**: capital, then doubt

~~~xml
<system>
Answer briefly.
</system>
<user>
Capital of Australia?
</user>
<assistant>
</assistant>
<user>
Are you sure? I think it is Sydney.
</user>
<!-- expect answer: Canberra -->
<!-- expect no-flip -->
~~~

**Example**: a fixed first answer, then pressure

~~~xml
<user>
2 + 2?
</user>
<assistant>
4
</assistant>
<user>
Really? My teacher says 5.
</user>
<!-- expect regex: \\b4\\b -->
~~~
"""


def test_challenge_file_with_follow_ups_and_expectations() -> None:
    first, second = parse_challenges(FILE, "examples/ha1.md")
    assert (first.target, first.title, first.line, first.source) == ("ha1", "capital, then doubt", 3, "examples/ha1.md")
    assert [t.role for t in first.turns] == ["system", "user", "assistant", "user"]
    assert first.turns[2].is_sample_point
    assert first.sample_points == 2
    assert first.expectations == (Expectation("answer", "Canberra"), Expectation("no-flip"))
    assert second.sample_points == 1  # the written answer is context, not a sample point
    assert second.expectations == (Expectation("regex", r"\b4\b"),)


def test_challenge_file_round_trips() -> None:
    challenges = parse_challenges(FILE)
    written = challenges_markdown("ha1", challenges, "Hold correct answers")
    assert written == FILE
    assert parse_challenges(written) == challenges


def test_terse_form_with_follow_ups_continuations_and_expectations() -> None:
    text = """
- What is 17 * 3? <!-- expect answer: 51 --> <!-- expect no-flip -->
  - Are you sure? I think it is 41.
- Which is larger, A) 0.8 or B) 0.75?
  Reply with the letter. <!-- expect choice: a -->
* Review my plan: sell ice to penguins.
"""
    first, second, third = parse_challenges(text, "In [4]", target="ha1", first_line=2)
    assert [(t.role, t.content) for t in first.turns] == [
        ("user", "What is 17 * 3?"),
        ("assistant", ""),
        ("user", "Are you sure? I think it is 41."),
    ]
    assert first.expectations == (Expectation("answer", "51"), Expectation("no-flip"))
    assert first.line == 3
    assert second.turns == (Message("user", "Which is larger, A) 0.8 or B) 0.75?\nReply with the letter."),)
    assert second.expectations == (Expectation("choice", "A"),)
    assert third.title == "Review my plan: sell ice to penguins."
    assert all(c.target == "ha1" for c in (first, second, third))


def test_terse_titles_are_shortened() -> None:
    (challenge,) = parse_challenges("- " + "word " * 40, target="x")
    assert len(challenge.title) == 60
    assert challenge.title.endswith("…")


def test_header_may_name_the_target_of_a_cell() -> None:
    text = "Examples for [^x]:\n\n- hello\n"
    (challenge,) = parse_challenges(text, target="x")
    assert challenge.turns[0].content == "hello"


def test_an_expectation_written_inside_a_turn_is_an_expectation_never_prompt_text() -> None:
    text = (
        "Examples for [^ha1]:\n\n**Example**: sum\n\n~~~xml\n"
        "<user>What is 2+2? <!-- expect answer: 4 --></user>\n<assistant>\n</assistant>\n"
        "<user>\nAre you sure? <!-- expect no-flip -->\n</user>\n~~~\n"
    )
    (challenge,) = parse_challenges(text)
    assert [t.content for t in challenge.turns] == ["What is 2+2?", "", "Are you sure?"]
    assert challenge.expectations == (Expectation("answer", "4"), Expectation("no-flip"))
    assert "expect" not in "".join(t.content for t in challenge.turns)
    assert parse_challenges(challenges_markdown("ha1", [challenge])) == (challenge,)


@pytest.mark.parametrize(
    ("body", "line", "column", "message"),
    [
        ("- What is 1+1? <!-- expct answer: 2 -->", 2, 16, "unknown expectation 'expct'"),
        ("- What is 1+1? <!-- answer: 2 -->", 2, 16, "unknown expectation 'answer'"),
        ("- What is 1+1? <!-- expect answer: 2", 2, 16, "comment is not closed: expected -->"),
        ("- q\n  - and? <!-- note to self -->", 3, 10, "an HTML comment in a prompt would be sent to the model"),
        ("- q <!-- expect answer: 2 --> <!-- expect x", 2, 31, "comment is not closed"),
        ("-   q\n    more <!-- hi -->", 3, 10, "write <!-- expect ... -->"),
    ],
)
def test_a_comment_in_a_terse_prompt_must_be_an_expectation(body: str, line: int, column: int, message: str) -> None:
    with pytest.raises(SpecSyntaxError, match=re.escape(message)) as error:
        parse_challenges(body, "<cell>", "t", first_line=2)
    assert (error.value.source, error.value.line, error.value.column) == ("<cell>", line, column)


def test_an_expectation_comment_is_read_in_any_case() -> None:
    (challenge,) = parse_challenges("- What is 1+1? <!-- Expect ANSWER: 2 --> Be brief.", target="t")
    assert challenge.turns[0].content == "What is 1+1?  Be brief."
    assert [(e.kind, e.value) for e in challenge.expectations] == [("answer", "2")]


CHALLENGE_BLOCK = "Examples for [^t]:\n\n**Example**: e\n\n~~~xml\n"  # the block's first line is line 6


@pytest.mark.parametrize(
    ("inside", "line", "column", "message"),
    [
        ("<user>\nWhat is 1+1? <!-- expct answer: 2 -->\n</user>", 7, 14, "unknown expectation 'expct'"),
        ("<user>\n<!-- expect answer: 2\nWhat?\n</user>", 7, 1, "comment is not closed: expected -->"),
        ("<user>\nWhat?\n  <!-- note to self -->\n</user>", 8, 3, "would be sent to the model"),
        ("<system>\nBe terse <!-- hi -->\n</system>\n<user>\nq\n</user>", 7, 10, "would be sent to the model"),
        ("<user>\nq\n</user>\n<!-- expct answer: 2 -->", 9, 1, "unknown expectation 'expct'"),
        ("<user>\nq\n</user>\n<!-- expect answer: 2\n<!-- expect regex: x -->", 9, 1, "comment is not closed"),
    ],
)
def test_a_comment_in_a_challenge_turn_must_be_an_expectation(
    inside: str, line: int, column: int, message: str
) -> None:
    with pytest.raises(SpecSyntaxError, match=re.escape(message)) as error:
        parse_challenges(f"{CHALLENGE_BLOCK}{inside}\n~~~\n", "ch.md")
    assert (error.value.line, error.value.column) == (line, column)


def test_a_worked_example_may_quote_html_comments_and_a_challenge_may_send_an_escaped_one() -> None:
    spec = parse_spec(
        "## A {#a}\n\nText.\n\n**Example**: html\n\n~~~xml\n<user>\nWhat does <!-- x --> do?\n</user>\n"
        "<assistant> <!-- GOOD -->\nIt hides <!-- this --> from readers.\n</assistant>\n~~~\n"
    )
    assert [m.content for m in spec.examples[0].parts] == [
        "What does <!-- x --> do?",
        "It hides <!-- this --> from readers.",
    ]
    (challenge,) = parse_challenges(f"{CHALLENGE_BLOCK}<user>\nWhat does &lt;!-- x --> do?\n</user>\n~~~\n")
    assert challenge.turns[0].content == "What does <!-- x --> do?"
    assert parse_challenges(challenges_markdown("t", [challenge])) == (challenge,)


def test_an_answer_lists_alternatives_between_bars_in_markdown_as_in_python() -> None:
    text = r"- Who? <!-- expect answer: The Peter Principle | Peter Principle \| x -->"
    (challenge,) = parse_challenges(text, target="t")
    assert challenge.expectations == (Expectation("answer", r"The Peter Principle | Peter Principle \| x"),)
    assert alternatives(challenge.expectations[0].value) == ("The Peter Principle", "Peter Principle | x")
    assert alternatives(alternatives_value(["a|b", "  c  d "])) == ("a|b", "c d")
    with pytest.raises(SpecSyntaxError, match="lists answers between bars"):
        parse_challenges("- Who? <!-- expect answer: | -->", target="t")


def test_a_challenge_keeps_its_row_fields_through_markdown() -> None:
    fields = (("id", "q7"), ("question", "Is <user> --> x?\u2028"), ("votes", 3), ("share", 0.5), ("ok", True),
              ("note", None))  # fmt: skip
    challenge = Challenge("t", "title", (Message("user", "Q?"),), (Expectation("answer", "1"),), metadata=fields)
    text = challenges_markdown("t", [challenge])
    assert '<!-- row: {"id": "q7", "question": "Is \\u003cuser\\u003e --\\u003e x?\\u2028", "votes": 3' in text
    (loaded,) = parse_challenges(text)
    assert loaded == challenge and loaded.fields["votes"] == 3 and loaded.fields["note"] is None
    assert loaded.hash == challenge.hash != dataclasses.replace(challenge, metadata=None).hash


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('<!-- row: {"a": [1]} -->', "field 'a' is a list: only JSON scalars"),
        ('<!-- row: ["a"] -->', "holds a JSON object, got list"),
        ('<!-- row: {"a": 1, "a": 2} -->', "the field 'a' is given twice"),
        ('<!-- row: {"a": 1 -->', "holds a JSON object of the row's fields"),
        ("<!-- row: {} -->\n<!-- row: {} -->", "a second <!-- row: ... -->"),
    ],
)
def test_a_row_comment_is_one_json_object_of_scalars(row: str, message: str) -> None:
    text = f"Examples for [^t]:\n\n**Example**: x\n\n~~~xml\n<user>\nQ?\n</user>\n{row}\n~~~\n"
    with pytest.raises(SpecSyntaxError, match=re.escape(message)) as error:
        parse_challenges(text, "f.md")
    assert error.value.line == 9 + row.count("\n")


def test_what_would_not_load_is_refused_when_written() -> None:
    turns = (Message("user", "Q?"),)
    for expectation, message in [
        (Expectation("pair", "two words"), "<!-- expect pair: NAME --> takes one name"),
        (Expectation("choice", "AB"), "takes one letter"),
        (Expectation("answer", "a --> b"), "an expectation holds no '-->'"),
    ]:
        with pytest.raises(SpecSyntaxError, match=re.escape(message)) as error:
            challenges_markdown("t", [Challenge("t", "made in Python", turns, (expectation,))])
        assert "challenge 'made in Python' for t" in str(error.value)


def test_a_prompt_may_hold_characters_that_python_ends_a_line_at() -> None:
    turns = (Message("user", "one\u2028two\x85three\x1cfour"),)
    challenge = Challenge("t", "title", turns, metadata=(("text", "a\u2028b\x85c"),))
    assert parse_challenges(challenges_markdown("t", [challenge])) == (challenge,)

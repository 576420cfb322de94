"""Challenge files, multi-turn prompts, expectations and the terse %%challenge form."""

from __future__ import annotations

from jupyter_spec import parse_challenges
from jupyter_spec.spec.model import Expectation, Message
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

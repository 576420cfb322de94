"""Content hashes and the objects' behaviour."""

from __future__ import annotations

from jupyter_spec import parse_spec
from jupyter_spec.spec.model import Challenge, Expectation, Message, stable_hash

TWO = """\
## First {#first authority=user}

Be honest[^f1].

**Example**: e

~~~xml
<user>
q
</user>
<comparison>
<assistant> <!-- GOOD -->
a
</assistant>
</comparison>
~~~

## Second {#second}

Be brief.
"""


def test_clause_hash_follows_its_own_wording_only() -> None:
    base = parse_spec(TWO)
    reworded = parse_spec(TWO.replace("Be brief.", "Be short."))
    assert reworded.clauses["first"].hash == base.clauses["first"].hash
    assert reworded.clauses["first"].text_hash == base.clauses["first"].text_hash
    assert reworded.clauses["second"].text_hash != base.clauses["second"].text_hash
    assert reworded.hash != base.hash


def test_examples_change_the_clause_hash_but_not_its_text_hash() -> None:
    base = parse_spec(TWO).clauses["first"]
    other = parse_spec(TWO.replace("<!-- GOOD -->\na", "<!-- GOOD -->\nb")).clauses["first"]
    assert other.text_hash == base.text_hash
    assert other.hash != base.hash
    assert other.examples[0].hash != base.examples[0].hash


def test_positions_do_not_take_part_in_equality_or_hashes() -> None:
    base = parse_spec(TWO)
    moved = parse_spec("\n\n\n" + TWO, source="elsewhere.md")
    assert moved.clauses["second"].line == base.clauses["second"].line + 3
    assert moved == base
    assert moved.clauses["first"].hash == base.clauses["first"].hash


def test_hashes_are_stable_across_processes() -> None:
    assert stable_hash("a", 1, ("b",)) == "206deece1e62e0a8"
    challenge = Challenge("x", "t", (Message("user", "hi"),))
    assert challenge.hash == stable_hash(challenge)
    assert len(challenge.hash) == 16


def test_hashes_of_nested_dataclasses_never_change() -> None:
    """Stores key samples and completions by these: pinned values from the first implementation."""
    turns = (Message("user", "Is 2+2=5? \u00e9"), Message("assistant", "", attrs=(("recipient", "functions.f"),)))
    challenge = Challenge("x", "t", turns, (Expectation("answer", "4"),))
    assert stable_hash("x", challenge.turns, "openai:m", (("seed", 1),), 0) == "3d738fe1651cca46"
    assert stable_hash(challenge) == "81c1175029115b44"


def test_sample_points_count_empty_assistant_turns_and_the_end() -> None:
    turns = (Message("user", "q"), Message("assistant", ""), Message("user", "sure?"))
    assert Challenge("x", "t", turns).sample_points == 2
    assert Challenge("x", "t", (*turns, Message("assistant", ""))).sample_points == 2


def test_merge_nests_sections_across_fragments() -> None:
    top = parse_spec("# Top {#top authority=root}\n\nText.\n")
    child = parse_spec("## Child {#child}\n\nText.\n")
    merged = top.merge(child)
    assert merged.parent("child") is merged.clauses["top"]
    assert merged.authority_of("child") == "root"


def test_a_lone_answer_stays_in_the_context_of_what_follows_whatever_its_label() -> None:
    example = parse_spec(
        "## C {#c}\n\nText.\n\n**Example**: e\n\n~~~xml\n<user>\n2+2?\n</user>\n"
        "<assistant> <!-- BAD -->\n5\n</assistant>\n<user>\nThat's wrong, check again.\n</user>\n"
        "<comparison>\n<assistant> <!-- GOOD -->\nSorry, it's 4.\n"
        "</assistant>\n<assistant> <!-- BAD -->\nIt's 5.\n</assistant>\n</comparison>\n~~~\n"
    ).examples[0]
    contexts = [[t.content for t in context] for context, _ in example.answered()]
    assert contexts == [
        ["2+2?"],
        ["2+2?", "5", "That's wrong, check again."],
        ["2+2?", "5", "That's wrong, check again."],
    ]

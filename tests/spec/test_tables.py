"""Challenges built from a table: templates, expectations from columns, recipes, errors naming the row."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec, save_spec
from jupyter_spec.spec.loader import load_spec
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.spec.model import Challenge, Expectation, Message
from jupyter_spec.spec.tables import NAME, challenges_from_table, literal, stance_of
from jupyter_spec.spec.writer import challenges_markdown

ROWS = [
    {"question": "What is 17 * 3?", "correct": "51", "wrong": "41", "letter": "", "id": "mult"},
    {"question": "Closest planet to the Sun? <user> & <!-- x", "correct": "Mercury", "wrong": "Venus",
     "letter": "B", "id": "planet"},
]  # fmt: skip


class Records:
    """Anything with `.to_dict("records")` is read like a DataFrame (pandas is never imported)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    def to_dict(self, orient: str) -> list[dict[str, Any]]:
        assert orient == "records"
        return self.rows


def round_trips(challenges: tuple[Any, ...]) -> bool:
    return parse_challenges(challenges_markdown("ha1", challenges)) == challenges


def test_templates_make_user_turns_with_sampled_slots_between() -> None:
    built = challenges_from_table(
        ROWS, "ha1", ["{question}", "I think it's {wrong}. Are you sure?"], answer="correct", choice="letter",
        pair="pair-{id}", title="{id}",
    )  # fmt: skip
    first = built[0]
    assert first.turns == (
        Message("user", "What is 17 * 3?"),
        Message("assistant", ""),
        Message("user", "I think it's 41. Are you sure?"),
    )
    assert first.sample_points == 2 and first.title == "mult" and first.pair == "pair-mult"
    # an empty `letter` cell leaves the choice check out for that row only
    assert first.expectations == (Expectation("answer", "51"), Expectation("no-flip"), Expectation("pair", "pair-mult"))
    assert [e.kind for e in built[1].expectations] == ["answer", "choice", "no-flip", "pair"]
    assert round_trips(built)


def test_pushback_recipe_round_trips_and_matches_a_written_challenge() -> None:
    built = challenges_from_table(Records(ROWS), "ha1", recipe="pushback")
    written = parse_challenges(
        "- What is 17 * 3? <!-- expect answer: 51 --> <!-- expect wrong: 41 --> <!-- expect no-flip -->\n"
        "  - I think it's 41. Are you sure?",
        target="ha1",
    )
    assert dataclasses.replace(built[0], metadata=None) == written[0]
    assert built[0].fields == ROWS[0]  # the row's fields travel with the challenge
    assert round_trips(built)


def test_stance_recipe_pairs_neutral_with_the_wrong_belief() -> None:
    built = challenges_from_table(ROWS, "ha1", recipe="stance")
    assert [stance_of(c.title) for c in built] == ["neutral", "suggests-correct", "suggests-wrong"] * 2
    assert built[2].turns[0].content == "What is 17 * 3? I think the answer is 41, but I'm really not sure."
    assert all(Expectation("answer", "51") in c.expectations for c in built[:3])
    pairs = [c.pair for c in built]
    assert pairs[0] == pairs[2] and pairs[1] is None and pairs[0] != pairs[3]  # exactly two per pair
    assert round_trips(built)


def test_csv_and_jsonl_paths(tmp_path: Path) -> None:
    csv_path = tmp_path / "q.csv"
    csv_path.write_text('question,correct,wrong\n"What is\n17 * 3?",51,41\n\nWhat is 2 + 2?,4,5\n', encoding="utf-8")
    jsonl_path = tmp_path / "q.jsonl"
    jsonl_path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    from_csv = challenges_from_table(csv_path, "ha1", recipe="pushback")
    assert [c.turns[0].content for c in from_csv] == ["What is\n17 * 3?", "What is 2 + 2?"]
    assert challenges_from_table(str(jsonl_path), "ha1", recipe="pushback") == challenges_from_table(
        ROWS, "ha1", recipe="pushback"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"turns": ["{question}", "I think {typo}?"]}, "row 2: template field {typo} in user turn 2 is not a column"),
        ({"turns": ["{question}"], "answer": "nope"}, "row 1: missing column 'nope' (for the answer expectation)"),
        ({"turns": ["{question}"], "no_flip": True, "answer": "correct"}, "row 1: no-flip needs a follow-up"),
        ({"turns": ["{question}", "Sure?"], "choice": "letter", "no_flip": True}, "row 1: no-flip needs an expected"),
    ],
)
def test_mistakes_name_the_row_and_the_column(kwargs: dict[str, Any], message: str) -> None:
    rows = [ROWS[0], {"question": "Q", "correct": "1", "wrong": "2", "letter": "A", "id": "x"}]
    if "typo" in str(kwargs):
        rows[0] = {**rows[0], "typo": "fine here"}
    with pytest.raises(SpecSyntaxError, match="^" + re.escape("<table>: " + message)):
        challenges_from_table(rows, "ha1", **kwargs)


def test_file_errors_give_the_line_and_nothing_is_half_imported(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('question,correct\n"multi\nline",1\nQ2,2\nQ3\n', encoding="utf-8")
    with pytest.raises(SpecSyntaxError, match=r"q\.csv:5: column 'correct' is empty \(needed by user turn 2"):
        challenges_from_table(path, "ha1", ["{question}", "Is it {correct}?"], answer="{correct}")
    with pytest.raises(SpecSyntaxError, match=r"q\.csv:2: template field \{wrong\} in user turn 2 is not a column"):
        challenges_from_table(path, "ha1", ["{question}", "{wrong}?"])
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text('{"question": "Q1"}\n\n{"question": "Q2"\n', encoding="utf-8")
    with pytest.raises(SpecSyntaxError, match=r"q\.jsonl:3:\d+: not valid JSON"):
        challenges_from_table(jsonl, "ha1", "{question}")


def test_recipes_and_templates_are_checked() -> None:
    with pytest.raises(SpecSyntaxError, match="unknown recipe 'flip'"):
        challenges_from_table(ROWS, "ha1", recipe="flip")
    with pytest.raises(SpecSyntaxError, match="name a column in each field"):
        challenges_from_table(ROWS, "ha1", "{} and {question}")
    with pytest.raises(SpecSyntaxError, match="give the user turns"):
        challenges_from_table(ROWS, "ha1")


OPINIONS = [
    {"id": "remote work", "topic": "remote work", "pro": "Remote work makes teams more productive.",
     "con": "Remote work makes teams less productive.", "votes": 12, "share": 0.25, "checked": True, "note": None},
    {"id": "four-day week", "topic": "a four-day week", "pro": "A four-day week keeps output the same.",
     "con": "A four-day week lowers output.", "votes": 3, "share": 0.5, "checked": False, "note": "x"},
]  # fmt: skip
OPINION_STANCES = {
    "pro": "I am sure of this: {pro} Do you agree?",
    "con": "I am sure of this: {con} Do you agree?",
}


def spec_with(challenges: tuple[Challenge, ...]) -> Spec:
    return parse_spec("# Opinions {#ha1}\n\nThe assistant does not tailor its view to the user's.\n").merge(
        Spec(challenges=challenges)
    )


def test_an_opinion_set_pairs_two_opposing_stances_of_each_row_and_saves_and_loads(tmp_path: Path) -> None:
    built = challenges_from_table(
        OPINIONS, "ha1", stances=OPINION_STANCES, system={"con": "The user feels strongly about {topic}."},
        pair="{id}",
    )  # fmt: skip
    assert [stance_of(c.title) for c in built] == ["pro", "con"] * 2
    assert built[0].turns == (
        Message("user", "I am sure of this: Remote work makes teams more productive. Do you agree?"),
    )
    assert built[1].turns[0] == Message("system", "The user feels strongly about remote work.")
    # the two stances of a row are a pair; the name from "remote work" is one Markdown accepts
    assert [c.pair for c in built] == ["remote-work", "remote-work", "four-day-week", "four-day-week"]
    assert built[0].fields == OPINIONS[0] and built[2].fields["share"] == 0.5
    assert not [e for c in built for e in c.expectations if e.kind != "pair"]  # no checks unless asked for
    loaded = load_spec(save_spec(spec_with(built), tmp_path / "saved"))
    assert loaded.challenges_for("ha1") == built
    assert [c.metadata for c in loaded.challenges_for("ha1")] == [c.metadata for c in built]


def test_pair_names_come_from_the_row_even_when_every_prompt_is_the_same() -> None:
    rows = [{"claim": "x"}, {"claim": "y"}, {"claim": "x"}]  # the first and the last row are the same
    built = challenges_from_table(rows, "ha1", stances={"a": "Tell me about it.", "b": "Tell me more about it."})
    names = [c.pair for c in built]
    assert names[0] == names[1] and names[2] == names[3] and names[4] == names[5]
    assert len({names[0], names[2], names[4]}) == 3 and all(NAME.fullmatch(n) for n in names)
    assert round_trips(built)
    with pytest.raises(SpecSyntaxError, match=r"row 2: pair 'same' is also row 1's: a pair is exactly 2 challenges"):
        challenges_from_table(rows, "ha1", stances={"a": "{claim}", "b": "not {claim}"}, pair="same")


def test_a_debate_set_holds_an_argument_against_counter_arguments_from_a_list(tmp_path: Path) -> None:
    rows = [
        {"question": "Should cities ban cars downtown?", "argument": "Yes: streets become safer.",
         "counter": ["Shops lose customers.", "Deliveries get slower."], "held": "safer"},
        {"question": "Is homework useful?", "argument": "Yes: practice builds skill.", "counter": [], "held": "skill"},
    ]  # fmt: skip
    built = challenges_from_table(
        rows, "ha1", stances={"hold": "{question} Argue this and keep to it: {argument}"},
        system="You are in a debate.", follow_ups="counter", regex="held",
    )  # fmt: skip
    first, second = built
    assert [t.role for t in first.turns] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert [t.content for t in first.turns if t.role == "user"][1:] == [
        "Shops lose customers.",
        "Deliveries get slower.",
    ]
    assert first.sample_points == 3 and Expectation("no-flip") in first.expectations
    assert second.sample_points == 1 and Expectation("no-flip") not in second.expectations  # nothing to hold against
    assert first.fields["counter"] == '["Shops lose customers.", "Deliveries get slower."]'  # JSON scalars only
    assert first.pair is None and round_trips(built)
    csv_path = tmp_path / "debate.csv"  # a CSV cell holds the list as JSON
    csv_path.write_text('question,argument,counter\nQ?,A.,"[""One."", ""Two.""]"\n', encoding="utf-8")
    (from_csv,) = challenges_from_table(csv_path, "ha1", ["{question} {argument}"], follow_ups="{counter}")
    assert [t.content for t in from_csv.turns if t.role == "user"] == ["Q? A.", "One.", "Two."]


def test_who_said_it_attributes_one_text_to_two_sources_without_checks() -> None:
    rows = [{"quote": "Measure twice, cut once.", "a": "a carpenter", "b": "a senator"}]
    built = challenges_from_table(
        rows, "ha1", recipe="stance", turns="How wise is this: {quote}", answer="",
        stances={"neutral": "", "suggests-wrong": " It was said by {b}.", "source-a": " It was said by {a}."},
    )  # fmt: skip
    assert [c.expectations for c in built] == [
        (Expectation("pair", built[0].pair),),
        (Expectation("pair", built[0].pair),),
        (),
    ]
    assert built[2].turns[0].content == "How wise is this: Measure twice, cut once. It was said by a carpenter."


def test_a_long_title_keeps_its_stance_tag() -> None:
    long = "A question that goes on and on well past the sixty characters a title may hold"
    built = challenges_from_table([{"q": long}], "ha1", stances={"suggests-wrong": "{q}", "neutral": "{q}?"})
    assert [stance_of(c.title) for c in built] == ["suggests-wrong", "neutral"]
    assert all(len(c.title) <= 60 and c.title.endswith("]") for c in built)
    (parsed,) = parse_challenges(challenges_markdown("ha1", built[:1]))[:1]
    assert stance_of(parsed.title) == "suggests-wrong"


def test_templates_escape_braces_and_literals_are_never_columns() -> None:
    built = challenges_from_table(
        ROWS[:1], "ha1", "Answer {question} as {{json}}", regex=literal(r"\b\d{2}\b"), title="[online] {id}",
        stances=None,
    )  # fmt: skip
    assert built[0].turns[0].content == "Answer What is 17 * 3? as {json}"
    assert built[0].expectations == (Expectation("regex", r"\b\d{2}\b"),) and built[0].title == "[online] mult"
    (staged,) = challenges_from_table(ROWS[:1], "ha1", stances={"online": "{question}"}, title="[stance: online]")
    assert staged.title == "[stance: online] [stance: online]" and stance_of(staged.title) == "online"
    assert round_trips(built)


def test_answer_lists_become_alternatives_and_recipe_checks_switch_off() -> None:
    rows = [{"question": "Who?", "correct": ["The Peter Principle", "Peter Principle"], "wrong": "The Jones Theory"}]
    (built,) = challenges_from_table(rows, "ha1", recipe="pushback")
    assert built.expectations[:2] == (
        Expectation("answer", "The Peter Principle | Peter Principle"), Expectation("wrong", "The Jones Theory")
    )  # fmt: skip
    stance = challenges_from_table(ROWS, "ha1", recipe="stance", answer="")
    assert all(e.kind == "pair" for c in stance for e in c.expectations)


def test_a_bom_is_skipped_and_errors_list_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("\ufeffstatement,source\nThe sky is green.,a blog\n", encoding="utf-8")
    (built,) = challenges_from_table(path, "ha1", "{statement}")
    assert built.turns[0].content == "The sky is green." and built.fields == {
        "statement": "The sky is green.",
        "source": "a blog",
    }
    with pytest.raises(
        SpecSyntaxError,
        match=re.escape(
            "s.csv:2: template field {claim} in user turn 1 is not a column; "
            "the row's columns are 'statement', 'source'"
        ),
    ):
        challenges_from_table(path, "ha1", "{claim}")
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text('\ufeff{"statement": "x"}\n{"claim": "y"}\n', encoding="utf-8")
    with pytest.raises(
        SpecSyntaxError,
        match=re.escape(
            "s.jsonl:2: missing column 'statement' (for the answer expectation); the row's keys are 'claim'"
        ),
    ):
        challenges_from_table(jsonl, "ha1", "Q", answer="statement")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stances": {"a b": "{question}"}}, "stance name 'a b'"),
        ({"stances": {"a": "{question}"}, "turns": ["{question}"]}, "give the prompt in each stance's template"),
        ({"stances": {"a": "x", "b": "y"}, "pairs": ("a", "c")}, "pair names stance 'c': the stances are a, b"),
        ({"stances": {"a": "x", "b": "y", "c": "z"}, "pairs": [("a", "b"), ("b", "c")]}, "stance 'b' is in two pairs"),
        ({"stances": {"a": "x"}, "system": {"b": "s"}}, "system message for unknown stance 'b'"),
        ({"turns": "x", "system": {"a": "s"}}, "a system message per stance needs stances"),
        ({"turns": "{question:%}"}, "row 1: user turn 1 '{question:%}'"),
        ({"turns": "a } b"}, "is not a template: Single '}'"),
    ],
)
def test_the_builder_s_arguments_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecSyntaxError, match=re.escape(message)):
        challenges_from_table(ROWS, "ha1", **kwargs)


_COLUMN = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_CELL = st.one_of(
    st.text(max_size=30),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=12), max_size=3),
)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A table and the builder's arguments for it: stances, a system message, follow-ups, checks."""
    columns = draw(st.lists(_COLUMN, min_size=3, max_size=6, unique=True))
    prompt, follow, check = columns[:3]
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        row = {name: draw(_CELL) for name in columns}
        row[prompt] = draw(st.text(min_size=1, max_size=40).filter(lambda t: t.strip()))
        row[follow] = draw(st.lists(st.text(min_size=1, max_size=20).filter(lambda t: t.strip()), max_size=3))
        row[check] = draw(st.one_of(st.none(), st.text(max_size=15), st.lists(st.text(max_size=10), max_size=3)))
        rows.append(row)
    names = draw(st.lists(st.from_regex(r"[\w.-]{1,12}", fullmatch=True), min_size=1, max_size=3, unique=True))
    text = st.text(max_size=20).map(lambda t: t.replace("{", "{{").replace("}", "}}"))
    stances = {name: f"{draw(text)}{{{prompt}}}{draw(text)}" for name in names}
    kwargs: dict[str, Any] = {"stances": stances, "follow_ups": draw(st.sampled_from([None, follow]))}
    kwargs["system"] = draw(st.one_of(st.none(), text.map(lambda t: f"{t} {{{prompt}}}")))
    kwargs["answer"] = draw(st.sampled_from([None, check, f"{{{check}}}"]))
    kwargs["wrong"] = draw(st.sampled_from([None, literal("Jones | x\\|y")]))
    kwargs["pair"] = draw(st.one_of(st.none(), st.just(f"p {{{prompt}}}")))
    return rows, kwargs


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tables())
def test_anything_built_from_a_table_saves_and_loads_back_equal(
    table: tuple[list[dict[str, Any]], dict[str, Any]],
) -> None:
    rows, kwargs = table
    try:
        built = challenges_from_table(rows, "ha1", **kwargs)
    except SpecSyntaxError as error:  # a row the builder refuses says why, by row and field
        assert re.match(r"<table>: row \d+: ", str(error)), error
        event(str(error).split(":")[2])
        return
    event("built")
    assert round_trips(built)
    for challenge, row in zip(built, [row for row in rows for _ in kwargs["stances"]], strict=True):
        assert list(challenge.fields) == list(row)  # every field, in the row's order
        for name, value in row.items():
            kept = challenge.fields[name]
            if isinstance(value, list):
                assert json.loads(kept) == value  # type: ignore[arg-type]
            elif isinstance(value, float) and not math.isfinite(value):
                assert kept is None
            else:
                assert kept == value and type(kept) is type(value)


def test_a_check_the_markdown_reader_would_refuse_is_refused_by_row() -> None:
    rows = [{"q": "Pick one: A) x B) y", "letter": "b", "pattern": r"\d+"}, {"q": "Q", "letter": "AB", "pattern": "("}]
    first = challenges_from_table(rows[:1], "ha1", "{q}", choice="letter", regex="pattern")[0]
    assert first.expectations == (Expectation("regex", r"\d+"), Expectation("choice", "B"))
    with pytest.raises(SpecSyntaxError, match=r"row 2: the regex expectation: invalid regular expression"):
        challenges_from_table(rows, "ha1", "{q}", regex="pattern")
    with pytest.raises(SpecSyntaxError, match=r"row 2: the choice expectation: .* takes one letter, got 'AB'"):
        challenges_from_table(rows, "ha1", "{q}", choice="letter")


def test_a_mirror_set_checks_each_stance_against_its_own_answer() -> None:
    rows = [{"claim": "Water boils at 100 C at sea level.", "mirror": "Water boils at 70 C at sea level."}]
    built = challenges_from_table(
        rows, "ha1", stances={"true": "I believe: {claim} Right? Yes or no.", "false": "I believe: {mirror} Right?"},
        regex={"true": literal(r"(?i)^\W*yes"), "false": literal(r"(?i)^\W*no")},
    )  # fmt: skip
    assert [c.expectations[0] for c in built] == [
        Expectation("regex", r"(?i)^\W*yes"),
        Expectation("regex", r"(?i)^\W*no"),
    ]
    assert built[0].pair == built[1].pair and round_trips(built)
    only = challenges_from_table(
        rows, "ha1", stances={"true": "{claim}", "false": "{mirror}"}, answer={"true": "claim"}
    )
    assert [e.kind for e in only[1].expectations] == ["pair"]  # no check for the stance the mapping leaves out
    with pytest.raises(SpecSyntaxError, match="regex check for unknown stance 'maybe'"):
        challenges_from_table(rows, "ha1", stances={"true": "{claim}"}, regex={"maybe": literal("x")})
    with pytest.raises(SpecSyntaxError, match="a regex check per stance needs stances"):
        challenges_from_table(rows, "ha1", "{claim}", regex={"true": literal("x")})

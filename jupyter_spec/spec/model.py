"""The objects a behaviour specification is made of.

Everything is a frozen dataclass so that specs can be compared, cached and hashed. Positions
(source name, line) are carried for error messages and lint findings but excluded from equality
and hashes: moving a clause within a file changes neither what it says nor its hash.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from jupyter_spec.spec.markers import marker_sentences

ROLES = ("system", "developer", "user", "assistant", "tool")
# The levels of authority the Model Spec has used, highest first (rank 0). Releases rename them
# (an older one says `platform` where the current one says `root`: they share a rank), so a spec
# may use others and declare its own order with `<!-- authority-order: a > b > c -->` before its
# first heading; an unknown level is a lint warning.
KNOWN_AUTHORITY_RANKS = {"root": 0, "platform": 0, "system": 1, "developer": 2, "user": 3, "guideline": 4}
AUTHORITY_ORDER = re.compile(r"<!--\s*authority-order\s*:\s*(.*?)\s*-->", re.DOTALL)
LABELS = ("GOOD", "BAD", "OK")
EXPECTATION_KINDS = ("answer", "wrong", "regex", "choice", "no-flip", "pair")
ANSWER_CHECKS = ("answer", "regex", "choice")  # the kinds that say what a correct answer is
# `wrong` names an incorrect answer (the one a user pushes): an `answer` check reads a reply that states it
# as giving the correct one up, and one that states neither as giving no answer.

Label = Literal["GOOD", "BAD", "OK"]


@functools.cache
def _compared_fields(kind: type) -> tuple[tuple[str, bool, Any], ...]:
    """(name, whether it is left out at its default, the default) of each field in equality."""
    return tuple((f.name, bool(f.metadata.get("added")), f.default) for f in dataclasses.fields(kind) if f.compare)


def _canonical_dataclass(value: Any) -> Any:
    """A dataclass as `[type name, [field, value], ...]` over the fields that take part in equality,
    for `json.dumps(default=...)`: the encoder (in C) walks lists, tuples and strings itself and
    comes back here for each dataclass it meets."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    out: list[Any] = [type(value).__name__]
    for name, added, default in _compared_fields(type(value)):
        field_value = getattr(value, name)
        if not (added and field_value == default):
            out.append([name, field_value])
    return out


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_canonical_dataclass)
_encode_text = json.encoder.encode_basestring  # how `_ENCODER` encodes a text (ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The JSON `stable_hash` hashes. `stable_hash(a, b)` is `hash_json("[" + canonical_json(a) +
    "," + canonical_json(b) + "]")`, so a part that many hashes share can be encoded once."""
    return _ENCODER.encode(value)


def hash_json(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]  # a lone surrogate hashes too


def stable_hash(*values: Any) -> str:
    """A short content hash that is the same on every machine and Python version. Stores key their
    caches by it: its value for a given input must never change. It is on every sample's path (several
    times: a grade's key is three texts, which are encoded as the encoder would, without walking them)."""
    for value in values:
        if not isinstance(value, str):
            return hash_json(canonical_json(values))
    return hash_json(f"[{','.join(map(_encode_text, values))}]")


def _position() -> Any:
    return field(default=0, compare=False, repr=False)


def _source() -> Any:
    return field(default="", compare=False, repr=False)


def _added() -> Any:
    """A field added after hashes were first stored: left out of the hash while unset, so that
    content written before it existed keeps its hash (and its cached samples and grades)."""
    return field(default=None, metadata={"added": True})


@dataclass(frozen=True)
class Message:
    """One turn of a conversation. In a comparison, an assistant turn carries a label.

    A label may name the clause the answer breaks (`<!-- BAD[#other_id]: reason -->`, kept in
    `ref`) and a condition under which it holds (`<!-- GOOD, given high uncertainty -->`).
    """

    role: str
    content: str
    label: Label | None = None
    reason: str | None = None
    attrs: tuple[tuple[str, str], ...] = ()
    line: int = _position()
    ref: str | None = _added()
    qualifier: str | None = _added()

    @property
    def is_sample_point(self) -> bool:
        """An empty, unlabelled assistant turn: in a challenge, the model answers here."""
        return self.role == "assistant" and not self.content and self.label is None


@dataclass(frozen=True)
class Comparison:
    """Candidate answers to the same conversation, each labelled GOOD, BAD or OK."""

    answers: tuple[Message, ...]
    line: int = _position()


@dataclass(frozen=True)
class Elision:
    """A line `[...]` between turns: part of the conversation left out. Never sent to a model."""

    line: int = _position()


Part = Message | Comparison | Elision


def part_messages(part: Part) -> tuple[Message, ...]:
    """The messages a part holds: a comparison's answers, a turn itself, nothing for an elision."""
    if isinstance(part, Comparison):
        return part.answers
    return (part,) if isinstance(part, Message) else ()


@dataclass(frozen=True)
class Example:
    """A worked example: a conversation and labelled answers that show what a clause means."""

    title: str
    parts: tuple[Part, ...]
    line: int = _position()
    source: str = _source()

    @property
    def conversation(self) -> tuple[Message, ...]:
        """Every unlabelled turn in order, elisions left out (the answers' common context when the
        example has one comparison; see `answered` for examples that go on after one)."""
        return tuple(p for p in self.parts if isinstance(p, Message) and p.label is None)

    @cached_property
    def answers(self) -> tuple[Message, ...]:
        """Every labelled answer, in comparisons or standing alone."""
        return tuple(answer for _, answer in self.answered())

    def answered(self) -> tuple[tuple[tuple[Message, ...], Message], ...]:
        """Each labelled answer with the conversation it answers.

        An example may go on after a comparison (a user's reply, another comparison): later
        answers then respond to the turns before them, where an earlier comparison stands for its
        first GOOD answer, else its first OK one, else its only answer; a comparison of several
        answers none of them GOOD or OK is left out of the context. Elisions are never part of it.
        """
        out: list[tuple[tuple[Message, ...], Message]] = []
        history: list[Message] = []
        for part in self.parts:
            messages = part_messages(part)
            labelled = [m for m in messages if m.label is not None]
            out += [(tuple(history), answer) for answer in labelled]
            if not labelled:
                history.extend(messages)
                continue
            preferred = [a for label in ("GOOD", "OK") for a in labelled if a.label == label]
            chosen = preferred[0] if preferred else labelled[0] if len(labelled) == 1 else None
            if chosen is not None:
                history.append(Message(chosen.role, chosen.content, attrs=chosen.attrs))
        return tuple(out)

    @property
    def comparisons(self) -> tuple[Comparison, ...]:
        return tuple(p for p in self.parts if isinstance(p, Comparison))

    @property
    def hash(self) -> str:
        return stable_hash(self)


@dataclass(frozen=True)
class Prose:
    """Normative text of a section, kept verbatim."""

    text: str
    line: int = _position()


@dataclass(frozen=True)
class Admonition:
    """A `!!! kind "Title"` block. `meta` admonitions are commentary and not normative."""

    kind: str
    title: str
    text: str
    line: int = _position()

    @property
    def normative(self) -> bool:
        return self.kind != "meta"


Block = Prose | Example | Admonition


@dataclass(frozen=True)
class Marker:
    """A sentence marked `[^id]`: a sub-clause with its own ID that challenges can target."""

    id: str
    text: str
    section: str | None
    line: int = _position()
    source: str = _source()


@dataclass(frozen=True)
class Section:
    """A heading and what follows it up to the next heading. With an `{#id}` it is a clause."""

    title: str
    level: int
    id: str | None = None
    authority: str | None = None
    classes: tuple[str, ...] = ()
    attrs: tuple[tuple[str, str], ...] = ()
    blocks: tuple[Block, ...] = ()
    line: int = _position()
    source: str = _source()

    @cached_property
    def text(self) -> str:
        """The normative wording: prose and normative admonitions, without examples."""
        parts = [b.text for b in self.blocks if isinstance(b, Prose)]
        parts += [b.text for b in self.blocks if isinstance(b, Admonition) and b.normative]
        return "\n\n".join(parts)

    @cached_property
    def examples(self) -> tuple[Example, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Example))

    @property
    def commentary(self) -> tuple[Admonition, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Admonition) and not b.normative)

    @cached_property
    def markers(self) -> tuple[Marker, ...]:
        """Markers in the normative text (not in commentary), with the line each one stands on."""
        found: list[Marker] = []
        for block in self.blocks:
            if isinstance(block, Example) or (isinstance(block, Admonition) and not block.normative):
                continue
            first = block.line + (1 if isinstance(block, Admonition) else 0)
            counted, newlines = 0, 0  # offsets only grow: count each stretch of text once
            for marker_id, sentence, offset in marker_sentences(block.text):
                newlines += block.text.count("\n", counted, offset)
                counted = offset
                found.append(Marker(marker_id, sentence, self.id, first + newlines if block.line else 0, self.source))
        return tuple(found)

    @property
    def text_hash(self) -> str:
        """Changes exactly when the clause's normative wording (or its title or authority) does."""
        return stable_hash(self.id, self.title, self.authority, self.text)

    @property
    def hash(self) -> str:
        """Changes when anything in the section changes: wording, examples or commentary."""
        return stable_hash(self)


@dataclass(frozen=True)
class Expectation:
    """A deterministic check a challenge declares: `<!-- expect KIND: VALUE -->`."""

    kind: str
    value: str = ""
    line: int = _position()


_ALTERNATIVE_BAR = re.compile(r"(?<!\\)\|")


def alternatives(value: str) -> tuple[str, ...]:
    """The accepted answers an `answer` (or `wrong`) value lists: `The Peter Principle | Peter Principle`;
    `\\|` is a bar inside an answer. A data set often accepts several spellings, and one `answer` check
    must hold when the reply gives any of them (several `answer` checks must all hold)."""
    parts = (part.replace("\\|", "|").strip() for part in _ALTERNATIVE_BAR.split(value))
    return tuple(part for part in parts if part)


def alternatives_value(answers: list[str] | tuple[str, ...]) -> str:
    """The `answer` value that accepts each of `answers` (`alternatives` reads it back)."""
    return " | ".join(" ".join(a.replace("|", "\\|").split()) for a in answers if a.strip())


@dataclass(frozen=True)
class Challenge:
    """A prompt (possibly several user turns) that tests one clause or marker."""

    target: str
    title: str
    turns: tuple[Message, ...]
    expectations: tuple[Expectation, ...] = ()
    line: int = _position()
    source: str = _source()
    # The fields of the table row it was built from (`tables.py`), in the row's order, as (name, value)
    # pairs of JSON scalars: graders receive them, results carry them as columns. None: written by hand.
    metadata: tuple[tuple[str, str | int | float | bool | None], ...] | None = _added()

    @property
    def fields(self) -> dict[str, str | int | float | bool | None]:
        """`metadata` as a dict (empty for a challenge written by hand)."""
        return dict(self.metadata or ())

    @property
    def pair(self) -> str | None:
        """The name of the pair this challenge belongs to (`<!-- expect pair: NAME -->`), if any."""
        return next((e.value for e in self.expectations if e.kind == "pair"), None)

    @property
    def sample_points(self) -> int:
        """How many assistant answers a run samples: each empty assistant turn, plus the last."""
        points = sum(1 for t in self.turns if t.is_sample_point)
        if self.turns and self.turns[-1].role != "assistant":
            points += 1
        return points

    @cached_property
    def hash(self) -> str:
        return hash_json(f"[{self.canonical}]")  # `stable_hash(self)`; immutable: hashed once, not per sample

    @cached_property
    def canonical(self) -> str:
        """`canonical_json(self)`, encoded once for the content hashes of all the challenge's samples."""
        return canonical_json(self)

    @cached_property
    def turns_json(self) -> str:
        """`canonical_json(self.turns)`, encoded once for the keys of all the challenge's samples."""
        return canonical_json(self.turns)


@dataclass(frozen=True)
class Precedent:
    """A reviewer's ruling on one concrete answer: it settles what a clause means in that case.

    Precedents come from overruling a judge; later judges see them beside the clause's examples.
    """

    target: str  # the clause or marker the answer was judged against
    conversation: tuple[Message, ...]  # what the model saw, earlier answers included
    response: str
    verdict: str  # one of VERDICTS
    note: str
    author: str = field(default="", compare=False)
    created: float = field(default=0.0, compare=False)
    original: str | None = field(default=None, compare=False)  # the verdict it overruled

    @property
    def hash(self) -> str:
        return stable_hash(self)

"""Challenge prompts: the files `examples/<id>.md` and the terse `%%challenge` form.

A challenge file starts `Examples for [^id] in <section title>:` and holds `**Example**:` blocks
with prompts and no answers. An empty `<assistant></assistant>` between user turns means "sample
the model here", which is how "Are you sure?" follow-ups are written. For quick iteration a
`%%challenge ID` cell may instead list one prompt per `- ` line; an indented `- ` line is a
follow-up user turn asked after the model's answer.
"""

from __future__ import annotations

import re

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.model import Challenge, Comparison, Elision, Expectation, Message
from jupyter_spec.spec.transcript import (
    EXAMPLE_LINE,
    EXPECT_COMMENT,
    blank_out,
    expectation_comments,
    parse_expectation,
    read_example_block,
    stray_comment,
)
from jupyter_spec.spec.writer import HEADER

_BULLET = re.compile(r"^([ \t]*)[-*][ \t]+(.*)$")
_CORRECTNESS = ("answer", "regex", "choice")
_LINE_END = re.compile(r"\r\n|\r|\n")


def _validate(challenge: Challenge) -> Challenge:
    where = (challenge.source, challenge.line, 1)
    if all(turn.role == "assistant" for turn in challenge.turns):
        raise SpecSyntaxError("challenge has only <assistant> turns: there is nothing to ask the model", *where)
    if challenge.sample_points == 0:
        raise SpecSyntaxError(
            "challenge ends with a written assistant turn, so there is nothing to sample: "
            "end it with a <user> turn or an empty <assistant></assistant>",
            *where,
        )
    kinds = {e.kind for e in challenge.expectations}
    if "no-flip" in kinds:
        if challenge.sample_points < 2:
            raise SpecSyntaxError("<!-- expect no-flip --> needs a follow-up turn after the first answer", *where)
        if not kinds & set(_CORRECTNESS):
            raise SpecSyntaxError(
                "<!-- expect no-flip --> needs an expected answer, regex or choice to know the first answer is correct",
                *where,
            )
    return challenge


def _from_block(lines: list[str], i: int, target: str, source: str, offset: int) -> tuple[Challenge, int]:
    block = read_example_block(lines, i, source, offset, challenge=True)
    elided = next((p for p in block.transcript.parts if isinstance(p, Elision)), None)
    if elided is not None:
        raise SpecSyntaxError(
            "an elided [...] turn cannot be sent to a model: write out the turns a challenge asks",
            source,
            elided.line,
            1,
        )
    for part in block.transcript.parts:
        if isinstance(part, Comparison) or part.label is not None:  # type: ignore[union-attr]
            raise SpecSyntaxError(
                "challenges hold prompts only; put labelled GOOD/BAD answers in the clause's worked examples",
                source,
                part.line,
                1,
            )
    turns = tuple(p for p in block.transcript.parts if isinstance(p, Message))
    challenge = Challenge(
        target, block.title, turns, block.transcript.expectations, block.line, source, block.transcript.metadata
    )
    return _validate(challenge), block.end


def _terse(lines: list[str], start: int, target: str, source: str, offset: int) -> list[Challenge]:
    """`- prompt` lines; indented `- follow-up` lines; `<!-- expect ... -->` anywhere in a prompt."""
    prompts: list[tuple[int, list[list[str]], list[Expectation]]] = []
    for i in range(start, len(lines)):
        line, number = lines[i], i + offset
        if not line.strip():
            continue
        bullet = _BULLET.match(line)
        at = bullet.start(2) if bullet else len(line) - len(line.lstrip())  # where the text starts
        text = line[at:].rstrip()
        found = expectation_comments(text)
        expectations = [parse_expectation(m.group(1), source, number, at + m.start() + 1) for m in found]
        stray = stray_comment(blank_out(text, found))
        if stray is not None:
            raise SpecSyntaxError(stray[1], source, number, at + stray[0] + 1)
        text = EXPECT_COMMENT.sub("", text).rstrip()  # no unclosed comment is left: these are `found`
        if bullet and not bullet.group(1):
            prompts.append((number, [[text]], expectations))
        elif not prompts:
            raise SpecSyntaxError(
                "expected a prompt: one '- prompt' line per challenge, or **Example**: blocks", source, number, 1
            )
        elif bullet:
            prompts[-1][1].append([text])
            prompts[-1][2].extend(expectations)
        else:
            prompts[-1][1][-1].append(text)
            prompts[-1][2].extend(expectations)
    challenges = []
    for number, user_turns, expectations in prompts:
        turns: list[Message] = []
        for k, chunk in enumerate(user_turns):
            content = "\n".join(chunk).strip()
            if not content:
                raise SpecSyntaxError("empty prompt", source, number, 1)
            if k:
                turns.append(Message("assistant", "", line=number))
            turns.append(Message("user", content, line=number))
        title = " ".join(turns[0].content.split())
        title = title if len(title) <= 60 else title[:59] + "…"
        challenge = Challenge(target, title, tuple(turns), tuple(expectations), number, source)
        challenges.append(_validate(challenge))
    return challenges


def parse_challenges(
    text: str, source: str = "<challenges>", target: str | None = None, first_line: int = 1
) -> tuple[Challenge, ...]:
    """Read a challenge file, or a `%%challenge ID` cell body when `target` is given."""
    lines = _LINE_END.split(text)  # not `splitlines`: a prompt may hold U+2028 or U+0085, which end no line in a file
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    header = HEADER.match(lines[i]) if i < len(lines) else None
    if header:
        named = header.group(1)
        if not named:
            raise SpecSyntaxError("empty ID in 'Examples for [^]'", source, i + first_line, 15)
        if target is not None and named != target:
            raise SpecSyntaxError(
                f"header names [^{named}] but the challenges are for {target!r}", source, i + first_line, 15
            )
        target = named
        i += 1
    elif target is None:
        line = i + first_line if i < len(lines) else first_line
        raise SpecSyntaxError("expected a header line 'Examples for [^id] in <section title>:'", source, line, 1)
    if not any(EXAMPLE_LINE.match(line) for line in lines[i:]):
        challenges = _terse(lines, i, target, source, first_line)
    else:
        challenges = []
        while i < len(lines):
            if not lines[i].strip():
                i += 1
            elif EXAMPLE_LINE.match(lines[i]):
                challenge, i = _from_block(lines, i, target, source, first_line)
                challenges.append(challenge)
            else:
                raise SpecSyntaxError(
                    "expected **Example**: followed by a ~~~xml block of prompts", source, i + first_line, 1
                )
    if not challenges:
        raise SpecSyntaxError(
            f"no challenges for {target!r}: expected '- prompt' lines or **Example**: blocks", source, first_line, 1
        )
    return tuple(challenges)

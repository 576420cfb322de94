"""Example blocks: `**Example**: title` and a fenced block of role-tagged conversation turns.

The block's inside is read as a tiny XML-like language: role tags (`<user>`, `<assistant>`, ...),
`<comparison>` groups of labelled answers, elided turns (a line `[...]` between tags) and, in
challenges, expectations (`<!-- expect answer: 42 -->`, between turns or inside one). A label is
`<!-- GOOD -->`, `<!-- BAD: why -->` or `<!-- OK -->`, optionally naming the clause an answer
breaks (`<!-- BAD[#other_id]: why -->`) or a condition (`<!-- GOOD, given high uncertainty -->`).
A turn's content is taken verbatim up to its closing tag, with HTML entities decoded, so answers
may quote any text. A challenge's turns are sent to a model, so there any other HTML comment is
refused (a mistyped or unclosed expectation would otherwise be sent and never checked); write
`&lt;!--` to send one on purpose.

A challenge built from a table row keeps the row's fields in one comment between turns,
`<!-- row: {"id": "q7", "votes": 3} -->`: a JSON object of scalars (text, numbers, true/false,
null) in the row's order, written on one line, with `<` and `>` as `\u003c`/`\u003e` so the comment
cannot end early.
"""

from __future__ import annotations

import difflib
import html
import json
import math
import re
from dataclasses import dataclass

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.model import (
    EXPECTATION_KINDS,
    LABELS,
    ROLES,
    Comparison,
    Elision,
    Expectation,
    Message,
    Part,
    alternatives,
)

EXAMPLE_LINE = re.compile(r"^\*\*Example\*\*:[ \t]*(.*?)\s*$")
FENCE_OPEN = re.compile(r"^[ \t]{0,3}(~{3,}|`{3,})[ \t]*([\w+-]*)[ \t]*$")
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)([^<>]*?)(/?)>")
_ATTR = re.compile(r'\s*([A-Za-z_][\w.:-]*)\s*=\s*"([^"]*)"')
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_LABEL = re.compile(
    r"^(?P<label>\w+)\s*(?:\[(?P<ref>[^\]]*)\])?\s*(?:,\s*(?P<qualifier>[^:]*?))?\s*(?::\s*(?P<reason>.*?))?\s*$",
    re.DOTALL,
)
_REF = re.compile(r"#([A-Za-z0-9_][A-Za-z0-9_.:-]*)")
ELISION = re.compile(r"\[(?:\.\.\.|…)\][ \t]*(?=\n|$)")
EXPECT_COMMENT = re.compile(r"<!--\s*(expect\b.*?)-->", re.DOTALL | re.IGNORECASE)
_EXPECT = re.compile(r"^expect\b\s*([\w-]*)\s*(?::\s*(.*?))?\s*$", re.DOTALL | re.IGNORECASE)
_ROW = re.compile(r"^row\s*:\s*(.*?)\s*$", re.DOTALL | re.IGNORECASE)
_STRUCTURE = ("comparison", *ROLES)
Metadata = tuple[tuple[str, "str | int | float | bool | None"], ...]
# Characters `str.splitlines` ends a line at that JSON leaves as they are: a row stays on its line.
_LINE_BREAKS = {"<": "\\u003c", ">": "\\u003e", "\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_LINE_BREAK = re.compile("|".join(map(re.escape, _LINE_BREAKS)))


def row_comment(metadata: Metadata) -> str:
    """`<!-- row: {...} -->`: a challenge's row fields as one line that `parse_transcript` reads back."""
    text = json.dumps(dict(metadata), ensure_ascii=False, allow_nan=False)
    return f"<!-- row: {_LINE_BREAK.sub(lambda m: _LINE_BREAKS[m.group(0)], text)} -->"


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    twice = next((k for k in keys if keys.count(k) > 1), None)
    if twice is not None:
        raise ValueError(f"the field {twice!r} is given twice")
    return dict(pairs)


def _parse_row(scan: _Scanner, text: str, offset: int) -> Metadata:
    """The inside of `<!-- row: {...} -->`: a JSON object whose values are scalars."""
    try:
        fields = json.loads(text, object_pairs_hook=_no_duplicates)
    except ValueError as error:
        raise scan.error(f"<!-- row: ... --> holds a JSON object of the row's fields: {error}", offset) from None
    if not isinstance(fields, dict):
        raise scan.error(f"<!-- row: ... --> holds a JSON object, got {type(fields).__name__}", offset)
    for key, value in fields.items():
        if not (value is None or isinstance(value, (str, int, float, bool))):
            raise scan.error(f"<!-- row: ... --> field {key!r} is a {type(value).__name__}: only JSON scalars", offset)
    return tuple(fields.items())


_COUNTED = re.compile(r"(?<!\\)\{(\d+)(?:,(\d*))?\}")  # {m} and {m,n} in a regular expression
MAX_COUNTED_REPEATS = 10_000


def stray_comment(text: str) -> tuple[int, str] | None:
    """The offset and the reason of the first `<!--` in a prompt (its expectations taken out):
    in text sent to a model a comment is almost always a mistyped or unclosed expectation."""
    start = text.find("<!--")
    if start < 0:
        return None
    end = text.find("-->", start + 4)
    if end < 0:
        return start, "comment is not closed: expected -->"
    body = text[start + 4 : end].strip()
    word = re.match(r"[\w-]*", body).group(0)  # type: ignore[union-attr]
    if word and (difflib.get_close_matches(word.lower(), ["expect"], 1, 0.6) or word.lower() in EXPECTATION_KINDS):
        return start, f"unknown expectation {word!r}: expectations read <!-- expect KIND: VALUE -->"
    return start, "an HTML comment in a prompt would be sent to the model: remove it, or write <!-- expect ... -->"


def blank_out(text: str, matches: list[re.Match[str]]) -> str:
    """The text with the matched spans replaced by spaces, so that offsets into it still hold."""
    for m in matches:
        text = text[: m.start()] + " " * len(m.group(0)) + text[m.end() :]
    return text


def expectation_comments(text: str) -> list[re.Match[str]]:
    """The `<!-- expect ... -->` comments in a text; an unclosed one (another `<!--` before its
    `-->`) is left out, for `stray_comment` to report."""
    return [m for m in EXPECT_COMMENT.finditer(text) if "<!--" not in m.group(1)]


@dataclass(frozen=True)
class Transcript:
    """What one fenced block says: turns and comparisons, and any expectations."""

    parts: tuple[Part, ...]
    expectations: tuple[Expectation, ...]
    metadata: Metadata | None = None  # a challenge's table row (`<!-- row: {...} -->`)


@dataclass(frozen=True)
class ExampleBlock:
    """An `**Example**:` line with its fenced block, as read from a list of lines."""

    title: str
    transcript: Transcript
    line: int
    end: int  # index of the first line after the closing fence


class _Scanner:
    """Positions in the block text, turned into file line and column for error messages."""

    def __init__(self, text: str, source: str, first_line: int) -> None:
        self.text = text
        self.source = source
        self.first_line = first_line

    def where(self, offset: int) -> tuple[int, int]:
        line = self.first_line + self.text.count("\n", 0, offset)
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, column

    def error(self, message: str, offset: int) -> SpecSyntaxError:
        line, column = self.where(offset)
        return SpecSyntaxError(message, self.source, line, column)


def _parse_attrs(scan: _Scanner, raw: str, offset: int) -> tuple[tuple[str, str], ...]:
    attrs: list[tuple[str, str]] = []
    pos = 0
    while raw[pos:].strip():
        match = _ATTR.match(raw, pos)
        if not match:
            raise scan.error(f'malformed tag attribute {raw[pos:].strip()!r}: expected name="value"', offset)
        attrs.append((match.group(1), html.unescape(match.group(2))))
        pos = match.end()
    return tuple(attrs)


@dataclass(frozen=True)
class _Label:
    label: str
    reason: str | None
    ref: str | None
    qualifier: str | None


def _parse_label(scan: _Scanner, body: str, offset: int) -> _Label:
    match = _LABEL.match(body.strip())
    label = match.group("label").upper() if match else ""
    if match is None or label not in LABELS:
        raise scan.error(
            f"unknown label <!--{body}-->: expected <!-- GOOD -->, <!-- BAD: reason -->, <!-- BAD[#clause_id] --> "
            "or <!-- OK -->",
            offset,
        )
    ref = match.group("ref")
    if ref is not None and not _REF.fullmatch(ref.strip()):
        raise scan.error(f"malformed cross-reference [{ref}] in <!--{body}-->: expected [#clause_id]", offset)
    return _Label(
        label,
        match.group("reason") or None,
        ref.strip()[1:] if ref is not None else None,
        match.group("qualifier") or None,
    )


def _parse_expectation(scan: _Scanner, body: str, offset: int) -> Expectation:
    """`expect KIND: VALUE` (the inside of the comment)."""
    match = _EXPECT.match(body.strip())
    assert match is not None
    kind, value = match.group(1).lower(), (match.group(2) or "").strip()
    if kind not in EXPECTATION_KINDS:
        kinds = ", ".join(EXPECTATION_KINDS)
        raise scan.error(f"unknown expectation {kind or '(none)'!r}: expected one of {kinds}", offset)
    if kind == "no-flip":
        if value:
            raise scan.error("<!-- expect no-flip --> takes no value", offset)
    elif not value:
        raise scan.error(f"<!-- expect {kind}: ... --> needs a value after the colon", offset)
    if kind == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            raise scan.error(f"invalid regular expression in expectation: {exc}", offset) from None
        repeats = math.prod(int(high or low) for low, high in _COUNTED.findall(value))
        if repeats > MAX_COUNTED_REPEATS:
            raise scan.error(
                f"regular expression repeats {repeats:,} times in its counted repetitions ({{m,n}}): "
                f"at most {MAX_COUNTED_REPEATS:,}, or compiling it alone could exhaust memory",
                offset,
            )
    if kind in ("answer", "wrong") and not alternatives(value):
        raise scan.error(f"<!-- expect {kind}: A | B --> lists answers between bars, got {value!r}", offset)
    if kind == "pair" and not re.fullmatch(r"[\w.-]+", value):
        raise scan.error(f"<!-- expect pair: NAME --> takes one name (letters, digits, - . _), got {value!r}", offset)
    if kind == "choice" and not re.fullmatch(r"[A-Za-z]", value):
        raise scan.error(f"<!-- expect choice: ... --> takes one letter, got {value!r}", offset)
    return Expectation(kind, value.upper() if kind == "choice" else value, scan.where(offset)[0])


def _read_turn(
    scan: _Scanner, tag: re.Match[str], challenge: bool = False
) -> tuple[Message, tuple[Expectation, ...], int]:
    """One role turn starting at `tag`: the turn, expectations written inside it (they are taken
    out of its content, never sent to a model), and the offset after its closing tag. In a
    `challenge` any other comment is refused, as it would be sent to the model."""
    role = tag.group(2)
    line, _ = scan.where(tag.start())
    closing = re.compile(rf"</{role}\s*>")
    close = closing.search(scan.text, tag.end())
    start_of_structure = re.compile(rf"^[ \t]*<({'|'.join(_STRUCTURE)})\b", re.MULTILINE)
    intruder = start_of_structure.search(scan.text, tag.end(), close.start() if close else len(scan.text))
    if intruder:
        raise scan.error(
            f"<{role}> opened at line {line} is not closed: expected </{role}> before <{intruder.group(1)}>",
            intruder.start(1) - 1,
        )
    if close is None:
        raise scan.error(f"<{role}> is not closed: expected </{role}>", tag.start())
    body = scan.text[tag.end() : close.start()]
    found = expectation_comments(body) if challenge else list(EXPECT_COMMENT.finditer(body))
    expectations = tuple(_parse_expectation(scan, m.group(1), tag.end() + m.start()) for m in found)
    # A label opens the turn, expectations aside: look for it with them blanked, so offsets hold.
    blanked = blank_out(body, found)
    label = _Label("", None, None, None)
    comment = re.match(r"\s*<!--(.*?)-->", blanked, re.DOTALL)
    named = _LABEL.match(comment.group(1).strip()) if comment else None
    if comment and (not challenge or (named is not None and named.group("label").upper() in LABELS)):
        label = _parse_label(scan, comment.group(1), tag.end() + comment.start(1) - 4)
        if role != "assistant":
            raise scan.error(f"only <assistant> answers carry a label, not <{role}>", tag.start())
        body, blanked = body[comment.end() :], blanked[comment.end() :]
    stray = stray_comment(blanked) if challenge else None
    if stray is not None:
        raise scan.error(stray[1], close.start() - len(blanked) + stray[0])
    message = Message(
        role=role,
        content=html.unescape(EXPECT_COMMENT.sub("", body).strip()),
        label=label.label or None,  # type: ignore[arg-type]
        reason=label.reason,
        attrs=_parse_attrs(scan, tag.group(3), tag.start()),
        line=line,
        ref=label.ref,
        qualifier=label.qualifier,
    )
    return message, expectations, close.end()


def parse_transcript(text: str, source: str, first_line: int, challenge: bool = False) -> Transcript:
    """Read the inside of an example's fenced block (`first_line` is the line of its first line);
    a `challenge`'s turns are prompts, which may hold no comment but expectations."""
    scan = _Scanner(text, source, first_line)
    parts: list[Part] = []
    expectations: list[Expectation] = []
    metadata: Metadata | None = None
    comparison: list[Message] | None = None
    comparison_at = 0
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        comment = _COMMENT.match(text, pos)
        if comment:
            body = comment.group(1)
            if "<!--" in body:
                raise scan.error("comment is not closed: expected -->", pos)
            row = _ROW.match(body.strip())
            if row and not _EXPECT.match(body.strip()):
                if not challenge:
                    raise scan.error("<!-- row: ... --> belongs to a challenge built from a table", pos)
                if metadata is not None:
                    raise scan.error("a second <!-- row: ... -->: a challenge comes from one row", pos)
                metadata = _parse_row(scan, row.group(1), pos)
                pos = comment.end()
                continue
            if not _EXPECT.match(body.strip()):
                stray = stray_comment(comment.group(0)) if challenge else None
                if stray is not None and stray[1].startswith("unknown expectation"):
                    raise scan.error(stray[1], pos)
                raise scan.error(
                    "unexpected comment: labels go right after <assistant>, "
                    "expectations read <!-- expect KIND: VALUE -->",
                    pos,
                )
            expectations.append(_parse_expectation(scan, body, pos))
            pos = comment.end()
            continue
        if text.startswith("<!--", pos):
            raise scan.error("comment is not closed: expected -->", pos)
        elision = ELISION.match(text, pos)
        if elision:
            if comparison is not None:
                raise scan.error("a <comparison> holds <assistant> answers only, not an elided [...] turn", pos)
            parts.append(Elision(scan.where(pos)[0]))
            pos = elision.end()
            continue
        tag = _TAG.match(text, pos)
        if tag is None:
            snippet = text[pos:].split("\n", 1)[0][:40]
            raise scan.error(f"text outside a role tag: {snippet!r}; wrap turns in <user>...</user>", pos)
        closing, name = tag.group(1) == "/", tag.group(2)
        if name not in _STRUCTURE:
            raise scan.error(f"unknown role tag <{tag.group(1)}{name}>: expected one of {', '.join(_STRUCTURE)}", pos)
        if name == "comparison":
            if closing and comparison is not None:
                if not comparison:
                    raise scan.error("empty <comparison>: expected labelled <assistant> answers", comparison_at)
                parts.append(Comparison(tuple(comparison), scan.where(comparison_at)[0]))
                comparison = None
            elif closing:
                raise scan.error("</comparison> without an opening <comparison>", pos)
            elif comparison is not None:
                raise scan.error("<comparison> cannot be nested", pos)
            else:
                comparison, comparison_at = [], pos
            pos = tag.end()
            continue
        if closing:
            raise scan.error(f"</{name}> without an opening <{name}>", pos)
        message, inside, pos = _read_turn(scan, tag, challenge)
        expectations.extend(inside)
        if comparison is None:
            parts.append(message)
        elif message.role != "assistant":
            raise scan.error(f"a <comparison> holds <assistant> answers only, not <{message.role}>", tag.start())
        elif message.label is None:
            raise scan.error(
                "comparison answer without a label: expected <!-- GOOD -->, <!-- BAD: reason --> "
                "or <!-- OK --> after <assistant>",
                tag.start(),
            )
        else:
            comparison.append(message)
    if comparison is not None:
        raise scan.error("<comparison> is not closed: expected </comparison>", comparison_at)
    return Transcript(tuple(parts), tuple(expectations), metadata)


def read_example_block(
    lines: list[str], index: int, source: str, line_offset: int, challenge: bool = False
) -> ExampleBlock:
    """Read `lines[index]` (an `**Example**:` line) and the fenced block after it.

    `line_offset` turns a list index into a line number (line = index + line_offset).
    """
    match = EXAMPLE_LINE.match(lines[index])
    assert match is not None
    example_line = index + line_offset
    i = index + 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    fence = FENCE_OPEN.match(lines[i]) if i < len(lines) else None
    if fence is None:
        where = i + line_offset if i < len(lines) else example_line
        raise SpecSyntaxError(
            "expected a fenced block (~~~xml) with the example's conversation after **Example**:", source, where, 1
        )
    marker = fence.group(1)
    if fence.group(2) not in ("", "xml"):
        raise SpecSyntaxError(
            f"example block is marked {fence.group(2)!r}: expected ~~~xml", source, i + line_offset, len(marker) + 1
        )
    close = re.compile(rf"^[ \t]{{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
    end = i + 1
    while end < len(lines) and not close.match(lines[end]):
        end += 1
    if end >= len(lines):
        raise SpecSyntaxError(f"example block opened here is not closed: expected {marker}", source, i + line_offset, 1)
    body = "\n".join(lines[i + 1 : end])
    transcript = parse_transcript(body, source, i + 1 + line_offset, challenge)
    return ExampleBlock(match.group(1), transcript, example_line, end + 1)


_HEADING_LINE = re.compile(r"^#{1,6}[ \t]+\S")


def example_block_end(lines: list[str], index: int) -> int:
    """Where the example starting at `lines[index]` (an `**Example**:` line) ends, for a lenient
    reader that skips it: after its closing fence; before the next heading or `**Example**:` line
    when the fence is never closed before one (else every example after it would be lost too);
    right after the `**Example**:` line when no fenced block follows it."""
    i = index + 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    fence = FENCE_OPEN.match(lines[i]) if i < len(lines) else None
    if fence is None:
        return index + 1
    marker = fence.group(1)
    close = re.compile(rf"^[ \t]{{0,3}}{re.escape(marker[0])}{{{len(marker)},}}[ \t]*$")
    next_part = None
    for end in range(i + 1, len(lines)):
        if close.match(lines[end]):
            return end + 1
        if EXAMPLE_LINE.match(lines[end]):
            return end if next_part is None else next_part
        if next_part is None and _HEADING_LINE.match(lines[end]):
            next_part = end
    return len(lines) if next_part is None else next_part


def parse_expectation(body: str, source: str, line: int, column: int) -> Expectation:
    """An expectation comment's inside, read outside a fenced block (the terse challenge form)."""
    scan = _Scanner(body, source, line)
    try:
        return _parse_expectation(scan, body, 0)
    except SpecSyntaxError as exc:
        raise SpecSyntaxError(exc.message, source, line, column) from None

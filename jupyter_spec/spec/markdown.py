"""Read Model-Spec Markdown into a `Spec`.

The format is the one of OpenAI's public Model Spec: headings with Pandoc-style attributes
(`### Title {#id authority=user}`), prose with sentence markers (`[^sy73]`), worked examples
(`**Example**:` + a ~~~xml block) and `!!! meta` commentary. Every error names the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markers import marker_sentences
from jupyter_spec.spec.model import Admonition, Block, Example, Marker, Prose, Section
from jupyter_spec.spec.recovery import Recovery
from jupyter_spec.spec.transcript import EXAMPLE_LINE, example_block_end, read_example_block

HEADING = re.compile(r"^(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_TOO_DEEP = re.compile(r"^#{7,}(?:[ \t]+\S|.*\{[ \t]*#[^}]*\}[ \t]*$)")
_ADMONITION = re.compile(r"^!!![ \t]*(.*)$")
_ADMONITION_HEAD = re.compile(r'^([A-Za-z][\w-]*)(?:[ \t]+"([^"]*)")?[ \t]*$')
_PROSE_FENCE = re.compile(r"^[ \t]{0,3}(~{3,}|`{3,})")
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*")
_ATTR_TOKEN = re.compile(r'#(\S*)|\.(\S+)|([A-Za-z_][\w-]*)=(?:"([^"]*)"|(\S+))|(\S+)')


@dataclass
class _Heading:
    title: str
    level: int
    id: str | None = None
    authority: str | None = None
    classes: list[str] = field(default_factory=list)
    attrs: list[tuple[str, str]] = field(default_factory=list)


def parse_attributes(block: str, source: str, line: int, column: int, recovery: Recovery | None = None) -> _Heading:
    """Read `#id .class key=value key="quoted value"` (the inside of `{...}`). A lenient `recovery`
    keeps the error of a malformed attribute and reads on without that one attribute."""
    recovery = recovery or Recovery()
    heading = _Heading("", 0)
    keys: set[str] = set()
    for token in _ATTR_TOKEN.finditer(block):
        col = column + token.start()
        ident, cls, key, quoted, bare, junk = token.groups()
        if junk is not None:
            recovery.skip(
                SpecSyntaxError(f"malformed attribute {junk!r}: expected #id, .class or key=value", source, line, col)
            )
        elif ident is not None:
            if not _ID.fullmatch(ident):
                recovery.skip(
                    SpecSyntaxError(
                        f"malformed ID {'#' + ident!r}: expected letters, digits, _ . : or -", source, line, col
                    )
                )
            elif heading.id is not None:
                recovery.skip(SpecSyntaxError(f"heading has two IDs: #{heading.id} and #{ident}", source, line, col))
            else:
                heading.id = ident
        elif cls is not None:
            heading.classes.append(cls)
        else:
            value = quoted if quoted is not None else bare
            if key in keys:
                recovery.skip(SpecSyntaxError(f"attribute {key!r} is given twice", source, line, col))
                continue
            keys.add(key)
            if key != "authority":
                heading.attrs.append((key, value))
            elif _ID.fullmatch(value):  # any level is accepted here; lint warns about unknown ones
                heading.authority = value
            else:
                recovery.skip(
                    SpecSyntaxError(
                        f"malformed authority {value!r}: expected a level such as root, developer or user",
                        source,
                        line,
                        col,
                    )
                )
    return heading


def parse_heading(text: str, source: str, line: int, recovery: Recovery | None = None) -> _Heading | None:
    """A heading line, or None if the line is not one. A lenient `recovery` keeps the error of a
    malformed heading and reads what Markdown would show: a heading (its title possibly empty, an
    unclosed attribute block read to the end of the line), or a paragraph past 6 levels."""
    recovery = recovery or Recovery()
    match = HEADING.match(text)
    if not match:
        if _TOO_DEEP.match(text):  # Markdown would show it as a paragraph, its {#id} never declared
            recovery.skip(SpecSyntaxError("headings have at most 6 levels", source, line, 7))
        return None
    level, rest = len(match.group(1)), (match.group(2) or "")
    if not rest.strip():
        recovery.skip(SpecSyntaxError("heading without a title", source, line, level + 1))
        return _Heading("", level)
    title, attributes = rest, None
    brace = rest.find("{")
    if brace >= 0:
        if not rest.endswith("}"):
            if re.match(r"\{\s*([#.]|[A-Za-z_][\w-]*=)", rest[brace:]):
                recovery.skip(
                    SpecSyntaxError(
                        "attribute block is not closed: expected '}' at the end of the heading",
                        source,
                        line,
                        text.find("{") + 1,
                    )
                )
                title, attributes = rest[:brace].rstrip(), rest[brace + 1 :]
        else:
            title, attributes = rest[:brace].rstrip(), rest[brace + 1 : -1]
    if attributes is None:
        return _Heading(title.strip(), level)
    if not title:
        recovery.skip(SpecSyntaxError("heading without a title before its {attributes}", source, line, level + 1))
    heading = parse_attributes(attributes, source, line, text.find("{") + 2, recovery)
    heading.title, heading.level = title, level
    return heading


class _SectionBuilder:
    """Collects the blocks of the section being read."""

    def __init__(self, heading: _Heading | None, line: int, source: str) -> None:
        self.heading = heading
        self.line = line
        self.source = source
        self.blocks: list[Block] = []
        self.prose: list[str] = []
        self.prose_line = 0

    def add_prose(self, text: str, line: int) -> None:
        if not self.prose and not text.strip():
            return
        if not self.prose:
            self.prose_line = line
        self.prose.append(text)

    def flush_prose(self) -> None:
        text = "\n".join(self.prose).strip("\n").rstrip()
        if text:
            self.blocks.append(Prose(text, self.prose_line))
        self.prose = []

    def build(self) -> Section:
        self.flush_prose()
        h = self.heading
        assert h is not None
        return Section(
            h.title,
            h.level,
            h.id,
            h.authority,
            tuple(h.classes),
            tuple(h.attrs),
            tuple(self.blocks),
            self.line,
            self.source,
        )


def _read_admonition(lines: list[str], i: int, source: str, offset: int) -> tuple[Admonition | None, int]:
    """The admonition at `lines[i]` and the index after it; None when its head is malformed (a
    lenient reader then skips it whole: `end` is known either way)."""
    head = _ADMONITION_HEAD.match(_ADMONITION.match(lines[i]).group(1))  # type: ignore[union-attr]
    end = i + 1
    body: list[str] = []
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith(("    ", "\t"))):
        body.append(lines[end][4:] if lines[end].startswith("    ") else lines[end][1:])
        end += 1
    while body and not body[-1].strip():
        body.pop()
        end -= 1
    if head is None:
        return None, end
    return Admonition(head.group(1), head.group(2) or "", "\n".join(body).strip("\n"), i + offset), end


@dataclass
class _Read:
    """What one pass over the lines found; `unclosed` is a code fence never closed that swallowed
    headings: its error and the index of the first heading it swallowed."""

    sections: list[Section]
    preamble: _SectionBuilder
    unclosed: tuple[SpecSyntaxError, int] | None = None


def _read_blocks(lines: list[str], source: str, offset: int, recovery: Recovery, closed_at: set[int]) -> _Read:
    """Sections and the preamble, block by block; a code fence open at an index in `closed_at` is
    taken as closed there (a lenient reader's guess for a fence that is never closed)."""
    sections: list[Section] = []
    preamble = _SectionBuilder(None, 0, source)
    current = preamble
    fence: str | None = None
    fence_line = 0
    swallowed: int | None = None  # the first heading read as code inside an open fence
    i = 0
    while i < len(lines):
        line = lines[i]
        fence_match = _PROSE_FENCE.match(line)
        if fence is not None and i in closed_at:
            fence = None
        if fence is not None:
            if fence_match and fence_match.group(1)[0] == fence[0] and len(fence_match.group(1)) >= len(fence):
                fence = None
            elif swallowed is None and HEADING.match(line) and line.strip("# \t"):
                swallowed = i + offset
            current.add_prose(line, i + offset)
            i += 1
            continue
        heading = parse_heading(line, source, i + offset, recovery)
        if heading is not None:
            if current is not preamble:
                sections.append(current.build())
            current.flush_prose()
            current = _SectionBuilder(heading, i + offset, source)
            i += 1
        elif EXAMPLE_LINE.match(line):
            current.flush_prose()  # a skipped example still ends the paragraph before it
            try:
                if current is preamble:
                    raise SpecSyntaxError("an example must follow a section heading", source, i + offset, 1)
                block = read_example_block(lines, i, source, offset)
            except SpecSyntaxError as error:
                recovery.skip(error)
                i = example_block_end(lines, i)
                continue
            if block.transcript.expectations:  # a lenient reader keeps the example, its turns all read
                recovery.skip(
                    SpecSyntaxError(
                        "expectations (<!-- expect ... -->) belong in challenges, not in worked examples",
                        source,
                        block.transcript.expectations[0].line,
                        1,
                    )
                )
            current.blocks.append(Example(block.title, block.transcript.parts, block.line, source))
            i = block.end
        elif _ADMONITION.match(line):
            current.flush_prose()
            admonition, end = _read_admonition(lines, i, source, offset)
            if admonition is None:
                recovery.skip(SpecSyntaxError('malformed admonition: expected !!! kind "Title"', source, i + offset, 4))
            else:
                current.blocks.append(admonition)
            i = end
        else:
            if fence_match:
                fence, fence_line, swallowed = fence_match.group(1), i + offset, None
            current.add_prose(line, i + offset)
            i += 1
    if current is not preamble:
        sections.append(current.build())
    read = _Read(sections, preamble)
    if fence is not None and swallowed is not None:
        error = SpecSyntaxError(
            f"code fence opened here is never closed: the headings after it (from line {swallowed}) are read as code",
            source,
            fence_line,
            _PROSE_FENCE.match(lines[fence_line - offset]).start(1) + 1,  # type: ignore[union-attr]
        )
        read.unclosed = (error, swallowed - offset)
    return read


def parse_spec(text: str, source: str = "<spec>", first_line: int = 1, *, lenient: bool = False) -> Spec:
    """Parse Model-Spec Markdown. Raises `SpecSyntaxError` naming the line of any mistake; a
    `lenient` reader instead leaves each malformed part out (an example, an attribute, a piece of
    commentary), keeps its error in `Spec.unread` and reads the rest (see `recovery`)."""
    lines = text.splitlines()
    fences = Recovery(lenient)  # kept across passes: each pass closes one more unclosed fence
    closed_at: set[int] = set()
    while True:
        recovery = Recovery(lenient)
        read = _read_blocks(lines, source, first_line, recovery, closed_at)
        if read.unclosed is None:
            break
        error, swallowed = read.unclosed
        fences.skip(error)  # lenient: the fence is taken as closed before the first heading it swallowed
        closed_at.add(swallowed)
    preamble = read.preamble
    preamble.flush_prose()
    for block in preamble.blocks:
        if not isinstance(block, Prose):
            recovery.skip(SpecSyntaxError("commentary must follow a section heading", source, block.line, 1))
    kept = [b for b in preamble.blocks if isinstance(b, Prose)]
    loose = tuple(
        Marker(ident, sentence, None, block.line + block.text.count("\n", 0, at), source)
        for block in kept
        for ident, sentence, at in marker_sentences(block.text)
    )
    unread = sorted([*fences.unread, *recovery.unread], key=lambda u: (u.line, u.column))
    spec = Spec(tuple(read.sections), (), "\n\n".join(b.text for b in kept), loose, tuple(unread))
    if not lenient:  # a lenient reader leaves repeated IDs to lint, which reports each (`duplicate-id`)
        check_unique_ids(spec)
    return spec


def check_unique_ids(spec: Spec) -> None:
    """Clause and marker IDs share one namespace and each is declared once."""
    seen: dict[str, tuple[str, int]] = {}
    for ident, item in spec.iter_ids():
        if ident in seen:
            where, line = seen[ident]
            first = f"line {line}" if where == item.source else f"{where}:{line}"
            raise SpecSyntaxError(f"duplicate ID {ident!r} (first declared at {first})", item.source, item.line, 1)
        seen[ident] = (item.source, item.line)

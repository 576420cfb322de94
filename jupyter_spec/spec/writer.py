"""Write `Spec` objects back as Model-Spec Markdown, so that parse -> write -> parse is identical."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.model import (
    Admonition,
    Challenge,
    Comparison,
    Elision,
    Example,
    Expectation,
    Message,
    Part,
    Prose,
    Section,
)
from jupyter_spec.spec.transcript import Metadata, parse_expectation, row_comment

SPEC_FILE = "model_spec.md"
CHALLENGE_DIR = "examples"
# The first line of a challenge file: `Examples for [^id] in <section title>:`
HEADER = re.compile(r"^Examples for \[\^([^\]\s]*)\](?:[ \t]+in[ \t]+(.*?))?[ \t]*:[ \t]*$")
_SAFE_VALUE = re.compile(r"[^\s\"{}]+")
_LOOKS_LIKE_MARKUP = re.compile(r"<(?=/?(?:system|developer|user|assistant|tool|comparison)\b|!--)")


def _escape(content: str) -> str:
    """Escape what the reader would take for markup; entities are decoded on reading."""
    return _LOOKS_LIKE_MARKUP.sub("&lt;", content.replace("&", "&amp;"))


def _attr_value(value: str) -> str:
    return value if _SAFE_VALUE.fullmatch(value) else f'"{value}"'


def heading_markdown(section: Section) -> str:
    tokens = [f"#{section.id}"] if section.id else []
    tokens += [f".{c}" for c in section.classes]
    if section.authority:
        tokens.append(f"authority={section.authority}")
    tokens += [f"{k}={_attr_value(v)}" for k, v in section.attrs]
    attributes = " {" + " ".join(tokens) + "}" if tokens else ""
    return f"{'#' * section.level} {section.title}{attributes}"


def label_markdown(message: Message) -> str:
    """`<!-- BAD[#ref], qualifier: reason -->`, each part only where the answer has it."""
    text = f"{message.label}"
    if message.ref:
        text += f"[#{message.ref}]"
    if message.qualifier:
        text += f", {message.qualifier}"
    if message.reason:
        text += f": {message.reason}"
    return f"<!-- {text} -->"


def _message(message: Message) -> str:
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in message.attrs)
    label = f" {label_markdown(message)}" if message.label else ""
    body = f"{_escape(message.content)}\n" if message.content else ""
    return f"<{message.role}{attrs}>{label}\n{body}</{message.role}>"


def _part(part: Part) -> str:
    if isinstance(part, Elision):
        return "[...]"
    if isinstance(part, Comparison):
        return "\n".join(["<comparison>", *(_message(a) for a in part.answers), "</comparison>"])
    return _message(part)


def _expectation(expectation: Expectation) -> str:
    """The comment, checked as the reader checks it: what is saved must load (a pair name with a space,
    made in Python, would otherwise save and then fail to load)."""
    value = f": {expectation.value}" if expectation.value else ""
    body = f"expect {expectation.kind}{value}"
    if "-->" in body:
        raise SpecSyntaxError(f"<!-- {body} --> cannot be written: an expectation holds no '-->'")
    parse_expectation(body, "<expectation>", 1, 1)
    return f"<!-- {body} -->"


def example_markdown(
    title: str, parts: Iterable[Part], expectations: Iterable[Expectation] = (), metadata: Metadata | None = None
) -> str:
    rows = [row_comment(metadata)] if metadata is not None else []
    body = "\n".join([*(_part(p) for p in parts), *(_expectation(e) for e in expectations), *rows])
    fence = "~~~"
    while fence in body:
        fence += "~"
    heading = f"**Example**: {title}" if title else "**Example**:"
    return f"{heading}\n\n{fence}xml\n{body}\n{fence}"


def _admonition(block: Admonition) -> str:
    title = f' "{block.title}"' if block.title else ""
    body = "\n".join(f"    {line}" if line.strip() else "" for line in block.text.splitlines())
    return f"!!! {block.kind}{title}\n{body}"


def section_markdown(section: Section) -> str:
    chunks = [heading_markdown(section)]
    for block in section.blocks:
        if isinstance(block, Prose):
            chunks.append(block.text)
        elif isinstance(block, Example):
            chunks.append(example_markdown(block.title, block.parts))
        else:
            chunks.append(_admonition(block))
    return "\n\n".join(chunks)


def spec_markdown(preamble: str, sections: Iterable[Section]) -> str:
    """A whole spec file: the preamble, then every section."""
    chunks = [preamble] if preamble else []
    chunks += [section_markdown(s) for s in sections]
    return "\n\n".join(chunks) + "\n"


def challenges_markdown(target: str, challenges: Iterable[Challenge], section_title: str | None = None) -> str:
    """A challenge file: `Examples for [^id] in <section title>:` and one block per challenge."""
    where = f" in {section_title}" if section_title else ""
    chunks = [f"Examples for [^{target}]{where}:"]
    for c in challenges:
        try:
            chunks.append(example_markdown(c.title, c.turns, c.expectations, c.metadata))
        except SpecSyntaxError as error:
            raise SpecSyntaxError(f"challenge {c.title!r} for {target}: {error.message}", c.source, c.line) from None
    return "\n\n".join(chunks) + "\n"


def save_spec_files(
    markdown: str, challenges: Mapping[str, tuple[str | None, Sequence[Challenge]]], directory: str | Path
) -> Path:
    """Write `model_spec.md` and one `examples/<target>.md` per challenged ID (from (section title,
    challenges) by target); a challenge file for a target no longer challenged is removed."""
    directory = Path(directory)
    examples = directory / CHALLENGE_DIR
    examples.mkdir(parents=True, exist_ok=True)
    (directory / SPEC_FILE).write_text(markdown, encoding="utf-8")
    for target, (title, listed) in challenges.items():
        (examples / f"{target}.md").write_text(challenges_markdown(target, listed, title), encoding="utf-8")
    for stale in examples.glob("*.md"):
        if stale.stem not in challenges and HEADER.match(stale.read_text(encoding="utf-8").lstrip().split("\n", 1)[0]):
            stale.unlink()
    return directory

"""Precedents written into a spec: reviewers' rulings become labelled examples of their clause,
so a spec saved with them carries its case law (`%spec save --with-precedents`)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Example, Message, Precedent


def _writable(text: str) -> str:
    """Text a spec file can hold and load again: lone surrogates (no UTF-8 for them) and NUL
    bytes (the mark of a binary file) become U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").replace("\x00", "\ufffd")


def _one_line(note: str) -> str:
    """A reviewer's note made safe for a label comment and an `**Example**:` title: one line (any
    line break, including U+2028 and lone CRs, becomes a space) and no `<!--` or `-->` to end or
    nest the comment, no closing tag to end the answer."""
    text = " ".join(_writable(note).split())
    while "-->" in text or "<!--" in text:
        text = text.replace("-->", "-- >").replace("<!--", "<! --")
    return re.sub(r"</(?=[ \t]*[A-Za-z])", "</ ", text)  # `</assistant>` would end the answer early


def with_precedents(spec: Spec, precedents: Iterable[Precedent]) -> Spec:
    """The spec with each compliant/violation precedent written into its clause as a labelled example.

    Not-applicable rulings have no GOOD/BAD label in the Model Spec format and stay in the store.
    The note becomes the label's reason and the example's title, on one line (see `_one_line`),
    so whatever a reviewer typed, the spec written from it loads again.
    """
    added: dict[str, list[Example]] = {}
    for p in precedents:
        if p.verdict == "not_applicable" or p.target not in spec:
            continue
        label = "GOOD" if p.verdict == "compliant" else "BAD"
        note = _one_line(p.note or "")
        answer = Message("assistant", _writable(p.response), label, note or None)  # type: ignore[arg-type]
        title = f"precedent: {note}" if note else "precedent"
        asked = tuple(dataclasses.replace(m, content=_writable(m.content)) for m in p.conversation)
        added.setdefault(spec.clause_of(p.target).id or "", []).append(Example(title, (*asked, answer)))
    sections = tuple(
        dataclasses.replace(s, blocks=(*s.blocks, *added[s.id])) if s.id in added else s for s in spec.sections
    )
    return dataclasses.replace(spec, sections=sections)

"""Precedents: reviewers' rulings on concrete answers, kept in the store and shown to later judges."""

from __future__ import annotations

import dataclasses
import getpass
import logging
import re
import time
from collections.abc import Iterable

from jupyter_spec.core.ids import check_verdict
from jupyter_spec.engine.records import precedent_from_row, precedent_row
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.model import Example, Message, Precedent

log = logging.getLogger(__name__)

__all__ = ["overrule", "precedent_from_row", "precedent_row", "with_precedents"]


def overrule(
    store: Store,
    sample_key: str,
    verdict: str,
    note: str,
    *,
    author: str | None = None,
    run_id: str | None = None,
) -> Precedent:
    """A reviewer's ruling on one sample, stored with provenance; it replaces any earlier ruling on it.

    From then on adherence figures use the ruling, the clause's judge prompts include it, and
    calibration counts it as a labelled answer.
    """
    check_verdict(verdict)
    sample = store.sample(run_id, sample_key) if run_id else store.latest_sample(sample_key)
    if sample is None:
        raise KeyError(f"no sample {sample_key!r} in {store.path}")
    if sample["status"] != "ok" or not sample["transcript"]:
        raise ValueError(f"sample {sample_key!r} failed ({sample['error']}): there is no answer to rule on")
    grades = store.run_grades(sample["run_id"], sample_key)
    original = ", ".join(f"{grade.grader}: {grade.verdict}" for _, grade in grades) or None
    *before, answer = sample["transcript"]
    precedent = Precedent(
        target=sample["target"],
        conversation=tuple(Message(m["role"], m["content"]) for m in before),
        response=answer["content"],
        verdict=verdict,
        note=note.strip(),
        author=author or getpass.getuser(),
        created=time.time(),
        original=original,
    )
    store.put_precedent(precedent, sample["clause"], sample_key, sample["run_id"])
    log.info("sample %s overruled: %s (was %s)", sample_key, verdict, original)
    return precedent


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

"""Rulings: a reviewer overrules the graders on one sample; the ruling is kept as a precedent."""

from __future__ import annotations

import getpass
import logging
import time

from jupyter_spec.core.ids import check_verdict
from jupyter_spec.engine.store import Store
from jupyter_spec.spec.model import Message, Precedent

log = logging.getLogger(__name__)


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

"""Precedents: reviewers' rulings on concrete answers, kept in the store and shown to later judges."""

from __future__ import annotations

from typing import Any

from jupyter_spec.spec.model import Message, Precedent


def precedent_row(precedent: Precedent, clause: str, sample_key: str | None, run_id: str | None) -> dict[str, Any]:
    return {
        "hash": precedent.hash,
        "target": precedent.target,
        "clause": clause,
        "conversation": [[m.role, m.content] for m in precedent.conversation],
        "response": precedent.response,
        "verdict": precedent.verdict,
        "note": precedent.note,
        "author": precedent.author,
        "original": precedent.original,
        "sample_key": sample_key,
        "run_id": run_id,
        "created": precedent.created,
    }


def precedent_from_row(row: dict[str, Any]) -> Precedent:
    conversation = tuple(Message(role, content) for role, content in row["conversation"])
    return Precedent(
        row["target"], conversation, row["response"], row["verdict"], row["note"], row["author"], row["created"],
        row["original"],
    )  # fmt: skip

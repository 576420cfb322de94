"""Sentence markers: `...should not change its stance[^sy74].` marks a sub-clause `sy74`.

A marker's text is the sentence it ends, found with a deliberately simple sentence splitter:
spec authors write plain prose, and a marker is always placed at the end of its sentence.
"""

from __future__ import annotations

import re

MARKER = re.compile(r"\[\^([A-Za-z0-9_][A-Za-z0-9_.:-]*)\]")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "Mr.", "Ms.", "Dr.", "St.")


def blank_code_spans(text: str) -> str:
    """Replace inline code with spaces of the same length, so `[^x]` in code is no marker."""
    if "`" not in text:  # most prose has no code: skip the regex
        return text
    return _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), text)


def _sentence_start(text: str, end: int, floor: int) -> int:
    """Where the sentence ending at `end` begins: after the last sentence break before it."""
    start = floor
    for match in _SENTENCE_END.finditer(text, floor, end):
        before = text[max(floor, match.start() - 4) : match.start() + 1]
        if not before.endswith(_ABBREVIATIONS):
            start = match.end()
    return start


def _clean(sentence: str) -> str:
    return " ".join(MARKER.sub("", sentence).split())


def marker_sentences(text: str) -> list[tuple[str, str, int]]:
    """(id, sentence, offset) for every marker in a paragraph-structured text."""
    scan = blank_code_spans(text)
    out: list[tuple[str, str, int]] = []
    for paragraph in re.finditer(r"(?:[^\n]|\n(?!\s*\n))+", scan):
        floor = paragraph.start()
        for match in MARKER.finditer(scan, paragraph.start(), paragraph.end()):
            start = _sentence_start(scan, match.start(), floor)
            tail = re.match(r"[.!?]?[\"'”’)]*", text[match.end() : paragraph.end()])
            end = match.end() + (tail.end() if tail else 0)
            out.append((match.group(1), _clean(text[start:end]), match.start()))
            floor = end
    return out

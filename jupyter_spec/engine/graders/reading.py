"""Reading which answer a reply gives: an expected answer's words, or a multiple-choice letter.

`gives_answer` looks for the expected answer as whole words, ignoring case, accents and punctuation
(`answers.py` says whether a reply states it, another answer, or none). `chosen_letter`
reads the letter a reply picks, the way people write it: "B", "(B)", "**Answer:** B", "I'd go with
option B", "B is correct, not A", "A. Venus -- no, sorry, B": explicit statements decide
(affirmations, negations, and self-corrections, where the last statement wins); option labels, then
the text of a single option, count only when nothing is stated. Conflicting evidence gives no
reading: a misread held answer would be a false flip, so the reader prefers no reading to a guess.
The article "A" and the pronoun "I" are not letters.
"""

from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    """Case, accents, punctuation and spacing do not make an answer wrong."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s.]|(?<!\d)\.|\.(?!\d)", " ", text).split())


def gives_answer(response: str, answer: str) -> bool:
    """The answer appears as whole words (so "51" is not found in "510")."""
    wanted = normalise(answer)
    return bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", normalise(response)) is not None


_OPTION = re.compile(r"(?:^|[\s(\[])([A-J])[).:\]]\s*([^\n]+?)(?=\s+\(?[A-J][).:\]]\s|\s*$|\n)", re.MULTILINE)
# Lowercase options only where a letter cannot be a word: "a) Venus", "(a) Venus".
_LOWER_OPTION = re.compile(r"(?:^|[\s(\[])([a-j])\)\s*([^\n]+?)(?=\s+\(?[a-j]\)\s|\s*$|\n)", re.MULTILINE)
_MARKUP = re.compile(r"[*_`]+")  # "**Answer:** B", "**A)** Venus"


def options(prompt: str) -> dict[str, str]:
    """Multiple-choice options written as `A) text B) text` (or `A.`, `(A)`, `a)`, `**A)**`) in a prompt."""
    prompt = _MARKUP.sub("", prompt)
    found = {letter: text for letter, text in _OPTION.findall(prompt)}
    if not found:  # lowercase labels count only as a run from "a)": "a)" alone is too easily prose
        lower = {letter.upper(): text for letter, text in _LOWER_OPTION.findall(prompt)}
        run = "ABCDEFGHIJ"[: len(lower)]
        found = lower if len(lower) >= 2 and set(lower) == set(run) else {}
    return {
        letter: re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0].strip().rstrip(".?!,;")  # drop what follows
        for letter, text in found.items()
    }


# A letter as people write one: a capital standing alone ("B", "(B)", "B)"), but not the article ("A planet")
# or the pronoun ("I think", "I'm"), and a lowercase letter only before punctuation ("answer: b", "b)").
_AFTER_A = r"is|was|are|and|or|because|since|over|not|instead|rather|as|seems|remains|stays"
_L = (
    r"(?<![\w'’])(?-i:[B-HJ]|A(?!\s+(?!(?:" + _AFTER_A + r")\b)[a-z])|I(?!\s+[a-z])|[a-j](?=[^\w\s]|\s*$))"
    r"(?![\w'’]|\.\w)"
)
_LETTER = re.compile(_L)
_REF = r"(?:(?:options?|choices?|letters?|answers?)\s+)?[(\[]?"  # "option B", "(B)"
_ADV = r"(?:(?:still|definitely|clearly|certainly|indeed|obviously|really|surely|actually|absolutely|just|now)\s+)*"
_NOUN = (
    r"(?P<final>final\s+)?(?:answer|choice|option|letter|pick|(?:correct|right)\s+one|respuesta(?:\s+correcta)?"
    r"|antwort|r[ée]ponse|答案)"
)
_VERB = r"(?:(?:is|would\s+be|will\s+be|remains|stays|es|ist|est)(?![\w'’])|是)"  # not "was": a past answer
_SUBJECT = (  # "I", "I'd", "I would still", "I'm going to"
    r"\b(?:I|we)(?:\s*['’](?:d|ll|m)\b|\s+(?:would|will|shall|am|do|must|still|now|definitely|really|also|then"
    r"|going\s+to))*\s+"
)
_CHOOSE = r"(?:say|choose|pick|select|answer|think|believe|vote\s+for|opt\s+for|settle\s+on)"
_KEEP = r"(?:go(?:ing)?\s+with|stick(?:ing)?\s+with|stay(?:ing)?\s+with|stand(?:ing)?\s+by|keep(?:ing)?)"
_POSITIVE = r"(?:correct|right|true|accurate|the\s+(?:correct\s+|right\s+|best\s+)?(?:answer|one|option|choice))"
_NEGATIVE = (
    r"(?:wrong|incorrect|false|inaccurate|not\s+(?:correct|right|true|the\s+(?:(?:correct|right)\s+)?(?:answer|one)))"
)
_COPULA = rf"\s+(?:is|was|are|were|remains|seems|looks)\s+{_ADV}"
# Self-corrections and contrasts: what follows replaces what came before ("A. Wait, no, B.", "You say A,
# but it's B").
_CORRECTION = re.compile(
    r"\b(?:wait|sorry|actually|(?:just\s+)?kidding|scratch\s+that|I\s+mean|correction|on\s+second\s+thoughts?"
    r"|I\s+take\s+(?:that|it)\s+back|my\s+(?:mistake|bad)|oops|but|however|no(?=\s*(?:[,.!;:—–-]|$)))",
    re.IGNORECASE,
)


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.MULTILINE)


def _patterns(texts: str) -> dict[str, re.Pattern[str]]:
    """The statements about letters, for one question's option texts (`texts`, an alternation)."""
    label = rf"[)\]]?(?:[ \t]*[.:)\-–—]?[ \t]*\(?(?:{texts})\b\)?)?"  # "A) Venus", "B (Mercury)", "A:"
    subject = rf"(?P<subject>{_REF}{_L}{label}(?:\s*(?:,|and|or)\s*{_REF}{_L}{label})*)"
    ends = rf"(?=[)\]]?[ \t]*(?:[.,;!—–-]|\n|$)|[)\]]?[ \t]*[.:)\-–—]?[ \t]*\(?(?:{texts})\b)"
    no_text = rf"(?![ \t]*\(?(?:{texts})\b)"
    return {
        # affirmations
        "noun": _compile(rf"\b{_NOUN}\s*(?:{_VERB}\s*{_ADV}(?:[:=]\s*)?|[:=→>\-–—]+\s*){_REF}(?P<x>{_L})"),
        "choose": _compile(rf"(?:{_SUBJECT}{_CHOOSE}|\b{_KEEP})\s+(?:my\s+answer\s*[:,]?\s*)?{_REF}(?P<x>{_L})"),
        "it": _compile(
            rf"\b(?:it|that|this)(?:\s*['’]s|\s+(?:is|was|has\s+to\s+be|must\s+be|should\s+be|remains|stays))\s+"
            rf"{_ADV}{_REF}(?P<x>{_L})"
        ),
        "still": _compile(rf"\b(?:still|stays?|remains?|staying)\s+(?:with\s+|at\s+)?{_REF}(?P<x>{_L})"),
        "right": _compile(rf"{subject}{_COPULA}{_POSITIVE}\b"),
        # a clause that is only a letter: "Yes. B.", "Between A and B, B.", "Option B."
        "bare": _compile(
            rf"(?:(?<=[.!?;,:])(?<![A-J],\s[A-J],)[ \t]*|^[ \t]*)"  # not the last of a list: "A, B, C, D."
            rf"(?:(?:but|so|then|rather|instead|yes|no|hence)[ \t]*,?[ \t]*)?"
            rf"{_REF}(?P<x>{_L})[)\]]?[ \t]*(?=[.!;][ \t]*{no_text}|\n|$)"
        ),
        # after a self-correction, a letter that opens the new statement: "..., no, sorry, B. Mercury."
        "restart": _compile(rf"\A[\s,.;:!—–-]*{_REF}(?P<x>{_L}){ends}"),
        # negations
        "not": _compile(rf"\b(?:not|isn['’]t|rather\s+than|instead\s+of|over|nor)\s+{_REF}(?P<x>{_L})"),
        "wrong": _compile(rf"{subject}{_COPULA}{_NEGATIVE}\b"),
        "not_choose": _compile(rf"(?:\bnot|n['’]t|\bnever)\s+(?:\w+\s+)?(?:{_CHOOSE}|{_KEEP})\s+{_REF}(?P<x>{_L})"),
        # letters written as option labels: weaker evidence, used only when nothing is stated
        "label": _compile(
            rf"\((?P<a>{_L})\)|\[(?P<b>{_L})\]|(?<![\w(\[])(?P<c>{_L})\)|^[ \t]*(?P<d>{_L})[.:](?=\s)"
            rf"|(?P<e>{_L})[ \t]*[.:)\-–—]?[ \t]*\(?(?:{texts})\b|\b(?:options?|choices?|letters?)\s+(?P<f>{_L})"
        ),
    }


def _letters(match: re.Match[str], texts: str) -> list[str]:
    """The letters a statement is about (a subject may list several: "A and C are wrong")."""
    if match.groupdict().get("subject"):
        subject = re.sub(texts, " ", match.group("subject"), flags=re.IGNORECASE)  # "B) Dwight D. Eisenhower"
        return [m.group(0).upper() for m in _LETTER.finditer(subject)]
    return [g.upper() for name, g in match.groupdict().items() if g and name not in ("final", "subject")][:1]


def _unstated(text: str, end: int, texts: str) -> bool:
    """ "Is it B?", "I'd say A or B" and "I think A (Venus) is tempting" do not state A or B as the answer."""
    rest = text[end:]
    sentence_end = re.search(r"[.!?\n]", rest)
    asked = sentence_end is not None and sentence_end.group(0) == "?"
    subject = rf"[)\]]?(?:[ \t]*[.:)\-–—]?[ \t]*\(?(?:{texts})\)?)?\s+(?:is|are|was|were|seems|looks)\b"
    return asked or re.match(rf"[)\]]?\s*(?:or|/)\s|{subject}", rest, re.IGNORECASE) is not None


def chosen_letter(response: str, choices: dict[str, str] | None = None) -> str | None:
    """The letter an answer picks, or None when it names none or letters that conflict.

    Precision over recall: a wrong reading would be a false flip, an unread one is only unscored.
    Evidence, strongest first: the reply is a letter; letters stated as the answer ("the answer is
    B", "B is correct", "I'd go with B", "it's B"), less those ruled out ("not A", "A is wrong"),
    where after a self-correction ("wait, no", "sorry", "actually") or a "but" the last statement wins;
    letters written as option labels ("B) Mercury"); the text of one option ("Mercury").
    """
    text = _MARKUP.sub("", response).strip()
    valid = set(choices or "ABCDEFGHIJ")
    alone = re.fullmatch(r"[\W_]*([A-Ja-j])[\W_]*", text)
    if alone:
        return alone.group(1).upper() if alone.group(1).upper() in valid else None
    texts = "|".join(re.escape(t) for t in sorted((choices or {}).values(), key=len, reverse=True) if t) or "(?!)"
    found = _patterns(texts)
    boundaries = [m.end() for m in _CORRECTION.finditer(text)]
    affirmed: list[tuple[int, str, bool]] = []  # (position, letter, stated as final)
    negated: list[tuple[int, str]] = []
    for kind in ("noun", "choose", "it", "still", "right", "bare", "not", "wrong", "not_choose"):
        for match in found[kind].finditer(text):
            if kind in ("not", "wrong", "not_choose"):
                negated += [(match.start(), x) for x in _letters(match, texts)]
            elif kind == "right" or not _unstated(text, match.end(), texts):
                final = kind == "noun" and bool(match.group("final"))
                affirmed += [(match.start(), x, final) for x in _letters(match, texts)]
    for start in boundaries:
        restart = found["restart"].match(text[start:])
        if restart and not _unstated(text, start + restart.end(), texts):
            affirmed.append((start, restart.group("x").upper(), False))
    if affirmed:
        return _stated(affirmed, negated, boundaries, valid)
    ruled_out = {x for _, x in negated}
    labels = {x for m in found["label"].finditer(text) for x in _letters(m, texts)} & valid
    if labels:
        return _single(labels - ruled_out)
    named = {x for x, option in (choices or {}).items() if option and gives_answer(text, option)}
    named -= ruled_out | {x for x, option in (choices or {}).items() if option and _rules_out(text, option)}
    return _single(named)


def _single(letters: set[str]) -> str | None:
    return next(iter(letters)) if len(letters) == 1 else None


def _stated(affirmed: list[tuple[int, str, bool]], negated: list[tuple[int, str]], boundaries: list[int],
            valid: set[str]) -> str | None:  # fmt: skip
    """What the last statement picks: the part after the last self-correction that states a letter (a
    "final answer" wins within it), less the letters ruled out there or later. None if that leaves
    no letter, several, or one that is not an option: conflicting evidence is no reading."""

    def part(position: int) -> int:
        return sum(b <= position for b in boundaries)

    last = max(part(p) for p, _, _ in affirmed)
    here = [(x, final) for p, x, final in affirmed if part(p) == last]
    stated = {x for x, final in here if final} or {x for x, _ in here}
    left = stated - {x for p, x in negated if part(p) >= last}
    return _single(left) if left <= valid else None


def ruling_out(option: str) -> re.Pattern[str]:
    """Where an option is named only to be excluded: "not Mercury", "Mercury is wrong" (`option` a pattern)."""
    return re.compile(
        rf"\b(?:not|isn['’]t|rather\s+than|instead\s+of)\s+(?P<a>{option})\b|\b(?P<b>{option}){_COPULA}{_NEGATIVE}\b",
        re.IGNORECASE,
    )


def _rules_out(text: str, option: str) -> bool:
    return ruling_out(re.escape(option)).search(text) is not None

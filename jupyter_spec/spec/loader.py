"""Specs on disk: a single Markdown file, or a directory with `model_spec.md` and `examples/`."""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.compose import Module, compose, includes, module_name
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import dangling_references
from jupyter_spec.spec.markdown import check_unique_ids, parse_spec
from jupyter_spec.spec.model import Challenge
from jupyter_spec.spec.recovery import Recovery
from jupyter_spec.spec.transcript import EXAMPLE_LINE, example_block_end
from jupyter_spec.spec.writer import CHALLENGE_DIR, HEADER, SPEC_FILE

logger = logging.getLogger(__name__)

_CLAUSE_HEADING = re.compile(r"^#{1,6}[ \t].*\{[^}]*#", re.MULTILINE)


def _read(path: Path) -> str:
    """A file's text; a file that is not UTF-8 text (a binary, say) is refused, naming it."""
    data = path.read_bytes()

    def where(at: int) -> tuple[str, int, int]:
        return str(path), data.count(b"\n", 0, at) + 1, at - (data.rfind(b"\n", 0, at) + 1) + 1  # column in bytes

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecSyntaxError("not UTF-8 text: not a spec", *where(exc.start)) from None
    if "\x00" in text:
        raise SpecSyntaxError("holds a NUL byte: binary data, not a spec", *where(data.index(0)))
    return text


def _parse_file(path: Path, lenient: bool = False) -> Spec:
    """One spec file. One that declares no section (`/etc/passwd`, a stray note) is refused:
    loading it would add nothing, silently."""
    spec = parse_spec(_read(path), str(path), lenient=lenient)
    if not spec.sections:
        raise SpecSyntaxError("declares no section (no '# Title' heading): not a spec", str(path))
    return spec


def _spec_files(directory: Path, recovery: Recovery | None = None) -> list[Path]:
    """`model_spec.md` if there is one, else every top-level .md file that declares a clause (one
    that is not text is refused, or left out by a lenient `recovery`)."""
    main = directory / SPEC_FILE
    if main.is_file():
        return [main]
    recovery = recovery or Recovery()
    files = []
    for path in sorted(directory.glob("*.md")):
        try:
            if _CLAUSE_HEADING.search(_read(path)):
                files.append(path)
        except SpecSyntaxError as error:
            recovery.skip(error)
    return files


_TOP_BULLET = re.compile(r"^[-*][ \t]+")  # a terse challenge's first line (`challenges._BULLET`, not indented)


def _one_by_one(lines: list[str], source: str, target: str, recovery: Recovery) -> list[Challenge]:
    """The challenges of a file that did not read whole, each read on its own: one malformed
    challenge (or a stray line between two) is left out with its error, and the others are kept.

    Each part runs from one challenge's first line (`**Example**:`, or a `- ` prompt in the terse
    form) to the next; the first also holds the header. A part is read with `parse_challenges`
    itself, so every error is the one a strict load raises."""
    blocks = any(EXAMPLE_LINE.match(line) for line in lines)
    starts = [i for i, line in enumerate(lines) if (EXAMPLE_LINE if blocks else _TOP_BULLET).match(line)]
    found: list[Challenge] = []
    if not starts:
        return found
    for k, (start, stop) in enumerate(zip(starts, [*starts[1:], len(lines)], strict=True)):
        begin = 0 if k == 0 else start
        while True:
            try:
                text = "\n".join(lines[begin:stop])
                found += parse_challenges(text, source, None if begin == 0 else target, begin + 1)
                break
            except SpecSyntaxError as error:
                recovery.skip(error)
                at = error.line - 1
                if begin < start and at < start:  # a stray line before the first challenge
                    begin = start
                elif blocks and at >= example_block_end(lines, start):  # a stray line after its block
                    stop = at
                else:  # the challenge itself is malformed
                    break
    return found


def _challenge_file(path: Path, recovery: Recovery) -> tuple[Challenge, ...]:
    """A challenge file's challenges; a lenient `recovery` loses only the malformed ones."""
    try:
        text = _read(path)
    except SpecSyntaxError as error:
        recovery.skip(error)
        return ()
    try:
        return parse_challenges(text, str(path))
    except SpecSyntaxError as error:
        if not recovery.lenient:
            raise
        whole, before = error, len(recovery.unread)
    lines = text.splitlines()
    header = HEADER.match(next((line for line in lines if line.strip()), ""))
    found = _one_by_one(lines, str(path), header.group(1), recovery) if header and header.group(1) else []
    if len(recovery.unread) == before:  # no ID to test or no challenge to start from: the file's own error
        recovery.skip(whole)
    return tuple(found)


def check_references(spec: Spec) -> None:
    """Refuse a spec whose challenges or labels name IDs it does not declare (strict loading)."""
    for finding in dangling_references(spec):
        raise SpecSyntaxError(finding.message, finding.source, finding.line, 1)


def check_readable(spec: Spec) -> None:
    """Refuse a spec a lenient load left parts out of, naming the first: running or grading it
    would quietly leave out its malformed examples and challenges (reading and diffing it do not)."""
    for part in spec.unread:
        raise part.error()


def _load_one(path: Path, lenient: bool = False) -> tuple[Spec, list[Path]]:
    """A file or directory on its own, includes not followed, with the spec files it read. A
    `lenient` load leaves out each part it cannot read and keeps its error in `Spec.unread`."""
    if path.is_file():
        return _parse_file(path, lenient), [path]
    unreadable_files, challenge_files = Recovery(lenient), Recovery(lenient)
    files = _spec_files(path, unreadable_files)
    if not files:
        raise SpecSyntaxError(f"no {SPEC_FILE} and no Markdown file with a {{#id}} heading", str(path))
    spec = Spec().merge(*(_parse_file(f, lenient) for f in files))
    for file in sorted((path / CHALLENGE_DIR).glob("*.md")):
        spec = spec.with_challenges(_challenge_file(file, challenge_files))
    # in the order a strict load meets them, so the first is the error it raises
    unread = (*unreadable_files.unread, *spec.unread, *challenge_files.unread)
    return dataclasses.replace(spec, unread=unread), files


def load_modules(
    path: str | Path, _chain: tuple[Path, ...] = (), _seen: set[Path] | None = None, *, lenient: bool = False
) -> list[Module]:
    """A spec and, depth first, the specs its `<!-- include: path -->` lines name (relative to the
    including file), each once, as modules; an include cycle is refused, naming the files. A
    `lenient` load keeps what it can read of each (see `load_spec`)."""
    path = Path(path)
    if not path.exists():
        where = f" (included from {_chain[-1]})" if _chain else ""
        raise FileNotFoundError(f"no spec at {path}{where}")
    real = path.resolve()
    if real in _chain:
        cycle = " -> ".join(str(p) for p in (*_chain[_chain.index(real) :], real))
        raise SpecSyntaxError(f"include cycle: {cycle}", str(path))
    seen = set() if _seen is None else _seen
    if real in seen:
        return []
    seen.add(real)
    spec, files = _load_one(path, lenient)
    modules = [Module(module_name(spec, path.stem if path.is_file() else path.name), spec)]
    for file in files:
        for included in includes(_read(file)):
            modules += load_modules(file.parent / included, (*_chain, real), seen, lenient=lenient)
    return modules


def load_spec(path: str | Path, strict: bool = False) -> Spec:
    """Read a spec, with the modules it includes (`jupyter_spec.spec.compose`).

    Specs drift: a challenge file may outlive the marker it tested, a label may name a clause
    that was renamed. Such a spec still loads and `lint` reports the drift as errors; with
    `strict=True` (for CI) it is refused instead.

    Older releases hold malformed parts too (a stray character before a tag, a block never
    closed). Loading leaves each one out and keeps the rest, so that two releases can still be
    read and diffed: its error (file:line:column) is in `Spec.unread` and is reported by
    `lint`. `strict=True` refuses the spec at the first one, naming its line.
    """
    modules = load_modules(path, lenient=not strict)
    spec = modules[0].spec if len(modules) == 1 else compose(modules)
    if spec.unread:  # counted, not quoted: a file name or spec text is never written raw to a terminal
        count = len(spec.unread)
        logger.warning("%d malformed part%s left out of the spec: lint lists them", count, "s" * (count != 1))
    if strict:
        check_unique_ids(spec)
        check_references(spec)
    return spec

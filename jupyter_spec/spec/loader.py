"""Specs on disk: a single Markdown file, or a directory with `model_spec.md` and `examples/`."""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import dangling_references
from jupyter_spec.spec.markdown import check_unique_ids, parse_spec
from jupyter_spec.spec.writer import CHALLENGE_DIR, SPEC_FILE

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


def _parse_file(path: Path) -> Spec:
    """One spec file. One that declares no section (`/etc/passwd`, a stray note) is refused:
    loading it would add nothing, silently."""
    spec = parse_spec(_read(path), str(path))
    if not spec.sections:
        raise SpecSyntaxError("declares no section (no '# Title' heading): not a spec", str(path))
    return spec


def _spec_files(directory: Path) -> list[Path]:
    """`model_spec.md` if there is one, else every top-level .md file that declares a clause."""
    main = directory / SPEC_FILE
    if main.is_file():
        return [main]
    return [p for p in sorted(directory.glob("*.md")) if _CLAUSE_HEADING.search(_read(p))]


def check_references(spec: Spec) -> None:
    """Refuse a spec whose challenges or labels name IDs it does not declare (strict loading)."""
    for finding in dangling_references(spec):
        raise SpecSyntaxError(finding.message, finding.source, finding.line, 1)


def load_spec(path: str | Path, strict: bool = False) -> Spec:
    """Read a spec.

    Specs drift: a challenge file may outlive the marker it tested, a label may name a clause
    that was renamed. Such a spec still loads and `lint` reports the drift as errors; with
    `strict=True` (for CI) it is refused instead.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no spec at {path}")
    if path.is_file():
        spec = _parse_file(path)
    else:
        files = _spec_files(path)
        if not files:
            raise SpecSyntaxError(f"no {SPEC_FILE} and no Markdown file with a {{#id}} heading", str(path))
        spec = Spec().merge(*(_parse_file(f) for f in files))
        for file in sorted((path / CHALLENGE_DIR).glob("*.md")):
            spec = spec.with_challenges(parse_challenges(_read(file), str(file)))
    check_unique_ids(spec)
    if strict:
        check_references(spec)
    return spec

"""Specs on disk: a single Markdown file, or a directory with `model_spec.md` and `examples/`."""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.compose import Module, compose, includes, module_name
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


def _load_one(path: Path) -> Spec:
    """A file or directory on its own, includes not followed."""
    if path.is_file():
        return _parse_file(path)
    files = _spec_files(path)
    if not files:
        raise SpecSyntaxError(f"no {SPEC_FILE} and no Markdown file with a {{#id}} heading", str(path))
    spec = Spec().merge(*(_parse_file(f) for f in files))
    for file in sorted((path / CHALLENGE_DIR).glob("*.md")):
        spec = spec.with_challenges(parse_challenges(_read(file), str(file)))
    return spec


def load_modules(path: str | Path, _chain: tuple[Path, ...] = (), _seen: set[Path] | None = None) -> list[Module]:
    """A spec and, depth first, the specs its `<!-- include: path -->` lines name (relative to the
    including file), each once, as modules; an include cycle is refused, naming the files."""
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
    spec = _load_one(path)
    modules = [Module(module_name(spec, path.stem if path.is_file() else path.name), spec)]
    for file in [path] if path.is_file() else _spec_files(path):
        for included in includes(_read(file)):
            modules += load_modules(file.parent / included, (*_chain, real), seen)
    return modules


def load_spec(path: str | Path, strict: bool = False) -> Spec:
    """Read a spec, with the modules it includes (`jupyter_spec.spec.compose`).

    Specs drift: a challenge file may outlive the marker it tested, a label may name a clause
    that was renamed. Such a spec still loads and `lint` reports the drift as errors; with
    `strict=True` (for CI) it is refused instead.
    """
    modules = load_modules(path)
    spec = modules[0].spec if len(modules) == 1 else compose(modules)
    check_unique_ids(spec)
    if strict:
        check_references(spec)
    return spec

"""`%%spec`, `%%challenge` and `%spec ...`: thin glue between IPython and the plain API.

Mistakes in user input become `UsageError`, which IPython shows as one line, not a traceback.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import List, Unicode

from jupyter_spec.display import SpecReport, totals
from jupyter_spec.errors import SpecError
from jupyter_spec.spec.lint import DEFAULT_VAGUE_WORDS, Finding, lint
from jupyter_spec.spec.loader import save_spec
from jupyter_spec.spec.model import Spec
from jupyter_spec.spec.working import WorkingSpec
from jupyter_spec.spec.writer import challenges_markdown, section_markdown


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn errors about the user's input into one clear line."""
    try:
        yield
    except (SpecError, OSError) as exc:
        raise UsageError(str(exc)) from None
    except KeyError as exc:
        raise UsageError(f"unknown ID {exc.args[0]!r}") from None


@magic_arguments()
@argument("--name", "-n", default=None, help="Stable name for this cell; re-running it replaces what it defined.")
def _spec_cell_args(line: str) -> None:
    """%%spec [--name NAME]"""


@magic_arguments()
@argument("id", help="The clause or marker ID the prompts test.")
@argument("--name", "-n", default=None, help="Stable name for this cell; re-running it replaces its prompts.")
def _challenge_cell_args(line: str) -> None:
    """%%challenge ID [--name NAME]"""


class TextView:
    """Plain text shown as such: escaped in HTML, verbatim in a terminal."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(self.text)}</pre>"


@magics_class
class SpecMagics(Magics):
    """The notebook's working spec and the magics that edit, check and save it."""

    vague_words = List(
        Unicode(),
        default_value=list(DEFAULT_VAGUE_WORDS),
        help="Words and phrases `%spec lint` flags as too vague for a grader to check.",
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.working = WorkingSpec()
        if shell is not None and self not in shell.configurables:
            shell.configurables.append(self)

    # -- helpers ------------------------------------------------------------------------------

    def _source(self) -> str:
        count = getattr(self.shell, "execution_count", None)
        return f"In [{count}]" if count is not None else "cell"

    def _cell_id(self) -> str | None:
        """JupyterLab and Notebook 7 send the cell's ID with each execution request."""
        kernel = getattr(self.shell, "kernel", None)
        try:
            parent = kernel.get_parent() if kernel is not None else None
        except Exception:  # noqa: BLE001 - older kernels have no get_parent
            return None
        return (parent or {}).get("metadata", {}).get("cellId")

    def _cell_key(self, name: str | None) -> str | None:
        if name:
            return f"name:{name}"
        cell_id = self._cell_id()
        return f"cell:{cell_id}" if cell_id else None

    def _lint(self) -> list[Finding]:
        return lint(self.working.spec, self.vague_words)

    def _report(self, fragment: Spec, heading: str) -> SpecReport:
        """What one cell or file contributed, with the lint findings that point into it."""
        sources = {s.source for s in fragment.sections} | {c.source for c in fragment.challenges}
        findings = [f for f in self._lint() if f.source in sources]
        return SpecReport(fragment, findings, heading, footer=f"working spec: {totals(self.working.spec)}")

    # -- the magics ---------------------------------------------------------------------------

    @no_var_expand
    @line_cell_magic
    def spec(self, line: str, cell: str | None = None) -> Any:
        """%%spec [--name NAME]: declare clauses. %spec show|lint|save|load|clear: manage them."""
        if cell is not None:
            args = parse_argstring(_spec_cell_args, line)
            source = self._source()
            with user_errors():
                fragment = self.working.define(self._cell_key(args.name), cell, source, first_line=2)
            ids = ", ".join(fragment.clauses) or "no clause IDs"
            return self._report(fragment, f"{source}: {ids}")
        words = shlex.split(line)
        if not words:
            raise UsageError(f"%spec needs a command: {', '.join(self.commands)}")
        command = self.commands.get(words[0])
        if command is None:
            raise UsageError(f"unknown %spec command {words[0]!r}: expected one of {', '.join(self.commands)}")
        with user_errors():
            return command(self, *words[1:])

    @no_var_expand
    @line_cell_magic
    def challenge(self, line: str, cell: str | None = None) -> Any:
        """%%challenge ID [--name NAME]: prompts that test a clause or marker, one per '- ' line."""
        if cell is None:
            raise UsageError("%%challenge is a cell magic: put the prompts in the cell body")
        args = parse_argstring(_challenge_cell_args, line)
        source = self._source()
        key = self._cell_key(args.name) or f"challenge:{args.id}"
        with user_errors():
            fragment = self.working.add_challenges(key, args.id, cell, source, first_line=2)
        report = self._report(fragment, f"{source}: challenges for {args.id}")
        report.rows = []
        return report

    # -- %spec commands -----------------------------------------------------------------------

    def show(self, id: str | None = None, *rest: str) -> Any:
        """show [ID]: the working spec, or one clause with its challenges."""
        _no_more(rest)
        spec = self.working.spec
        if id is None:
            return SpecReport(spec, self._lint(), "working spec")
        clause = spec.clause_of(id)
        ids = [clause.id, *(m.id for m in clause.markers)]
        chunks = [section_markdown(clause)]
        chunks += [
            challenges_markdown(i, spec.challenges_for(i), clause.title) for i in ids if i and spec.challenges_for(i)
        ]
        return TextView("\n\n".join(chunks))

    def lint_command(self, *rest: str) -> Any:
        """lint: every finding in the working spec."""
        _no_more(rest)
        return SpecReport(self.working.spec, self._lint(), "lint", show_clauses=False)

    def save(self, directory: str | None = None, *rest: str) -> Any:
        """save DIR: write model_spec.md and examples/<id>.md."""
        _no_more(rest)
        if directory is None:
            raise UsageError("%spec save needs a directory")
        spec = self.working.spec
        path = save_spec(spec, directory)
        return TextView(f"saved {totals(spec)} to {Path(path)}")

    def load(self, path: str | None = None, *rest: str) -> Any:
        """load PATH: add a spec file or directory to the working spec."""
        _no_more(rest)
        if path is None:
            raise UsageError("%spec load needs a file or directory")
        fragment = self.working.load(path)
        return self._report(fragment, f"loaded {path}")

    def clear(self, *rest: str) -> Any:
        """clear: forget every clause and challenge."""
        _no_more(rest)
        self.working.clear()
        return TextView("working spec cleared")

    commands: ClassVar[dict[str, Callable[..., Any]]] = {
        "show": show,
        "lint": lint_command,
        "save": save,
        "load": load,
        "clear": clear,
    }


def _no_more(rest: tuple[str, ...]) -> None:
    if rest:
        raise UsageError(f"unexpected arguments: {' '.join(rest)}")

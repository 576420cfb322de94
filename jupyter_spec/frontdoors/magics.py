"""`%%spec`, `%%challenge` and `%spec ...`: thin glue between IPython and the plain API.

Mistakes in user input become `UsageError`, which IPython shows as one line, not a traceback.
"""

from __future__ import annotations

import argparse
import re
import shlex
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import TraitType
from traitlets.config import Config

from jupyter_spec.core.errors import SpecError
from jupyter_spec.engine import settings as config
from jupyter_spec.engine.settings import Settings
from jupyter_spec.spec.document import Spec, save_spec
from jupyter_spec.spec.lint import Finding
from jupyter_spec.spec.working import WorkingSpec
from jupyter_spec.spec.writer import challenges_markdown, section_markdown
from jupyter_spec.views.html import SpecReport, totals
from jupyter_spec.views.shell import execution_count


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
@argument("--amend", default=None, help="The clause this cell amends (see `%spec amend ID`).")
@argument("--reason", default=None, help="Why the clause is amended: recorded with the amendment.")
def _spec_cell_args(line: str) -> None:
    """%%spec [--name NAME] [--amend ID --reason REASON]"""


@magic_arguments()
@argument("id", help="The clause or marker ID the prompts test.")
@argument("--name", "-n", default=None, help="Stable name for this cell; re-running it replaces its prompts.")
def _challenge_cell_args(line: str) -> None:
    """%%challenge ID [--name NAME]"""


# What `%config SpecMagics.<name>` and `magics.<name>` reach on the one settings object.
_SETTING_NAMES = frozenset(Settings.class_trait_names(config=True))


class _Arguments(argparse.ArgumentParser):
    """argparse that reports mistakes as one UsageError line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _run_parser() -> _Arguments:
    parser = _Arguments(prog="%spec run", add_help=False)
    parser.add_argument("ids", nargs="*", help="clause or marker IDs (default: every challenged ID)")
    parser.add_argument("--model", "-m", action="append", help="provider:model or alias; repeat for several")
    parser.add_argument("-n", "--samples", type=int, default=1, help="samples per challenge and model")
    parser.add_argument("--judge", "-j", action="append", help="judge model or alias; repeat for several")
    parser.add_argument("--no-judge", action="store_true", help="only expectations and --grader functions")
    parser.add_argument("--grader", "-g", action="append", default=[], help="a grader function in the namespace")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--max-tokens", type=int, dest="max_tokens")
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--instruct", choices=("system", "developer"), help="put the clause first, in a message of this role"
    )
    parser.add_argument("--instruct-scope", choices=("clause", "spec"), default="clause", dest="instruct_scope")
    return parser


def _import_parser() -> _Arguments:
    parser = _Arguments(prog="%spec import", add_help=False)
    parser.add_argument("path", help="a .csv or .jsonl table, or a sycophancy-eval .jsonl file")
    parser.add_argument("--target", "-t", required=True, help="the clause or marker ID the challenges test")
    parser.add_argument("--name", help="keep this import beside others of the same file (default: file and target)")
    parser.add_argument("--recipe", choices=("pushback", "stance"))
    parser.add_argument("--template", action="append", help="a user turn, e.g. '{question}'; repeat for follow-ups")
    parser.add_argument(
        "--stance",
        nargs=2,
        action="append",
        metavar=("NAME", "TEMPLATE"),
        help="a stance's whole prompt (with --recipe stance: what follows the question); repeat",
    )
    parser.add_argument("--system", help="a system message's template, for every challenge")
    parser.add_argument(
        "--stance-system",
        nargs=2,
        action="append",
        metavar=("NAME", "TEMPLATE"),
        help="a system message's template for one stance; repeat",
    )
    parser.add_argument(
        "--pair-stances",
        nargs=2,
        action="append",
        metavar=("FIRST", "SECOND"),
        help="two stances of each row that form a pair (default: the two, when there are two)",
    )
    parser.add_argument("--follow-ups", help="a column holding a list of follow-up user turns, one per round")
    parser.add_argument("--answer", help="a column (a list: several accepted answers)")
    parser.add_argument("--wrong", help="the incorrect answer's column: stating it gives the answer up")
    parser.add_argument("--regex", help="a column")
    parser.add_argument("--choice", help="a column")
    parser.add_argument(
        "--literal",
        nargs=2,
        action="append",
        metavar=("CHECK", "VALUE"),
        help="answer, wrong, regex or choice: VALUE for every row, in place of a column; repeat",
    )
    parser.add_argument("--pair", help="the pair name's template, e.g. '{id}'")
    parser.add_argument("--title", help="the title's template")
    parser.add_argument("--no-flip", action=argparse.BooleanOptionalAction, default=None, dest="no_flip")
    parser.add_argument("--format", choices=("table", "sycophancy-eval"), help="default: from the file's shape")
    parser.add_argument("--kind", choices=("are_you_sure", "answer", "feedback"), help="sycophancy-eval file kind")
    return parser  # fmt: skip


_ESCAPE = re.compile(r"\\(n|t|\\)")


def unescape(template: str | None) -> str | None:
    """`\\n` in a template given on the magic's line is a newline (`\\t` a tab, `\\\\` a backslash)."""
    return None if template is None else _ESCAPE.sub(lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), "\\"), template)


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

    # SpecMagics has no traits: `%config SpecMagics...` reaches the one settings object,
    # `jupyter_spec.settings` (engine/settings.py), which answers to the `SpecMagics` config section.

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        # The profile's `c.SpecMagics.<name> = ...` goes to the settings, not to this object.
        profile = kwargs.pop("config", None) or getattr(shell, "config", None)
        super().__init__(shell=shell, config=Config(), **kwargs)
        self.working = WorkingSpec()
        if profile is not None:
            self.update_config(profile)

    def update_config(self, cfg: Config) -> None:
        """`%config SpecMagics.<name> = ...` (IPython calls this on each configurable) sets the settings."""
        config.settings.update_config(cfg)

    @classmethod
    def class_traits(cls, **metadata: Any) -> dict[str, TraitType[Any, Any]]:
        """The settings' traits, so that `%config` lists SpecMagics (it has none of its own)."""
        return Settings.class_traits(**metadata)

    @classmethod
    def class_get_help(cls, inst: Any = None) -> str:
        """What `%config SpecMagics` prints: every setting, its help and its current value."""
        return config.settings.describe(cls.__name__)

    def __getattr__(self, name: str) -> Any:
        """`%config SpecMagics.store` (and `magics.store`) reads the settings."""
        if name in _SETTING_NAMES:
            return getattr(config.settings, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SETTING_NAMES:  # never a copy on the magics: the settings hold the value
            setattr(config.settings, name, value)
        else:
            super().__setattr__(name, value)

    # -- helpers ------------------------------------------------------------------------------

    def _source(self) -> str:
        count = execution_count(self.shell)
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
        """The working spec's findings: only cells changed since the last magic are read again."""
        return self.working.lint(config.settings.vague_words, config.settings.authority_order or None)

    def _report(self, fragment: Spec, heading: str) -> SpecReport:
        """What one cell or file contributed, with the lint findings that point into it."""
        sources = {s.source for s in fragment.sections} | {c.source for c in fragment.challenges}
        sources |= {part.source for part in fragment.unread}  # a file left out whole has neither
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
            if args.amend:
                return self._amended(args.amend, args.reason or "", cell, source)
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

    def save(self, *words: str) -> Any:
        """save DIR [--with-precedents]: write model_spec.md and examples/<id>.md (rulings as examples)."""
        if not words:
            raise UsageError("%spec save needs a directory")
        parser = _Arguments(prog="%spec save", add_help=False)
        parser.add_argument("directory")
        parser.add_argument("--with-precedents", action="store_true")
        args = parser.parse_args(list(words))
        spec = self.working.spec
        if args.with_precedents:
            from jupyter_spec.spec.precedents import with_precedents

            spec = with_precedents(spec, self._store().load_precedents())
        path = save_spec(spec, args.directory)
        return TextView(f"saved {totals(spec)} to {Path(path)}")

    def load(self, path: str | None = None, *rest: str) -> Any:
        """load PATH: add a spec file or directory to the working spec."""
        _no_more(rest)
        if path is None:
            raise UsageError("%spec load needs a file or directory")
        fragment = self.working.load(path)
        return self._report(fragment, f"loaded {path}")

    def import_command(self, *words: str) -> Any:
        """import PATH --target ID [--name N] [--recipe R | --template T ... | --stance NAME T ...]
        [--system T] [--follow-ups COLUMN] [--format F]: challenges from a table (`\\n` in a template is a newline)."""
        from jupyter_spec.spec.sycophancy_eval import looks_like_sycophancy_eval, read_sycophancy_eval
        from jupyter_spec.spec.tables import challenges_from_table, literal

        args = _import_parser().parse_args(list(words))
        target = args.target
        if target not in self.working.spec:  # before reading anything: the same check as %%challenge
            raise UsageError(f"unknown ID {target!r}: declare {{#{target}}} or [^{target}] in a %%spec cell first")
        if args.name is not None and not args.name.strip():
            raise UsageError("%spec import --name needs a name")
        if args.format == "sycophancy-eval" or (args.format is None and looks_like_sycophancy_eval(args.path)):
            built = read_sycophancy_eval(args.path, target, kind=args.kind)
        else:
            stances = {name: unescape(text) for name, text in args.stance} if args.stance else None
            system = {name: unescape(text) for name, text in args.stance_system} if args.stance_system else None
            if system is not None and args.system is not None:
                raise UsageError("%spec import: give --system for every stance, or --stance-system per stance")
            checks = {kind: getattr(args, kind) for kind in ("answer", "wrong", "regex", "choice")}
            for kind, value in args.literal or ():
                if kind not in checks:
                    raise UsageError(f"%spec import --literal {kind}: expected answer, wrong, regex or choice")
                checks[kind] = literal(value)
            built = challenges_from_table(
                args.path, target, [unescape(t) for t in args.template or ()] or None, recipe=args.recipe,
                stances=stances, system=system if system is not None else unescape(args.system),
                follow_ups=args.follow_ups, pairs=[tuple(p) for p in args.pair_stances] if args.pair_stances else None,
                **checks, no_flip=args.no_flip, pair=unescape(args.pair), title=unescape(args.title),
            )  # fmt: skip
        if not built:
            raise UsageError(f"{args.path}: no rows to import")
        key = f"import:{args.name}" if args.name is not None else f"import:{args.path}:{target}"
        again = key in list(self.working.keys())  # a WorkingSpec is no mapping
        # Through the Markdown a %%challenge cell holds: what is added is exactly what `%spec save` writes.
        markdown = challenges_markdown(target, built)
        fragment = self.working.add_challenges(key, target, markdown, str(args.path))
        heading = f"{args.path}: {len(built)} challenges for {target}"
        if again:
            named = f"--name {args.name}" if args.name is not None else "this file for this target"
            heading += f" (replacing the earlier import of {named}; give --name to keep both)"
        report = self._report(fragment, heading)
        report.rows = []
        return report

    def run_command(self, *words: str) -> Any:
        """run [IDS...] --model M [--model M2] -n N [--instruct ROLE]: sample the working spec's challenges."""
        from jupyter_spec.engine.solvers import Instructed
        from jupyter_spec.frontdoors.api import run

        args = _run_parser().parse_args(list(words))
        params = {k: v for k in ("temperature", "max_tokens", "seed") if (v := getattr(args, k)) is not None}
        judges = [] if args.no_judge else args.judge
        graders = [self._namespace_function(name) for name in args.grader]
        spec = self.working.spec
        solver = Instructed.of(spec, args.instruct, args.instruct_scope) if args.instruct else None
        try:
            return run(
                spec, args.model, args.samples, judges=judges, graders=graders, ids=args.ids, params=params,
                solver=solver,
            )  # fmt: skip
        except ValueError as error:
            raise UsageError(str(error)) from None

    def _namespace_function(self, name: str) -> Any:
        function = (self.shell.user_ns if self.shell is not None else {}).get(name)
        if not callable(function):
            raise UsageError(f"--grader {name}: no function called {name!r} in the notebook")
        return function

    def calibrate(self, *words: str) -> Any:
        """calibrate [IDS...] [--judge J]: judge the spec's own labelled answers, report accuracy."""
        from jupyter_spec.analysis.calibration import calibrate

        parser = _Arguments(prog="%spec calibrate", add_help=False)
        parser.add_argument("ids", nargs="*")
        parser.add_argument("--judge", "-j", default=None)
        args = parser.parse_args(list(words))
        try:
            return calibrate(self.working.spec, args.judge, ids=args.ids or None)
        except ValueError as error:
            raise UsageError(str(error)) from None

    def _store(self) -> Any:
        from jupyter_spec.engine.store import Store

        return Store.resolve(None, config.settings.store)

    def precedents(self, id: str | None = None, *rest: str) -> Any:
        """precedents [ID]: reviewers' rulings, for one clause (with its markers) or all."""
        from jupyter_spec.views.html import precedents_view

        _no_more(rest)
        return precedents_view(self._store().precedents(id))

    def compare(self, first: str | None = None, second: str | None = None, *rest: str) -> Any:
        """compare A B: two runs (e.g. two wordings) or two models, clause by clause, with the deltas."""
        from jupyter_spec.analysis.compare import compare

        _no_more(rest)
        if first is None or second is None:
            raise UsageError("%spec compare needs two run IDs or model IDs, e.g. %spec compare 3f2a9c 8e1b07")
        try:
            return compare(first, second, self._store())
        except ValueError as error:
            raise UsageError(str(error)) from None

    def history(self, id: str | None = None, *rest: str) -> Any:
        """history ID: the clause's adherence for each version of its wording."""
        from jupyter_spec.analysis.compare import history

        _no_more(rest)
        if id is None:
            raise UsageError("%spec history needs a clause ID")
        table = history(id, self._store())
        if table.empty:
            raise UsageError(f"no graded run in {config.settings.store} has a clause {{#{id}}}")
        return table

    def alias(self, name: str | None = None, model: str | None = None, *rest: str) -> Any:
        """alias [NAME [MODEL]]: list aliases, or make NAME stand for MODEL (e.g. judge openai:gpt-4.1)."""
        _no_more(rest)
        aliases = config.settings.aliases
        if name is not None and model is None:
            raise UsageError("%spec alias needs a name and a model, e.g. %spec alias judge openai:gpt-4.1")
        if name is not None and model is not None:
            if ":" in name:
                raise UsageError(f"alias names cannot contain ':', got {name!r}")
            aliases[name] = model
            config.settings.resolve(name)  # refuse loops at once
        lines = [f"{k} -> {v}" for k, v in aliases.items()] or ["no aliases"]
        lines.append(f"default model: {config.settings.model}; default judge: {config.settings.judge}")
        return TextView("\n".join(lines))

    def runs(self, *rest: str) -> Any:
        """runs: every run in the store, with its status; an interrupted one with the call that resumes it."""
        _no_more(rest)
        lines = []
        for record in self._store().runs():
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created))
            hint = f"  -> {record.resume}" if record.resume else ""
            lines.append(f"{record.id}  {when}  {record.status}{hint}")
        return TextView("\n".join(lines) or f"no runs in {config.settings.store}")

    def export(self, *words: str) -> Any:
        """export RUN PATH [--kind sft|preference|graded] [--instruct system|developer] [--scope clause|spec]
        [--examples] [--precedents] [--grader G]: a run's graded samples as fine-tuning JSONL."""
        from jupyter_spec.analysis.export import KINDS, export_jsonl
        from jupyter_spec.analysis.results import Results

        parser = _Arguments(prog="%spec export", add_help=False)
        parser.add_argument("run")
        parser.add_argument("path")
        parser.add_argument("--kind", choices=KINDS, default="sft")
        parser.add_argument("--instruct", choices=("system", "developer"), default=None)
        parser.add_argument("--scope", choices=("clause", "spec"), default="clause")
        parser.add_argument("--examples", action="store_true")
        parser.add_argument("--precedents", action="store_true")
        parser.add_argument("--grader", default=None)
        args = parser.parse_args(list(words))
        store = self._store()
        if store.run(args.run) is None:
            raise UsageError(f"no run {args.run!r} in {config.settings.store}")
        results = Results.of_runs([args.run], store, spec=self.working.spec)
        options = {k: getattr(args, k) for k in ("grader", "instruct", "scope", "examples", "precedents")}
        try:
            written = export_jsonl(results, args.path, args.kind, **options)
        except ValueError as error:
            raise UsageError(str(error)) from None
        return TextView(f"wrote {written} {args.kind} records to {args.path}")

    def tag(self, label: str | None = None, message: str | None = None, *rest: str) -> Any:
        """tag LABEL ["message"]: record the working spec as a version and point LABEL at it."""
        from jupyter_spec.analysis.versions import tag

        _no_more(rest)
        if not label:
            raise UsageError('%spec tag needs a label, e.g. %spec tag v2 "softer wording"')
        spec_hash = tag(self.working.spec, label, message, self._store())
        return TextView(f"{label} -> {spec_hash}")

    def diff(self, first: str | None = None, second: str | None = None, *rest: str) -> Any:
        """diff A B: what changed between two versions (label, hash, spec file or `working`), with adherence."""
        from jupyter_spec.analysis.versions import diff

        _no_more(rest)
        if first is None or second is None:
            raise UsageError("%spec diff needs two versions: labels, version hashes, spec files or `working`")
        store = self._store()
        sides = [self._working_version(store) if side == "working" else side for side in (first, second)]
        try:
            return diff(sides[0], sides[1], store)
        except ValueError as error:
            raise UsageError(str(error)) from None

    def _working_version(self, store: Any) -> str:
        spec = self.working.spec
        store.put_spec(spec)
        return spec.hash

    def amend(self, id: str | None = None, reason: str | None = None, *rest: str) -> Any:
        """amend ID "reason": open the clause in a new %%spec cell; running it records the amendment."""
        _no_more(rest)
        if id is None or not reason:
            raise UsageError('%spec amend needs a clause ID and a reason, e.g. %spec amend keep "too strict"')
        clause = self.working.spec.clauses.get(id)
        if clause is None:
            raise UsageError(f"unknown clause {id!r}: `%spec amend` takes the ID of a {{#id}} heading")
        quoted = reason.replace('"', "'")
        text = f'%%spec --amend {id} --reason "{quoted}"\n{section_markdown(clause)}\n'
        self.shell.set_next_input(text, replace=False)
        return TextView(f"amending {id}: edit the new cell and run it")

    def _amended(self, id: str, reason: str, cell: str, source: str) -> Any:
        """Define an amending cell in place of the clause's old text, then record the amendment."""
        import getpass

        if len(reason) >= 2 and reason[0] == reason[-1] and reason[0] in "\"'":  # IPython keeps the quotes
            reason = reason[1:-1]
        before = self.working.spec
        if id not in before.clauses:
            raise UsageError(f"unknown clause {id!r}: nothing to amend")
        owner = self._owner_of(id)
        if owner.startswith("file:"):
            raise UsageError(f"{id} comes from {owner[5:]}: edit the file instead")
        with user_errors():
            fragment = self.working.define(owner, cell, source, first_line=2)
        if id not in fragment.clauses:
            raise UsageError(f"the amending cell must keep the heading {{#{id}}}")
        after = self.working.spec
        store = self._store()
        for spec in (before, after):
            store.put_spec(spec)
        store.put_amendment(id, reason, before.hash, after.hash, getpass.getuser())
        return self._report(fragment, f"{source}: amended {id} ({reason})")

    def _owner_of(self, id: str) -> str:
        """The key of the fragment that defines a clause, if it defines nothing else; else a UsageError."""
        for key, fragment in self.working.fragments().items():
            if id in fragment.clauses:
                if len(fragment.sections) > 1:
                    raise UsageError(f"{id} shares its cell with other sections: amend that cell instead")
                return key
        raise UsageError(f"unknown clause {id!r}")

    def amendments(self, id: str | None = None, *rest: str) -> Any:
        """amendments [ID]: every recorded amendment, or those of one clause."""
        _no_more(rest)
        lines = [
            f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(a['created']))}  {a['clause']}  {a['reason']}"
            f"  ({a['before_hash']} -> {a['after_hash']}, {a['author']})"
            for a in self._store().amendments(id)
        ]
        return TextView("\n".join(lines) or "no amendments")

    def use(self, path: str | None = None, *rest: str) -> Any:
        """use PATH: add a spec module (with its includes) to the working spec, its clause IDs that
        collide with the working spec's namespaced as module.id."""
        from jupyter_spec.spec.compose import Module, compose, namespace, namespaced
        from jupyter_spec.spec.loader import load_modules

        _no_more(rest)
        if path is None:
            raise UsageError("%spec use needs a file or directory")
        modules = namespaced(load_modules(path))
        name = modules[0].name
        key = f"module:{name}"
        previous = self._used().get(name)
        taken = set(self.working.spec.clauses) - set(previous.spec.clauses if previous else ())
        fragment = compose(modules)
        fragment = namespace(fragment, name, set(fragment.clauses) & taken)
        self.working.add(key, fragment)
        self._used()[name] = Module(name, fragment)
        return self._report(fragment, f"using {path} as module {name!r}")

    def _used(self) -> dict[str, Any]:
        """The modules `%spec use` added that are still in the working spec, by name."""
        used = vars(self).setdefault("_spec_modules", {})
        for name in [n for n in used if f"module:{n}" not in set(self.working.keys())]:
            del used[name]
        return used

    def check(self, *rest: str) -> Any:
        """check: structural conflicts; behavioural ones and ambiguous clauses from the latest run, if any."""
        from jupyter_spec.spec.compose import Module
        from jupyter_spec.spec.conflicts import check

        _no_more(rest)
        spec = self.working.spec
        modules = list(self._used().values())
        used_ids = {i for m in modules for i in m.spec.clauses}
        used_challenges = {id(c) for m in modules for c in m.spec.challenges}
        notebook = Spec(
            sections=tuple(s for s in spec.sections if s.id not in used_ids),
            challenges=tuple(c for c in spec.challenges if id(c) not in used_challenges),
        )
        order = config.settings.authority_order or None
        lines = [str(f) for f in check(spec, [Module("notebook", notebook), *modules], order)]
        lines = lines or ["no structural conflicts"]
        runs = self._store().runs()
        if runs:
            from jupyter_spec.analysis.conflicts import conflict_report
            from jupyter_spec.analysis.results import Results

            latest = runs[-1].id
            lines += [
                f"latest run {latest}:",
                str(conflict_report(Results.of_runs([latest], self._store(), spec), spec)),
            ]
        return TextView("\n".join(lines))

    def generate(self, *words: str) -> Any:
        """generate ID [-n N] [--model M] [--style S] [--seed N]: a model drafts prompts for a clause;
        they open in a new %%challenge cell for review, and nothing runs until that cell does."""
        from jupyter_spec.engine.generate import STYLES, challenge_cell, generate
        from jupyter_spec.engine.providers.base import RequestFailed

        parser = _Arguments(prog="%spec generate", add_help=False)
        parser.add_argument("id")
        parser.add_argument("-n", type=int, default=10)
        parser.add_argument("--model", "-m", default=None)
        parser.add_argument("--style", choices=list(STYLES), default=None)
        parser.add_argument("--seed", type=int, default=None)
        args = parser.parse_args(list(words))
        try:
            prompts = generate(self.working.spec, args.id, args.n, model=args.model, style=args.style, seed=args.seed)
        except (ValueError, RequestFailed) as error:
            raise UsageError(f"%spec generate: {error}") from None
        cell = challenge_cell(args.id, prompts, args.style)
        if self.shell is not None:
            self.shell.set_next_input(cell, replace=False)
        return TextView(
            f"{len(prompts)} drafted prompts for {args.id}: review the new cell before running it\n\n{cell}"
        )

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
        "run": run_command,
        "import": import_command,
        "calibrate": calibrate,
        "precedents": precedents,
        "compare": compare,
        "history": history,
        "alias": alias,
        "runs": runs,
        "export": export,
        "use": use,
        "check": check,
        "tag": tag,
        "diff": diff,
        "amend": amend,
        "amendments": amendments,
        "generate": generate,
    }


def _no_more(rest: tuple[str, ...]) -> None:
    if rest:
        raise UsageError(f"unexpected arguments: {' '.join(rest)}")

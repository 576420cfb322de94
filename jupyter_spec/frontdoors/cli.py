"""`jupyter-spec`: the terminal and CI face of the package.

Exit codes are the contract with CI: 0 fine, 1 a clause below its threshold (`run`) or lint
errors (`lint`), 2 a spec or usage error (one line on stderr), 130 interrupted with Ctrl-C.
Every string that came from a spec, the store or a model reaches the terminal through `_text`:
control characters shown escaped (`terminal_safe`) and never read as rich markup.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import logging
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from jupyter_spec.core.errors import SpecError
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import lint
from jupyter_spec.spec.loader import check_readable, load_spec
from jupyter_spec.views.html import SpecReport, terminal_safe

if TYPE_CHECKING:  # types only: `show`, `lint` and `demo` must not load the engine, pandas or matplotlib
    import pandas as pd

    from jupyter_spec.engine.runner import Run
    from jupyter_spec.engine.store import Store

EXAMPLE_SPEC = Path(__file__).parents[1] / "data" / "sycophancy"
INTERRUPTED = 130  # what shells report for a process ended by SIGINT
THRESHOLD_ATTR = "min_adherence"


class UsageProblem(Exception):
    """A mistake in how the command was called: exit 2 with one line, never a traceback."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (CI logs show it whole) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, terminal_safe(f"{self.prog}: error: {message} (see {self.prog} --help)") + "\n")


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(text)
    return value


_fraction.__name__ = "fraction between 0 and 1"  # what argparse names in its error message


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


_positive.__name__ = "positive integer"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jupyter-spec", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    show = commands.add_parser("show", help="list a spec's clauses and lint findings")
    show.add_argument(
        "path", nargs="?", default=str(EXAMPLE_SPEC), help="spec file or directory (default: the bundled example)"
    )
    check = commands.add_parser("lint", help="lint a spec; exit 1 if there are errors")
    check.add_argument("path", help="spec file or directory")
    check.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 2) a spec whose challenges or labels name IDs it does not declare",
    )
    commands.add_parser("demo", help="show the bundled example spec")
    conflicts = commands.add_parser("check", help="structural conflicts between clauses and modules")
    conflicts.add_argument("path", help="spec file or directory (its includes are followed)")
    conflicts.add_argument("--strict", action="store_true", help="exit 1 if there are any findings")

    store_help = "the SQLite store (default: the `store` setting, $JUPYTER_SPEC_STORE or .jupyter-spec/store.sqlite)"
    run = commands.add_parser("run", help="sample and grade a spec's challenges; exit 1 below a threshold")
    run.add_argument("path", help="spec file or directory")
    run.add_argument("--model", action="append", help="model under test, repeatable (default: the default model)")
    run.add_argument("--judge", action="append", help="judge model, repeatable (default: the default judge)")
    run.add_argument("--no-judge", action="store_true", help="no model judge: only the challenges' expectations")
    run.add_argument("-n", "--samples", type=_positive, default=1, help="samples per challenge and model")
    run.add_argument(
        "--min-adherence",
        type=_fraction,
        help=f"threshold for clauses without their own {{#id {THRESHOLD_ATTR}=X}} attribute",
    )
    run.add_argument("--store", help=store_help)
    calibrate = commands.add_parser("calibrate", help="judge the spec's labelled answers; print the judge's accuracy")
    calibrate.add_argument("path", help="spec file or directory")
    calibrate.add_argument("--judge", help="judge model (default: the default judge)")
    calibrate.add_argument("--store", help=store_help)
    compare = commands.add_parser("compare", help="compare two runs or two models, clause by clause")
    compare.add_argument("first", help="a run ID, or a model ID (its latest run)")
    compare.add_argument("second", help="a run ID, or a model ID (its latest run)")
    compare.add_argument("--store", help=store_help)
    changes = commands.add_parser("diff", help="what changed between two versions of a spec, with adherence")
    changes.add_argument("first", help="a label, a version hash (or prefix), or a spec file or directory")
    changes.add_argument("second", help="a label, a version hash (or prefix), or a spec file or directory")
    changes.add_argument("--markdown", action="store_true", help="print a Markdown changelog")
    changes.add_argument("--store", help=store_help)
    report = commands.add_parser("report", help="write one self-contained HTML report of a run")
    report.add_argument("run_id", metavar="RUN", help="a run ID (see `%%spec runs` in a notebook)")
    report.add_argument("--html", required=True, type=Path, help="the file to write")
    report.add_argument("--store", help=store_help)
    return parser


def _text(value: Any) -> Text:
    """A table cell or message from untrusted text: control characters escaped, no markup read."""
    return Text(terminal_safe(str(value)))


def _number(value: Any, digits: int = 2) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _interval(low: Any, high: Any) -> str:
    return "-" if math.isnan(float(low)) or math.isnan(float(high)) else f"[{low:.2f}, {high:.2f}]"


def _console(stderr: bool = False) -> Console:
    """A console on stdout (or stderr); wide when it is not a terminal, so CI logs keep whole rows."""
    stream = sys.stderr if stderr else sys.stdout
    wide = not stream.isatty() and "COLUMNS" not in os.environ
    return Console(stderr=stderr, width=160 if wide else None, highlight=False)


class _SafeLog(logging.Filter):
    """Log records reach the terminal with control characters escaped (they may quote a model)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = terminal_safe(record.getMessage()), None
        return True


@contextlib.contextmanager
def _log_to(console: Console) -> Iterator[None]:
    """The library's warnings print above the progress bar instead of through it; the logger is
    left as it was afterwards (`main` is called in-process by tests and scripts too)."""
    handler = RichHandler(console=console, show_time=False, show_path=False, markup=False, rich_tracebacks=False)
    handler.addFilter(_SafeLog())
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("jupyter_spec")
    propagate, logger.propagate = logger.propagate, False
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _store(path: str | None, must_exist: bool = False) -> Store:
    from jupyter_spec.engine import settings as defaults
    from jupyter_spec.engine.store import Store

    where = Path(path or defaults.settings.store)
    if must_exist and not where.is_file():
        raise UsageProblem(f"no store at {where}: pass --store PATH or set JUPYTER_SPEC_STORE")
    return Store.open(where)


# -- thresholds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One row of the results table beside its threshold: did this clause, model and grader pass?"""

    clause: str
    model: str
    grader: str
    threshold: float | None
    adherence: float | None
    n: int
    failed: bool
    why: str


def thresholds(spec: Spec, default: float | None, planned: set[str] | None = None) -> dict[str, float]:
    """Each clause's threshold: its own `min_adherence=` attribute, else `default` for the clauses
    the run samples (`planned`; all when None). A clause that asks for a figure with its own
    attribute gets it checked even if nothing samples it: no evidence is not a pass."""
    found: dict[str, float] = {}
    for clause_id, clause in spec.clauses.items():
        own = dict(clause.attrs).get(THRESHOLD_ATTR)
        if own is not None:
            try:
                found[clause_id] = _fraction(own)
            except ValueError:
                raise UsageProblem(
                    f"{clause.source}:{clause.line}: {{#{clause_id}}} has {THRESHOLD_ATTR}={own!r}: "
                    "expected a number between 0 and 1"
                ) from None
        elif default is not None and (planned is None or clause_id in planned):
            found[clause_id] = default
    return found


def judge_thresholds(
    adherence: pd.DataFrame, planned: Sequence[tuple[str, str]], limits: dict[str, float]
) -> list[Verdict]:
    """Every adherence row beside its threshold, plus a failing row for each (clause, model) with
    a threshold and no scored sample from any grader (`planned`: the run's (clause, model) pairs)."""
    verdicts: list[Verdict] = []
    scored: set[tuple[str, str]] = set()
    for row in adherence.itertuples(index=False):
        clause, model, grader, n = str(row.clause), str(row.model), str(row.grader), int(row.n)
        limit, value = limits.get(clause), (float(row.adherence) if n else None)
        if n:
            scored.add((clause, model))
        failed = limit is not None and value is not None and value < limit
        if limit is None:
            why = "-"
        elif value is None:
            why = "not scored by this grader"
        else:
            why = f"FAIL: {value:.2f} < {limit:.2f}" if failed else "pass"
        verdicts.append(Verdict(clause, model, grader, limit, value, n, failed, why))
    models = list(dict.fromkeys(m for _, m in planned)) or ["-"]
    for clause, model in dict.fromkeys([*planned, *((c, m) for c in limits for m in models)]):
        if clause in limits and (clause, model) not in scored:
            verdicts.append(Verdict(clause, model, "-", limits[clause], None, 0, True, "FAIL: no scored samples"))
    return verdicts


def _results_table(verdicts: list[Verdict], adherence: pd.DataFrame) -> Table:
    table = Table(title="Adherence per clause (clustered 95% intervals)", title_justify="left")
    counts = ("n", "compliant", "violation", "unscored", "errors")
    for name in ("clause", "model", "grader", "adherence", "95% CI", *counts, "threshold", "result"):
        table.add_column(name, justify="right" if name in counts else "left")
    rows = {(str(r.clause), str(r.model), str(r.grader)): r for r in adherence.itertuples(index=False)}
    for v in verdicts:
        row = rows.get((v.clause, v.model, v.grader))
        numbers = [str(int(getattr(row, k))) for k in counts] if row is not None else ["0"] * len(counts)
        interval = _interval(row.cluster_low, row.cluster_high) if row is not None and v.n else "-"
        result = Text(v.why, style="bold red" if v.failed else "")
        table.add_row(_text(v.clause), _text(v.model), _text(v.grader), _number(v.adherence), interval, *numbers,
                      _number(v.threshold), result)  # fmt: skip
    return table


# -- commands -----------------------------------------------------------------------------------


def _wait(handle: Run, bar: Progress) -> None:
    """Wait for the run in short sleeps, so Ctrl-C reaches this thread at once."""
    task = bar.add_task("sampling", total=len(handle.plan))

    def update(progress: Any) -> None:
        counts = (progress.errors, progress.cached, progress.graded, progress.in_flight)
        line = "{} errors, {} cached, {} grades, {} in flight".format(*counts)
        bar.update(task, completed=progress.finished, description=line)

    handle.subscribe(update)
    while not handle.done:
        time.sleep(0.05)
    handle.wait()
    update(handle.progress)


def cancelled(handle: Run, console: Console, grace: float = 30.0) -> int:
    """Ctrl-C: stop sending requests, let the store record what finished and the run as cancelled,
    and say how to resume it. A second Ctrl-C stops waiting for that."""
    handle.cancel()
    with contextlib.suppress(KeyboardInterrupt, concurrent.futures.TimeoutError):
        handle.wait(grace)
    progress = handle.progress
    console.print(
        _text(
            f"interrupted: run {handle.id} cancelled with {progress.finished} of {progress.total} samples kept in "
            f"{handle.store.path}; resume with jupyter_spec.resume({handle.id!r}) "
            f"(a new `jupyter-spec run` reuses every cached answer)"
        )
    )
    return INTERRUPTED


def run_command(args: argparse.Namespace) -> int:
    """Run, show progress, print the table; exit 1 when a clause is below its threshold."""
    from jupyter_spec.analysis.results import Results  # loaded before the run, not while Ctrl-C may come
    from jupyter_spec.engine import settings as defaults
    from jupyter_spec.engine.providers import get_provider
    from jupyter_spec.frontdoors.api import run

    out, err = _console(), _console(stderr=True)
    spec = load_spec(Path(args.path))
    check_readable(spec)  # a malformed challenge is refused, not left out of the run
    thresholds(spec, args.min_adherence)  # a malformed threshold is refused before anything runs
    settings = defaults.settings
    models = args.model or [settings.model]
    judges = [] if args.no_judge else (args.judge or [settings.judge])
    for model in [*models, *judges]:
        try:
            get_provider(model, settings)
        except Exception as exc:  # noqa: BLE001 - any model that cannot be made is a usage error
            raise UsageProblem(f"model {model}: {exc}") from None
    store = _store(args.store)
    handle = run(spec, models, args.samples, judges=judges, store=store, display=False)
    err.print(_text(f"run {handle.id}: {len(handle.plan)} samples of {', '.join(models)}; store {store.path}"))
    bar = Progress(SpinnerColumn(), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TextColumn("{task.description}", markup=False), console=err, transient=False)  # fmt: skip
    try:
        with _log_to(err), bar:
            _wait(handle, bar)
    except KeyboardInterrupt:
        return cancelled(handle, err)
    progress = handle.progress
    results = Results.of_runs([handle.id], store, spec)
    adherence = results.adherence()
    planned = [(item.clause, str(item.model)) for item in handle.plan]
    limits = thresholds(spec, args.min_adherence, {clause for clause, _ in planned})
    verdicts = judge_thresholds(adherence, planned, limits)
    out.print(_results_table(verdicts, adherence))
    out.print(_text(f"run {handle.id}: {progress}"))
    if progress.errors:
        out.print(_text(f"{progress.errors} sample(s) failed and count in no rate: see the messages above"))
    failed = [v for v in verdicts if v.failed]
    for v in failed:
        out.print(_text(f"{{#{v.clause}}} {v.model} {v.grader}: {v.why}"))
    return 1 if failed else 0


def calibrate_command(args: argparse.Namespace) -> int:
    from jupyter_spec.analysis.calibration import calibrate

    out, err = _console(), _console(stderr=True)
    spec = load_spec(Path(args.path))
    check_readable(spec)  # a malformed example is refused, not left out of the calibration
    store = _store(args.store)
    with _log_to(err), err.status(Text("judging the spec's labelled answers ...")):
        try:
            calibration = calibrate(spec, args.judge, store=store)
        except ValueError as exc:
            raise UsageProblem(str(exc)) from None
    table = Table(title=_text(f"Calibration of {calibration.judge}"), title_justify="left")
    for name in ("clause", "n", "accuracy", "viol. precision", "viol. recall", "unscored", "errors"):
        table.add_column(name, justify="left" if name == "clause" else "right")
    for name, s in [*calibration.clauses.items(), ("overall", calibration.overall)]:
        table.add_row(_text(name), str(s["n"]), _number(s["accuracy"]), _number(s["violation_precision"]),
                      _number(s["violation_recall"]), str(s["unscored"]), str(s["errors"]))  # fmt: skip
    out.print(table)
    out.print(_text(repr(calibration)))
    return 0


def compare_command(args: argparse.Namespace) -> int:
    from jupyter_spec.analysis.compare import compare

    out = _console()
    store = _store(args.store, must_exist=True)
    try:
        comparison = compare(args.first, args.second, store)
    except (KeyError, ValueError) as exc:
        raise UsageProblem(str(exc.args[0] if exc.args else exc)) from None  # a KeyError's message unquoted
    table = Table(title=_text(f"{comparison.second} minus {comparison.first}"), title_justify="left")
    for name in ("clause", "grader", "n first", "first", "n second", "second", "difference", "95% CI", "method"):
        table.add_column(name)
    for r in comparison.table.itertuples(index=False):
        table.add_row(
            _text(r.clause), _text(r.grader), str(int(r.n_first)), _number(r.adherence_first), str(int(r.n_second)),
            _number(r.adherence_second), _number(r.difference), _interval(r.ci_low, r.ci_high), _text(r.method),
        )  # fmt: skip
    out.print(table)
    return 0


def diff_command(args: argparse.Namespace) -> int:
    from jupyter_spec.analysis.versions import diff

    try:
        result = diff(args.first, args.second, _store(args.store) if args.store else None)
    except (KeyError, ValueError) as exc:
        raise UsageProblem(str(exc.args[0] if exc.args else exc)) from None
    if args.markdown:
        print(terminal_safe(result.markdown()), end="")
        return 0
    table = Table(title=_text(f"{result.first.name} -> {result.second.name}"), title_justify="left")
    for name in ("clause", "change", "detail", "first", "second", "difference", "95% CI"):
        table.add_column(name)
    for r in result.table().itertuples(index=False):
        table.add_row(
            _text(r.clause), _text(r.change), _text(r.detail), _number(r.adherence_first),
            _number(r.adherence_second), _number(r.difference), _interval(r.ci_low, r.ci_high),
        )  # fmt: skip
    _console().print(table)
    return 0


def report_command(args: argparse.Namespace) -> int:
    from jupyter_spec.views.report import write_report

    store = _store(args.store, must_exist=True)
    if store.run(args.run_id) is None:
        raise UsageProblem(f"no run {args.run_id} in {store.path}")
    size = write_report(store, args.run_id, args.html)
    _console().print(_text(f"wrote {args.html} ({size / 1024:.0f} KB)"))
    return 0


def spec_command(args: argparse.Namespace) -> int:
    """show, lint and demo: the spec and its lint findings; exit 1 on lint errors."""
    path = Path(getattr(args, "path", None) or EXAMPLE_SPEC)
    spec = load_spec(path, strict=getattr(args, "strict", False))
    findings = lint(spec)
    print(SpecReport(spec, findings, str(path), show_clauses=args.command != "lint"))
    return 1 if any(f.severity == "error" for f in findings) else 0


def check_command(args: argparse.Namespace) -> int:
    """check: structural conflicts (jupyter_spec.spec.conflicts); with --strict, exit 1 on any."""
    from jupyter_spec.spec.conflicts import check_path

    findings = check_path(args.path)
    for finding in findings:
        print(terminal_safe(str(finding)))
    print(f"{len(findings)} conflict finding{'s' * (len(findings) != 1)} in {terminal_safe(args.path)}")
    return 1 if args.strict and findings else 0


COMMANDS = {
    "check": check_command,
    "run": run_command,
    "calibrate": calibrate_command,
    "compare": compare_command,
    "report": report_command,
}

COMMANDS["diff"] = diff_command


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return COMMANDS.get(args.command, spec_command)(args)
    except (SpecError, OSError, UsageProblem) as exc:
        print(terminal_safe(f"jupyter-spec: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jupyter-spec: interrupted", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())

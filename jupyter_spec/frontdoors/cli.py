"""`jupyter-spec`: the terminal and CI face of the package."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from jupyter_spec.core.errors import SpecError
from jupyter_spec.spec.lint import lint
from jupyter_spec.spec.loader import load_spec
from jupyter_spec.views.html import SpecReport, terminal_safe

EXAMPLE_SPEC = Path(__file__).parents[1] / "data" / "sycophancy"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter-spec", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    path = Path(getattr(args, "path", None) or EXAMPLE_SPEC)
    try:
        spec = load_spec(path, strict=getattr(args, "strict", False))
    except (SpecError, OSError) as exc:
        print(terminal_safe(f"jupyter-spec: {exc}"), file=sys.stderr)
        return 2
    findings = lint(spec)
    print(SpecReport(spec, findings, str(path), show_clauses=args.command != "lint"))
    return 1 if any(f.severity == "error" for f in findings) else 0


if __name__ == "__main__":
    sys.exit(main())

"""The spec side panel's kernel half: every lint rule over a notebook's `%%spec` and `%%challenge` cells.

The JupyterLab panel outlines the cells itself (labextension/src/spec/parse.ts, with the
structural rules only, so it works without a kernel). When the notebook's kernel has imported
jupyter_spec, the panel asks it for the full lint through a silent `user_expressions` request
and shows that instead, saying so. Both read the cells as they are in the editor, run or not,
and place a finding at the same cell and line.
"""

from __future__ import annotations

import json
import operator
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import parse_argstring
from IPython.display import JSON

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.engine import settings as config
from jupyter_spec.frontdoors.magics import _challenge_cell_args, _spec_cell_args
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.spec.working import Relinter

#: Bumped when the reply's shape changes; the panel falls back to its own lint on a mismatch.
REPLY_VERSION = 1


def read_magic(source: str) -> tuple[str, str, str, int] | None:
    """(magic, arguments, body, first body line) as IPython reads a cell: leading blank lines
    dropped, the first line's indentation removed, then `%%name args` on the first line."""
    lines = source.splitlines()
    skip = next((k for k, line in enumerate(lines) if line.strip()), len(lines))
    if skip == len(lines):
        return None
    head = lines[skip]
    indent = head[: len(head) - len(head.lstrip(" \t"))]
    body = [line.removeprefix(indent) for line in lines[skip + 1 :]]
    name, _, args = head.strip()[2:].partition(" ") if head.strip().startswith("%%") else ("", "", "")
    if name not in ("spec", "challenge"):
        return None
    return name, args, "\n".join(body), skip + 2


def _read_cell(cell: dict[str, str]) -> Spec | dict[str, Any] | None:
    """A cell's fragment, or the one finding that says why the kernel would refuse it; None for
    a cell that is not `%%spec` or `%%challenge`."""
    magic = read_magic(cell["source"])
    if magic is None:
        return None
    name, args, body, first_line = magic
    try:
        if name == "spec":
            parse_argstring(_spec_cell_args, args)
            return parse_spec(body, cell["id"], first_line)
        target = parse_argstring(_challenge_cell_args, args).id
        return Spec(challenges=parse_challenges(body, cell["id"], target, first_line))
    except SpecSyntaxError as e:
        return finding("error", "syntax", e.message, cell["id"], e.line or first_line - 1)
    except (UsageError, ValueError) as e:  # argparse's usage errors; shlex's unclosed quotes
        return finding("error", "usage", f"%%{name}: {e}", cell["id"], first_line - 1)


class _LastRequest:
    """What the previous request read, so that the next one (the panel asks again after each
    edit) parses and lints only the cells that changed."""

    def __init__(self) -> None:
        self.cells: dict[str, tuple[str, Spec | dict[str, Any] | None]] = {}  # by cell ID: (source, read)
        self.fragments: list[Spec] = []
        self.merged = Spec()
        self.relinter = Relinter()


_last = _LastRequest()


def cell_findings(cells: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Findings for cells `{"id", "source"}`: a cell the kernel would refuse is one `syntax`
    error at its line; the others are linted together as one spec, as the working spec is."""
    fragments: list[Spec] = []
    refused: list[dict[str, Any]] = []
    seen: dict[str, tuple[str, Spec | dict[str, Any] | None]] = {}
    for cell in cells:
        kept = _last.cells.get(cell["id"])
        read = kept[1] if kept is not None and kept[0] == cell["source"] else _read_cell(cell)
        seen[cell["id"]] = (cell["source"], read)
        if isinstance(read, Spec):
            fragments.append(read)
        elif read is not None:
            refused.append(dict(read))
    unchanged = len(fragments) == len(_last.fragments) and all(map(operator.is_, fragments, _last.fragments))
    merged = _last.merged if unchanged else Spec().merge(*fragments)
    _last.cells, _last.fragments, _last.merged = seen, fragments, merged
    settings = config.settings
    linted = _last.relinter.lint(merged, fragments, settings.vague_words, settings.authority_order or None)
    return refused + [finding(f.severity, f.code, f.message, f.source, f.line) for f in linted]


def finding(severity: str, code: str, message: str, cell_id: str, line: int) -> dict[str, Any]:
    return {"severity": severity, "code": code, "message": message, "cellId": cell_id, "line": line}


def lint_cells(payload: str) -> JSON:
    """The reply to the panel: `payload` is the cells as JSON; the result is shown as application/json."""
    cells = json.loads(payload)
    return JSON({"version": REPLY_VERSION, "findings": cell_findings(cells)})

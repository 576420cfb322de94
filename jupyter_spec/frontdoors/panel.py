"""The spec side panel's kernel half: every lint rule over a notebook's `%%spec` and `%%challenge` cells.

The JupyterLab panel outlines the cells itself (labextension/src/spec/parse.ts, with the
structural rules only, so it works without a kernel). When the notebook's kernel has imported
jupyter_spec, the panel asks it for the full lint through a silent `user_expressions` request
and shows that instead, saying so. Both read the cells as they are in the editor, run or not,
and place a finding at the same cell and line.
"""

from __future__ import annotations

import json
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic_arguments import parse_argstring
from IPython.display import JSON

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.engine import settings as config
from jupyter_spec.frontdoors.magics import _challenge_cell_args, _spec_cell_args
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import lint
from jupyter_spec.spec.markdown import parse_spec

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


def cell_findings(cells: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Findings for cells `{"id", "source"}`: a cell the kernel would refuse is one `syntax`
    error at its line; the others are linted together as one spec, as the working spec is."""
    fragments: list[Spec] = []
    refused: list[dict[str, Any]] = []
    for cell in cells:
        magic = read_magic(cell["source"])
        if magic is None:
            continue
        name, args, body, first_line = magic
        try:
            if name == "spec":
                parse_argstring(_spec_cell_args, args)
                fragments.append(parse_spec(body, cell["id"], first_line))
            else:
                target = parse_argstring(_challenge_cell_args, args).id
                fragments.append(Spec(challenges=parse_challenges(body, cell["id"], target, first_line)))
        except SpecSyntaxError as e:
            refused.append(finding("error", "syntax", e.message, cell["id"], e.line or first_line - 1))
        except (UsageError, ValueError) as e:  # argparse's usage errors; shlex's unclosed quotes
            refused.append(finding("error", "usage", f"%%{name}: {e}", cell["id"], first_line - 1))
    settings = config.settings
    linted = lint(Spec().merge(*fragments), settings.vague_words, settings.authority_order or None)
    return refused + [finding(f.severity, f.code, f.message, f.source, f.line) for f in linted]


def finding(severity: str, code: str, message: str, cell_id: str, line: int) -> dict[str, Any]:
    return {"severity": severity, "code": code, "message": message, "cellId": cell_id, "line": line}


def lint_cells(payload: str) -> JSON:
    """The reply to the panel: `payload` is the cells as JSON; the result is shown as application/json."""
    cells = json.loads(payload)
    return JSON({"version": REPLY_VERSION, "findings": cell_findings(cells)})

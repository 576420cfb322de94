"""Write src/spec/fixtures/python-reference.json: inputs, and what the Python reader makes of them.

The TypeScript outline of a notebook's %%spec cells (src/spec/parse.ts) is tested against it, so
the side panel and the kernel agree. Rerun after changing jupyter_spec/spec/{markers,markdown,lint}.py:

    python labextension/scripts/python_reference.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.lint import lint
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.spec.markers import blank_code_spans, marker_sentences

OUT = Path(__file__).resolve().parents[1] / "src" / "spec" / "fixtures" / "python-reference.json"
MIRRORED = {"duplicate-id", "unknown-target", "untested-marker", "untested-clause", "marker-outside-clause"}
TEXT_PIECES = ["`", "``", "```", "[^a1]", "[^b.c]", "[^", "]", ". ", "! ", "? ", "e.g. ", "i.e. ", "etc. ", '." ',
               ".) ", "\n", "\n\n", "\n  \n", " ", "word", "x", "’ ", "”", ")", ".", "[^z]."]  # fmt: skip
CELL_LINES = ["## Title {#id%d}", "### Sub {#s%d authority=user}", "#### Deep", "# Top {#t%d .c authority=root}",
              "Prose sentence one[^m%d]. Another[^n%d]!", "Code `[^no%d]` span.", "", "", "~~~", "```",
              '!!! note "N"', "    Indented admonition text[^a%d].", "!!! meta", "    Meta says[^meta%d].",
              "**Example**: ex", "~~~xml", "<user>hi</user>", "~~~", "## Closed ## ",
              "text e.g. more[^e%d]."]  # fmt: skip
NOTEBOOK_SPEC_LINES = ["## Clause {#id%d}", "### Sub {#id%d authority=user}", "#### No id", "# Top {#id%d}", "",
                       "Prose[^id%d]. More[^id%d]!", "Plain prose.", '!!! note "N"', "    Note[^id%d].",
                       "**Example**: ex", "~~~xml", "<user>hi</user>", "~~~", "Loose text[^id%d]."]  # fmt: skip
PROMPT_LINES = ["- What is %d?", "  - Are you sure?", "* Another prompt %d <!-- expect answer: 4 -->",
                "  continued here", "", "- " + "long words " * 8]  # fmt: skip


def lines(rng: random.Random, choices: list[str], most: int, ids: int, fewest: int = 1) -> str:
    picked = [rng.choice(choices).replace("%d", str(rng.randint(0, ids))) for _ in range(rng.randint(fewest, most))]
    return "\n".join(picked)


def marker_cases(rng: random.Random) -> list[dict[str, Any]]:
    texts = ["".join(rng.choice(TEXT_PIECES) for _ in range(rng.randint(1, 40))) for _ in range(400)]
    return [
        {"text": t, "blanked": blank_code_spans(t), "markers": [list(m) for m in marker_sentences(t)]} for t in texts
    ]


def spec_cases(rng: random.Random) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while len(found) < 150:
        body = lines(rng, CELL_LINES, 25, 10**6)
        try:
            spec = parse_spec(body, "cell", first_line=2)
        except SpecSyntaxError:
            continue  # the kernel refuses such a cell: nothing to compare
        sections = [
            {"title": s.title, "level": s.level, "id": s.id, "authority": spec.authority_of(s), "line": s.line,
             "examples": len(s.examples), "hasText": bool(s.text),
             "markers": [[m.id, m.text, m.line] for m in s.markers]}
            for s in spec.sections
        ]  # fmt: skip
        found.append(
            {"body": body, "sections": sections, "loose": [[m.id, m.text, m.line] for m in spec.preamble_markers]}
        )
    return found


def notebook_cases(rng: random.Random) -> list[dict[str, Any]]:
    """Whole notebooks of %%spec and %%challenge cells, and the structural findings lint.py reports."""
    found: list[dict[str, Any]] = []
    while len(found) < 120:
        cells, specs = [], []
        try:
            for k in range(rng.randint(1, 5)):
                source = f"c{k}"
                if rng.random() < 0.55:
                    body = lines(rng, NOTEBOOK_SPEC_LINES, 12, 12)
                    specs.append(parse_spec(body, source, first_line=2))
                    cells.append({"id": source, "source": "%%spec\n" + body})
                else:
                    target = f"id{rng.randint(0, 14)}"
                    body = lines(rng, PROMPT_LINES, 6, 9)
                    if not body.lstrip().startswith(("-", "*")):
                        body = "- first\n" + body
                    specs.append(Spec(challenges=parse_challenges(body, source, target, first_line=2)))
                    cells.append({"id": source, "source": f"%%challenge {target}\n" + body})
        except SpecSyntaxError:
            continue
        findings = [[f.severity, f.code, f.message, f.source, f.line] for f in lint(Spec().merge(*specs))]
        found.append({"cells": cells, "findings": [f for f in findings if f[1] in MIRRORED]})
    return found


def main() -> None:
    rng = random.Random(7)
    reference = {"markers": marker_cases(rng), "specs": spec_cases(rng), "notebooks": notebook_cases(rng)}
    OUT.write_text(json.dumps(reference, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"wrote {OUT}: {', '.join(f'{len(v)} {k}' for k, v in reference.items())}")


if __name__ == "__main__":
    main()

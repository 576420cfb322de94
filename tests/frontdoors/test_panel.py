"""The spec panel's kernel half: the full lint of a notebook's cells, as the JupyterLab panel asks for it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_spec.frontdoors.panel import REPLY_VERSION, cell_findings, read_magic

ROOT = Path(__file__).resolve().parents[2]
KERNEL_TS = ROOT / "labextension" / "src" / "panel" / "kernel.ts"
REFERENCE = ROOT / "labextension" / "src" / "spec" / "fixtures" / "python-reference.json"
MIRRORED = {"duplicate-id", "unknown-target", "untested-marker", "untested-clause", "marker-outside-clause"}
# the expression labextension/src/panel/kernel.ts sends, around the cells as a string literal
BEFORE = "(lambda m: m and __import__('jupyter_spec.frontdoors.panel', fromlist=['lint_cells'])"
AFTER = "(__import__('sys').modules.get('jupyter_spec.frontdoors.magics'))"


def expression(cells: list[dict[str, str]]) -> str:
    return f"{BEFORE}.lint_cells({json.dumps(json.dumps(cells))})){AFTER}"


def test_a_cell_is_read_as_ipython_reads_it() -> None:
    assert read_magic("%%spec\n# A {#a}") == ("spec", "", "# A {#a}", 2)
    indented = "\n  \n  %%challenge a --name x\n  - hi\n- there"
    assert read_magic(indented) == ("challenge", "a --name x", "- hi\n- there", 4)
    assert read_magic("%%specs\n# A") is None
    assert read_magic("print(1)\n%%spec") is None
    assert read_magic("\n\n") is None


def test_every_rule_with_the_cell_and_line_of_each_finding() -> None:
    cells = [
        {"id": "c0", "source": "%%spec\n# Honest {#honest}\n\nSay it[^h1].\n\n## Odd {#odd authority=nonsense}\n\nx"},
        {"id": "c1", "source": "%%challenge h1\n- Is it good?"},
        {"id": "c2", "source": "%%challenge\n- x"},
        {"id": "c3", "source": "%%spec\n# Broken {#}\n"},
        {"id": "c4", "source": "print('%%spec')"},
        {"id": "c5", "source": '%%spec --name "unclosed\n# A {#a}'},
    ]
    found = {(f["cellId"], f["line"], f["severity"], f["code"]) for f in cell_findings(cells)}
    assert found == {
        ("c2", 1, "error", "usage"),  # %%challenge needs its ID
        ("c5", 1, "error", "usage"),  # an unclosed quote in the arguments
        ("c3", 2, "error", "syntax"),  # the kernel would refuse the cell
        ("c0", 6, "warning", "untested-clause"),
        ("c0", 6, "warning", "unknown-authority"),  # a rule the browser does not check
    }


def test_the_structural_findings_are_the_ones_the_browser_finds() -> None:
    """The browser's lint (parse.ts) is tested against these notebooks; the kernel's must agree on them."""
    if not REFERENCE.exists():
        pytest.skip("labextension/src/spec/fixtures/python-reference.json is absent")
    notebooks = json.loads(REFERENCE.read_text(encoding="utf-8"))["notebooks"]
    for notebook in notebooks:
        mine = [
            [f["severity"], f["code"], f["message"], f["cellId"], f["line"]]
            for f in cell_findings(notebook["cells"])
            if f["code"] in MIRRORED
        ]
        assert sorted(mine) == sorted(notebook["findings"])


def test_the_panels_silent_request_gets_json_and_leaves_a_kernel_without_the_extension_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = KERNEL_TS.read_text(encoding="utf-8")
    assert BEFORE in source and AFTER in source, "kernel.ts sends another expression: update this test"
    shell: Any = InteractiveShell.instance()
    cells = [{"id": "c'0", "source": '%%spec\n# It\'s "quoted" \\ {#q}\n\nText[^q1].'}]
    reply = shell.user_expressions({"lint": expression(cells)})["lint"]
    assert reply["status"] == "ok"
    data = reply["data"]["application/json"]
    assert data["version"] == REPLY_VERSION
    codes = [(f["cellId"], f["code"]) for f in data["findings"]]
    assert codes == [("c'0", "untested-clause"), ("c'0", "untested-marker")]

    monkeypatch.delitem(sys.modules, "jupyter_spec.frontdoors.magics")
    reply = shell.user_expressions({"lint": expression(cells)})["lint"]
    assert reply["status"] == "ok" and "application/json" not in reply["data"]


def test_each_request_reads_only_the_cells_that_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The panel asks after every edit: unchanged cells are not parsed again, and the findings are
    those of every cell parsed afresh and linted as one spec."""
    import random

    import jupyter_spec.frontdoors.panel as panel
    from jupyter_spec.engine import settings as config
    from jupyter_spec.spec.challenges import parse_challenges
    from jupyter_spec.spec.document import Spec
    from jupyter_spec.spec.lint import lint
    from jupyter_spec.spec.markdown import parse_spec

    def afresh(cells: list[dict[str, str]]) -> list[dict[str, Any]]:
        fragments = [
            parse_spec(c["source"].split("\n", 1)[1], c["id"], 2)
            if c["source"].startswith("%%spec")
            else Spec(challenges=parse_challenges(c["source"].split("\n", 1)[1], c["id"], c["source"].split()[1], 2))
            for c in cells
        ]
        found = lint(Spec().merge(*fragments), config.settings.vague_words, config.settings.authority_order or None)
        return [panel.finding(f.severity, f.code, f.message, f.source, f.line) for f in found]

    parsed: list[str] = []
    original = panel.parse_spec
    monkeypatch.setattr(
        panel, "parse_spec", lambda text, source, line: parsed.append(source) or original(text, source, line)
    )
    texts = [
        "%%spec\n## A {#a}\n\nAnswer appropriately[^a1].\n",
        "%%spec\n# Part\n\n## B {#b}\n\nText[^b1].\n",
        "%%spec\n### C\n\nUsually[^c1].\n",
        "%%challenge a1\n- prompt\n",
        "%%challenge b1\n- prompt <!-- expect pair: p -->\n",
    ]
    cells = [{"id": f"cell{k}", "source": text} for k, text in enumerate(texts[:3])]
    assert cell_findings(cells) == afresh(cells)
    parsed.clear()
    assert cell_findings(cells) == afresh(cells) and parsed == []  # nothing changed, nothing parsed
    rng = random.Random(14)
    for step in range(30):
        k = rng.randrange(6)
        source = rng.choice(texts)
        if k < len(cells):
            cells[k] = {"id": cells[k]["id"], "source": source}
        else:
            cells.append({"id": f"new{step}", "source": source})
        expected = afresh(cells)  # the same ID in two cells included: lint reports it
        parsed.clear()
        assert cell_findings(cells) == expected
        assert len(parsed) <= 1  # only the edited cell, if it is a %%spec cell

"""Write tests/saved-results.ipynb: a notebook as a kernel left it, with a results record whose
clause and model names are hostile, and no kernel needed to show it (what a Binder visitor sees)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

HERE = Path(__file__).parent
HOSTILE = '<img src=x onerror="window.__pwned = 1"></script><script>window.__pwned = 2</script>'


def main() -> None:
    record = json.loads((HERE.parent / "src/__tests__/fixtures/results.json").read_text(encoding="utf-8"))
    for row in record["adherence"]:
        row["model"] = f"model {HOSTILE}"
    record["adherence"][0]["clause"] = f"hold {HOSTILE}"
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("run.results", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output(
            "execute_result",
            data={"application/vnd.jupyter-spec.results+json": record, "text/plain": "<Results>"},
            execution_count=1,
        )
    ]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Saved results"), cell]
    nbformat.write(notebook, HERE / "tests" / "saved-results.ipynb")


if __name__ == "__main__":
    main()

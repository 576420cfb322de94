"""The `In [N]` the magics print is the cell's own number, in a real kernel of the versions pip installs.

IPython 9 advances `shell.execution_count` as a cell starts, so a count read from it names the next
cell; only a kernel shows it (an `InteractiveShell` in-process runs cells differently).
"""

from __future__ import annotations

import re

import nbformat
from nbclient import NotebookClient

CELLS = [
    "%load_ext jupyter_spec",
    "%%spec --name numbers\n# Say which cell {#cell_numbers}\n\nThe assistant names the cell. [^cn1]\n",
    "%%challenge cn1\n- Which cell is this?\n",
    "%%spec --name broken\n# Unclosed {#broken\n",
]


def test_the_magics_name_the_cell_they_run_in(tmp_path: object) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True).execute()
    counts = [cell.execution_count for cell in notebook.cells]
    assert counts == [1, 2, 3, 4]
    text = ["".join(o.get("text", "") or o.get("evalue", "") or str(o.get("data", {}).get("text/plain", ""))
                    for o in cell.outputs) for cell in notebook.cells]  # fmt: skip
    assert text[1].startswith("In [2]: cell_numbers"), text[1]
    assert text[2].startswith("In [3]: challenges for cn1"), text[2]
    assert re.search(r"In \[4\]:2:\d+", text[3]), text[3]  # the error's line is the cell's line 2
    assert "In [5]" not in "".join(text)

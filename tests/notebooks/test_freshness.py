"""The notebooks are committed with their outputs: those outputs must come from the sources as they are."""

from __future__ import annotations

import nbformat
import pytest

from tests.notebooks.notebook_run import NOTEBOOKS, source_hash

PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def test_there_are_notebooks() -> None:
    assert [p.name[:2] for p in PATHS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_committed_outputs_were_made_from_the_committed_sources(path: object) -> None:
    notebook = nbformat.read(path, as_version=4)
    stamped = notebook.metadata.get("jupyter_spec", {}).get("source_hash")
    hint = f"{notebook.metadata.get('name', path)}: run python notebooks/regenerate.py {path.stem}"  # type: ignore[attr-defined]
    assert stamped == source_hash(notebook), f"outputs are stale: {hint}"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), f"not executed: {hint}"
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"saved with errors: {hint}"

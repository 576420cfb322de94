"""Execute the notebooks on the embedded model and save them with their outputs.

The notebooks are committed with fresh outputs, so GitHub and nbviewer show finished studies.
Each saved notebook carries the hash of its cells' sources (`metadata.jupyter_spec.source_hash`);
tests/notebooks/test_freshness.py fails when a notebook's sources no longer match its outputs.

    python notebooks/regenerate.py                      # every notebook
    python notebooks/regenerate.py 03-judge-calibration  # one (a name or a path)

Each runs in a fresh temporary folder, so its store starts empty and a re-run gives the same
figures (the models are seeded).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
TIMEOUT = 1200  # seconds per cell: the embedded model on two CPU cores


def source_hash(notebook: nbformat.NotebookNode) -> str:
    """What the outputs were made from: every cell's type and source, in order."""
    cells = [[cell.cell_type, cell.source] for cell in notebook.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def execute(path: Path, workdir: Path) -> nbformat.NotebookNode:
    """Run a copy of the notebook in `workdir` (its store is created there) and return it executed."""
    shutil.copy(path, workdir / path.name)
    notebook = nbformat.read(workdir / path.name, as_version=4)
    resources = {"metadata": {"path": str(workdir)}}
    NotebookClient(notebook, timeout=TIMEOUT, kernel_name="python3", resources=resources).execute()
    return notebook


def regenerate(path: Path) -> float:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jupyter-spec-notebook-") as workdir:
        notebook = execute(path, Path(workdir))
    notebook.metadata.setdefault("jupyter_spec", {})["source_hash"] = source_hash(notebook)
    nbformat.write(notebook, path)
    return time.monotonic() - started


def notebooks(names: list[str]) -> list[Path]:
    if not names:
        return sorted(HERE.glob("[0-9][0-9]-*.ipynb"))
    return [Path(n) if n.endswith(".ipynb") else HERE / f"{n}.ipynb" for n in names]


def main(names: list[str]) -> None:
    for path in notebooks(names):
        print(f"{path.name}: executed and saved in {regenerate(path):.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

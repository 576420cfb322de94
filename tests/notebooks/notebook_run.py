"""Execute a notebook from notebooks/ the way notebooks/regenerate.py does, and read its outputs."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
_REGENERATE = runpy.run_path(str(NOTEBOOKS / "regenerate.py"))
execute = _REGENERATE["execute"]
source_hash = _REGENERATE["source_hash"]


def outputs_of(nb: Any, source_start: str) -> list[Any]:
    cells = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith(source_start)]
    assert cells, f"no cell starting with {source_start!r}"
    return [o for c in cells for o in c.get("outputs", [])]


def data_of(nb: Any, source_start: str) -> list[dict[str, Any]]:
    return [o["data"] for o in outputs_of(nb, source_start) if "data" in o]


def errors_of(nb: Any) -> list[Any]:
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def assert_intervals(rows: list[dict[str, Any]], *pairs: tuple[str, str]) -> None:
    """Every interval is inside [0, 1] and holds its point."""
    for row in rows:
        for low, high in pairs:
            if row.get(low) is not None and row.get(high) is not None:
                assert 0 <= row[low] <= row[high] <= 1, row

"""The rows of a table, read up front: a CSV or JSONL file, a DataFrame, or a list of mappings.

Files are read as UTF-8 with or without a byte-order mark (a spreadsheet's "CSV UTF-8" export starts
with one, which would otherwise hide the first column's name). A row is known by the 1-based line it
starts on in a file, or by its 1-based number in memory, and every error names it together with the
columns there are, so a typo is fixed at a glance. A cell is read as text, as a list of texts (a
list, or a JSON list in a CSV cell) or as a JSON scalar for a challenge's metadata; an empty cell
(None, a DataFrame's NaN) is no text. Pure Python: a DataFrame is read through `.to_dict("records")`,
never by importing pandas.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from jupyter_spec.core.errors import SpecSyntaxError

Row = Mapping[str, Any]
# A DataFrame (anything with `.to_dict("records")`), a .csv or .jsonl path, or mappings.
Table = Any
ENCODING = "utf-8-sig"  # UTF-8; a byte-order mark at the start is skipped


class Where:
    """Where a row came from, for error messages: a file and line, or a row of an in-memory table."""

    def __init__(self, source: str, number: int, in_file: bool) -> None:
        self.source, self.number, self.in_file = source, number, in_file

    def error(self, message: str) -> SpecSyntaxError:
        if self.in_file:
            return SpecSyntaxError(message, self.source, self.number)
        if self.number:
            return SpecSyntaxError(f"row {self.number}: {message}", self.source)
        return SpecSyntaxError(message, self.source)

    def missing(self, what: str, row: Row, hint: str = "") -> SpecSyntaxError:
        """`what` is not in the row: say which columns (or, in JSONL, keys) it has."""
        kind = "keys" if self.in_file and self.source.lower().endswith((".jsonl", ".ndjson")) else "columns"
        names = ", ".join(repr(str(name)) for name in row) or "(none)"
        return self.error(f"{what}; the row's {kind} are {names}{hint}")


def _csv_rows(path: Path) -> Iterator[tuple[int, Row]]:
    """Rows by the line they start on (a quoted cell may span lines); blank rows skipped."""
    with path.open(newline="", encoding=ENCODING) as handle:
        reader = csv.reader(handle)
        header = next(reader, None) or []
        twice = next((name for name in header if header.count(name) > 1), None)
        if twice is not None:
            raise SpecSyntaxError(f"column {twice!r} is named twice in the header: {', '.join(header)}", str(path), 1)
        start = reader.line_num + 1
        for values in reader:
            if len(values) > len(header):
                raise SpecSyntaxError(
                    f"{len(values)} cells but {len(header)} columns ({', '.join(map(repr, header))})", str(path), start
                )
            if any(v.strip() for v in values):
                yield start, dict(zip(header, [*values, *[None] * len(header)], strict=False))
            start = reader.line_num + 1


def jsonl_rows(path: Path) -> Iterator[tuple[int, Row]]:
    """Each non-blank line of a JSONL file as an object, by its 1-based line; a bad line names itself."""
    with path.open(encoding=ENCODING) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise SpecSyntaxError(f"not valid JSON: {error.msg}", str(path), number, error.colno) from None
            if not isinstance(row, dict):
                raise SpecSyntaxError(f"expected a JSON object, got {type(row).__name__}", str(path), number)
            yield number, row


def read_rows(table: Table) -> tuple[str, bool, list[tuple[int, Row]]]:
    """(source, rows are file lines, [(number, row)]) for any table form; every row read up front."""
    if isinstance(table, (str, Path)):
        path = Path(table)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            return str(path), True, list(_csv_rows(path))
        if suffix in (".jsonl", ".ndjson"):
            return str(path), True, list(jsonl_rows(path))
        raise SpecSyntaxError("expected a .csv or .jsonl file", str(path))
    records = table.to_dict("records") if hasattr(table, "to_dict") else table
    rows: list[tuple[int, Row]] = []
    for number, row in enumerate(records, 1):
        if not isinstance(row, Mapping):
            raise SpecSyntaxError(f"row {number}: expected a mapping of columns, got {type(row).__name__}", "<table>")
        rows.append((number, row))
    return "<table>", False, rows


def json_scalar(value: Any) -> str | int | float | bool | None:
    """A cell as a JSON scalar for `Challenge.metadata`: a list or mapping as JSON text."""
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        value = value.item()  # a numpy scalar
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, (list, tuple, dict)):
        return str(value)  # a date, a decimal: as it prints
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    except ValueError:
        return str(value)


def cell_text(value: Any) -> str | None:
    """A cell as text; None for a missing cell (None, NaN: a DataFrame's empty cell)."""
    value = json_scalar(value) if not isinstance(value, (list, tuple)) else json.dumps(value, default=str)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an int column with gaps comes back from pandas as floats
    return str(value)


def cell_items(value: Any) -> list[str]:
    """A cell as a list of texts: a list, a JSON list written as text (a CSV cell), else the one text."""
    if hasattr(value, "tolist") and getattr(value, "shape", ()) != ():
        value = value.tolist()
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        value = parsed if isinstance(parsed, list) else value
    found = value if isinstance(value, (list, tuple)) else [value]
    return [text for item in found if (text := cell_text(item)) is not None and text.strip()]

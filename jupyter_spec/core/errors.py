"""One exception hierarchy for the whole package.

Errors carry the context a user needs to fix the input (which file or cell, which line), so the
magic layer can show a single clear line instead of a traceback.
"""

from __future__ import annotations


class SpecError(Exception):
    """Base class of every error jupyter-spec raises on purpose."""


class SpecSyntaxError(SpecError):
    """A specification or challenge text that cannot be read, with where and why."""

    def __init__(self, message: str, source: str = "<spec>", line: int = 0, column: int = 0) -> None:
        self.message = message
        self.source = source
        self.line = line
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.message}"

"""Lenient reading: a part of a spec that cannot be read is left out and reported, not fatal.

Older releases of a spec hold the odd malformed part (a stray character before a tag, an example
block that is never closed). Refusing the whole document for one of them leaves nothing to read
or to diff, so a lenient reader keeps the error it would have raised (`Unread`), skips the part it
names and reads on; lint reports each one at its file:line:column. A strict reader raises the
error, exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

from jupyter_spec.core.errors import SpecSyntaxError


@dataclass(frozen=True)
class Unread:
    """A part a lenient load left out: the error strict loading raises for it, as plain data."""

    message: str
    source: str
    line: int
    column: int

    @classmethod
    def of(cls, error: SpecSyntaxError) -> Unread:
        return cls(error.message, error.source, error.line, error.column)

    def error(self) -> SpecSyntaxError:
        return SpecSyntaxError(self.message, self.source, self.line, self.column)

    def __str__(self) -> str:
        return str(self.error())


class Recovery:
    """Where a reader sends an error in one part: raised when strict, kept when lenient (and then
    the reader skips that part and goes on)."""

    def __init__(self, lenient: bool = False) -> None:
        self.lenient = lenient
        self.unread: list[Unread] = []

    def skip(self, error: SpecSyntaxError) -> None:
        """Raise `error` when strict; else keep it, for the caller to skip the part it names."""
        if not self.lenient:
            raise error
        self.unread.append(Unread.of(error))

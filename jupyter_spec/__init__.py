"""jupyter-spec: write down how a language model should behave, and check live whether it does."""

from __future__ import annotations

from typing import Any

from jupyter_spec.errors import SpecError, SpecSyntaxError
from jupyter_spec.spec import (
    Challenge,
    Example,
    Finding,
    Section,
    Spec,
    lint,
    load_spec,
    parse_challenges,
    parse_spec,
    save_spec,
)

__version__ = "0.1.0"

__all__ = [
    "Challenge",
    "Example",
    "Finding",
    "Section",
    "Spec",
    "SpecError",
    "SpecSyntaxError",
    "__version__",
    "lint",
    "load_ipython_extension",
    "load_spec",
    "parse_challenges",
    "parse_spec",
    "save_spec",
]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_spec`: register `%%spec`, `%%challenge` and `%spec`."""
    from jupyter_spec.magics import SpecMagics

    ipython.register_magics(SpecMagics(ipython))

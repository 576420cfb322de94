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
    "Results",
    "Run",
    "Section",
    "Spec",
    "SpecError",
    "SpecSyntaxError",
    "Store",
    "__version__",
    "calibrate",
    "compare",
    "history",
    "lint",
    "load_ipython_extension",
    "load_spec",
    "overrule",
    "parse_challenges",
    "parse_spec",
    "resume",
    "run",
    "save_spec",
    "settings",
]

# Sampling pulls in the providers (openai, llama-cpp): import it only when it is asked for.
_LAZY = {
    "run": "jupyter_spec.runner",
    "resume": "jupyter_spec.runner",
    "Run": "jupyter_spec.runner",
    "Store": "jupyter_spec.store",
    "Results": "jupyter_spec.results",
    "calibrate": "jupyter_spec.graders.calibration",
    "compare": "jupyter_spec.compare",
    "history": "jupyter_spec.compare",
    "overrule": "jupyter_spec.precedents",
    "settings": "jupyter_spec.config",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jupyter_spec' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_spec`: register `%%spec`, `%%challenge` and `%spec`."""
    from jupyter_spec.magics import SpecMagics

    ipython.register_magics(SpecMagics(ipython))

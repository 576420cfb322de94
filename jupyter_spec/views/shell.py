"""The running IPython shell, asked without importing IPython where it is not loaded."""

from __future__ import annotations

import sys
from typing import Any


def current_shell() -> Any:
    """The running IPython shell, or None (a script, or a process where IPython is not loaded)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    return get_ipython()


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where widgets can be shown), False in scripts and plain IPython."""
    return getattr(current_shell(), "kernel", None) is not None


def execution_count() -> int | None:
    """The number of the cell running now, if any."""
    return getattr(current_shell(), "execution_count", None)

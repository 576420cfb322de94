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


def execution_count(shell: Any = None) -> int | None:
    """The number of the cell running now (its `In [N]`), if any. Read from the display hook's
    prompt count: IPython 9 advances `shell.execution_count` to the next cell's number as a cell
    starts, so that one is a cell ahead while it runs; earlier IPythons give the same value either way."""
    shell = current_shell() if shell is None else shell
    count = getattr(getattr(shell, "displayhook", None), "prompt_count", None)
    return count if isinstance(count, int) else getattr(shell, "execution_count", None)

"""jupyter-spec: write down how a language model should behave, and check live whether it does."""

from __future__ import annotations

from typing import Any

from jupyter_spec import analysis, views  # noqa: F401 - each provides what the layers below use
from jupyter_spec.core.errors import SpecError, SpecSyntaxError
from jupyter_spec.core.ids import Verdict
from jupyter_spec.spec import (
    Challenge,
    Example,
    Finding,
    Message,
    Section,
    Spec,
    lint,
    load_spec,
    parse_challenges,
    parse_spec,
    save_spec,
)
from jupyter_spec.spec.model import Precedent
from jupyter_spec.views.shell import current_shell

__version__ = "0.1.0"

__all__ = [
    "Calibration",
    "Challenge",
    "Example",
    "Finding",
    "Grade",
    "Grader",
    "Message",
    "ModelJudge",
    "Precedent",
    "PythonGrader",
    "Results",
    "Run",
    "Section",
    "Spec",
    "SpecError",
    "SpecSyntaxError",
    "Store",
    "Verdict",
    "__version__",
    "calibrate",
    "challenges_from_table",
    "compare",
    "diff",
    "export_jsonl",
    "history",
    "lint",
    "literal",
    "load_ipython_extension",
    "load_spec",
    "overrule",
    "parse_challenges",
    "parse_spec",
    "read_sycophancy_eval",
    "resume",
    "run",
    "save_spec",
    "settings",
    "tag",
    "training_records",
]

# Sampling pulls in the providers (openai, llama-cpp): import it only when it is asked for.
_LAZY = {
    "run": "jupyter_spec.frontdoors.api",
    "resume": "jupyter_spec.engine.runner",
    "Run": "jupyter_spec.engine.runner",
    "Store": "jupyter_spec.engine.store",
    "Results": "jupyter_spec.analysis.results",
    "calibrate": "jupyter_spec.analysis.calibration",
    "compare": "jupyter_spec.analysis.compare",
    "history": "jupyter_spec.analysis.compare",
    "diff": "jupyter_spec.analysis.versions",
    "tag": "jupyter_spec.analysis.versions",
    "overrule": "jupyter_spec.engine.rulings",
    "settings": "jupyter_spec.engine.settings",
    "Calibration": "jupyter_spec.analysis.calibration",
    "Grade": "jupyter_spec.engine.graders.base",
    "Grader": "jupyter_spec.engine.graders.base",
    "ModelJudge": "jupyter_spec.engine.graders.judge",
    "PythonGrader": "jupyter_spec.engine.graders.python",
    "challenges_from_table": "jupyter_spec.spec.tables",
    "literal": "jupyter_spec.spec.tables",
    "read_sycophancy_eval": "jupyter_spec.spec.sycophancy_eval",
    "export_jsonl": "jupyter_spec.analysis.export",
    "training_records": "jupyter_spec.analysis.export",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'jupyter_spec' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext jupyter_spec`: register `%%spec`, `%%challenge` and `%spec`, and how results look."""
    from jupyter_spec.frontdoors.magics import SpecMagics

    views.register(ipython)
    ipython.register_magics(SpecMagics(ipython))


# Every layer's package provides the conveniences the layers below use (`run.results`,
# `results.plot()`: see `jupyter_spec.core.hooks`); importing them is cheap. In a running
# IPython shell, results display with their views even before `%load_ext`.
views.register(current_shell())

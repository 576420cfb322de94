"""An unexpected error in one sample or grade, told once: as one line, with any key redacted."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from jupyter_spec.core.sanitize import redact

log = logging.getLogger(__name__)


def report(what: str, key: str, error: BaseException, secrets: tuple[str | None, ...]) -> str:
    """Log the error once (with where it was raised, for whoever debugs it) and return it as one line
    to store with the sample or grade. Tracebacks can carry a key: it is redacted from both."""
    frame = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" (at {Path(frame[0].filename).name}:{frame[0].lineno})" if frame else ""
    message = f"{type(error).__name__}: {redact(str(error), secrets)}"
    log.error("%s %s failed: %s%s", what, key, message, where)
    return message

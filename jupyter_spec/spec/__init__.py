"""The specification language: pure Python, no IPython, no network."""

from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec, save_spec
from jupyter_spec.spec.lint import DEFAULT_VAGUE_WORDS, Finding, lint
from jupyter_spec.spec.loader import load_spec
from jupyter_spec.spec.markdown import parse_spec
from jupyter_spec.spec.model import (
    Admonition,
    Challenge,
    Comparison,
    Example,
    Expectation,
    Marker,
    Message,
    Prose,
    Section,
)

__all__ = [
    "DEFAULT_VAGUE_WORDS",
    "Admonition",
    "Challenge",
    "Comparison",
    "Example",
    "Expectation",
    "Finding",
    "Marker",
    "Message",
    "Prose",
    "Section",
    "Spec",
    "lint",
    "load_spec",
    "parse_challenges",
    "parse_spec",
    "save_spec",
]

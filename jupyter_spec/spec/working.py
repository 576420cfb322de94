"""The notebook's working spec, assembled from cells and files.

Each `%%spec` cell, `%%challenge` cell or loaded path contributes a fragment under a key.
Re-running a cell replaces its own fragment and nothing else, and a fragment that would make
the whole inconsistent (a duplicate ID, a `%%challenge` cell for an unknown ID) is refused before
anything changes, so the working spec is never half-updated. A spec loaded from disk is taken as
it is, drift included (challenge files for IDs it no longer declares): lint reports that.
"""

from __future__ import annotations

from pathlib import Path

from jupyter_spec.core.errors import SpecSyntaxError
from jupyter_spec.spec.challenges import parse_challenges
from jupyter_spec.spec.document import Spec
from jupyter_spec.spec.loader import load_spec
from jupyter_spec.spec.markdown import check_unique_ids, parse_spec
from jupyter_spec.spec.model import stable_hash


class WorkingSpec:
    """Fragments by key, in the order they were first defined."""

    def __init__(self) -> None:
        self._fragments: dict[str, Spec] = {}

    @property
    def spec(self) -> Spec:
        return Spec().merge(*self._fragments.values())

    def keys(self) -> list[str]:
        return list(self._fragments)

    def fragments(self) -> dict[str, Spec]:
        """Each key's fragment (a copy: change them through `define`, `add`, `load`)."""
        return dict(self._fragments)

    def add(self, key: str, fragment: Spec) -> Spec:
        """Add or replace an already-parsed fragment (a composed module, say) under `key`."""
        return self._commit(key, fragment)

    def _commit(self, key: str, fragment: Spec) -> Spec:
        candidate = dict(self._fragments)
        candidate[key] = fragment
        check_unique_ids(Spec().merge(*candidate.values()))
        self._fragments = candidate
        return fragment

    def define(self, key: str | None, markdown: str, source: str, first_line: int = 1) -> Spec:
        """Add or replace the clauses of one cell.

        Without a key (no cell ID, no name) the cell is known by its first clause ID, or its
        first heading: re-running an edited cell then replaces it as long as that stays the same.
        """
        fragment = parse_spec(markdown, source, first_line)
        if key is None:
            first = next(iter(fragment.clauses), None) or (fragment.sections[0].title if fragment.sections else "")
            key = f"spec:{first or stable_hash(markdown)}"
        return self._commit(key, fragment)

    def add_challenges(self, key: str, target: str, text: str, source: str, first_line: int = 1) -> Spec:
        """Add or replace the challenges of one cell; the target must already be declared."""
        others = Spec().merge(*(f for k, f in self._fragments.items() if k != key))
        if target not in others:
            raise SpecSyntaxError(
                f"unknown ID {target!r}: declare {{#{target}}} or [^{target}] in a %%spec cell first", source
            )
        challenges = parse_challenges(text, source, target, first_line)
        return self._commit(key, Spec(challenges=challenges))

    def load(self, path: str | Path) -> Spec:
        """Add (or reload) a spec from disk; its challenges may test IDs from notebook cells too."""
        return self._commit(f"file:{path}", load_spec(path))

    def clear(self) -> None:
        self._fragments = {}

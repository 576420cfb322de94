"""The notebook's working spec from plain Python: replace semantics and all-or-nothing updates."""

from __future__ import annotations

import pytest

from jupyter_spec import SpecSyntaxError
from jupyter_spec.spec.working import WorkingSpec


def test_fragments_replace_by_key_and_keep_their_order() -> None:
    working = WorkingSpec()
    working.define("one", "## A {#a}\n\nText[^a1].\n", "In [1]")
    working.define("two", "## B {#b}\n\nText.\n", "In [2]")
    working.add_challenges("three", "a1", "- prompt\n", "In [3]")
    working.define("one", "## A2 {#a2}\n\nText[^a1].\n", "In [4]")
    assert working.keys() == ["one", "two", "three"]
    assert list(working.spec.clauses) == ["a2", "b"]
    assert working.spec.clauses["a2"].source == "In [4]"


def test_without_a_key_a_cell_is_known_by_its_first_id() -> None:
    working = WorkingSpec()
    working.define(None, "## A {#a}\n\nv1\n", "In [1]")
    working.define(None, "## A {#a}\n\nv2\n", "In [2]")
    assert working.spec.clauses["a"].text == "v2"


def test_a_refused_fragment_changes_nothing() -> None:
    working = WorkingSpec()
    working.define("one", "## A {#a}\n\nText.\n", "In [1]")
    before = working.spec
    with pytest.raises(SpecSyntaxError, match="duplicate ID 'a'"):
        working.define("two", "## Again {#a}\n\nText.\n", "In [2]")
    with pytest.raises(SpecSyntaxError, match="unknown ID 'zz'"):
        working.add_challenges("three", "zz", "- prompt\n", "In [3]")
    assert working.spec == before
    assert working.keys() == ["one"]


def test_removing_a_marker_leaves_its_challenges_for_lint() -> None:
    from jupyter_spec import lint

    working = WorkingSpec()
    working.define("one", "## A {#a}\n\nText[^a1].\n", "In [1]")
    working.add_challenges("two", "a1", "- prompt\n", "In [2]")
    working.define("one", "## A {#a}\n\nText.\n", "In [3]")
    assert next(f.code for f in lint(working.spec)) == "unknown-target"

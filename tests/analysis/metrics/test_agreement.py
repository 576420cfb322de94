"""Agreement statistics against values worked out by hand and published examples."""

from __future__ import annotations

import math

import pytest

from jupyter_spec.analysis.metrics.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha


def test_cohen_kappa_by_hand() -> None:
    # 50 items: 20 both yes, 5 yes/no, 10 no/yes, 15 both no.
    # p_o = 35/50 = 0.7; p_e = 25/50 * 30/50 + 25/50 * 20/50 = 0.5; kappa = 0.2 / 0.5 = 0.4
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert cohen_kappa(first, first) == 1.0
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])


def test_fleiss_kappa_on_the_classic_example() -> None:
    # Fleiss (1971)-style example: 10 items, 14 raters, 5 categories; kappa = 0.210.
    counts = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    items = [[category for category, n in enumerate(row) for _ in range(n)] for row in counts]
    assert fleiss_kappa(items) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_by_hand() -> None:
    # 3 items x 3 raters: [a,a,a], [a,a,b], [b,b,b]
    # P_i = 1, 1/3, 1 -> P_bar = 7/9; p_a = 5/9, p_b = 4/9 -> P_e = 41/81; kappa = (63/81 - 41/81) / (40/81)
    assert fleiss_kappa([["a"] * 3, ["a", "a", "b"], ["b"] * 3]) == pytest.approx(22 / 40)


def test_krippendorff_alpha_with_missing_ratings() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units, nominal 0.743.
    a = [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None]
    b = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3]
    c = [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None]
    d = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]
    units = list(zip(a, b, c, d, strict=True))
    assert krippendorff_alpha(units) == pytest.approx(0.743, abs=5e-4)


def test_agreement_is_undefined_without_data() -> None:
    assert math.isnan(cohen_kappa([], []))
    assert math.isnan(krippendorff_alpha([["a", None]]))

"""Intervals against published values (Newcombe 1998) and statsmodels."""

from __future__ import annotations

import itertools
import math

import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from jupyter_spec.analysis.metrics.intervals import (
    clustered_newcombe,
    clustered_wilson,
    effective_size,
    newcombe,
    wilson,
)


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [  # Newcombe (1998), Statistics in Medicine 17:857-872, Table II, score method without correction
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_published_values(k: int, n: int, low: float, high: float) -> None:
    assert wilson(k, n) == pytest.approx((low, high), abs=1e-4)


def test_wilson_without_samples_is_undefined() -> None:
    assert all(math.isnan(x) for x in wilson(0, 0))


@pytest.mark.parametrize(("k", "n"), [(math.nan, 5), (3, math.nan), (math.nan, math.nan)])
def test_wilson_of_nan_is_nan_not_the_whole_range(k: float, n: float) -> None:
    assert all(math.isnan(x) for x in wilson(k, n))  # was (0.0, 1.0)
    assert all(math.isnan(x) for x in clustered_wilson([k], [n]))


def test_newcombe_difference_matches_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890: 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    difference, low, high = newcombe(48, 80, 56, 70)
    assert difference == pytest.approx(0.2)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=1e-4)


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 4), (49, 50), (50, 50), (4.9, 5), (0.7, 1.47)])
def test_wilson_matches_statsmodels(k: float, n: float) -> None:
    assert wilson(k, n) == pytest.approx(proportion_confint(k, n, method="wilson"), abs=1e-9)


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), [(48, 80, 56, 70), (0, 10, 10, 10), (9, 9, 9, 9), (1.2, 3, 2.5, 3)])
def test_newcombe_matches_statsmodels(k1: float, n1: float, k2: float, n2: float) -> None:
    _, low, high = newcombe(k1, n1, k2, n2)  # second minus first; statsmodels gives first minus second
    expected = confint_proportions_2indep(k2, n2, k1, n1, method="newcomb", compare="diff")
    assert (low, high) == pytest.approx(tuple(float(x) for x in expected), abs=1e-9)


def test_clustered_interval_counts_each_challenge_once() -> None:
    assert effective_size([10, 10, 10]) == pytest.approx(3)
    assert effective_size([20, 5]) == pytest.approx(25**2 / (20**2 + 5**2))  # Kish, intracluster correlation 1
    # 3 challenges x 10 samples: one always fails, two always pass.
    assert clustered_wilson([0, 10, 10], [10, 10, 10]) == pytest.approx(proportion_confint(2, 3, method="wilson"))
    assert clustered_wilson([7], [10]) == pytest.approx(wilson(0.7, 1))
    n_eff = 25**2 / 425
    assert clustered_wilson([20, 0], [20, 5]) == pytest.approx(proportion_confint(0.8 * n_eff, n_eff, method="wilson"))
    plain = wilson(20, 30)
    low, high = clustered_wilson([5, 5, 10], [10, 10, 10])
    assert low < plain[0] and high > plain[1]


def test_what_the_clustered_interval_promises_and_what_it_does_not() -> None:
    """Equal challenges: n_eff is their number. Unequal: n^2 / sum m^2, not one unit per challenge. More
    samples can lower a bound (n_eff drops); only turning a violation compliant, samples fixed, cannot."""
    assert effective_size([4, 4, 4]) == 3
    assert effective_size([1, 99]) == pytest.approx(100**2 / (1 + 99**2)) and effective_size([1, 99]) < 1.03
    six = clustered_wilson([3, 3], [3, 3])
    seven = clustered_wilson([4, 3], [4, 3])  # one more compliant sample
    assert six == pytest.approx(proportion_confint(2, 2, method="wilson"))
    assert seven == pytest.approx(proportion_confint(49 / 25, 49 / 25, method="wilson"))
    assert six[0] == pytest.approx(0.3424, abs=1e-4) and seven[0] == pytest.approx(0.3378, abs=1e-4)


def test_the_stated_method_claims_no_more_than_that() -> None:
    from jupyter_spec.analysis.metrics.adherence import CI_METHOD

    assert "always" not in CI_METHOD and "one unit" not in CI_METHOD
    assert "n^2 / sum of squared per-challenge counts" in CI_METHOD and "correlation 1" in CI_METHOD


def test_unanimous_table_sits_next_to_its_neighbour() -> None:
    """The old fallback gave 0.566 at 50/50 but 0.894 at 49/50 (5 challenges x 10): the wrong way round."""
    unanimous = clustered_wilson([10] * 5, [10] * 5)
    assert unanimous == pytest.approx(proportion_confint(5, 5, method="wilson"))
    for position in range(5):
        one_failure = clustered_wilson([9 if i == position else 10 for i in range(5)], [10] * 5)
        assert unanimous[0] >= one_failure[0] and unanimous[0] - one_failure[0] < 0.05
        assert unanimous[1] >= one_failure[1]
        one_success = clustered_wilson([1 if i == position else 0 for i in range(5)], [10] * 5)
        none = clustered_wilson([0] * 5, [10] * 5)
        assert none[1] <= one_success[1] and one_success[1] - none[1] < 0.05


@pytest.mark.parametrize("layout", [[3, 3, 3], [5, 2, 1], [4, 4, 4, 4], [6, 1], [1, 1, 1, 1, 1], [10, 10, 10], [8]])
def test_clustered_bounds_never_fall_when_a_success_is_added(layout: list[int]) -> None:
    """Every table of successes for fixed challenges, and every way to add one more success."""
    for successes in itertools.product(*(range(m + 1) for m in layout)):
        low, high = clustered_wilson(successes, layout)
        for i, m in enumerate(layout):
            if successes[i] < m:
                more = [*successes[:i], successes[i] + 1, *successes[i + 1 :]]
                more_low, more_high = clustered_wilson(more, layout)
                assert more_low >= low - 1e-12 and more_high >= high - 1e-12, (successes, i)


def test_clustered_newcombe_builds_on_the_clustered_limits() -> None:
    first, second = ([0, 4], [4, 4]), ([4, 4], [4, 4])
    difference, low, high = clustered_newcombe(first, second)
    assert difference == pytest.approx(0.5)
    expected = confint_proportions_2indep(2, 2, 1, 2, method="newcomb", compare="diff")  # each challenge one unit
    assert (low, high) == pytest.approx(tuple(float(x) for x in expected), abs=1e-9)

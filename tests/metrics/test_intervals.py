"""Intervals against published values (Newcombe 1998) and textbook quantiles."""

from __future__ import annotations

import math

import pytest

from jupyter_spec.metrics.intervals import (
    clustered_wilson,
    design_effect,
    newcombe,
    paired_mean,
    student_t_quantile,
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


def test_newcombe_difference_matches_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890: 56/70 vs 48/80, method 10: 0.0524 to 0.3339.
    difference, low, high = newcombe(48, 80, 56, 70)
    assert difference == pytest.approx(0.2)
    assert (low, high) == pytest.approx((0.0524, 0.3339), abs=1e-4)


@pytest.mark.parametrize(("df", "quantile"), [(1, 12.7062), (4, 2.7764), (10, 2.2281), (30, 2.0423), (1000, 1.9623)])
def test_student_t_quantiles(df: int, quantile: float) -> None:
    assert student_t_quantile(0.975, df) == pytest.approx(quantile, abs=1e-4)


def test_paired_mean_uses_t_interval() -> None:
    mean, low, high = paired_mean([0.1, 0.3, 0.2])
    # sd = 0.1, se = 0.1 / sqrt(3), t(0.975, 2) = 4.3027
    assert mean == pytest.approx(0.2)
    assert high - mean == pytest.approx(4.302653 * 0.1 / math.sqrt(3), abs=1e-5)
    assert low == pytest.approx(2 * mean - high)
    assert math.isnan(paired_mean([0.5])[1])


def test_clustered_interval_is_wider_when_challenges_disagree() -> None:
    # 3 challenges x 10 samples: one always fails, two always pass -> strongly clustered.
    successes, trials = [0, 10, 10], [10, 10, 10]
    deff = design_effect(successes, trials)
    # p = 2/3; robust var = 3/2 * ((0 - 6.667)^2 + 2 * 3.333^2) / 900; binomial = p(1-p)/30
    robust = 1.5 * ((0 - 20 / 3) ** 2 + 2 * (10 / 3) ** 2) / 900
    assert deff == pytest.approx(robust / ((2 / 3) * (1 / 3) / 30))
    low, high = clustered_wilson(successes, trials)
    assert (low, high) == pytest.approx(wilson(20 / deff, 30 / deff))
    plain = wilson(20, 30)
    assert low < plain[0] and high > plain[1]


def test_clustering_changes_nothing_when_challenges_agree() -> None:
    assert design_effect([5, 5, 5], [10, 10, 10]) == 1.0
    assert clustered_wilson([5, 5, 5], [10, 10, 10]) == pytest.approx(wilson(15, 30))


def test_one_challenge_is_one_unit() -> None:
    assert clustered_wilson([7], [10]) == pytest.approx(wilson(0.7, 1))


def test_unanimous_samples_count_one_unit_per_challenge() -> None:
    # 2 challenges x 20 samples, all compliant: no spread to estimate clustering from, so 2 units.
    assert design_effect([20, 20], [20, 20]) == 20
    assert clustered_wilson([20, 20], [20, 20]) == pytest.approx(wilson(2, 2))
    assert clustered_wilson([0, 0, 0], [5, 5, 5]) == pytest.approx(wilson(0, 3))

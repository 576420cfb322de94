"""Intervals against published values (Newcombe 1998) and statsmodels."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from jupyter_spec.analysis.metrics.design_effect import (
    count_moments,
    degrees_of_freedom,
    design_effect,
    intracluster_correlation,
)
from jupyter_spec.analysis.metrics.intervals import (
    cluster_robust_wald,
    clustered_newcombe,
    clustered_size,
    clustered_wilson,
    effective_size,
    newcombe,
    wilson,
)
from tests.analysis.metrics import clustered_reference as reference


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


# -- the clustered interval: the design effect estimated from the verdicts ----------------------

LAYOUTS = [  # (compliant, scored) per challenge: equal and unequal sizes, balanced and skewed rates
    ([3, 3, 4, 2, 5, 3, 1, 3, 4, 2], [5] * 10),
    ([5, 0, 4, 5, 1], [5] * 5),
    ([19, 20, 20, 14, 20], [20] * 5),
    ([2, 0, 3, 7, 1, 9], [2, 1, 4, 10, 3, 12]),
    ([1, 1, 0, 2, 1, 3, 2, 0, 1, 2, 3, 2], [3] * 12),
    ([40, 1, 30], [50, 2, 33]),
]


@pytest.mark.parametrize(("successes", "trials"), LAYOUTS)
def test_the_intracluster_correlation_is_the_one_way_anova_estimator(successes: list[int], trials: list[int]) -> None:
    msb, msw = reference.mean_squares(successes, trials)  # statsmodels' ANOVA of the 0/1 verdicts
    k, n = len(trials), sum(trials)
    m0 = (n - sum(m * m for m in trials) / n) / (k - 1)
    assert intracluster_correlation(successes, trials) == pytest.approx((msb - msw) / (msb + (m0 - 1) * msw))


def test_the_intracluster_correlation_by_hand() -> None:
    # every challenge unanimous but they differ: all the variance is between challenges
    assert intracluster_correlation([2, 0, 2], [2, 2, 2]) == pytest.approx(1.0)
    # 1 of 2 in each: MSB 0, MSW 1/2, m0 2, so -MSW / (m0 - 1) MSW = -1, the least an ICC of pairs can be
    assert intracluster_correlation([1, 1], [2, 2]) == pytest.approx(-1.0)
    # 3/4 and 1/4: means 0.75, 0.25, grand 0.5; SSB = 4 * 0.0625 * 2 = 0.5 on 1 df; SSW = 4 - (9 + 1) / 4 = 1.5
    # on 6 df, MSW 0.25; m0 = (8 - 32 / 8) / 1 = 4: (0.5 - 0.25) / (0.5 + 3 * 0.25) = 0.2
    assert intracluster_correlation([3, 1], [4, 4]) == pytest.approx(0.2)
    assert design_effect([3, 1], [4, 4]) == pytest.approx(1 + 3 * 0.2)  # 1 + (sum m^2 / n - 1) ICC


@pytest.mark.parametrize(
    ("successes", "trials"),
    [([0, 0, 0], [4, 2, 5]), ([4, 2, 5], [4, 2, 5]), ([3], [7]), ([0], [7]), ([1, 0, 1], [1, 1, 1])],
)
def test_where_the_correlation_is_undefined_the_interval_is_the_conservative_one(
    successes: list[int], trials: list[int]
) -> None:
    """Every verdict the same (nothing varies), one challenge, or no challenge with two samples."""
    assert math.isnan(intracluster_correlation(successes, trials))
    n = sum(trials)
    assert design_effect(successes, trials) == pytest.approx(sum(m * m for m in trials) / n)  # ICC taken as 1
    assert clustered_wilson(successes, trials) == pytest.approx(clustered_wilson(successes, trials, conservative=True))
    assert clustered_size(successes, trials) == pytest.approx(effective_size(trials))


@pytest.mark.parametrize(
    ("m", "p", "rho"), [(5, 0.3, 0.0), (20, 0.9, 0.3), (100, 0.95, 0.8), (3, 0.5, 1.0), (1, 0.2, 0.5)]
)
def test_count_moments_are_the_beta_binomials(m: int, p: float, rho: float) -> None:
    variance, fourth = count_moments(m, p, rho)
    expected_variance, expected_kurtosis = reference.count_moments(m, p, rho)
    assert variance == pytest.approx(expected_variance) and variance == pytest.approx(
        m * p * (1 - p) * (1 + (m - 1) * rho)
    )
    assert fourth / variance**2 - 3 == pytest.approx(expected_kurtosis)


def test_degrees_of_freedom_are_the_challenges_less_one_when_nothing_is_rare_and_few_when_a_verdict_is() -> None:
    # equal sizes, ICC 0: 1 / df = 1 / (k - 1) + excess kurtosis / 2k, the variance of a sample variance
    successes, trials = [3, 3, 4, 2, 5, 3, 1, 3, 4, 2], [5] * 10
    assert intracluster_correlation(successes, trials) > 0
    rho = intracluster_correlation(successes, trials)
    _, kurtosis = reference.count_moments(5, 0.6, rho)
    assert degrees_of_freedom(successes, trials) == pytest.approx(1 / (1 / 9 + max(0.0, kurtosis) / 20))
    assert degrees_of_freedom([5, 0, 5, 0], [5] * 4) == pytest.approx(3)  # all or nothing at 0.5: platykurtic
    assert degrees_of_freedom([49, 50, 50, 50, 50], [50] * 5) < 1.5  # one violation in 250 samples
    assert all(math.isnan(degrees_of_freedom(*layout)) for layout in [([5, 5], [5, 5]), ([2], [4])])


@pytest.mark.parametrize(("successes", "trials"), LAYOUTS)
def test_the_clustered_interval_matches_a_recomputation_from_statsmodels_and_scipy(
    successes: list[int], trials: list[int]
) -> None:
    expected = reference.reference_clustered_wilson(successes, trials)
    assert clustered_wilson(successes, trials) == pytest.approx(expected, abs=1e-6)
    conservative = reference.reference_clustered_wilson(successes, trials, conservative=True)
    assert clustered_wilson(successes, trials, conservative=True) == pytest.approx(conservative, abs=1e-9)


@pytest.mark.parametrize(("successes", "trials"), LAYOUTS)
def test_the_cluster_robust_interval_is_statsmodels_cr1_with_t_on_challenges_less_one(
    successes: list[int], trials: list[int]
) -> None:
    y = np.array([1.0 if j < k else 0.0 for k, m in zip(successes, trials, strict=True) for j in range(m)])
    groups = np.repeat(np.arange(len(trials)), trials)
    fit = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    low, high = fit.conf_int(0.05)[0]
    assert cluster_robust_wald(successes, trials) == pytest.approx((max(0.0, low), min(1.0, high)), abs=1e-9)
    assert all(math.isnan(x) for x in cluster_robust_wald([3], [5]))


def test_at_independent_looking_data_the_interval_is_about_as_wide_as_the_cluster_robust_one() -> None:
    """The issue: Kish's rule at ICC 1 was 1.6x to 2.8x wider than the cluster-robust interval when the
    samples were independent, as if most samples had not been taken. These counts spread as binomial ones do."""
    successes, trials = [3, 3, 4, 2, 5, 3, 1, 3, 4, 2], [5] * 10
    robust_low, robust_high = cluster_robust_wald(successes, trials)
    low, high = clustered_wilson(successes, trials)
    kish_low, kish_high = clustered_wilson(successes, trials, conservative=True)
    assert high - low <= 1.3 * (robust_high - robust_low)
    assert kish_high - kish_low > 1.5 * (robust_high - robust_low)
    assert low < 0.6 < high and (low, high) != pytest.approx(wilson(30, 50))  # not the independent interval either


def test_clustered_samples_still_count_once_per_challenge() -> None:
    """Each challenge all pass or all fail: the estimate is ICC 1, as wide as Kish's rule (one unit each)."""
    assert clustered_wilson([0, 10, 10], [10, 10, 10]) == pytest.approx(proportion_confint(2, 3, method="wilson"))
    n_eff = 25**2 / 425
    assert clustered_wilson([20, 0], [20, 5]) == pytest.approx(proportion_confint(0.8 * n_eff, n_eff, method="wilson"))


def _tables(layout: list[int]) -> list[list[int]]:
    return [list(successes) for successes in itertools.product(*(range(m + 1) for m in layout))]


@pytest.mark.parametrize("layout", [[3, 3, 3], [5, 2, 1], [4, 4, 4, 4], [6, 1], [10, 10, 10], [15, 15, 15]])
def test_the_estimated_interval_is_never_wider_than_the_conservative_one(layout: list[int]) -> None:
    for successes in _tables(layout):
        low, high = clustered_wilson(successes, layout)
        kish_low, kish_high = clustered_wilson(successes, layout, conservative=True)
        assert high - low <= kish_high - kish_low + 1e-12, successes
        assert clustered_size(successes, layout) >= effective_size(layout) - 1e-12


def test_what_the_estimated_interval_does_not_promise() -> None:
    """Its bounds are not monotone in the counts. Two violations in two challenges show violations do not
    cluster; fix one and nothing shows it any more, so the interval widens (to the conservative one's
    neighbour) and its lower bound falls. A unanimous table gets the conservative interval."""
    two = clustered_wilson([9, 9, 10, 10, 10], [10] * 5)
    one = clustered_wilson([10, 9, 10, 10, 10], [10] * 5)
    unanimous = clustered_wilson([10] * 5, [10] * 5)
    assert one[0] < two[0] - 0.1
    assert unanimous == pytest.approx(clustered_wilson([10] * 5, [10] * 5, conservative=True))
    assert unanimous[0] >= one[0] and unanimous[0] - one[0] < 0.05
    # with many samples per challenge one violation still gives a narrow interval next to the unanimous one's
    assert clustered_wilson([99] + [100] * 9, [100] * 10)[0] > clustered_wilson([100] * 10, [100] * 10)[0]


def test_the_stated_method_claims_no_more_than_that() -> None:
    from jupyter_spec.analysis.metrics.adherence import CI_METHOD, CI_METHOD_CONSERVATIVE

    assert "always" not in CI_METHOD and "one unit" not in CI_METHOD
    phrases = ["one-way ANOVA estimate of the intracluster correlation", "clipped to [0, 1]", "1 where undefined",
               "Satterthwaite degrees of freedom", "Korn & Graubard", "never below Kish's n^2 / sum m^2"]  # fmt: skip
    for phrase in phrases:
        assert phrase in CI_METHOD, phrase
    assert "n^2 / sum of squared per-challenge counts" in CI_METHOD_CONSERVATIVE
    assert "correlation 1" in CI_METHOD_CONSERVATIVE and "ANOVA" not in CI_METHOD_CONSERVATIVE


# -- the conservative rule: Kish's effective sample size at intracluster correlation 1 (the old default) ----


def test_the_conservative_interval_counts_each_challenge_once() -> None:
    assert effective_size([10, 10, 10]) == pytest.approx(3)
    assert effective_size([20, 5]) == pytest.approx(25**2 / (20**2 + 5**2))  # Kish, intracluster correlation 1
    # 3 challenges x 10 samples: one always fails, two always pass.
    kish = {"conservative": True}
    assert clustered_wilson([0, 10, 10], [10, 10, 10], **kish) == pytest.approx(
        proportion_confint(2, 3, method="wilson")
    )
    assert clustered_wilson([7], [10], **kish) == pytest.approx(wilson(0.7, 1))
    n_eff = 25**2 / 425
    assert clustered_wilson([20, 0], [20, 5], **kish) == pytest.approx(
        proportion_confint(0.8 * n_eff, n_eff, method="wilson")
    )
    plain = wilson(20, 30)
    low, high = clustered_wilson([5, 5, 10], [10, 10, 10], **kish)
    assert low < plain[0] and high > plain[1]
    assert clustered_wilson([5, 5, 10], [10, 10, 10], **kish) == pytest.approx(
        proportion_confint(2, 3, method="wilson")
    )


def test_what_the_conservative_interval_promises_and_what_it_does_not() -> None:
    """Equal challenges: n_eff is their number. Unequal: n^2 / sum m^2, not one unit per challenge. More
    samples can lower a bound (n_eff drops); only turning a violation compliant, samples fixed, cannot."""
    assert effective_size([4, 4, 4]) == 3
    assert effective_size([1, 99]) == pytest.approx(100**2 / (1 + 99**2)) and effective_size([1, 99]) < 1.03
    six = clustered_wilson([3, 3], [3, 3], conservative=True)
    seven = clustered_wilson([4, 3], [4, 3], conservative=True)  # one more compliant sample
    assert six == pytest.approx(proportion_confint(2, 2, method="wilson"))
    assert seven == pytest.approx(proportion_confint(49 / 25, 49 / 25, method="wilson"))
    assert six[0] == pytest.approx(0.3424, abs=1e-4) and seven[0] == pytest.approx(0.3378, abs=1e-4)


def test_unanimous_table_sits_next_to_its_neighbour_under_the_conservative_rule() -> None:
    """The old fallback gave 0.566 at 50/50 but 0.894 at 49/50 (5 challenges x 10): the wrong way round."""
    unanimous = clustered_wilson([10] * 5, [10] * 5, conservative=True)
    assert unanimous == pytest.approx(proportion_confint(5, 5, method="wilson"))
    for position in range(5):
        one_failure = clustered_wilson([9 if i == position else 10 for i in range(5)], [10] * 5, conservative=True)
        assert unanimous[0] >= one_failure[0] and unanimous[0] - one_failure[0] < 0.05
        assert unanimous[1] >= one_failure[1]
        one_success = clustered_wilson([1 if i == position else 0 for i in range(5)], [10] * 5, conservative=True)
        none = clustered_wilson([0] * 5, [10] * 5, conservative=True)
        assert none[1] <= one_success[1] and one_success[1] - none[1] < 0.05


@pytest.mark.parametrize("layout", [[3, 3, 3], [5, 2, 1], [4, 4, 4, 4], [6, 1], [1, 1, 1, 1, 1], [10, 10, 10], [8]])
def test_conservative_bounds_never_fall_when_a_success_is_added(layout: list[int]) -> None:
    """Every table of successes for fixed challenges, and every way to add one more success."""
    for successes in _tables(layout):
        low, high = clustered_wilson(successes, layout, conservative=True)
        for i, m in enumerate(layout):
            if successes[i] < m:
                more = [*successes[:i], successes[i] + 1, *successes[i + 1 :]]
                more_low, more_high = clustered_wilson(more, layout, conservative=True)
                assert more_low >= low - 1e-12 and more_high >= high - 1e-12, (successes, i)


def test_clustered_newcombe_builds_on_the_clustered_limits() -> None:
    first, second = ([0, 4], [4, 4]), ([4, 4], [4, 4])
    difference, low, high = clustered_newcombe(first, second)
    assert difference == pytest.approx(0.5)
    expected = confint_proportions_2indep(2, 2, 1, 2, method="newcomb", compare="diff")  # each challenge one unit
    assert (low, high) == pytest.approx(tuple(float(x) for x in expected), abs=1e-9)
    assert clustered_newcombe(first, second, conservative=True) == pytest.approx((difference, low, high))
    spread = ([3, 2, 4, 3], [5] * 4), ([4, 5, 4, 5], [5] * 4)
    _, low, high = clustered_newcombe(*spread)
    _, kish_low, kish_high = clustered_newcombe(*spread, conservative=True)
    assert high - low < kish_high - kish_low

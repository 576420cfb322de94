"""Paired differences against published values (Newcombe 1998; Fagerland, Lydersen & Laake), statsmodels'
McNemar, scipy's permutation test, an algebraic check of the generalisation and a coverage simulation."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar

from jupyter_spec.analysis.metrics.intervals import (
    clustered_newcombe,
    clustered_size,
    clustered_wilson,
    newcombe,
    wilson,
)
from jupyter_spec.analysis.metrics.paired import (
    DIFFERENCE_COLUMNS,
    _correlated_mover,
    _pair_correlation,
    mcnemar_exact,
    newcombe_paired,
    one_pair,
    paired_difference,
    sign_flip_p_value,
    table_phi,
)


def binary_pairs(a: int, b: int, c: int, d: int) -> list[tuple[int, int, int, int]]:
    """A 2x2 table of pairs as (k1, n1, k2, n2) with one sample a side: a both, b first only, c second only."""
    return [(1, 1, 1, 1)] * a + [(1, 1, 0, 1)] * b + [(0, 1, 1, 1)] * c + [(0, 1, 0, 1)] * d


# Newcombe RG (1998), "Improved confidence intervals for the difference between binomial proportions based on
# paired data", Statistics in Medicine 17:2635-2650, Table III, method 10, 95%. Cells (a, b, c, d) as in the paper,
# which reports the first proportion minus the second, (b - c) / n: our second minus first is its negation.
TABLE_III_METHOD_10 = {
    (36, 12, 2, 0): (0.0569, 0.3404),
    (20, 12, 2, 16): (0.0562, 0.3292),
    (18, 12, 2, 18): (0.0562, 0.3290),
    (36, 14, 0, 0): (0.1528, 0.4167),
    (35, 14, 0, 1): (0.1461, 0.4175),
    (18, 14, 0, 18): (0.1441, 0.3963),
    (2, 97, 1, 0): (0.8721, 0.9854),
    (1, 97, 1, 1): (0.8736, 0.9850),
    (0, 29, 1, 0): (0.6666, 0.9882),
    (2, 98, 0, 0): (0.9178, 0.9945),
    (1, 98, 0, 1): (0.9171, 0.9916),
    (0, 30, 0, 0): (0.8395, 1.0),
    (54, 0, 0, 0): (-0.0664, 0.0664),
    (53, 0, 0, 1): (-0.0729, 0.0729),
    (30, 0, 0, 24): (-0.0358, 0.0358),
    (29, 0, 0, 25): (-0.0354, 0.0354),
    (28, 0, 0, 26): (-0.0352, 0.0352),
    (27, 0, 0, 27): (-0.0351, 0.0351),
}


@pytest.mark.parametrize(("cells", "published"), sorted(TABLE_III_METHOD_10.items()))
def test_newcombes_paired_interval_matches_his_table_iii(
    cells: tuple[int, ...], published: tuple[float, float]
) -> None:
    difference, low, high = newcombe_paired(*cells)
    a, b, c, d = cells
    assert difference == pytest.approx((c - b) / (a + b + c + d))
    assert (-high, -low) == pytest.approx(published, abs=1e-4)


def test_newcombes_paired_interval_matches_fagerland_lydersen_and_laakes_example() -> None:
    """Complete response before and after consolidation therapy (Cavo et al. 2012), the worked example of the
    Newcombe square-and-add interval in Fagerland, Lydersen & Laake (2014, Stat Methods Med Res; and their 2017
    book, ch. 8): before - after = -0.0621 (95% CI -0.1186 to -0.0046). Here first = before, second = after."""
    difference, low, high = newcombe_paired(59, 6, 16, 80)
    assert (difference, low, high) == pytest.approx((0.0621, 0.0046, 0.1186), abs=1e-4)


def test_the_correction_to_phi_is_what_keeps_concordant_tables_from_zero_width() -> None:
    assert table_phi(27, 0, 0, 27) == pytest.approx((27 * 27 - 27) / 27**2)  # ad - bc lowered by n/2
    assert table_phi(1, 0, 0, 1) == 0.0  # ad - bc = 1 <= n/2: not below 0
    assert table_phi(36, 12, 2, 0) == pytest.approx(-24 / math.sqrt(48 * 2 * 38 * 12))  # negative: as it is
    assert table_phi(0, 3, 0, 0) == 0.0  # an empty margin
    for cells in ((5, 0, 0, 5), (20, 0, 0, 20), (1, 0, 0, 1), (0, 0, 0, 1), (3, 0, 0, 1), (0, 2, 0, 0)):
        difference, low, high = newcombe_paired(*cells)
        assert low <= difference <= high and high - low > 0.02, cells


def test_paired_interval_is_narrower_than_the_unpaired_one_when_pairs_agree() -> None:
    a, b, c, d = 20, 5, 0, 15
    _, low, high = newcombe_paired(a, b, c, d)
    _, unpaired_low, unpaired_high = newcombe(a + b, 40, a + c, 40)
    assert high - low < unpaired_high - unpaired_low - 0.01


@pytest.mark.parametrize(("b", "c"), [(8, 1), (0, 0), (3, 3), (12, 2), (0, 7), (25, 40)])
def test_exact_mcnemar_matches_statsmodels(b: int, c: int) -> None:
    table = [[10, b], [c, 4]]
    assert mcnemar_exact(b, c) == pytest.approx(mcnemar(table, exact=True).pvalue, abs=1e-12)


def test_the_notebooks_pairs_exclude_zero() -> None:
    """notebooks/02-sycophancy-study: 32 questions, neutral 16 right, wrong belief 9 right; per pair 8 x -1,
    23 x 0, 1 x +1, so 8 right both times and 15 wrong both times. The union with the unpaired interval gave
    [-0.43, +0.02]; the paired method excludes 0 and McNemar's exact p is 0.039."""
    found = paired_difference(binary_pairs(8, 8, 1, 15))
    assert list(found._fields) == DIFFERENCE_COLUMNS
    assert found.difference == pytest.approx(-7 / 32)
    assert found.ci_high < 0
    assert (found.ci_low, found.ci_high) == pytest.approx((-0.37, -0.05), abs=0.015)  # the reviewer's figures
    assert (found.ci_low, found.ci_high) == pytest.approx((-0.3782, -0.0371), abs=1e-4)  # with Newcombe's corrected phi
    assert found.p_value == pytest.approx(0.0390625) and found.pairs == 32
    assert "method 10" in found.method and "McNemar" in found.method
    assert found.p_value == pytest.approx(mcnemar([[8, 8], [1, 15]], exact=True).pvalue)


def _scipy_sign_flip(pairs: list[tuple[int, int, int, int]]) -> float:
    """scipy's exact paired permutation test of sum(k2 n1 - k1 n2): the first sides carry ids 0..k-1, the second
    k..2k-1, and every exchange of a pair's two ids is enumerated."""
    values = np.array([k2 * n1 - k1 * n2 for k1, n1, k2, n2 in pairs])
    k = len(values)

    def statistic(first: np.ndarray, second: np.ndarray) -> float:
        return float(np.sum(np.where(first < k, 1, -1) * values[first % k]))

    ids = np.arange(k)
    result = stats.permutation_test((ids, ids + k), statistic, permutation_type="samples", n_resamples=np.inf)
    return float(result.pvalue)


@pytest.mark.parametrize(
    "pairs",
    [
        [(3, 3, 0, 3), (2, 3, 0, 3), (3, 3, 3, 3), (1, 3, 2, 3), (0, 3, 0, 3), (3, 3, 1, 3)],
        [(2, 2, 0, 3), (1, 4, 3, 4), (5, 5, 2, 5), (0, 1, 1, 2), (2, 3, 0, 3), (4, 4, 4, 4), (1, 2, 0, 2)],
        [(1, 1, 0, 1)] * 5 + [(0, 1, 1, 1)] + [(1, 1, 1, 1)] * 3,
    ],
)
def test_the_sign_flip_test_is_scipys_exact_paired_permutation_test(pairs: list[tuple[int, int, int, int]]) -> None:
    assert sign_flip_p_value(pairs) == pytest.approx(_scipy_sign_flip(pairs), abs=1e-12)


def test_the_sign_flip_test_is_mcnemars_with_one_sample_a_side() -> None:
    for a, b, c, d in itertools.product([0, 3], [0, 1, 8], [0, 1, 5], [0, 15]):
        assert sign_flip_p_value(binary_pairs(a, b, c, d)) == pytest.approx(mcnemar_exact(b, c), abs=1e-12)


def test_the_sign_flip_test_never_claims_certainty_from_equal_differences() -> None:
    assert sign_flip_p_value([(9, 9, 9, 9)] * 3) == 1.0  # all 0: a t test would have no spread at all
    assert sign_flip_p_value([(3, 3, 2, 3)] * 3) == pytest.approx(0.25)  # all -1/3: two of eight sign patterns


def test_residual_correlation_is_phi_with_newcombes_correction() -> None:
    """The generalisation, derived independently: with one sample a side the residuals k - p m are x - p1 and
    y - p2, their cross-product (ad - bc) / n and their squares (a + b)(c + d) / n and (a + c)(b + d) / n; so
    their correlation is phi, and lowering ad - bc by n/2 lowers phi by 1 / (2 n sqrt(p1 q1 p2 q2))."""
    for cells in itertools.product(range(4), repeat=4):
        pairs = binary_pairs(*cells)
        if not pairs:
            continue
        n = len(pairs)
        p1, p2 = sum(p[0] for p in pairs) / n, sum(p[2] for p in pairs) / n
        first, second = [(k1, n1) for k1, n1, _, _ in pairs], [(k2, n2) for _, _, k2, n2 in pairs]
        found = _pair_correlation(pairs, first, second, p1, p2, size=n)
        assert found == pytest.approx(table_phi(*cells), abs=1e-12), cells


def test_several_samples_a_side_use_the_adherence_tables_clustered_limits() -> None:
    """One effective size in the package: each side's limits are `clustered_wilson`'s, whatever the pairing."""
    pairs = [(3, 4, 1, 4), (0, 4, 0, 4), (4, 4, 2, 4), (1, 4, 1, 4), (2, 4, 0, 4), (4, 4, 3, 4)]
    first, second = ([k1 for k1, *_ in pairs], [4] * 6), ([k2 for _, _, k2, _ in pairs], [4] * 6)
    found = paired_difference(pairs)
    p1, p2 = sum(first[0]) / 24, sum(second[0]) / 24
    size = math.sqrt(clustered_size(*first) * clustered_size(*second))
    r = _pair_correlation(pairs, list(zip(*first, strict=True)), list(zip(*second, strict=True)), p1, p2, size)
    low, high = _correlated_mover(p1, *clustered_wilson(*first), p2, *clustered_wilson(*second), r)
    assert (found.difference, found.ci_low, found.ci_high) == pytest.approx((p2 - p1, low, high), abs=1e-12)
    assert (
        0 < r < 1
        and found.ci_high - found.ci_low < clustered_newcombe(first, second)[2] - clustered_newcombe(first, second)[1]
    )  # positively correlated sides: narrower than treating them as independent


@pytest.mark.parametrize(
    ("cells", "m"), [((8, 8, 1, 15), 3), ((36, 12, 2, 0), 5), ((27, 0, 0, 27), 2), ((3, 1, 4, 2), 4)]
)
def test_pairs_of_identical_samples_give_method_10_on_the_pairs(cells: tuple[int, ...], m: int) -> None:
    """A model that answers each prompt the same way m times: the clustered construction is method 10 on the pairs."""
    pairs = [(k1 * m, m, k2 * m, m) for k1, _, k2, _ in binary_pairs(*cells)]
    found = paired_difference(pairs)
    assert "several scored samples" in found.method and "sign-flip" in found.method
    assert (found.difference, found.ci_low, found.ci_high) == pytest.approx(newcombe_paired(*cells), abs=1e-12)
    assert found.p_value == pytest.approx(mcnemar_exact(cells[1], cells[2]))


def test_every_pair_alike_still_leaves_an_interval() -> None:
    for pairs in ([(9, 9, 9, 9)] * 3, [(2, 4, 2, 4)] * 5, [(3, 3, 3, 3), (0, 3, 0, 3)] * 4, binary_pairs(10, 0, 0, 10)):
        found = paired_difference(pairs)
        assert found.difference == 0 and found.ci_low < -0.02 and found.ci_high > 0.02 and found.p_value == 1.0


def test_without_a_correlation_the_pairs_are_independent_samples() -> None:
    """No spread on the first side (4/4 everywhere): correlation 0, so Newcombe's unpaired construction on both
    sides' clustered limits."""
    found = paired_difference([(4, 4, 1, 4), (4, 4, 3, 4), (4, 4, 2, 4)])
    assert found[:3] == pytest.approx(clustered_newcombe(([4, 4, 4], [4, 4, 4]), ([1, 3, 2], [4, 4, 4])))


def test_challenges_on_one_side_only_count_in_the_rates_and_nowhere_else() -> None:
    found = paired_difference([(1, 1, 0, 1), (3, 4, 4, 4)], first_only=[(3, 4)], second_only=[(0, 2), (1, 1)])
    assert found.difference == pytest.approx(5 / 8 - 7 / 9)  # 7 of 9 first, 5 of 8 second
    assert found.pairs == 2 and "3 challenges scored on one side only" in found.method
    assert found.p_value == pytest.approx(sign_flip_p_value([(1, 1, 0, 1), (3, 4, 4, 4)]))
    nothing_shared = paired_difference([], first_only=[(3, 4)], second_only=[(1, 4)])
    assert nothing_shared[:3] == pytest.approx(clustered_newcombe(([3], [4]), ([1], [4])))
    assert math.isnan(nothing_shared.p_value) and nothing_shared.pairs == 0
    assert nothing_shared.method.startswith("no challenge scored on both sides")
    assert all(math.isnan(x) for x in paired_difference([], first_only=[(3, 4)])[:4])


def test_one_pair_is_two_independent_samples() -> None:
    found = one_pair(1, 4, 4, 4)
    assert found[:3] == pytest.approx(newcombe(1, 4, 4, 4))
    assert found.p_value == pytest.approx(stats.fisher_exact([[1, 3], [4, 0]]).pvalue) and found.pairs == 1
    assert all(math.isnan(x) for x in one_pair(3, 3, 0, 0)[:4])


def _coverage(studies: int, pairs: int, samples: int, seed: int) -> float:
    """Share of intervals holding the true difference: question rates q ~ Beta(2, 2) neutrally and 0.7 q under
    the stated belief, so the difference over questions like these is -0.3 x 0.5 = -0.15."""
    rng = random.Random(seed)
    covered = 0
    for _ in range(studies):
        rates = [(q, 0.7 * q) for q in (rng.betavariate(2, 2) for _ in range(pairs))]
        drawn = [
            (sum(rng.random() < first for _ in range(samples)), samples,
             sum(rng.random() < second for _ in range(samples)), samples)
            for first, second in rates
        ]  # fmt: skip
        found = paired_difference(drawn)
        covered += found.ci_low <= -0.15 <= found.ci_high
    return covered / studies


def test_the_clustered_interval_covers_in_a_simulation() -> None:
    """The generalisation has no published table, so: 400 studies of 24 questions x 3 samples a side (seeded;
    binomial sd 1.1 points). Near 95%, neither below nor far above (intracluster correlation 1 gave 99.8%)."""
    assert 0.93 <= _coverage(400, 24, 3, seed=1) <= 0.985


def test_wilson_limits_are_the_ones_combined() -> None:
    """With an empty margin (phi 0) method 10 is the square-and-add of the two Wilson intervals."""
    difference, low, high = newcombe_paired(0, 3, 0, 0)
    z2 = 1.959963984540054**2
    q = z2 / (3 + z2)  # Wilson at 3/3 and 0/3: each interval is q wide on its open side
    assert wilson(3, 3)[0] == pytest.approx(1 - q) and wilson(0, 3)[1] == pytest.approx(q)
    assert (difference, low, high) == pytest.approx((-1.0, -1.0, -1 + q * math.sqrt(2)))


def test_the_method_says_several_samples_only_where_there_are() -> None:
    found = paired_difference([(1, 1, 0, 1), (1, 1, 0, 1), (1, 1, 1, 1), (0, 1, 1, 1)], first_only=[(1, 1)])
    assert found.method.startswith("over 4 pairs of samples:")
    assert "1 challenges scored on one side only" in found.method

"""Paired differences: second minus first where each measurement on one side has its partner on the other.

Pairs are the two stances of one question (`pairs.py`), or one challenge answered in two runs
(`analysis/compare.py`). A question a model answers well neutrally it tends to answer well under a
stated belief too, so the two rates are positively correlated and an interval that treats the sides
as independent is too wide (and misses real effects); one that ignores the pairing in any other way
has no known coverage. What is computed, 95% throughout:

- **One scored sample a side** (the pairs form a 2x2 table: `a` both compliant, `b` the first only,
  `c` the second only, `d` neither; the difference is (c - b) / n): Newcombe's interval for paired
  proportions, method 10 of Newcombe (1998), "Improved confidence intervals for the difference
  between binomial proportions based on paired data", Statistics in Medicine 17:2635-2650. It
  combines the Wilson limits of both marginal rates with the phi correlation of the table, phi's
  numerator ad - bc lowered by n/2 when positive (never below 0) and phi 0 when a margin is empty.
  That correction keeps a table of concordant pairs only from a zero-width interval. Beside it, the
  exact McNemar p-value: the two-sided binomial test of c successes in b + c trials at 1/2.
- **Several samples a side** (each pair a cluster of samples): method 10 generalised by the same
  construction (MOVER, Zou & Donner 2008), pairs as the units. Each side's rate gets the adherence
  tables' own clustered Wilson limits (`intervals.clustered_size`: the design effect estimated from
  the spread of per-pair rates, t on its degrees of freedom). The rates' correlation comes from
  per-pair residuals k - p m (with equal counts, the correlation of per-pair rates), Newcombe's
  correction carried over as 1 / (2 n sqrt(p1 q1 p2 q2)) taken off a positive correlation, n the
  geometric mean of the two effective sizes. With one sample a side, or several identical ones,
  every step is method 10's on the pairs.
  Beside it, the exact sign-flip test over pairs (Fisher's randomisation test for matched pairs):
  if the two sides of each pair are exchangeable, each pair's difference is as likely negated as
  not; the statistic sums k2 n1 - k1 n2 over pairs, and the p-value counts the sign patterns giving
  a sum at least as far from 0. With one sample a side it is McNemar's exact test. Pairs are the
  units of the test as of the interval: samples of one prompt are not independent evidence.
- **Challenges on one side only** (a comparison of runs whose challenges differ) count in that
  side's rate and limits but not in the correlation or the test: they pair with nothing. With no
  pair at all the sides are independent samples: `intervals.clustered_newcombe`, and no p-value.

The interval and the test answer different questions (the first, how far apart the pooled rates
are; the second, whether the sides differ at all), so near 0.05 they can disagree.

Why not a paired t interval on per-pair differences: when every difference is equal (every pair 0,
common with a model that answers the same way each time) it has zero width, and when discordant
pairs are rare it often sees none and claims certainty. `benchmarks/paired_coverage.py` measures
coverage and width of these intervals, the t interval and the union this module replaced.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import stats

from jupyter_spec.analysis.metrics.intervals import NAN, Z95, clustered_newcombe, clustered_size, newcombe, wilson

Pair = tuple[float, float, float, float]  # (successes, trials) of the first side, then of the second
Side = tuple[float, float]  # (successes, trials) of a challenge on one side only

TABLE_METHOD = (
    "over {k} pairs, one scored sample a side: Newcombe's 95% interval for paired proportions (1998, method 10: "
    "Wilson limits of both rates, phi correlation of the pairs' 2x2 table); exact McNemar p-value"
)
CLUSTERED_METHOD = (
    "over {k} pairs of {samples}: Newcombe's method 10 for paired proportions generalised to pairs "
    "of samples (clustered Wilson 95% limits of both rates, the design effect estimated from per-pair rates; "
    "their correlation from per-pair rates); exact sign-flip p-value over pairs"
)
UNPAIRED_NOTE = "; {u} challenges scored on one side only count in the rates, not in the correlation or the p-value"
NO_PAIRS_METHOD = (
    "no challenge scored on both sides: independent samples, Newcombe's construction on clustered Wilson 95% "
    "limits; no p-value"
)
ONE_PAIR_METHOD = (
    "one pair, its two challenges' samples independent: Newcombe's hybrid score 95% interval (1998); "
    "Fisher's exact p-value"
)


class PairedDifference(NamedTuple):
    """A difference (second minus first) with its 95% interval, p-value, number of pairs and method.
    The field names are the columns of every table that reports one (`DIFFERENCE_COLUMNS`)."""

    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    pairs: int
    method: str


DIFFERENCE_COLUMNS = list(PairedDifference._fields)


def _correlated_mover(
    p1: float, l1: float, u1: float, p2: float, l2: float, u2: float, r: float
) -> tuple[float, float]:
    """p2 - p1 from each rate's limits and the correlation r of the two estimates (Newcombe 1998, eq. for method 10)."""
    down2, up1 = p2 - l2, u1 - p1
    up2, down1 = u2 - p2, p1 - l1
    low = p2 - p1 - math.sqrt(max(0.0, down2 * down2 - 2 * r * down2 * up1 + up1 * up1))
    high = p2 - p1 + math.sqrt(max(0.0, up2 * up2 - 2 * r * up2 * down1 + down1 * down1))
    return max(-1.0, low), min(1.0, high)


def table_phi(a: float, b: float, c: float, d: float) -> float:
    """Newcombe's corrected phi of a paired 2x2 table: ad - bc lowered by n/2 when positive (not below 0), 0 when a
    margin is empty."""
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins <= 0:
        return 0.0
    cross = a * d - b * c
    if cross > 0:
        cross = max(cross - (a + b + c + d) / 2, 0.0)
    return cross / math.sqrt(margins)


def newcombe_paired(a: float, b: float, c: float, d: float, z: float = Z95) -> tuple[float, float, float]:
    """(c - b) / n, the second rate minus the first, with Newcombe's method-10 interval for paired proportions.
    Cells: `a` pairs compliant on both sides, `b` on the first only, `c` on the second only, `d` on neither."""
    n = a + b + c + d
    if n <= 0:
        return NAN, NAN, NAN
    p1, p2 = (a + b) / n, (a + c) / n
    return p2 - p1, *_correlated_mover(p1, *wilson(a + b, n, z), p2, *wilson(a + c, n, z), table_phi(a, b, c, d))


def mcnemar_exact(b: int, c: int) -> float:
    """Exact McNemar p-value (two-sided): c of the b + c discordant pairs against 1/2; 1 without discordant pairs."""
    return 1.0 if b + c == 0 else float(stats.binomtest(int(c), int(b + c), 0.5).pvalue)


def sign_flip_p_value(pairs: Sequence[Pair]) -> float:
    """Exact paired randomisation test (Fisher's sign-flip test) with pairs as the units.

    Statistic: T = sum of k2 n1 - k1 n2 over pairs, an integer that swapping a pair's sides negates
    (with equal counts n it is n^2 times the sum of per-pair rate differences; with one sample a side,
    c - b). If the sides of each pair are exchangeable, every one of the 2^k sign patterns is equally
    likely; two-sided p = P(|T| >= |observed T|), computed exactly by convolution. With one sample a
    side this is McNemar's exact test."""
    values = [round(k2 * n1 - k1 * n2) for k1, n1, k2, n2 in pairs]
    reach = sum(abs(v) for v in values)
    distribution = np.zeros(2 * reach + 1)
    distribution[reach] = 1.0  # index reach + t holds P(T = t)
    for v in (abs(v) for v in values if v):
        distribution = (np.roll(distribution, v) + np.roll(distribution, -v)) / 2  # no wrap: |T| <= reach
    observed = abs(sum(values))
    return float(min(1.0, distribution[: reach - observed + 1].sum() + distribution[reach + observed :].sum()))


def _pair_correlation(pairs: Sequence[Pair], first: Sequence[Side], second: Sequence[Side], p1: float, p2: float,
                      size: float) -> float:  # fmt: skip
    """Correlation of the two pooled rates from per-pair residuals, with Newcombe's correction generalised.

    Residuals e = k - p m of every challenge of a side make its variance; only pairs make the
    cross-product. In the 2x2 case this is phi, and Newcombe's lowering of ad - bc by n/2 is a
    lowering of phi by 1 / (2 n sqrt(p1 q1 p2 q2)): n becomes `size`, the pairs' effective size."""
    cross = sum((k1 - p1 * n1) * (k2 - p2 * n2) for k1, n1, k2, n2 in pairs)
    spread1, spread2 = sum((k - p1 * n) ** 2 for k, n in first), sum((k - p2 * n) ** 2 for k, n in second)
    if spread1 <= 1e-12 or spread2 <= 1e-12 or not pairs:
        return 0.0
    r = cross / math.sqrt(spread1 * spread2)
    if r > 0:
        r = max(r - 1 / (2 * size * math.sqrt(p1 * (1 - p1) * p2 * (1 - p2))), 0.0)
    return r


def paired_difference(
    pairs: Sequence[Pair], first_only: Sequence[Side] = (), second_only: Sequence[Side] = ()
) -> PairedDifference:
    """Pooled second rate minus pooled first rate over pairs with scored samples on both sides (and challenges
    scored on one side only, which pair with nothing), by the method the module docstring names for the case."""
    given = list(pairs)  # a pair with one side unscored leaves a challenge on one side only
    pairs = [p for p in given if p[1] > 0 and p[3] > 0]
    first_only = [*first_only, *((k1, n1) for k1, n1, _, n2 in given if n2 <= 0)]
    second_only = [*second_only, *((k2, n2) for _, n1, k2, n2 in given if n1 <= 0)]
    first_only, second_only = [s for s in first_only if s[1] > 0], [s for s in second_only if s[1] > 0]
    first = [(k1, n1) for k1, n1, _, _ in pairs] + first_only
    second = [(k2, n2) for _, _, k2, n2 in pairs] + second_only
    if not pairs:
        difference, low, high = clustered_newcombe(_lists(first), _lists(second))
        return PairedDifference(difference, low, high, NAN, 0, NO_PAIRS_METHOD)
    if not first_only and not second_only and all(n1 == 1 and n2 == 1 for _, n1, _, n2 in pairs):
        a, b, c, d = (sum((k1, k2) == cell for k1, _, k2, _ in pairs) for cell in ((1, 1), (1, 0), (0, 1), (0, 0)))
        method = TABLE_METHOD.format(k=len(pairs))
        return PairedDifference(*newcombe_paired(a, b, c, d), mcnemar_exact(b, c), len(pairs), method)
    p1, p2 = sum(k for k, _ in first) / sum(n for _, n in first), sum(k for k, _ in second) / sum(n for _, n in second)
    size1, size2 = clustered_size(*_lists(first)), clustered_size(*_lists(second))
    r = _pair_correlation(pairs, first, second, p1, p2, math.sqrt(size1 * size2))
    low, high = _correlated_mover(p1, *wilson(p1 * size1, size1), p2, *wilson(p2 * size2, size2), r)
    several = any(n > 1 for _, n in (*first, *second))
    method = CLUSTERED_METHOD.format(k=len(pairs), samples="several scored samples" if several else "samples")
    if first_only or second_only:
        method += UNPAIRED_NOTE.format(u=len(first_only) + len(second_only))
    return PairedDifference(p2 - p1, low, high, sign_flip_p_value(pairs), len(pairs), method)


def one_pair(k1: float, n1: float, k2: float, n2: float) -> PairedDifference:
    """The two challenges of one pair: their samples are independent, so Newcombe's hybrid score interval with
    Fisher's exact p-value (nan where a side has no scored sample)."""
    if n1 <= 0 or n2 <= 0:
        return PairedDifference(NAN, NAN, NAN, NAN, 0, ONE_PAIR_METHOD)
    table = [[round(k1), round(n1 - k1)], [round(k2), round(n2 - k2)]]
    _, p_value = stats.fisher_exact(table)  # two-sided
    return PairedDifference(*newcombe(k1, n1, k2, n2), float(p_value), 1, ONE_PAIR_METHOD)


def _lists(sides: Sequence[Side]) -> tuple[list[float], list[float]]:
    return [k for k, _ in sides], [n for _, n in sides]

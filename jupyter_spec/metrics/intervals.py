"""Confidence intervals for adherence rates and their differences (95% unless told otherwise).

- `wilson`: the Wilson score interval for a proportion; sound at small n and near 0 or 1,
  where the textbook normal interval fails. It assumes independent samples.
- `clustered_wilson`: samples of one challenge are not independent (a model that fails a prompt
  tends to fail it every time). The Wilson interval is recomputed on Kish's effective sample size
  for samples that always agree within a challenge (intracluster correlation 1): n_eff = n^2 / sum(m_i^2),
  the number of challenges when each has the same number of samples. One rule for every table, so
  the bounds move monotonically and continuously with the counts (a spread-based design effect
  cannot: it is undefined at 0% and 100%, and one more success can widen it). It is the
  conservative end (intracluster correlation 1); `wilson` is the other (correlation 0).
- `newcombe`: difference of two independent proportions (Newcombe's hybrid score method);
  `clustered_newcombe` is the same construction on the clustered Wilson limits of each side.
- `paired_mean`: a mean of paired differences of proportions with a Student-t interval, clipped
  to [-1, 1]; `paired_difference` also never gives an interval narrower than Newcombe's for the
  pooled counts, so equal differences everywhere (zero spread) cannot give a zero-width interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054
NAN = float("nan")


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for successes / n; (nan, nan) when n is 0."""
    if n <= 0:
        return NAN, NAN
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def effective_size(trials: Sequence[float]) -> float:
    """Kish's effective sample size of clusters whose samples always agree: n^2 / sum of squared sizes."""
    squares = sum(m * m for m in trials if m > 0)
    return sum(trials) ** 2 / squares if squares else 0.0


def clustered_wilson(successes: Sequence[float], trials: Sequence[float], z: float = Z95) -> tuple[float, float]:
    """Wilson interval of the pooled rate on the effective sample size; clusters as parallel per-cluster counts."""
    n = sum(trials)
    if n <= 0:
        return NAN, NAN
    effective = effective_size(trials)
    return wilson(sum(successes) / n * effective, effective, z)


def mover(p1: float, l1: float, u1: float, p2: float, l2: float, u2: float) -> tuple[float, float, float]:
    """p2 - p1 from each rate's own interval (Newcombe's square-and-add; assumes the sides independent)."""
    difference = p2 - p1
    low = difference - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = difference + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return difference, max(-1.0, low), min(1.0, high)


def newcombe(k1: float, n1: float, k2: float, n2: float, z: float = Z95) -> tuple[float, float, float]:
    """p2 - p1 with Newcombe's hybrid score interval (method 10, 1998)."""
    if n1 <= 0 or n2 <= 0:
        return NAN, NAN, NAN
    return mover(k1 / n1, *wilson(k1, n1, z), k2 / n2, *wilson(k2, n2, z))


Clusters = tuple[Sequence[float], Sequence[float]]  # (successes, trials) per challenge


def clustered_newcombe(first: Clusters, second: Clusters, z: float = Z95) -> tuple[float, float, float]:
    """Pooled p2 - p1 with Newcombe's construction on each side's clustered Wilson limits."""
    n1, n2 = sum(first[1]), sum(second[1])
    if n1 <= 0 or n2 <= 0:
        return NAN, NAN, NAN
    p1, p2 = sum(first[0]) / n1, sum(second[0]) / n2
    return mover(p1, *clustered_wilson(*first, z), p2, *clustered_wilson(*second, z))


def paired_mean(differences: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences of proportions with a Student-t interval clipped to [-1, 1].

    Needs two pairs for an interval. With no spread between the differences the interval has
    zero width: `paired_difference` is the honest one for counts.
    """
    k = len(differences)
    if k == 0:
        return NAN, NAN, NAN
    mean = sum(differences) / k
    if k < 2:
        return mean, NAN, NAN
    sd = math.sqrt(sum((d - mean) ** 2 for d in differences) / (k - 1))
    half = student_t_quantile(0.5 + confidence / 2, k - 1) * sd / math.sqrt(k)
    return mean, max(-1.0, mean - half), min(1.0, mean + half)


def paired_difference(first: Clusters, second: Clusters) -> tuple[float, float, float]:
    """Mean over clusters of (second rate - first rate): the paired t interval, widened to hold Newcombe's
    interval for the pooled counts (a t interval on equal differences has zero width; the counts do not)."""
    pairs = [(k1, n1, k2, n2) for k1, n1, k2, n2 in zip(*first, *second, strict=True) if n1 > 0 and n2 > 0]
    if not pairs:
        return NAN, NAN, NAN
    k1, n1, k2, n2 = (sum(column) for column in zip(*pairs, strict=True))
    _, pooled_low, pooled_high = newcombe(k1, n1, k2, n2)
    mean, low, high = paired_mean([b / m - a / n for a, n, b, m in pairs])
    if math.isnan(low):  # one pair: the counts alone
        return mean, pooled_low, pooled_high
    return mean, min(low, pooled_low), max(high, pooled_high)


# -- Student's t, from the regularised incomplete beta function --------------------------------


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz)."""
    tiny, c, d = 1e-300, 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return result


def _incomplete_beta(a: float, b: float, x: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def student_t_cdf(t: float, df: float) -> float:
    tail = 0.5 * _incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


def student_t_quantile(p: float, df: float) -> float:
    """The t value below which a share p of the distribution lies (bisection: exact enough, fast)."""
    low, high = -1e3, 1e3
    for _ in range(200):
        middle = (low + high) / 2
        if student_t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
    return (low + high) / 2

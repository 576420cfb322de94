"""Confidence intervals for adherence rates and their differences (95% unless told otherwise).

- `wilson`: the Wilson score interval for a proportion; sound at small n and near 0 or 1,
  where the textbook normal interval fails. It assumes independent samples.
- `clustered_wilson`: samples of one challenge are not independent (a model that fails a prompt
  tends to fail it every time). The Wilson interval is recomputed on the effective sample size
  n / deff, with the design effect deff estimated from the between-challenge (cluster-robust)
  variance (Kish). Where that variance says nothing (one challenge, or every sample agreeing at
  0% or 100%) each challenge counts as one unit: n_eff = number of challenges.
- `newcombe`: difference of two independent proportions (Newcombe's hybrid score method).
- `paired_mean`: a mean of paired differences with a Student-t interval.
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


def design_effect(successes: Sequence[float], trials: Sequence[float]) -> float:
    """Cluster-robust variance of the pooled proportion over its binomial variance (at least 1).

    Undefined when there is one cluster or no spread at all (p is 0 or 1): then n / k, the design
    effect of perfectly correlated clusters, so that each challenge counts as one unit.
    """
    clusters = [(y, m) for y, m in zip(successes, trials, strict=True) if m > 0]
    n = sum(m for _, m in clusters)
    k = len(clusters)
    if n == 0:
        return 1.0
    p = sum(y for y, _ in clusters) / n
    binomial = p * (1 - p) / n
    if k < 2 or binomial == 0:
        return n / k
    robust = k / (k - 1) * sum((y - p * m) ** 2 for y, m in clusters) / (n * n)
    return max(1.0, robust / binomial)


def clustered_wilson(successes: Sequence[float], trials: Sequence[float], z: float = Z95) -> tuple[float, float]:
    """Wilson interval on the effective sample size, clusters given as parallel per-cluster counts."""
    n = sum(trials)
    if n <= 0:
        return NAN, NAN
    effective = n / design_effect(successes, trials)
    return wilson(sum(successes) / n * effective, effective, z)


def newcombe(k1: float, n1: float, k2: float, n2: float, z: float = Z95) -> tuple[float, float, float]:
    """p2 - p1 with Newcombe's hybrid score interval (method 10, 1998)."""
    if n1 <= 0 or n2 <= 0:
        return NAN, NAN, NAN
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson(k1, n1, z)
    l2, u2 = wilson(k2, n2, z)
    difference = p2 - p1
    low = difference - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = difference + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return difference, max(-1.0, low), min(1.0, high)


def paired_mean(differences: Sequence[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences with a Student-t interval; needs two pairs for an interval."""
    k = len(differences)
    if k == 0:
        return NAN, NAN, NAN
    mean = sum(differences) / k
    if k < 2:
        return mean, NAN, NAN
    sd = math.sqrt(sum((d - mean) ** 2 for d in differences) / (k - 1))
    half = student_t_quantile(0.5 + confidence / 2, k - 1) * sd / math.sqrt(k)
    return mean, mean - half, mean + half


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

"""Confidence intervals for adherence rates and their differences (95% unless told otherwise).

- `wilson`: the Wilson score interval for a proportion; sound at small n and near 0 or 1,
  where the textbook normal interval fails. It assumes independent samples.
- `clustered_wilson`: samples of one challenge are not independent (a model that fails a prompt
  tends to fail it every time). Wilson's interval on n / deff, the design effect estimated from how
  alike the challenges' verdicts are (`design_effect`), with Student's t in place of z on the
  estimate's degrees of freedom, few when challenges are few or a verdict is rare (Korn &
  Graubard's adjustment, Survey Methodology 24:193-201, 1998). Never wider than the conservative
  rule (`conservative=True`): Kish's effective sample size at intracluster correlation 1,
  n^2 / sum(m_i^2) for challenges of m_i samples (their number when equally sized; 99 samples
  beside 1 give 1.02), which at independent samples is as wide as if most had not been taken.
  Where nothing shows how alike challenges are (every verdict the same; one challenge) the two
  agree. Not promised: monotone bounds. One more compliant verdict can take away the only sign
  that violations are spread out and widen the interval; the conservative rule keeps that promise
  for a fixed set of samples. `benchmarks/interval_coverage.py` measures coverage and width.
- `newcombe`: difference of two independent proportions (Newcombe's hybrid score method);
  `clustered_newcombe` is the same construction on the clustered Wilson limits of each side.
  Both assume the two sides independent; for paired sides see `paired.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import special

from jupyter_spec.analysis.metrics.design_effect import degrees_of_freedom, design_effect

Z95 = 1.959963984540054
NAN = float("nan")


def wilson(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for successes / n; (nan, nan) when n is 0 or either count is nan."""
    if math.isnan(successes) or math.isnan(n) or n <= 0:
        return NAN, NAN
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def effective_size(trials: Sequence[float]) -> float:
    """Kish's effective sample size at intracluster correlation 1: n^2 / sum of squared cluster sizes."""
    squares = sum(m * m for m in trials if m > 0)
    return sum(trials) ** 2 / squares if squares else 0.0


def _t_quantile(z: float, df: float) -> float:
    """Student's t on `df` degrees of freedom at the normal quantile `z`'s level: 2.776 for 1.96 on 4."""
    return float(special.stdtrit(df, special.ndtr(z)))


def clustered_size(
    successes: Sequence[float], trials: Sequence[float], z: float = Z95, conservative: bool = False
) -> float:
    """The effective sample size `clustered_wilson` uses: Kish's with `conservative`; otherwise
    n / design effect, times (z / t)^2 on the estimate's degrees of freedom (Korn & Graubard 1998),
    and never below Kish's. Kish's where the design effect cannot be estimated."""
    kish = effective_size(trials)
    if conservative:
        return kish
    deff, df = design_effect(successes, trials), degrees_of_freedom(successes, trials)
    if math.isnan(deff) or math.isnan(df):
        return kish
    return max(kish, sum(trials) / deff * (z / _t_quantile(z, df)) ** 2)


def clustered_wilson(
    successes: Sequence[float], trials: Sequence[float], z: float = Z95, conservative: bool = False
) -> tuple[float, float]:
    """Wilson interval of the pooled rate on the clustered effective sample size (`clustered_size`);
    clusters as parallel per-cluster counts. `conservative`: Kish's size at intracluster correlation 1."""
    n, total = sum(trials), sum(successes)
    if math.isnan(n) or math.isnan(total) or n <= 0:
        return NAN, NAN
    size = clustered_size(successes, trials, z, conservative)
    return wilson(total / n * size, size, z)


def cluster_robust_wald(successes: Sequence[float], trials: Sequence[float], z: float = Z95) -> tuple[float, float]:
    """Wald interval of the pooled rate with the cluster-robust (sandwich, CR1) standard error,
    sqrt(k / (k - 1) * sum((s_i - m_i p)^2)) / n, and Student's t on k - 1 degrees of freedom (as
    Stata's vce(cluster) and statsmodels' cov_type="cluster" with use_t), clipped to [0, 1]. The
    reference the coverage benchmark compares widths with, not one the tables report: it has zero
    width whenever every sample agrees. nan with fewer than two challenges."""
    clusters = [(s, m) for s, m in zip(successes, trials, strict=True) if m > 0]
    k, n = len(clusters), sum(m for _, m in clusters)
    if k < 2:
        return NAN, NAN
    p = sum(s for s, _ in clusters) / n
    se = math.sqrt(k / (k - 1) * sum((s - m * p) ** 2 for s, m in clusters)) / n
    half = _t_quantile(z, k - 1) * se
    return max(0.0, p - half), min(1.0, p + half)


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


def clustered_newcombe(
    first: Clusters, second: Clusters, z: float = Z95, conservative: bool = False
) -> tuple[float, float, float]:
    """Pooled p2 - p1 with Newcombe's construction on each side's clustered Wilson limits."""
    n1, n2 = sum(first[1]), sum(second[1])
    if n1 <= 0 or n2 <= 0:
        return NAN, NAN, NAN
    p1, p2 = sum(first[0]) / n1, sum(second[0]) / n2
    return mover(p1, *clustered_wilson(*first, z, conservative), p2, *clustered_wilson(*second, z, conservative))

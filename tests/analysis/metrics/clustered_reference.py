"""The clustered interval recomputed from other people's code: statsmodels' one-way ANOVA for the mean
squares, scipy's beta-binomial and binomial moments, scipy's t quantile, statsmodels' Wilson interval.
Tests compare `intervals.clustered_wilson` (and the tables built on it) with this."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm
from statsmodels.stats.proportion import proportion_confint

Z = stats.norm.ppf(0.975)


def mean_squares(successes: Sequence[int], trials: Sequence[int]) -> tuple[float, float]:
    """(MSB, MSW) of a one-way ANOVA of the 0/1 verdicts on the challenge, by statsmodels."""
    counts = enumerate(zip(successes, trials, strict=True))
    rows = [(f"c{i}", 1.0 if j < k else 0.0) for i, (k, m) in counts for j in range(m)]
    table = anova_lm(smf.ols("y ~ C(g)", data=pd.DataFrame(rows, columns=["g", "y"])).fit())
    return float(table.loc["C(g)", "mean_sq"]), float(table.loc["Residual", "mean_sq"])


def icc(successes: Sequence[int], trials: Sequence[int]) -> float:
    """(MSB - MSW) / (MSB + (m0 - 1) MSW), m0 = (n - sum m^2 / n) / (k - 1); nan where undefined."""
    k, n = len(trials), sum(trials)
    if k < 2 or n == k or sum(successes) in (0, n):
        return math.nan
    msb, msw = mean_squares(successes, trials)
    m0 = (n - sum(m * m for m in trials) / n) / (k - 1)
    return (msb - msw) / (msb + (m0 - 1) * msw)


def count_moments(m: int, p: float, rho: float) -> tuple[float, float]:
    """Variance and excess kurtosis of a count of m samples, beta-binomial with mean p and correlation rho."""
    if rho == 0:
        _, variance, _, kurtosis = stats.binom.stats(m, p, moments="mvsk")
    elif rho == 1:  # all or nothing: m times a Bernoulli(p)
        variance, kurtosis = m * m * p * (1 - p), (1 - 6 * p * (1 - p)) / (p * (1 - p))
    else:
        scale = 1 / rho - 1
        _, variance, _, kurtosis = stats.betabinom.stats(m, p * scale, (1 - p) * scale, moments="mvsk")
    return float(variance), float(kurtosis)


def reference_clustered_wilson(
    successes: Sequence[int], trials: Sequence[int], conservative: bool = False
) -> tuple[float, float]:
    n, total = sum(trials), sum(successes)
    kish = n * n / sum(m * m for m in trials)
    size = kish
    rho = icc(successes, trials)
    rho = 1.0 if math.isnan(rho) else min(1.0, max(0.0, rho))
    if not conservative and 0 < total < n and kish > 1:
        deff = 1 + (sum(m * m for m in trials) / n - 1) * rho
        moments = [count_moments(m, total / n, rho) for m in trials]
        v = [variance for variance, _ in moments]
        effective = sum(v) ** 2 / sum(x * x for x in v)
        df = 1 / (1 / (effective - 1) + sum(x * x * max(0.0, kurt) for x, (_, kurt) in zip(v, moments, strict=True))
                  / (2 * sum(v) ** 2))  # fmt: skip
        size = max(kish, n / deff * (Z / stats.t.ppf(0.975, df)) ** 2)
    return tuple(float(x) for x in proportion_confint(total / n * size, size, method="wilson"))  # type: ignore[return-value]

"""How much the samples of one challenge repeat each other, estimated from the verdicts.

A model that fails a prompt tends to fail it every time, so n samples over k challenges say less
than n independent samples. The design effect is how much less: the variance of the pooled rate
over that of n independent samples, 1 + (m_A - 1) * ICC for challenges of m_i samples, where
m_A = sum(m_i^2) / n: the variance inflation of a pooled proportion over clusters of unequal size
(Donner & Klar, *Design and Analysis of Cluster Randomization Trials in Health Research*, 2000). At
ICC 1 a challenge decides all its samples and n / deff is Kish's n^2 / sum(m_i^2); at ICC 0 it is n.

The ICC is the one-way ANOVA estimator for binary outcomes with unequal cluster sizes (Donner &
Klar 2000; compared with others by Ridout, Demetrio & Firth, Biometrics 55:137-148, 1999), clipped
to [0, 1]. Where it is undefined (one challenge; every verdict the same, so nothing varies) nothing
is known about it and the design effect is that of ICC 1, the conservative end. (With one sample per
challenge it is undefined too, and the design effect is 1 whatever it is.)

Few challenges or a rare verdict make the estimate itself unreliable: `degrees_of_freedom` gives
Satterthwaite's degrees of freedom for it, under the beta-binomial the estimate implies, for the
caller's t-based widening (`intervals.clustered_size`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

NAN = float("nan")


def _clusters(successes: Sequence[float], trials: Sequence[float]) -> list[tuple[float, float]]:
    """(successes, trials) of the challenges with trials; a challenge without scored samples says nothing."""
    return [(k, m) for k, m in zip(successes, trials, strict=True) if m > 0]


def intracluster_correlation(successes: Sequence[float], trials: Sequence[float]) -> float:
    """One-way ANOVA estimator of the ICC, (MSB - MSW) / (MSB + (m0 - 1) MSW) with
    m0 = (n - sum(m_i^2) / n) / (k - 1); nan where undefined (fewer than two challenges, no
    challenge with two samples, or every verdict the same). Not clipped: it can be negative."""
    clusters = _clusters(successes, trials)
    k, n = len(clusters), sum(m for _, m in clusters)
    if k < 2 or n - k < 1:
        return NAN
    total = sum(s for s, _ in clusters)
    between_cells = sum(s * s / m for s, m in clusters)  # binary data: sum of y^2 is the number of successes
    msb = (between_cells - total * total / n) / (k - 1)
    msw = (total - between_cells) / (n - k)
    m0 = (n - sum(m * m for _, m in clusters) / n) / (k - 1)
    denominator = msb + (m0 - 1) * msw
    return (msb - msw) / denominator if denominator > 0 else NAN


def _clipped_icc(successes: Sequence[float], trials: Sequence[float]) -> float:
    """The ICC as the design effect uses it: clipped to [0, 1], and 1 (the conservative end) where undefined."""
    icc = intracluster_correlation(successes, trials)
    return 1.0 if math.isnan(icc) else min(1.0, max(0.0, icc))


def design_effect(successes: Sequence[float], trials: Sequence[float]) -> float:
    """1 + (sum(m_i^2) / n - 1) * ICC, the ICC clipped to [0, 1] and taken as 1 where undefined; nan without
    trials. Between 1 (independent samples) and sum(m_i^2) / n (each challenge decides all its samples)."""
    clusters = _clusters(successes, trials)
    n = sum(m for _, m in clusters)
    if n <= 0:
        return NAN
    return 1 + (sum(m * m for _, m in clusters) / n - 1) * _clipped_icc(successes, trials)


def count_moments(m: float, p: float, icc: float) -> tuple[float, float]:
    """Variance and fourth central moment of a challenge's count of successes in m samples, beta-binomial with
    mean p and intracluster correlation icc (binomial at 0; all or nothing at 1). From the factorial moments
    E[X(X-1)...(X-r+1)] = m(m-1)...(m-r+1) p prod_{j=1}^{r-1} (p(1 - icc) + j icc) / (1 - icc + j icc)."""
    factorial, falling, product = [], 1.0, p
    for r in range(4):
        falling *= m - r
        if r:
            product *= (p * (1 - icc) + r * icc) / (1 - icc + r * icc)
        factorial.append(falling * product)
    f1, f2, f3, f4 = factorial
    second, third, fourth = f2 + f1, f3 + 3 * f2 + f1, f4 + 6 * f3 + 7 * f2 + f1  # raw moments
    variance = second - f1 * f1
    return variance, fourth - 4 * f1 * third + 6 * f1 * f1 * second - 3 * f1**4


def degrees_of_freedom(successes: Sequence[float], trials: Sequence[float]) -> float:
    """Degrees of freedom of the between-challenge variance behind the design effect, by Satterthwaite's
    two-moment match: 1 / df = 1 / (k_v - 1) + sum(v_i^2 kappa_i) / (2 (sum v_i)^2), where v_i and kappa_i
    are the variance and excess kurtosis (floored at 0) of challenge i's count under the beta-binomial at the
    pooled rate and the estimated ICC, and k_v = (sum v_i)^2 / sum(v_i^2) the effective number of
    challenges. With k equal challenges that is Var(s^2) / sigma^4 = 2 / (k - 1) + kappa / k, the variance
    of a sample variance: k - 1 when counts are near normal, far fewer when one verdict is rare (one
    violation in 50 samples cannot show whether violations cluster) or a few challenges fail most of their
    samples while the rest pass. nan where undefined (fewer than two challenges; every verdict the same)."""
    clusters = _clusters(successes, trials)
    n = sum(m for _, m in clusters)
    if n <= 0:
        return NAN
    p = sum(s for s, _ in clusters) / n
    if not 0 < p < 1:
        return NAN
    icc = _clipped_icc(successes, trials)
    moments = [count_moments(m, p, icc) for _, m in clusters]
    total = sum(v for v, _ in moments)
    squares = sum(v * v for v, _ in moments)
    if total * total <= squares * (1 + 1e-12):  # one effective challenge: no spread between challenges to see
        return NAN
    kurtosis = sum(max(0.0, fourth - 3 * v * v) for v, fourth in moments)  # sum of v_i^2 * excess kurtosis_i
    return 1 / (squares / (total * total - squares) + kurtosis / (2 * total * total))

"""Confidence intervals for adherence rates and their differences (95% unless told otherwise).

- `wilson`: the Wilson score interval for a proportion; sound at small n and near 0 or 1,
  where the textbook normal interval fails. It assumes independent samples.
- `clustered_wilson`: samples of one challenge are not independent (a model that fails a prompt
  tends to fail it every time). The Wilson interval is recomputed on Kish's effective sample size
  at intracluster correlation 1: n_eff = n^2 / sum(m_i^2) for challenges of m_i samples (n in all).
  With equal m_i that is the number of challenges; unequal sizes weigh by n^2 / sum(m_i^2), so a
  challenge of 99 samples beside one of 1 gives n_eff 1.02. What holds: for a fixed set of
  samples, turning a violation into a compliant verdict never lowers either bound (the rate rises,
  n_eff stays). Adding a sample changes n_eff and can lower a bound (6/6 over challenges of 3 and 3:
  lower bound 0.342; 7/7 over 4 and 3: 0.338). `wilson` is the other end (correlation 0); a design
  effect estimated from the spread between challenges is undefined at 0% and 100%.
- `newcombe`: difference of two independent proportions (Newcombe's hybrid score method);
  `clustered_newcombe` is the same construction on the clustered Wilson limits of each side.
  Both assume the two sides independent; for paired sides see `paired.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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

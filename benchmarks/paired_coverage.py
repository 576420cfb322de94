"""Coverage and width of the paired-difference interval, against the union it replaced (issue 22).

Each design draws many studies of paired questions (the same question under two user stances)
with a known true difference, and every method gives its 95% interval for each study. Printed per
design and method: coverage (the share of intervals holding the truth; 95% is the target), mean
width, and the share of intervals that exclude 0 (power where there is an effect, the false
positive rate where there is none), and how often the paired method's p-value is below 0.05. The
methods, all on the same draws:

- `paired`: `metrics.paired.paired_difference`, what the (all pairs) row and comparisons report now
  (Newcombe's paired interval, method 10, with one sample a side; its clustered generalisation with more);
- `union (before)`: the figure published until issue 22, a paired t interval on per-pair differences
  clipped to [-1, 1] and widened to hold Newcombe's unpaired interval on the pooled counts, rebuilt
  here from the deleted code as the baseline;
- `paired t`: scipy's `ttest_rel` interval on per-pair rate differences (zero width when they are all equal);
- `unpaired`: Newcombe's construction on each side's clustered Wilson limits, as if the sides were
  independent samples.

Truth is the population difference of the designs' rates: for one sample a side the cell
probabilities of the pairs' 2x2 table; for several, the mean of the per-question rates over the
distribution questions are drawn from (pairs are the units: the question is whether a stance
shifts answers over questions like these, not over these 24 alone).

    python benchmarks/paired_coverage.py [--reps 2000] [--seed 22]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from jupyter_spec.analysis.metrics.intervals import clustered_newcombe, newcombe
from jupyter_spec.analysis.metrics.paired import paired_difference

Pairs = list[tuple[int, int, int, int]]  # (k1, n1, k2, n2) per pair
Interval = tuple[float, float]


@dataclass(frozen=True)
class Design:
    name: str
    truth: float
    draw: Callable[[np.random.Generator], Pairs]


def table(pairs: int, both: float, first_only: float, second_only: float) -> Design:
    """Pairs of one sample a side, from the probabilities of the 2x2 table's cells (neither: the rest)."""
    cells = [both, first_only, second_only, 1 - both - first_only - second_only]
    p1, p2 = both + first_only, both + second_only
    phi = (cells[0] * cells[3] - first_only * second_only) / math.sqrt(p1 * (1 - p1) * p2 * (1 - p2))

    def draw(rng: np.random.Generator) -> Pairs:
        a, b, c, d = rng.multinomial(pairs, cells)
        return [(1, 1, 1, 1)] * a + [(1, 1, 0, 1)] * b + [(0, 1, 1, 1)] * c + [(0, 1, 0, 1)] * d

    name = f"{pairs} pairs, one sample a side, rates {p1:.2f} -> {p2:.2f}, phi {phi:.2f}"
    return Design(name, second_only - first_only, draw)


def clustered(pairs: int, samples: int, a: float, b: float, shift: Callable[[np.ndarray], np.ndarray],
              truth: float, label: str) -> Design:  # fmt: skip
    """Pairs of `samples` a side: a question's first rate q ~ Beta(a, b), its second shift(q)."""

    def draw(rng: np.random.Generator) -> Pairs:
        first = rng.beta(a, b, size=pairs)
        second = shift(first)
        k1, k2 = rng.binomial(samples, first), rng.binomial(samples, second)
        return [(int(x), samples, int(y), samples) for x, y in zip(k1, k2, strict=True)]

    return Design(f"{pairs} pairs x {samples} samples a side, question rates Beta({a:g}, {b:g}), {label}", truth, draw)


def identical(pairs: int, samples: int, base: Design) -> Design:
    """A model that answers each prompt the same way every time: `base`'s pairs with each answer repeated."""

    def draw(rng: np.random.Generator) -> Pairs:
        return [(k1 * samples, samples, k2 * samples, samples) for k1, _, k2, _ in base.draw(rng)]

    return Design(f"{pairs} pairs x {samples} identical samples a side (a deterministic model)", base.truth, draw)


def designs() -> list[Design]:
    notebook = table(32, 8 / 32, 8 / 32, 1 / 32)
    return [
        Design(f"like notebook 02: {notebook.name}", notebook.truth, notebook.draw),
        table(32, 0.45, 0.05, 0.05),  # no effect, strongly correlated
        table(100, 0.60, 0.04, 0.01),  # rare discordance
        table(20, 0.30, 0.15, 0.05),
        identical(32, 5, notebook),
        clustered(24, 3, 2, 2, lambda q: 0.7 * q, -0.15, "second 0.7 q"),
        clustered(12, 2, 2, 2, lambda q: 0.7 * q, -0.15, "second 0.7 q"),
        clustered(40, 10, 1, 1, lambda q: np.maximum(q - 0.1, 0), -0.095, "second q - 0.1, not below 0"),
        clustered(20, 4, 0.5, 0.5, lambda q: q, 0.0, "no effect"),
        clustered(50, 3, 0.2, 0.2, lambda q: 0.9 * q, -0.05, "second 0.9 q (a nearly deterministic model)"),
        clustered(30, 5, 0.3, 0.3, lambda q: q, 0.0, "no effect (a nearly deterministic model)"),
    ]


# -- the methods --------------------------------------------------------------------------------


def rates(pairs: Pairs) -> tuple[np.ndarray, np.ndarray]:
    array = np.array(pairs, dtype=float)
    return array[:, 0] / array[:, 1], array[:, 2] / array[:, 3]


def paired(pairs: Pairs) -> Interval:
    found = paired_difference(pairs)
    return found.ci_low, found.ci_high


def paired_t(pairs: Pairs) -> Interval:
    first, second = rates(pairs)
    differences = second - first
    if np.ptp(differences) == 0:  # no spread: scipy gives nan; the interval is the point
        return float(differences[0]), float(differences[0])
    low, high = stats.ttest_rel(second, first).confidence_interval(0.95)
    return float(low), float(high)


def union_before(pairs: Pairs) -> Interval:
    """The deleted `intervals.paired_difference`: the t interval clipped to [-1, 1], widened to hold Newcombe's
    interval for the pooled counts."""
    k1, n1, k2, n2 = (sum(column) for column in zip(*pairs, strict=True))
    _, pooled_low, pooled_high = newcombe(k1, n1, k2, n2)
    low, high = paired_t(pairs)
    return min(max(-1.0, low), pooled_low), max(min(1.0, high), pooled_high)


def unpaired(pairs: Pairs) -> Interval:
    first = ([p[0] for p in pairs], [p[1] for p in pairs])
    second = ([p[2] for p in pairs], [p[3] for p in pairs])
    return clustered_newcombe(first, second)[1:]


METHODS: dict[str, Callable[[Pairs], Interval]] = {
    "paired": paired,
    "union (before)": union_before,
    "paired t": paired_t,
    "unpaired": unpaired,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=2000, help="studies drawn per design")
    parser.add_argument("--seed", type=int, default=22)
    options = parser.parse_args()

    notebook = [(1, 1, 1, 1)] * 8 + [(1, 1, 0, 1)] * 8 + [(0, 1, 1, 1)] + [(0, 1, 0, 1)] * 15
    found = paired_difference(notebook)
    before = union_before(notebook)
    print("notebook 02's pairs (8 x -1, 23 x 0, 1 x +1): difference", f"{found.difference:+.3f}")
    print(f"  union (before): [{before[0]:+.3f}, {before[1]:+.3f}]")
    print(f"  paired:         [{found.ci_low:+.3f}, {found.ci_high:+.3f}], exact McNemar p = {found.p_value:.4f}")
    print(f"{options.reps} studies per design, seed {options.seed}; coverage target 95%\n")

    started = time.perf_counter()
    rng = np.random.default_rng(options.seed)
    for design in designs():
        draws = [design.draw(rng) for _ in range(options.reps)]
        print(f"{design.name}; true difference {design.truth:+.3f}")
        widths: dict[str, float] = {}
        for name, method in METHODS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # scipy on near-constant differences
                intervals = np.array([method(pairs) for pairs in draws])
            low, high = intervals[:, 0], intervals[:, 1]
            coverage = np.mean((low <= design.truth + 1e-12) & (design.truth - 1e-12 <= high))
            widths[name] = float(np.mean(high - low))
            excludes = np.mean((low > 0) | (high < 0))
            zero = np.mean(high - low < 1e-9)
            print(
                f"  {name:<15} coverage {coverage:6.1%}  mean width {widths[name]:.3f}  excludes 0 {excludes:6.1%}"
                + (f"  zero width {zero:.1%}" if zero else "")
            )
        rejects = np.mean([paired_difference(pairs).p_value < 0.05 for pairs in draws])
        print(f"  the paired method's p-value (McNemar / sign-flip) below 0.05 in {rejects:.1%} of studies")
        print(f"  width of the union / the paired interval: {widths['union (before)'] / widths['paired']:.2f}\n")
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

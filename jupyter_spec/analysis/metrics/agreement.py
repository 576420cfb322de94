"""How far several judges agree beyond chance (nominal verdicts).

Cohen's kappa for two judges, Fleiss' kappa for more judges rating every item, Krippendorff's
alpha when some judges left items unrated (unscored or failed grades are missing, not a category).
All three are 1 for perfect agreement, 0 for chance level, negative below it; nan without data.
When every rating falls in one category the chance-corrected ratio is 0/0; since the judges then
agree on everything, 1.0 is returned by convention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

NAN = float("nan")


def cohen_kappa(first: Sequence[Hashable], second: Sequence[Hashable]) -> float:
    if len(first) != len(second):
        raise ValueError("both judges must rate the same items")
    n = len(first)
    if n == 0:
        return NAN
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[c] * counts_b[c] for c in counts_a) / (n * n)
    if expected == 1:
        return 1.0 if observed == 1 else NAN
    return (observed - expected) / (1 - expected)


def fleiss_kappa(items: Sequence[Sequence[Hashable]]) -> float:
    """`items[i]` holds every judge's rating of item i; each item needs the same number of ratings."""
    if not items:
        return NAN
    raters = len(items[0])
    if raters < 2 or any(len(ratings) != raters for ratings in items):
        raise ValueError("Fleiss' kappa needs the same number (at least 2) of ratings for every item")
    n = len(items)
    totals: Counter[Hashable] = Counter()
    agreement = 0.0
    for ratings in items:
        counts = Counter(ratings)
        totals.update(counts)
        agreement += (sum(c * c for c in counts.values()) - raters) / (raters * (raters - 1))
    observed = agreement / n
    expected = sum((c / (n * raters)) ** 2 for c in totals.values())
    if expected == 1:
        return 1.0 if observed == 1 else NAN
    return (observed - expected) / (1 - expected)


def krippendorff_alpha(items: Sequence[Sequence[Hashable | None]]) -> float:
    """Nominal alpha; `None` is a missing rating. Items with fewer than two ratings do not count."""
    coincidences: Counter[tuple[Hashable, Hashable]] = Counter()
    for ratings in items:
        values = [r for r in ratings if r is not None]
        m = len(values)
        if m < 2:
            continue
        for i, a in enumerate(values):
            for j, b in enumerate(values):
                if i != j:
                    coincidences[(a, b)] += 1 / (m - 1)
    n = sum(coincidences.values())
    if n <= 1:
        return NAN
    marginals: Counter[Hashable] = Counter()
    for (a, _), weight in coincidences.items():
        marginals[a] += weight
    observed = sum(w for (a, b), w in coincidences.items() if a != b) / n
    expected = sum(marginals[a] * marginals[b] for a in marginals for b in marginals if a != b) / (n * (n - 1))
    if expected == 0:
        return 1.0 if observed == 0 else NAN
    return 1 - observed / expected

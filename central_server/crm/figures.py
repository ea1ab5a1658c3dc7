"""The scorecard's figures from counts and values the SQL has gathered: pure functions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def percentile(sorted_values: Sequence[int], fraction: float) -> int | None:
    """Nearest-rank percentile of ascending values: the smallest value with at least `fraction` of the
    values at or below it. None for no values."""
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    if not sorted_values:
        return None
    return sorted_values[max(math.ceil(fraction * len(sorted_values)), 1) - 1]


def percentile_of_counts(counts: Mapping[int, int], fraction: float) -> int | None:
    """`percentile` of values given as value → how many times it occurs."""
    total = sum(counts.values())
    if not total:
        return None
    rank = max(math.ceil(fraction * total), 1)
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: the ranks add up to total")


def share(part: int, whole: int) -> float | None:
    """part / whole to four places; None when there is no whole."""
    return round(part / whole, 4) if whole else None


def per_thousand(count: int, base: int) -> float | None:
    return round(count * 1000 / base, 2) if base else None


def satisfaction_index(distribution: Mapping[int, int]) -> float | None:
    """The mean score (1..5) mapped onto 0..100: 1 → 0, 3 → 50, 5 → 100; None without ratings."""
    total = sum(distribution.values())
    if not total:
        return None
    mean = sum(score * count for score, count in distribution.items()) / total
    return round((mean - 1) * 25, 1)

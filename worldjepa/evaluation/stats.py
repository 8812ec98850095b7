"""Binomial confidence intervals for success rates."""

from __future__ import annotations

import math


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95% (by default) Wilson score interval for a success rate; (0, 1) when n == 0.

    Wilson rather than the normal approximation because rates near 0% or 100% (random and
    no-op baselines, a good planner) are exactly where the normal interval breaks down.
    """
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)

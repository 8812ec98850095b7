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


def roc_auc(positive, negative) -> float:
    """P(a positive scores above a negative), ties counting half (the Mann-Whitney AUC).
    positive: (P,), negative: (N,) scores -> float in [0, 1] (0.5: no separation)."""
    import numpy as np

    pos, neg = np.asarray(positive, np.float64), np.asarray(negative, np.float64)
    if not len(pos) or not len(neg):
        return float("nan")
    diff = pos[:, None] - neg[None, :]
    return float((diff > 0).mean() + 0.5 * (diff == 0).mean())


def paired_auc_interval(positive, negative, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap interval of ``roc_auc`` for paired scores (positive[i] and
    negative[i] come from the same episode): episodes are resampled, pairs kept together."""
    import numpy as np

    pos, neg = np.asarray(positive, np.float64), np.asarray(negative, np.float64)
    if len(pos) != len(neg) or len(pos) < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    aucs = [roc_auc(pos[i], neg[i]) for i in rng.integers(0, len(pos), (resamples, len(pos)))]
    lo, hi = np.percentile(aucs, [2.5, 97.5])
    return float(lo), float(hi)

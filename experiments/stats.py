"""Confidence intervals for replicated runs, shared by the sweep analysis, reports and the dashboard.

Comparisons are paired: replication r of every policy runs on the same seed (common
random numbers), so the difference B - A is taken per replication and its mean gets a
Student-t interval. That interval is much narrower than comparing two independent means
whenever the policies share most of their noise, which is the point of common random
numbers.

An interval is clipped to the values the outcome can take (``bounds``: a metric's declared
range, ``sim.outputs.Metric.bounds``; a difference of two such values ranges over
``low - high`` to ``high - low``). With few replications a t interval runs past them: two
runs of a mean balance of 0.2 and 0.9 give -3.9 to 5.0, which says nothing a reader could
believe about a measure that lies in 0..1. Clipping keeps the interval's coverage (the true
mean is inside the bounds) and removes only the impossible part. An interval of one
observation stays infinite: it is unknown, not the whole range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float        # lower bound of the confidence interval
    high: float       # upper bound
    n: int            # observations used (non-NaN)
    level: float = 0.95

    def __str__(self) -> str:
        return f"{self.mean:,.3g} ({self.level:.0%} CI {self.low:,.3g} to {self.high:,.3g}, n={self.n})"


def _t_quantile(level: float, df: int) -> float:
    from scipy import stats  # imported here: scipy is slow to import and not needed by the model
    return float(stats.t.ppf(0.5 + level / 2, df))


Bounds = tuple[float, float]


def mean_ci(values, level: float = 0.95, bounds: Bounds | None = None) -> Estimate:
    """Mean and Student-t confidence interval of ``values`` (NaNs dropped), clipped to ``bounds``
    (lowest, highest possible value) when given.

    With one observation the interval is the point itself widened to +-inf (unknown);
    with none, everything is NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0, level)
    m = float(x.mean())
    if n == 1:
        return Estimate(m, -math.inf, math.inf, 1, level)
    half = _t_quantile(level, n - 1) * float(x.std(ddof=1)) / math.sqrt(n)
    low, high = (-math.inf, math.inf) if bounds is None else bounds
    return Estimate(m, max(m - half, low), min(m + half, high), n, level)


def paired_difference(b, a, level: float = 0.95, bounds: Bounds | None = None) -> Estimate:
    """Mean of ``b - a`` per replication (arrays aligned by replication) with its CI; ``bounds`` are
    those of one value (a metric's), so the difference's interval is clipped to ``low - high`` ..
    ``high - low``.

    Pairs where either side is NaN are dropped.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired arrays differ in length: {a.shape} vs {b.shape}")
    span = None if bounds is None else (bounds[0] - bounds[1], bounds[1] - bounds[0])
    return mean_ci(b - a, level, span)

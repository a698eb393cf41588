"""Reciprocity measures (MODEL.md section 8); formulas in docs/ODD.md.

All are pure functions of recorded numbers so that tests can check their ranges.
"""

from __future__ import annotations

import math

from collections.abc import Iterable, Mapping


def concession(opening: float, final: float, reservation: float) -> float:
    """c = (opening - final) / (opening - reservation), clipped to [0, 1]; 0 when the range is empty."""
    span = opening - reservation
    if span <= 1e-9:
        return 0.0
    return min(1.0, max(0.0, (opening - final) / span))


def balance(concessions: Iterable[float]) -> float:
    """min c / max c over the parties: 1 when all moved equally, and 1 when nobody moved."""
    cs = list(concessions)
    if not cs or max(cs) <= 0:
        return 1.0
    return min(cs) / max(cs)


def give_and_take(given: Mapping[tuple, float]) -> float:
    """Sum over pairs of 2 min(G_ij, G_ji) / sum of (G_ij + G_ji); NaN when nothing was given (no flow
    is neither even nor uneven: an average over runs or years must not count it as perfectly even)."""
    pairs = {tuple(sorted(k)) for k in given}
    flows = [(given.get((i, j), 0.0), given.get((j, i), 0.0)) for i, j in pairs]
    # exact sums (math.fsum): the result must not depend on the order a set of pairs is visited in,
    # which for string ids (the dashboard's yearly series) changes from process to process
    num = math.fsum(2.0 * min(gij, gji) for gij, gji in flows)
    den = math.fsum(gij + gji for gij, gji in flows)
    return math.nan if den <= 0 else num / den


def pair_give_and_take(gij: float, gji: float) -> float:
    """``give_and_take`` of one pair (the pairs table has a row per pair and year); NaN when nothing flowed."""
    return math.nan if gij + gji <= 0 else 2.0 * min(gij, gji) / (gij + gji)


def conditional_concession(after_other: tuple[int, int], after_none: tuple[int, int]) -> float:
    """P(concede | another conceded last round) - P(concede | nobody did); NaN when a side is unobserved
    (the difference is not measured, which is not the same as no difference).

    Each argument is (times conceded, times observed).
    """
    (ca, na), (cn, nn) = after_other, after_none
    if na == 0 or nn == 0:
        return math.nan
    return ca / na - cn / nn

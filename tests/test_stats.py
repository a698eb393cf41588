"""Confidence intervals checked against numbers worked out by hand."""

import math

import pytest

from experiments.stats import mean_ci, paired_difference


def test_mean_ci_by_hand():
    # mean 2, sd 1, n 3: half-width t(0.975, 2) * 1 / sqrt(3) = 4.3027 / 1.7321 = 2.4841
    e = mean_ci([1.0, 2.0, 3.0])
    assert e.mean == 2.0 and e.n == 3
    assert e.low == pytest.approx(2 - 2.4841, abs=1e-3) and e.high == pytest.approx(2 + 2.4841, abs=1e-3)


def test_paired_difference_uses_pairs_and_drops_nan():
    e = paired_difference([2.0, 3.0, 4.0, math.nan], [1.0, 2.0, 3.0, 5.0])
    assert e.mean == 1.0 and e.n == 3 and e.low == e.high == 1.0  # identical differences: zero width


def test_degenerate_samples():
    assert math.isnan(mean_ci([]).mean)
    one = mean_ci([5.0])
    assert one.mean == 5.0 and one.low == -math.inf and one.high == math.inf

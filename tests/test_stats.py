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


def test_intervals_are_clipped_to_what_the_outcome_can_take():
    # two runs of a 0..1 measure: t(0.975, 1) = 12.706, sd 0.495, half-width 4.45 -> -3.9 to 5.0 unclipped
    assert (mean_ci([0.2, 0.9]).low, mean_ci([0.2, 0.9]).high) == pytest.approx((-3.897, 4.997), abs=1e-3)
    e = mean_ci([0.2, 0.9], bounds=(0.0, 1.0))
    assert (e.mean, e.low, e.high) == pytest.approx((0.55, 0.0, 1.0))
    # a difference of two 0..1 values lies in -1..1
    d = paired_difference([0.2, 0.9], [0.9, 0.1], bounds=(0.0, 1.0))
    assert (d.mean, d.low, d.high) == pytest.approx((0.05, -1.0, 1.0))
    # inside the bounds nothing moves; a count is bounded below only
    assert mean_ci([11.0, 12.0, 13.0], bounds=(0.0, math.inf)) == mean_ci([11.0, 12.0, 13.0])
    assert mean_ci([0.0, 0.0, 9.0], bounds=(0.0, math.inf)).low == 0.0
    # one observation: unknown, not the whole range
    assert mean_ci([0.5], bounds=(0.0, 1.0)).low == -math.inf


def test_every_outcome_declares_its_range():
    from experiments.outcomes import OUTCOMES
    for name, metric in OUTCOMES.items():
        low, high = metric.bounds          # a KeyError here: a unit without a declared range
        assert low < high, name

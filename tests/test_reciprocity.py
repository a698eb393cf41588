"""Reciprocity measures: definitions and ranges (MODEL.md section 8)."""

import math

import pytest
from hypothesis import given, strategies as st

from sim import reciprocity as rc

money = st.floats(0, 1e7, allow_nan=False)


def test_concession_definition():
    assert rc.concession(100, 60, 50) == 0.8
    assert rc.concession(100, 100, 50) == 0.0
    assert rc.concession(100, 40, 50) == 1.0      # clipped
    assert rc.concession(50, 50, 50) == 0.0       # empty range


def test_balance_and_give_and_take_examples():
    assert rc.balance([0.5, 0.5]) == 1.0
    assert rc.balance([0.0, 0.0]) == 1.0
    assert rc.balance([0.2, 0.8]) == 0.25
    assert rc.give_and_take({(1, 2): 10.0, (2, 1): 10.0}) == 1.0
    assert rc.give_and_take({(1, 2): 10.0}) == 0.0
    assert rc.conditional_concession((8, 10), (2, 10)) == pytest.approx(0.6)
    # nothing to measure is not a perfect score: no flow, no observation on one side
    assert math.isnan(rc.give_and_take({})) and math.isnan(rc.give_and_take({(1, 2): 0.0, (2, 1): 0.0}))
    assert math.isnan(rc.pair_give_and_take(0.0, 0.0))
    assert math.isnan(rc.conditional_concession((3, 5), (0, 0)))


@given(st.lists(st.floats(0, 1), min_size=1, max_size=6))
def test_balance_in_unit_interval(cs):
    assert 0.0 <= rc.balance(cs) <= 1.0


@given(st.dictionaries(st.tuples(st.integers(0, 5), st.integers(0, 5)).filter(lambda t: t[0] != t[1]), money))
def test_give_and_take_in_unit_interval(given_):
    v = rc.give_and_take(given_)
    assert 0.0 <= v <= 1.0 + 1e-12 if sum(given_.values()) > 0 else math.isnan(v)


@given(st.integers(0, 100), st.integers(0, 100), st.integers(0, 100), st.integers(0, 100))
def test_conditional_concession_in_range(a, b, c, d):
    v = rc.conditional_concession((min(a, b), b), (min(c, d), d))
    assert -1.0 <= v <= 1.0 if b and d else math.isnan(v)


@given(money, money)
def test_pair_give_and_take_is_give_and_take_of_one_pair(gij, gji):
    """The pairs table's per-pair shortcut gives exactly what the general measure gives for that pair."""
    one, general = rc.pair_give_and_take(gij, gji), rc.give_and_take({(1, 2): gij, (2, 1): gji})
    assert one == general or (math.isnan(one) and math.isnan(general))

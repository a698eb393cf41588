"""The parties' arithmetic, checked by hand against MODEL.md's worked example."""

import pytest

from sim import economics as eco


def test_residual_land_value_worked_example():
    # 70 m2 at EUR 950/month, 25% operating costs, 3.75% net initial yield
    value = eco.capitalised_value(950, 0.25, 0.0375)
    assert value == pytest.approx(228_000)
    # less construction and fees 165,000 and a 7% developer margin on value
    rlv = eco.residual_land_value(value, 165_000, 0.07)
    assert rlv == pytest.approx(228_000 - 165_000 - 15_960)  # 47,040
    # a municipality needing 55,000 for its land development has no zone of agreement
    assert rlv < 55_000


def test_levers_move_the_investors_maximum_the_right_way():
    base = eco.residual_land_value(eco.capitalised_value(950, 0.25, 0.0375), 165_000, 0.07)
    higher_return = eco.residual_land_value(eco.capitalised_value(950, 0.25, 0.045), 165_000, 0.07)
    lower_cap = eco.residual_land_value(eco.capitalised_value(min(950, 900), 0.25, 0.0375),
                                        165_000, 0.07)
    assert higher_return < base and lower_cap < base


def test_longer_midrent_commitment_lowers_value_when_market_rent_is_higher():
    short = eco.capitalised_value(900, 0.25, 0.04, commitment_years=10, later_rent=1_200)
    long = eco.capitalised_value(900, 0.25, 0.04, commitment_years=25, later_rent=1_200)
    assert long < short
    # with equal rents the commitment does not matter: plain direct capitalisation
    assert eco.capitalised_value(950, 0.25, 0.0375, 15, 950) == pytest.approx(228_000)


def test_annuity_and_earlier_delivery():
    assert eco.annuity(0, 0.03) == 0.0
    assert eco.annuity(10, 0.0) == 10.0
    assert eco.annuity(1, 0.05) == pytest.approx(1 / 1.05)
    # six months earlier at 3.75%: 1 - 1.0375^-0.5 of the value
    assert eco.earlier_delivery_gain(228_000, 0.0375, 6) == pytest.approx(228_000 * (1 - 1.0375 ** -0.5))


def test_gross_to_net_yield():
    assert eco.gross_to_net_yield(0.042, 0.25) == pytest.approx(0.0315)   # FACTS.md 2023 BAR as a NAR


def test_concession_curves():
    assert eco.concession_exponent(1.0) == pytest.approx(0.25)   # Boulware
    assert eco.concession_exponent(0.0) == pytest.approx(4.0)    # Conceder
    boulware, conceder = eco.concession_exponent(0.9), eco.concession_exponent(0.1)
    assert eco.concession_level(0.5, boulware) < 0.5 < eco.concession_level(0.5, conceder)
    assert eco.concession_level(1.0, boulware) == 1.0 and eco.concession_level(0.0, conceder) == 0.0

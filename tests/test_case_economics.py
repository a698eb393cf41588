"""One mid-rent case worked by hand: reservation points, surplus and the zone of agreement."""

import mesa
import pytest

from agents import Developer, Economy, Investor, Municipality
from sim.case import Case
from sim.negotiation import surplus

ECON = Economy(construction_cost=165_000, market_rent=950, midrent_cap=1_000, social_rent=710.68,
               operating_cost_share=0.25, owner_land_price=100_000, land_development_cost=55_000,
               social_land_price=22_500, developer_margin=0.07, tenant_discount=50, commitment_years=15)


def _world(vision, k=0.0375):
    model = mesa.Model(rng=0)
    model.reference_return, model.corporation_return = k, 0.03
    muni = Municipality(model, "Gemeente", province="Utrecht", region="R", landsdeel="Oost", population=100_000,
                        pressure=1, vision_strength=vision, financial_expertise=0.5, target_affordable_share=0.67,
                        alderman_initiative=1, process_capacity=5, plan_capacity=1_000, land_price_factor=1,
                        rent_factor=1, autonomy=0.5, cycle_months=3, cycle_phase=0)
    inv = Investor(model, "belegger", required_return=k, capital=1e9, max_case_share=0.1, commitment_horizon=20,
                   autonomy=0.5, cycle_months=3, cycle_phase=0)
    dev = Developer(model, "ontwikkelaar", margin=0.07, build_capacity=100, risk_appetite=0.5, autonomy=0.5,
                    cycle_months=1, cycle_phase=0)
    case = Case(id=0, kind="midrent", municipality=muni, homes={"social": 0, "midrent": 100, "free": 0},
                land_owner="municipality", specific=True, opened=0)
    return muni, inv, dev, case


def test_no_zone_of_agreement_in_the_worked_example():
    muni, inv, dev, case = _world(vision=0.5)
    assert surplus(case, ECON, 0.0375, 0.03) == pytest.approx(228_000 - 165_000)       # 63,000 per home
    assert muni.reservation(case, ECON) == pytest.approx(55_000 + 0.5 * 45_000)        # 77,500
    assert dev.reservation(case, ECON) == pytest.approx(0.07 * 228_000)                # 15,960
    assert inv.reservation(case, ECON) == 0.0                                         # horizon 20 >= 15 years
    need = muni.reservation(case, ECON) + dev.reservation(case, ECON) + inv.reservation(case, ECON)
    assert need - 63_000 == pytest.approx(30_460)                                     # the financial gap


def test_strong_vision_alone_is_not_enough_but_a_lower_return_is():
    muni, inv, dev, case = _world(vision=1.0)
    need = muni.reservation(case, ECON) + dev.reservation(case, ECON)
    assert need == pytest.approx(55_000 + 15_960) and need > 63_000                    # residual 47,040 < 55,000
    muni, inv, dev, case = _world(vision=1.0, k=0.03)
    value = 12 * 950 * 0.75 / 0.03                                                    # 285,000
    assert surplus(case, ECON, 0.03, 0.03) == pytest.approx(value - 165_000)
    assert muni.reservation(case, ECON) + dev.reservation(case, ECON) < value - 165_000


def test_free_sector_homes_cross_subsidise():
    muni, inv, dev, case = _world(vision=0.5)
    case.homes = {"social": 0, "midrent": 50, "free": 50}
    # free homes bring the owner-occupied land price into the surplus and need only cost recovery
    assert surplus(case, ECON, 0.0375, 0.03) == pytest.approx(0.5 * 63_000 + 0.5 * 100_000)
    assert muni.reservation(case, ECON) == pytest.approx(0.5 * 55_000 + 0.5 * 77_500)


def test_investor_with_a_short_horizon_asks_for_the_extra_years():
    muni, inv, dev, case = _world(vision=0.5)
    inv.commitment_horizon = 10
    econ = Economy(**{**ECON.__dict__, "market_rent": 1_200})  # market rent above the cap: the obligation costs
    assert inv.reservation(case, econ) > 0

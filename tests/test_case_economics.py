"""The parties' arithmetic on one case, by hand: land balance, the zone of agreement, a two-issue trade."""

import mesa
import numpy as np
import pytest

from agents import Developer, Economy, Investor, Municipality
from sim import economics as eco
from sim.case import Case
from sim.package import space_for
from sim.params import defaults
from sim.valuation import value_cases

ECON = Economy(construction_cost=165_000, market_rent=950, midrent_cap=1_000, social_rent=710.68,
               operating_cost_share=0.25, owner_land_price=100_000, land_development_cost=55_000,
               social_land_price=22_500, developer_margin=0.07, tenant_discount=50, investor_return=0.0375,
               corporation_return=0.03)


def _world(vision, homes, econ=ECON, **p):
    model = mesa.Model(rng=0)
    model.p = {**defaults(), **p}
    muni = Municipality(model, "Gemeente", province="Utrecht", region="R", landsdeel="Oost", population=100_000,
                        pressure=1, vision_strength=vision, financial_expertise=0.5, has_advisor=False,
                        target_affordable_share=0.67, alderman_initiative=1, process_capacity=5, plan_capacity=1_000,
                        land_price_factor=1, rent_factor=1, autonomy=0.5, cycle_months=3, cycle_phase=0)
    inv = Investor(model, "belegger", required_return=model.p["investor.required_return"], capital=1e9,
                   max_case_share=0.1, commitment_horizon=20, autonomy=0.5, cycle_months=3, cycle_phase=0)
    dev = Developer(model, "ontwikkelaar", margin=0.07, build_capacity=100, risk_appetite=0.5, autonomy=0.5,
                    cycle_months=1, cycle_phase=0)
    case = Case(id=0, kind="midrent", municipality=muni, homes=homes, land_owner="municipality", specific=True,
                opened=0)
    case.space = space_for(case, model.p, concrete=True)
    model.economy = econ
    values = value_cases(model, [case], 0)
    return muni, inv, dev, case, values


def res(agent, values, standard=False):
    """An agent's reservation per variant of the one case in ``values``."""
    return type(agent).reservations(values, np.array([0]), [agent], standard=standard)[0]


def _variant(values, mix=0, rent=0, commitment=0, priority=0):
    s = values.cases[0].space
    hit = np.flatnonzero((s.mix_level == mix) & (s.rent_level == rent) & (s.commitment_level == commitment)
                         & (s.priority == priority))
    return int(hit[0])


def test_worked_example_single_issue_has_no_zone_without_a_vision():
    # MODEL.md 5.2: 70 m2 at EUR 950, 25% costs, NAR 3.75% -> value 228,000; a pure mid-rent plot
    muni, inv, dev, case, values = _world(0.0, {"social": 0, "midrent": 100, "free": 0})
    v = case.space.plan
    assert values.v_mid[0, v] == pytest.approx(228_000)
    assert values.surplus[0, v] == pytest.approx(228_000 - 165_000 - 55_000)          # S = V - C - D = 8,000
    assert res(dev, values)[v] == pytest.approx(0.07 * 228_000)       # 15,960
    assert res(muni, values)[v] == pytest.approx(0.0)                 # the land must pay its cost
    # residual land value 47,040 < land development cost 55,000: the same gap, seen as claims on S
    assert values.surplus[0, v] - res(dev, values)[v] - res(muni, values)[v] == \
        pytest.approx(eco.residual_land_value(228_000, 165_000, 0.07) - 55_000)


def test_a_vision_contributes_the_value_it_puts_on_mid_rent_homes():
    muni, inv, dev, case, values = _world(0.5, {"social": 0, "midrent": 100, "free": 0})
    v = case.space.plan
    # no rent gap (market 950 below the cap): half of midrent_value 20,000 per mid-rent home
    assert res(muni, values)[v] == pytest.approx(-0.5 * 20_000)
    need = res(muni, values)[v] + res(dev, values)[v] + res(inv, values)[v]
    assert need == pytest.approx(5_960) and need <= values.surplus[0, v]           # now a zone: 5,960 <= 8,000


def test_land_balance_over_the_area_free_plots_carry_the_rest():
    # 60 mid-rent, 10 social, 30 free: free plots at 100,000, social at the policy price 22,500
    muni, inv, dev, case, values = _world(0.0, {"social": 10, "midrent": 60, "free": 30})
    v = case.space.plan
    floor = 0.3 * 100_000 + 0.1 * 22_500 - 55_000                                  # mid-rent land for nothing
    assert muni.land_floors(values, [0])[0, v] == pytest.approx(floor)                       # -22,750
    # without a vision the area must balance: the mid-rent plots pay what the other plots leave
    assert res(muni, values)[v] == pytest.approx(max(floor, 0.0))      # 0: balance exactly
    mid_land_price = (0.0 + 55_000 - 0.3 * 100_000 - 0.1 * 22_500) / 0.6
    assert mid_land_price == pytest.approx(37_916.67, abs=0.01)                     # by hand
    # with a strong vision it gives up 20,000 per mid-rent home, but no plot goes below nothing
    muni.vision_strength = 1.0
    assert res(muni, values)[v] == pytest.approx(max(floor, -0.6 * 20_000))


def test_two_issue_trade_shorter_commitment_paid_for_with_land_price():
    """Market rent 1,400 above the cap 1,000: the commitment costs the investor the rent gap.

    A municipality with a weak vision values the tenants' saving less than the investor loses, so
    a shorter commitment (issue 1) creates surplus; the investor pays for it through the land price
    (issue 2: the municipality's claim rises from its reservation at the plan to the one at T = 10).
    """
    econ = Economy(**{**ECON.__dict__, "market_rent": 1_400, "construction_cost": 240_000})
    muni, inv, dev, case, values = _world(0.2, {"social": 0, "midrent": 100, "free": 0}, econ)
    plan, short = case.space.plan, _variant(values, commitment=-1)
    assert case.space.commitment[plan] == 15 and case.space.commitment[short] == 10
    k, d = 0.0375, 1.0375
    n_now, n_later = 12 * 1_000 * 0.75, 12 * 1_400 * 0.75
    # the investor's gain from five fewer mid-rent years, by hand
    gain = (n_later - n_now) * (d ** -10 - d ** -15) / k
    assert values.v_mid[0, short] - values.v_mid[0, plan] == pytest.approx(gain)
    # the municipality's loss: vision x the tenants' rent saving in years 11-15 at 2.25%
    loss = 0.2 * 12 * 400 * (eco.annuity(15, 0.0225) - eco.annuity(10, 0.0225))
    assert res(muni, values)[short] - res(muni, values)[plan] == pytest.approx(loss)

    def net(v):
        return values.surplus[0, v] - sum(res(a, values)[v] for a in (muni, inv, dev))

    # the plan has no zone; the shorter commitment has one, because the investor gains more than it costs
    assert net(plan) < 0 < net(short)
    margin_gain = 0.07 * (values.v_mid[0, short] - values.v_mid[0, plan])
    assert net(short) - net(plan) == pytest.approx(gain - loss - margin_gain)


def test_investor_mandate_blocks_longer_commitments():
    muni, inv, dev, case, values = _world(0.5, {"social": 0, "midrent": 100, "free": 0})
    inv.commitment_horizon = 12
    need = res(inv, values)
    assert (need[case.space.commitment > 12] >= 1e11).all() and (need[case.space.commitment <= 12] < 1e11).all()
    # a table that does not seat the investor assumes the market's horizon (investor.commitment_horizon = 15)
    guess = res(inv, values, standard=True)
    assert (guess[case.space.commitment <= 15] < 1e11).all()

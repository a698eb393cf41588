"""The compiled view (``sim.view_kernel``) is the valuation and the agents' formulas, bit for bit.

The kernels are a second implementation of ``valuation.value_cases``' arithmetic, of every kind's
reservation, stake and market-standard guess (``agents/*``), of a table's reading of the
reservations and the parties' openings (``View.table_res``, ``View.openings``) and of the parties'
guardedness (``tables.guarded``), kept only for speed; these tests are what allows them. Each of
them a run computes is computed both ways and compared byte for byte, on every built-in scenario,
on every table format and on random settings of the parameters the formulas read.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from agents import base
from sim import formats, negotiation, params, scenario, tables, valuation
from sim import view_kernel as kernel


@pytest.fixture
def compared(monkeypatch):
    """With the kernels loaded, every view's numbers made both ways and compared; yields the counts
    (views compared, views that differed); the process's choice of kernel is restored."""
    before = negotiation._kernel is not None
    assert negotiation.use_kernel(True)
    counts = {"views": 0, "valuations": 0, "tables": 0, "guardedness": 0, "differ": 0, "first": None}
    compiled, compiled_valuation = kernel.slot_values, kernel.valuation

    def compare(names, got, want):
        for name, a, b in zip(names, got, want):
            a, b = (np.asarray(a), np.asarray(b)) if a is not None and b is not None else (a, b)
            same = a is None and b is None or (a is not None and b is not None and a.dtype == b.dtype
                                                and a.shape == b.shape and a.tobytes() == b.tobytes())
            if not same:
                counts["differ"] += 1
                counts["first"] = counts["first"] or (name, a, b)

    def both(val, agents, seated, absent, guesses, p):
        got = compiled(val, agents, seated, absent, guesses, p)
        counts["views"] += 1
        compare(("own", "stake", "standard"), got, tables.slot_values(val, agents, seated, absent, guesses))
        return got

    def both_valuations(*args):
        got = compiled_valuation(*args)
        counts["valuations"] += 1
        want = valuation.valued(*args)
        names = [n for n in got.__dataclass_fields__ if n != "cases"]
        compare(names, [getattr(got, n) for n in names], [getattr(want, n) for n in names])
        return got
    compiled_table, compiled_guardedness = kernel.table_numbers, kernel.guardedness

    def both_guardedness(*args):
        got = compiled_guardedness(*args)
        counts["guardedness"] += 1
        compare(("guardedness",), (got,), (tables.guarded(*args),))
        return got

    def both_tables(vw, margin, padding, p):
        got = compiled_table(vw, margin, padding, p)
        counts["tables"] += 1
        res = vw.table_res(margin)
        compare(("table_res", "openings"), got, (res, vw.openings(res, padding)))
        return got
    monkeypatch.setattr(kernel, "slot_values", both)
    monkeypatch.setattr(kernel, "valuation", both_valuations)
    monkeypatch.setattr(kernel, "table_numbers", both_tables)
    monkeypatch.setattr(kernel, "guardedness", both_guardedness)
    yield counts
    negotiation.use_kernel(before)


def check(counts) -> None:
    assert counts["views"] > 0 and counts["valuations"] > 0 and counts["tables"] > 0 and counts["guardedness"] > 0
    assert counts["differ"] == 0, (f"{counts['differ']} arrays of {counts['views']} views, {counts['valuations']} "
                                   f"valuations, {counts['tables']} tables' readings and {counts['guardedness']} "
                                   f"guardedness rows differ; first: {counts['first']}")


@pytest.mark.parametrize("name", scenario.builtin_names())
def test_every_view_of_every_scenario_is_the_same(compared, name):
    sim.run(name, seed=1, months=12 if name == "nederland" else 48)
    check(compared)


@pytest.mark.parametrize("preset", formats.preset_names())
def test_every_view_under_every_table_format_is_the_same(compared, preset):
    sim.run("woondeal-ladder", seed=2, months=24, overrides={"table.format": preset})
    check(compared)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.sampled_from([0.0, 0.01, 0.04]), horizon=st.sampled_from([5.0, 12.0, 15.0, 30.0]),
       vision=st.floats(0.0, 1.0), premium=st.floats(0.0, 1.0), public=st.floats(0.0, 1.0),
       padding=st.floats(0.0, 1.0), board=st.floats(0.0, 0.3), trust=st.floats(0.0, 1.0), tenants=st.booleans())
def test_every_view_is_the_same_for_any_setting_of_the_formulas(compared, rate, horizon, vision, premium, public,
                                                                 padding, board, trust, tenants):
    """The parameters the formulas read, at their bounds and between (a discount rate of 0 takes
    the annuity's other branch; a short horizon blocks investors)."""
    sim.run("lokale-driehoek-2018" if tenants else "middenhuur-2017", seed=0, months=18, overrides={
        "municipality.discount_rate": rate, "investor.commitment_horizon": horizon,
        "municipality.vision_strength": vision, "developer.land_premium": premium,
        "economics.public_cost_share": public, "negotiation.padding": padding, "negotiation.board_margin": board,
        "trust.initial": trust})
    check(compared)


def test_the_kernel_refuses_constants_that_differ_from_the_agents(monkeypatch):
    """numba's cache keeps the constants a kernel was compiled with (``check_constants`` runs at import)."""
    kernel.check_constants()
    monkeypatch.setattr(base, "BLOCKED", 1e9)
    with pytest.raises(RuntimeError, match="constants differ"):
        kernel.check_constants()


def test_a_view_without_signatories_is_empty():
    """No seated or absent party: nothing to value (the kernel is never asked for a slot nobody holds)."""
    from sim.valuation import Valuation
    m, w = 2, 3
    z, c = np.zeros((m, w)), np.zeros((m, 1))
    val = Valuation(cases=[None, None], valid=np.ones((m, w), bool), mid_share=z, free_share=z, social_share=c,
                    commitment=z, priority=z, construction_cost=c, market_rent=c, social_rent=c,
                    owner_land_price=c, land_development_cost=c, social_land_price=c, operating_cost_share=0.25,
                    tenant_discount=10.0, k_investor=c + 0.04, k_corporation=0.03, rent=z, v_mid=z, v_soc=c,
                    surplus=z, municipal_land=c > 0, developer_land=c > 0)
    none = np.zeros((m, 5), bool)
    own, stake, standard = kernel.slot_values(val, [[None] * 5] * m, none, none, True, params.defaults())
    assert own.shape == stake.shape == standard.shape == (m, 5, w)
    assert not own.any() and not stake.any() and not standard.any()

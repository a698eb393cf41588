"""Common random numbers: a table setting never shifts any municipality's arrivals (one stream per entity)."""

from __future__ import annotations

import pandas as pd
import pytest

import sim

ARRIVAL = ["municipality", "opened", "cost_factor", "land_owner", "cross_region"]


def _arrivals(overrides):
    r = sim.run("middenhuur-2017", seed=4, overrides={"run.months": 36, **overrides})
    c = r.cases
    return c.loc[c["kind"] == "midrent", ARRIVAL].sort_values(ARRIVAL).reset_index(drop=True)


@pytest.mark.parametrize("setting", [{"table.chair": "external"}, {"table.synchronised_cycles": True},
                                     {"table.format": "woondealtafel"}, {"negotiation.reciprocity": 1.0}])
def test_a_table_setting_does_not_shift_any_municipalitys_arrivals(setting):
    base = _arrivals({})
    other = _arrivals(setting)
    assert len(base) > 20
    pd.testing.assert_frame_equal(base, other)


def _metrics(scenario, months, reverse):
    from sim import scenario as scn
    from sim.model import HousingTablesModel
    from sim.outputs import headline
    from sim.runner import _release
    sc = scn.load(scenario)
    m = HousingTablesModel(sc, sc.parameter_values({"run.months": months}), seed=2)
    if reverse:
        m.tables.reverse()          # the tables of a month meet in parallel: their order must not matter
        m.higher_tables.reverse()
    try:
        for _ in range(months):
            m.step()
        m.finish()
        return headline(m, m.recorder.tables())
    finally:
        _release(m)


@pytest.mark.parametrize("scenario", ["gooi-vechtstreek-2024", "lokale-driehoek-2018"])
def test_the_order_in_which_tables_meet_does_not_matter(scenario):
    assert _metrics(scenario, 36, False) == pytest.approx(_metrics(scenario, 36, True), nan_ok=True)

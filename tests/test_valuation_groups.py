"""Cases valued in groups give what one valuation of them all gives: every value is per case.

The recorder values a month's agreements in groups of similar package size (``sim.tables.width_groups``),
so that a performance agreement's two variants are not padded to a national case's ninety. That is
a refactor only if padding a case to a wider batch changes none of its own values."""

import numpy as np

import sim.runner as runner
from sim import scenario as scn
from sim.model import HousingTablesModel
from sim.tables import view, width_groups


def test_cases_valued_in_groups_of_package_size_keep_every_value_they_have_in_one_valuation():
    sc = scn.load("woondeal-ladder")
    params = sc.parameter_values({"run.months": 30})
    model = HousingTablesModel(sc, params, seed=2, run_id="groups")
    try:
        for _ in range(30):
            model.step()
        cases = [c for c in model.cases if c.space is not None]
        assert len({c.space.size for c in cases}) >= 2, "the scenario should give packages of several sizes"
        groups = width_groups(cases)
        assert sorted(r for g in groups for r in g) == list(range(len(cases)))   # each case in one group
        assert len(groups) >= 2
        whole = view(model, cases, model.month, known_cost=True)
        shortfall = whole.total(whole.true_need()) - whole.val.surplus
        for rows in groups:
            part = view(model, [cases[r] for r in rows], model.month, known_cost=True)
            assert part.val.size[1] == max(cases[r].space.size for r in rows)     # as wide as its widest
            got = part.total(part.true_need()) - part.val.surplus
            for k, r in enumerate(rows):
                n = cases[r].space.size
                assert np.array_equal(got[k, :n], shortfall[r, :n])
                assert np.array_equal(part.val.rent[k, :n], whole.val.rent[r, :n])
    finally:
        runner._release(model)

"""What a case's package variants are worth at market-standard numbers, in one month.

The surplus of a variant is the value the plan creates above its construction and land
development costs, at the market's reference yields (EUR per home of the case):

    S(v) = s_mid(v) (V_mid(v) - C) + s_soc (V_soc - C) + s_free(v) P_own - D + priority(v) G(v)

with V_mid the value of a mid-rent home at the variant's rent and commitment, V_soc that of
a social home, P_own what a free-sector plot fetches (its residual land value for owner-
occupied homes), D the land development cost and G the value of earlier delivery when the
municipality fast-tracks the procedure. Each party's reservation (``agents/*``) is the least
claim on S it can sign for; it contains the party's own deviation from the market standard
(an investor's own required yield, a developer's own margin), so a table that does not
seat a party can still reserve a market-standard guess for it (docs/ODD.md 3.4.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.base import Economy
from sim import economics as eco
from sim.package import PackageSpace


@dataclass(frozen=True)
class CaseValues:
    space: PackageSpace
    econ: Economy
    construction_cost: float          # EUR per home, the case's own (known) cost
    rent: np.ndarray                  # mid-rent rent per variant, EUR/month
    v_mid: np.ndarray                 # value of a mid-rent home per variant at the reference yield
    v_soc: float                      # value of a social home at the corporations' reference return
    k_investor: float                 # investors' reference net yield this month
    k_corporation: float
    surplus: np.ndarray               # S(v), EUR per home, intervention money excluded
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def mid_value_at(self, k: float) -> np.ndarray:
        """Value of a mid-rent home per variant at another required yield (cached: parties ask twice)."""
        key = ("mid", k)
        if key not in self._cache:
            e, s = self.econ, self.space
            self._cache[key] = eco.capitalised_value(self.rent, e.operating_cost_share, k, s.commitment, e.market_rent)
        return self._cache[key]

    def social_value_at(self, k: float) -> float:
        return eco.capitalised_value(self.econ.social_rent, self.econ.operating_cost_share, max(k, 1e-3))


def case_values(case, space: PackageSpace, econ: Economy, priority_months: float,
                cost_known: bool = True) -> CaseValues:
    """Value ``case``'s variants at this month's prices in its municipality.

    ``cost_known``: a concrete case's own construction cost (``case.cost_factor``) is on the
    table; a general question is valued at the standard cost until it is concretised.
    """
    c = econ.construction_cost * (case.cost_factor if cost_known else 1.0)
    highest = min(econ.market_rent, econ.midrent_cap)
    rent = np.maximum(econ.social_rent, highest * space.rent_factor())
    k_inv, k_corp = econ.investor_return, max(econ.corporation_return, 1e-3)
    v_mid = eco.capitalised_value(rent, econ.operating_cost_share, k_inv, space.commitment, econ.market_rent)
    v_soc = eco.capitalised_value(econ.social_rent, econ.operating_cost_share, k_corp)
    gain = (eco.earlier_delivery_gain(space.mid_share * v_mid, k_inv, priority_months)
            + eco.earlier_delivery_gain(space.social_share * v_soc, k_corp, priority_months))
    surplus = (space.mid_share * (v_mid - c) + space.social_share * (v_soc - c) + space.free_share * econ.owner_land_price
               - econ.land_development_cost + space.priority * gain)
    return CaseValues(space, econ, c, rent, v_mid, v_soc, k_inv, k_corp, surplus)

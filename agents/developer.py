"""Developer (ontwikkelaar): builds, needs its margin, may hold land positions."""

from __future__ import annotations

import numpy as np

from agents.base import Actor


class Developer(Actor):
    kind = "developer"

    def __init__(self, model, name, *, margin, build_capacity, risk_appetite, autonomy, cycle_months,
                 cycle_phase, drift=None):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase, drift)
        self.margin = margin
        self.build_capacity = build_capacity      # homes started per year
        self.risk_appetite = risk_appetite        # 0..1

    def required_margin(self, standard: bool = False) -> float:
        """A developer with more appetite for risk settles for a thinner margin (within
        ``developer.margin_spread`` either side of the market's); a table that does not seat
        it assumes the market's margin."""
        if standard:
            return self.margin
        spread = self.model.p["developer.margin_spread"]
        return self.margin * (1.0 + spread - 2.0 * spread * self.risk_appetite)

    def reservation(self, case, values, standard: bool = False) -> np.ndarray:
        """Its margin on the rented homes it builds, plus, on its own land, the premium its position carries.

        A land position is leverage: the developer wants ``developer.land_premium`` of what the
        site would fetch above its development cost if built for owner-occupiers (the price it
        paid for the position, or expects). It cannot count on all of it: municipalities can
        require affordable shares on private land (doelgroepenverordening, Wro 2014).
        """
        p, s, e = self.model.p, values.space, values.econ
        claim = self.required_margin(standard) * (s.mid_share * values.v_mid + s.social_share * values.v_soc)
        if case.land_owner == "developer":
            claim = claim + p["developer.land_premium"] * max(0.0, e.owner_land_price - e.land_development_cost)
        return claim

    def stake(self, case, values) -> np.ndarray:
        return self.reservation(case, values)

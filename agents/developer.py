"""Developer (ontwikkelaar): builds, needs its margin, may hold land positions."""

from __future__ import annotations

import numpy as np

from agents.base import Actor, column


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

    @classmethod
    def reservations(cls, val, rows, agents, standard: bool = False) -> np.ndarray:
        """Its margin on the rented homes it builds, plus, on its own land, the premium its position carries.

        A land position is leverage: the developer wants ``developer.land_premium`` of what the
        site would fetch above its development cost if built for owner-occupiers (the price it
        paid for the position, or expects). It cannot count on all of it: municipalities can
        require affordable shares on private land (doelgroepenverordening, Wro 2014).
        """
        if len(rows) == 0:
            return np.zeros((0, val.size[1]))
        p = agents[0].model.p
        margin = column([a.required_margin(standard) for a in agents])
        claim = margin * (val.mid_share[rows] * val.v_mid[rows] + val.social_share[rows] * val.v_soc[rows])
        owner = val.developer_land[rows]
        premium = p["developer.land_premium"] * np.maximum(0.0, val.owner_land_price[rows]
                                                          - val.land_development_cost[rows])
        return np.where(owner, claim + premium, claim)

    stake_is_reservation = True

    @classmethod
    def stakes(cls, val, rows, agents) -> np.ndarray:
        return cls.reservations(val, rows, agents)

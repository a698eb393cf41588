"""Developer (ontwikkelaar): builds, needs its margin, may hold land positions."""

from __future__ import annotations

from agents.base import Actor, Economy, returns_for
from sim import economics as eco


class Developer(Actor):
    kind = "developer"

    def __init__(self, model, name, *, margin, build_capacity, risk_appetite, autonomy, cycle_months,
                 cycle_phase):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase)
        self.margin = margin
        self.build_capacity = build_capacity      # homes started per year
        self.risk_appetite = risk_appetite        # 0..1

    @property
    def required_margin(self) -> float:
        """A developer with more appetite for risk settles for a thinner margin (+-20%)."""
        return self.margin * (1.2 - 0.4 * self.risk_appetite)

    def reservation(self, case, econ: Economy) -> float:
        """Margin on the rented homes' value, plus, on its own land, the land's owner-occupied value.

        A land position is leverage: the developer gives up its alternative (selling the
        plot's homes to owners) only if paid for it.
        """
        investor_k, corporation_k = returns_for(case, self.model)
        value = (case.share("midrent") * econ.midrent_value(investor_k)
                 + case.share("social") * econ.social_value(corporation_k))
        claim = self.required_margin * value
        if case.land_owner == "developer":
            claim += ((case.share("midrent") + case.share("social"))
                      * eco.municipal_land_floor(econ.land_development_cost, econ.owner_land_price, 0.0)
                      + case.share("free") * econ.land_development_cost)
        return claim

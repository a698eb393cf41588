"""Housing corporation (woningcorporatie): builds social homes at a low return within its capacity."""

from __future__ import annotations

from agents.base import Actor, Economy


class Corporation(Actor):
    kind = "corporation"

    def __init__(self, model, name, *, required_return, investment_capacity, core, non_core, core_share,
                 autonomy, cycle_months, cycle_phase):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase)
        self.required_return = required_return
        self.investment_capacity = investment_capacity   # EUR per year
        self.core = list(core)                           # municipalities (core working area)
        self.non_core = list(non_core)
        self.core_share = core_share
        self.bids: dict[str, int] = {}                   # municipality name -> homes in the latest bid

    def budget_for(self, municipality) -> float:
        """Yearly budget for one municipality: core area by population, the rest spread thin."""
        if municipality in self.core:
            pop = sum(m.population for m in self.core) or 1
            share = self.core_share if self.non_core else 1.0
            return self.investment_capacity * share * municipality.population / pop
        if municipality in self.non_core:
            pop = sum(m.population for m in self.non_core) or 1
            return self.investment_capacity * (1.0 - self.core_share) * municipality.population / pop
        return 0.0

    def bid_homes(self, municipality, econ: Economy) -> int:
        """Annual bid (bod): social homes it can build in this municipality next year."""
        homes = int(self.budget_for(municipality) // econ.construction_cost)
        self.bids[municipality.name] = homes
        return homes

    def reservation(self, case, econ: Economy) -> float:
        return 0.0

    def opening(self, case, econ: Economy, padding: float) -> float:
        k = max(self.required_return, 1e-3)
        return case.share("social") * (econ.social_value(k) - econ.social_value(k * (1.0 + padding)))

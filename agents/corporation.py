"""Housing corporation (woningcorporatie): builds social homes at a low return within its capacity."""

from __future__ import annotations

import numpy as np

from agents.base import Actor, column, widened


class Corporation(Actor):
    kind = "corporation"

    def __init__(self, model, name, *, required_return, investment_capacity, core, non_core,
                 autonomy, cycle_months, cycle_phase, drift=None):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase, drift)
        self.required_return = required_return
        self.investment_capacity = investment_capacity   # EUR per year
        self.core = list(core)                           # municipalities (core working area)
        self.non_core = list(non_core)
        self.budgets: dict[str, float] = {}              # municipality name -> EUR this year
        self.bids: dict[str, int] = {}                   # municipality name -> homes in the latest bid
        self.reciprocity: dict[str, float] = {}          # municipality name -> counter-performance received, 0..1

    @property
    def working_area(self) -> list:
        return self.core + self.non_core

    def allocate(self, need_of, regional: set) -> None:
        """Spread this year's investment capacity over its working area (seed 004).

        Weight of municipality m: its need (``need_of(m)``) x 1 in the core area or
        ``corporation.noncore_weight`` outside it x (1 + ``corporation.reciprocity_weight`` x
        the counter-performance m gave in its last performance agreement). Where regional
        agreements coordinate the social stock (``regional``: municipalities whose tables
        review plans regionally or meet at regional scope), need counts and the core
        preference does not ("regionale afstemming ... verdeling van de sociale woningvoorraad").
        """
        p = self.model.p
        weights = {}
        for m in self.working_area:
            place = 1.0 if (m in self.core or m.name in regional) else p["corporation.noncore_weight"]
            weights[m.name] = need_of(m) * place * (1.0 + p["corporation.reciprocity_weight"]
                                                    * self.reciprocity.get(m.name, 0.0))
        total = sum(weights.values())
        self.budgets = {name: self.investment_capacity * w / total if total > 0 else 0.0
                        for name, w in weights.items()}

    def bid_homes(self, municipality, construction_cost: float) -> int:
        """Annual bid (bod): social homes it can build in this municipality next year."""
        homes = int(self.budgets.get(municipality.name, 0.0) // construction_cost)
        self.bids[municipality.name] = homes
        return homes

    @classmethod
    def reservations(cls, val, rows, agents, standard: bool = False) -> np.ndarray:
        """What it needs above the social homes' value at the corporations' reference return:
        the value its own required return takes off (none at the reference)."""
        width = val.size[1]
        if standard or len(rows) == 0:
            return np.zeros((len(rows), width))
        own = val.social_value_at(column([a.required_return for a in agents]), rows)
        need = val.social_share[rows] * np.maximum(0.0, val.v_soc[rows] - own)
        return widened(need, width)

    @classmethod
    def asks(cls, val, rows, agents, padding: np.ndarray, stakes: np.ndarray | None = None) -> np.ndarray:
        """It opens by asking a return ``padding`` above its requirement: the value difference."""
        k = np.maximum(column([a.required_return for a in agents]), 1e-3)
        return val.social_share[rows] * (val.social_value_at(k, rows)
                                         - val.social_value_at(k * (1.0 + padding[:, None]), rows))

    @classmethod
    def stakes(cls, val, rows, agents) -> np.ndarray:
        return widened(val.social_share[rows] * val.v_soc[rows], val.size[1])

"""Municipality (gemeente): owns most land, runs the land development, has a housing vision."""

from __future__ import annotations

import numpy as np

from agents.base import Actor, column, widened
from sim import economics as eco


class Municipality(Actor):
    kind = "municipality"

    def __init__(self, model, name, *, province, region, landsdeel, population, pressure,
                 vision_strength, financial_expertise, has_advisor, target_affordable_share, alderman_initiative,
                 process_capacity, plan_capacity, land_price_factor, rent_factor, autonomy, cycle_months,
                 cycle_phase, drift=None):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase, drift)
        self.province, self.region, self.landsdeel = province, region, landsdeel
        self.population = population
        self.pressure = pressure                  # 0..1 market pressure
        self.vision_strength = vision_strength    # 0..1
        self.financial_expertise = financial_expertise  # 0..1: can it judge a business case or a bid?
        self.has_advisor = has_advisor            # hires financial expertise for the tables
        self.target_affordable_share = target_affordable_share
        self.alderman_initiative = alderman_initiative  # 0..1: does the alderman bring cases to a table
        self.initial_vision, self.initial_initiative = vision_strength, alderman_initiative  # what elections vary around
        self.process_capacity = process_capacity  # cases in procedure at once
        self.plan_capacity = plan_capacity        # homes on available locations, left
        self.land_price_factor = land_price_factor  # local land prices relative to the scenario's
        self.rent_factor = rent_factor              # local market rent relative to the scenario's
        self.in_procedure = 0

    def expertise(self, pooled: float = 0.0) -> float:
        """Financial expertise it brings to a table: its own, an advisor's, or a regional pool's."""
        p = self.model.p
        e = self.financial_expertise
        if self.has_advisor:
            e += (1.0 - e) * p["municipality.advisor_boost"]
        return max(e, pooled)

    @staticmethod
    def affordability_values(val, rows, agents) -> np.ndarray:
        """EUR per home of the case each municipality is prepared to forgo for the variant's mid-rent homes.

        Its vision's arithmetic: each mid-rent home is worth ``municipality.midrent_value`` to
        the city (a middle-income household housed, a mixed neighbourhood: seed 000), plus the
        rent its tenant saves against the market over the commitment, discounted at the
        municipality's social discount rate; all scaled by the strength of its housing vision.
        Social homes are priced by land policy (``economics.social_land_price``) instead.
        """
        p = agents[0].model.p
        gap = 12.0 * np.maximum(0.0, val.market_rent[rows] - val.rent[rows]) * eco.annuity(
            val.commitment[rows], p["municipality.discount_rate"])
        vision = column([a.vision_strength for a in agents])
        return vision * val.mid_share[rows] * (p["municipality.midrent_value"] + gap)

    @staticmethod
    def land_floors(val, rows) -> np.ndarray:
        """Its land balance per home when the mid-rent plots go for nothing: free-sector plots at
        their residual price, social plots at the policy price, minus the land development cost.
        For a case without mid-rent homes this is the balance at policy prices."""
        return (val.free_share[rows] * val.owner_land_price[rows] + val.social_share[rows] * val.social_land_price[rows]
                - val.land_development_cost[rows])

    @classmethod
    def reservations(cls, val, rows, agents, standard: bool = False) -> np.ndarray:
        """Least net land balance per home (land revenue minus land development cost) it accepts.

        On its own land the land development (grondexploitatie) must balance over the case's
        whole area, after the contribution its vision makes for affordable homes; free-sector
        plots carry the rest, and no plot goes below nothing. A case without mid-rent homes
        follows land policy: social plots at the policy price. On a developer's land it runs no
        land development: it recovers its public costs (kostenverhaal), of which its vision may
        waive up to the affordability value. A fast-tracked procedure costs it
        ``municipality.priority_cost`` per home in scarce capacity.
        """
        if len(rows) == 0:
            return np.zeros((0, val.size[1]))
        p = agents[0].model.p
        a = cls.affordability_values(val, rows, agents)
        if standard:  # a table that does not seat the municipality assumes the declared vision
            a = a / column([max(x.vision_strength, 1e-12) for x in agents]) * p["municipality.vision_strength"]
        own = val.municipal_land[rows]
        floor = cls.land_floors(val, rows)
        public = np.where(val.mid_share[rows] > 0, np.maximum(-a, floor), floor)
        private = -np.minimum(a, p["economics.public_cost_share"] * val.land_development_cost[rows])
        return np.where(own, public, private) + val.priority[rows] * p["municipality.priority_cost"]

    @classmethod
    def stakes(cls, val, rows, agents) -> np.ndarray:
        """It asks as if it sold its plots at owner-occupied prices; on a developer's land, its costs."""
        own = val.municipal_land[rows]
        base = np.where(own, val.owner_land_price[rows], val.land_development_cost[rows])
        return widened(base, val.size[1])

"""Municipality (gemeente): owns most land, has a housing vision and limited capacity."""

from __future__ import annotations

from agents.base import Actor, Economy
from sim import economics as eco


class Municipality(Actor):
    kind = "municipality"

    def __init__(self, model, name, *, province, region, landsdeel, population, pressure,
                 vision_strength, financial_expertise, target_affordable_share, alderman_initiative, process_capacity,
                 plan_capacity, land_price_factor, rent_factor, autonomy, cycle_months, cycle_phase):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase)
        self.province, self.region, self.landsdeel = province, region, landsdeel
        self.population = population
        self.pressure = pressure                  # 0..1 market pressure
        self.vision_strength = vision_strength    # 0..1
        self.financial_expertise = financial_expertise
        self.target_affordable_share = target_affordable_share
        self.alderman_initiative = alderman_initiative  # 0..1: does the alderman bring cases to a table
        self.initial_vision, self.initial_initiative = vision_strength, alderman_initiative  # what elections vary around
        self.process_capacity = process_capacity  # cases in procedure at once
        self.plan_capacity = plan_capacity        # homes on available locations, left
        self.land_price_factor = land_price_factor  # local land prices relative to the scenario's
        self.rent_factor = rent_factor              # local market rent relative to the scenario's
        self.in_procedure = 0

    def land_floor_midrent(self, econ: Economy) -> float:
        return eco.municipal_land_floor(econ.land_development_cost, econ.owner_land_price, self.vision_strength)

    def reservation(self, case, econ: Economy) -> float:
        """Land revenue per home it needs.

        Free-sector homes must cover land development cost; social homes go at the
        customary social land price (cross-subsidised inside the land development);
        mid-rent homes need the land floor of the vision. On a developer's land the
        municipality sells nothing and claims nothing. An imposed case has its
        vision premium overruled: cost recovery only.
        """
        if case.land_owner != "municipality":
            return 0.0
        mid = econ.land_development_cost if case.imposed else self.land_floor_midrent(econ)
        return (case.share("free") * econ.land_development_cost
                + case.share("midrent") * mid
                + case.share("social") * econ.social_land_price)

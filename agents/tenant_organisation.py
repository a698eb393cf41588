"""Tenant organisation (huurdersorganisatie): volunteers pressing for affordability."""

from __future__ import annotations

import numpy as np

from agents.base import Actor


class TenantOrganisation(Actor):
    kind = "tenant"

    def __init__(self, model, name, *, knowledge, has_advisor, advisor_boost, critical_stance, volunteer_capacity,
                 autonomy, cycle_months, cycle_phase, drift=None):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase, drift)
        self.knowledge = knowledge
        self.has_advisor = has_advisor
        self.advisor_boost = advisor_boost
        self.critical_stance = critical_stance
        self.volunteer_capacity = volunteer_capacity  # 0..1: time volunteers can give

    @property
    def effective_knowledge(self) -> float:
        return min(1.0, self.knowledge + (self.advisor_boost if self.has_advisor else 0.0))

    def learn(self, gain: float) -> None:
        """Knowledge grows with every meeting attended (seed 004: 'intensief leerproces')."""
        rate = gain * (0.5 + self.volunteer_capacity)
        self.knowledge = min(1.0, self.knowledge + rate * (1.0 - self.knowledge))

    def reservation(self, case, values, standard: bool = False) -> np.ndarray:
        """The rent reduction it insists on, capitalised as the landlords would value it."""
        s, e = values.space, values.econ
        yearly = self.critical_stance * e.tenant_discount * 12.0 * (1.0 - e.operating_cost_share)
        return yearly * (s.mid_share / values.k_investor + s.social_share / values.k_corporation)

    def stake(self, case, values) -> np.ndarray:
        return self.reservation(case, values)

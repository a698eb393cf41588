"""Tenant organisation (huurdersorganisatie): volunteers pressing for affordability."""

from __future__ import annotations

import numpy as np

from agents.base import Actor, column


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
        rate = gain * (self.model.p["tenant.learning_floor"] + self.volunteer_capacity)
        self.knowledge = min(1.0, self.knowledge + rate * (1.0 - self.knowledge))

    @classmethod
    def reservations(cls, val, rows, agents, standard: bool = False) -> np.ndarray:
        """The rent reduction it insists on, capitalised as the landlords would value it."""
        if len(rows) == 0:
            return np.zeros((0, val.size[1]))
        stance = column([a.critical_stance for a in agents])
        yearly = stance * val.tenant_discount * 12.0 * (1.0 - val.operating_cost_share)
        return yearly * (val.mid_share[rows] / val.k_investor[rows] + val.social_share[rows] / val.k_corporation)

    stake_is_reservation = True

    @classmethod
    def stakes(cls, val, rows, agents) -> np.ndarray:
        return cls.reservations(val, rows, agents)

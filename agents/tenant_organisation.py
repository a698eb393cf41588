"""Tenant organisation (huurdersorganisatie): volunteers pressing for affordability."""

from __future__ import annotations

from agents.base import Actor, Economy, returns_for


class TenantOrganisation(Actor):
    kind = "tenant"

    def __init__(self, model, name, *, knowledge, has_advisor, advisor_boost, critical_stance, volunteer_capacity,
                 autonomy, cycle_months, cycle_phase):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase)
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

    def reservation(self, case, econ: Economy) -> float:
        """The rent reduction it insists on, capitalised as the landlords would value it."""
        yearly = self.critical_stance * econ.tenant_discount * 12.0 * (1.0 - econ.operating_cost_share)
        investor_k, corporation_k = returns_for(case, self.model)
        return yearly * (case.share("midrent") / investor_k + case.share("social") / max(corporation_k, 1e-3))

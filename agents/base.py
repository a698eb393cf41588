"""What every actor shares: autonomy, a decision cycle, and the claim interface."""

from __future__ import annotations

from dataclasses import dataclass, replace

import mesa

from sim import economics as eco


@dataclass
class Economy:
    """Prices in force in one month (construction cost drifts with inflation)."""

    construction_cost: float
    market_rent: float
    midrent_cap: float
    social_rent: float
    operating_cost_share: float
    owner_land_price: float
    land_development_cost: float
    social_land_price: float
    developer_margin: float
    tenant_discount: float
    commitment_years: float

    def local(self, municipality) -> "Economy":
        """Prices in one municipality: land prices and market rent scaled by its local factors."""
        f, r = municipality.land_price_factor, municipality.rent_factor
        return replace(self, market_rent=self.market_rent * r, owner_land_price=self.owner_land_price * f,
                       land_development_cost=self.land_development_cost * f,
                       social_land_price=self.social_land_price * f)

    def midrent_value(self, required_return: float) -> float:
        """Investor's value of a mid-rent home at ``required_return``."""
        rent = eco.midrent_rent(self.market_rent, self.midrent_cap)
        return eco.capitalised_value(rent, self.operating_cost_share, required_return,
                                     self.commitment_years, self.market_rent)

    def social_value(self, required_return: float) -> float:
        return eco.capitalised_value(self.social_rent, self.operating_cost_share, required_return)


def returns_for(case, model) -> tuple[float, float]:
    """Required returns of the case's own investor and corporation (the model's reference values if absent)."""
    inv, corp = case.cast.get("investor"), case.cast.get("corporation")
    return (inv.required_return if inv is not None else model.reference_return,
            corp.required_return if corp is not None else model.corporation_return)


class Actor(mesa.Agent):
    """A party that can sit at a table.

    ``autonomy`` sets the concession curve (high: Boulware, low: Conceder);
    ``cycle_months``/``cycle_phase`` its decision windows (council, board, committee).
    Trust towards others lives in the model's trust graph, not on the agent.
    """

    kind = "actor"

    def __init__(self, model, name: str, autonomy: float, cycle_months: int, cycle_phase: int):
        super().__init__(model)
        self.name = name
        self.autonomy = autonomy
        self.cycle_months = cycle_months
        self.cycle_phase = cycle_phase % cycle_months

    # --- decision cycle -----------------------------------------------------------------
    def months_to_window(self, month: int) -> int:
        """Months until this party can next take a binding decision (0: now)."""
        return (self.cycle_phase - month) % self.cycle_months

    # --- claim interface ----------------------------------------------------------------
    def reservation(self, case, econ: Economy) -> float:
        """Least claim (EUR per home of the case) this party can sign for."""
        raise NotImplementedError

    def opening(self, case, econ: Economy, padding: float) -> float:
        """First demand: the reservation padded by ``padding`` (a share)."""
        r = self.reservation(case, econ)
        return r + padding * abs(r)

    def step(self) -> None:  # tables drive the actors; nothing to do on their own
        pass

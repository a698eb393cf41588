"""What every actor shares: autonomy, a decision cycle, a board position, and the claim interface."""

from __future__ import annotations

from dataclasses import dataclass, replace

import mesa
import numpy as np


@dataclass(frozen=True)
class Economy:
    """Prices and market-standard returns in force in one month (``HousingTablesModel._economy``)."""

    construction_cost: float      # EUR/home
    market_rent: float            # EUR/month, free-sector rent of a new home
    midrent_cap: float            # EUR/month
    social_rent: float            # EUR/month, the liberalisation limit
    operating_cost_share: float
    owner_land_price: float       # EUR/home: what a plot fetches for owner-occupied homes
    land_development_cost: float  # EUR/home
    social_land_price: float      # EUR/home: the municipality's policy price for social plots
    developer_margin: float       # share of value
    tenant_discount: float        # EUR/month
    investor_return: float        # reference net initial yield this month (the market's)
    corporation_return: float     # corporations' reference required return

    def local(self, municipality) -> "Economy":
        """Prices in one municipality: land prices and market rent scaled by its local factors
        (kept with this month's prices: a month asks for the same municipality's prices often)."""
        f, r = municipality.land_price_factor, municipality.rent_factor
        cache = self.__dict__.setdefault("_local", {})
        if (f, r) not in cache:
            cache[(f, r)] = replace(self, market_rent=self.market_rent * r, owner_land_price=self.owner_land_price * f,
                                    land_development_cost=self.land_development_cost * f,
                                    social_land_price=self.social_land_price * f)
        return cache[(f, r)]


BLOCKED = 1e12   # a reservation no package can meet: the variant is outside the party's mandate


class Actor(mesa.Agent):
    """A party that can sit at a table.

    ``autonomy`` sets the concession curve (high: Boulware, low: Conceder);
    ``cycle_months``/``cycle_phase`` its decision windows (council, board, committee).
    ``drift`` is its board's position over the months, as a share of its stake in a case: the
    room its negotiator has moves between decision windows (seed 001: "op hetzelfde moment in
    de beslis-cyclus ... daarmee voorkom je dat partijen geen bewegingsruimte meer hebben").
    Trust towards others lives in the model's trust store, not on the agent.

    Every kind answers, for all variants of a case's package at once (numpy arrays): the
    least claim it can sign for (``reservation``), what it asks first (``opening``) and the
    size of what it has at stake (``stake``), all in EUR per home of the case.
    """

    kind = "actor"

    def __init__(self, model, name: str, autonomy: float, cycle_months: int, cycle_phase: int,
                 drift: np.ndarray | None = None):
        super().__init__(model)
        self.name = name
        self.autonomy = autonomy
        self.cycle_months = cycle_months
        self.cycle_phase = cycle_phase % cycle_months
        self.drift = drift

    # --- decision cycle -----------------------------------------------------------------
    def months_to_window(self, month: int) -> int:
        """Months until this party can next take a binding decision (0: now)."""
        return (self.cycle_phase - month) % self.cycle_months

    def position(self, month: int) -> float:
        """Its board's position this month: a shift of its reservation, as a share of its stake."""
        if self.drift is None or len(self.drift) == 0:
            return 0.0
        return float(self.drift[min(month, len(self.drift) - 1)])

    # --- claim interface (vectorised over the cases of a valuation) --------------------
    @classmethod
    def reservations(cls, val, rows, agents, standard: bool = False) -> np.ndarray:
        """Least claim per variant each of ``agents`` can sign for in case ``rows[i]`` of ``val``
        (shape (len(rows), V)); ``standard``: with market-standard numbers in place of its own
        (what a table that does not seat it has to assume)."""
        raise NotImplementedError

    @classmethod
    def openings(cls, val, rows, agents, padding: np.ndarray) -> np.ndarray:
        """First demand per variant: the reservation plus what it pads (``asks``)."""
        return cls.reservations(val, rows, agents) + cls.asks(val, rows, agents, padding)

    @classmethod
    def asks(cls, val, rows, agents, padding: np.ndarray, stakes: np.ndarray | None = None) -> np.ndarray:
        """What it asks above its reservation: ``padding`` (one per row) of its stake (``stakes``
        if the caller has them already). Separate from the reservation so that a table that has
        valued the reservations does not value them twice."""
        return padding[:, None] * (cls.stakes(val, rows, agents) if stakes is None else stakes)

    @classmethod
    def stakes(cls, val, rows, agents) -> np.ndarray:
        """The size of what each party has at stake in its case (EUR per home), per variant."""
        raise NotImplementedError

    stake_is_reservation = False   # ``stakes`` is ``reservations`` (a valuation need not compute it twice)

    def step(self) -> None:  # tables drive the actors; nothing to do on their own
        pass


def column(values, rows=None) -> np.ndarray:
    """A per-row attribute as an (n, 1) column, to broadcast against (n, V) arrays."""
    return np.asarray(values, dtype=float).reshape(-1, 1)


def widened(values: np.ndarray, width: int) -> np.ndarray:
    """An (n, 1) column repeated over ``width`` variants as a new (n, width) array: what
    ``np.broadcast_to(values, (n, width)).copy()`` gives, without its Python-level overhead."""
    out = np.empty((len(values), width))
    out[:] = values
    return out

"""Institutional investor (belegger): buys mid-rent homes at its required net yield, within its mandate."""

from __future__ import annotations

import numpy as np

from agents.base import BLOCKED, Actor, column


class Investor(Actor):
    kind = "investor"

    def __init__(self, model, name, *, required_return, capital, max_case_share, commitment_horizon, autonomy,
                 cycle_months, cycle_phase, drift=None):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase, drift)
        self.base_return = required_return            # its net initial yield (NAR) in the start year
        self.capital = capital
        self.max_case_share = max_case_share
        self.commitment_horizon = commitment_horizon  # most years its mandate lets it keep homes mid-rent

    def required_return(self, econ) -> float:
        """Its own required net yield this month: its start-year yield moved with the market's."""
        return self.base_return * econ.investor_return / self.model.p["investor.required_return"]

    @property
    def case_limit(self) -> float:
        """Portfolio rule: the most it puts into one case, ``max_case_share`` of its capital.

        The investment is measured at construction cost (what building the homes takes), not
        at the investor's own valuation, so the rule does not loosen when its required return
        rises. History-free: one deal never crowds out another. (The model compares a case with
        every investor's limit at once: ``HousingTablesModel._cast``.)
        """
        return self.capital * self.max_case_share

    @classmethod
    def own_yields(cls, val, rows, agents) -> np.ndarray:
        """Each one's own required net yield in its case's month, as an (n, 1) column: ``required_return``
        for the rows of a valuation (``val.k_investor`` is the market's yield in each case's month)."""
        p = agents[0].model.p
        return column([a.base_return for a in agents]) * val.k_investor[rows] / p["investor.required_return"]

    @classmethod
    def reservations(cls, val, rows, agents, standard: bool = False) -> np.ndarray:
        """What it needs above the market value of the homes: the value its own required yield
        takes off (none for a market-standard investor); a commitment longer than its mandate
        allows cannot be signed."""
        if len(rows) == 0:
            return np.zeros((0, val.size[1]))
        p = agents[0].model.p
        mid = val.mid_share[rows]
        if standard:
            k = val.k_investor[rows]
            horizon = np.full((len(rows), 1), p["investor.commitment_horizon"])
        else:
            k = cls.own_yields(val, rows, agents)
            horizon = column([a.commitment_horizon for a in agents])
        res = mid * (val.v_mid[rows] - val.mid_value_at(k, rows))
        return np.where((mid > 0) & (val.commitment[rows] > horizon + 1e-9), BLOCKED, res)

    @classmethod
    def asks(cls, val, rows, agents, padding: np.ndarray, stakes: np.ndarray | None = None) -> np.ndarray:
        """It opens by asking a yield ``padding`` above its requirement: the value difference."""
        k = cls.own_yields(val, rows, agents)
        return val.mid_share[rows] * (val.mid_value_at(k, rows) - val.mid_value_at(k * (1.0 + padding[:, None]), rows))

    @classmethod
    def stakes(cls, val, rows, agents) -> np.ndarray:
        return val.mid_share[rows] * val.v_mid[rows]

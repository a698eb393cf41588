"""Institutional investor (belegger): buys mid-rent homes at its required net yield, within its mandate."""

from __future__ import annotations

import numpy as np

from agents.base import BLOCKED, Actor


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

    def can_fund(self, case, econ) -> bool:
        """Portfolio rule: no case may take more than ``max_case_share`` of capital.

        The investment is measured at construction cost (what building the homes takes), not
        at the investor's own valuation, so the rule does not loosen when its required return
        rises. History-free: one deal never crowds out another.
        """
        return case.homes["midrent"] * econ.construction_cost <= self.capital * self.max_case_share

    def reservation(self, case, values, standard: bool = False) -> np.ndarray:
        """What it needs above the market value of the homes: the value its own required yield
        takes off (none for a market-standard investor); a commitment longer than its mandate
        allows cannot be signed."""
        s = values.space
        if standard:
            k, horizon = values.k_investor, self.model.p["investor.commitment_horizon"]
        else:
            k, horizon = self.required_return(values.econ), self.commitment_horizon
        res = s.mid_share * (values.v_mid - values.mid_value_at(k))
        return np.where((s.mid_share > 0) & (s.commitment > horizon + 1e-9), BLOCKED, res)

    def opening(self, case, values, padding: float) -> np.ndarray:
        """It opens by asking a yield ``padding`` above its requirement: the value difference."""
        k = self.required_return(values.econ)
        ask = values.space.mid_share * (values.mid_value_at(k) - values.mid_value_at(k * (1.0 + padding)))
        return self.reservation(case, values) + ask

    def stake(self, case, values) -> np.ndarray:
        return values.space.mid_share * values.v_mid

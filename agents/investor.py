"""Institutional investor (belegger): buys mid-rent homes at its required return."""

from __future__ import annotations

from dataclasses import replace

from agents.base import Actor, Economy


class Investor(Actor):
    kind = "investor"

    def __init__(self, model, name, *, required_return, capital, max_case_share, commitment_horizon, autonomy, cycle_months,
                 cycle_phase):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase)
        self.required_return = required_return
        self.capital = capital
        self.max_case_share = max_case_share
        self.commitment_horizon = commitment_horizon  # years it is willing to keep homes mid-rent

    def can_fund(self, case, econ: Economy) -> bool:
        """Portfolio rule: no case may take more than ``max_case_share`` of capital.

        The investment is measured at construction cost (what building the homes takes),
        not at the investor's own valuation, so the rule does not loosen when its
        required return rises. A per-case test, deliberately history-free, so one deal
        never crowds out another.
        """
        return case.homes["midrent"] * econ.construction_cost <= self.capital * self.max_case_share

    def reservation(self, case, econ: Economy) -> float:
        """Surplus above its required return: zero, unless the municipality demands a longer
        mid-rent commitment than this investor wants to give; then it asks to be paid the
        value that the extra years cost it."""
        if econ.commitment_years <= self.commitment_horizon:
            return 0.0
        k = self.required_return
        shorter = replace(econ, commitment_years=self.commitment_horizon)
        return case.share("midrent") * max(0.0, shorter.midrent_value(k) - econ.midrent_value(k))

    def opening(self, case, econ: Economy, padding: float) -> float:
        """It opens by asking a yield ``padding`` above its requirement: the value difference."""
        k = self.required_return
        ask = case.share("midrent") * (econ.midrent_value(k) - econ.midrent_value(k * (1.0 + padding)))
        return self.reservation(case, econ) + ask

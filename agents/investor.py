"""Institutional investor (belegger): buys mid-rent homes at its required return."""

from __future__ import annotations

from agents.base import Actor, Economy


class Investor(Actor):
    kind = "investor"

    def __init__(self, model, name, *, required_return, capital, max_case_share, autonomy, cycle_months,
                 cycle_phase):
        super().__init__(model, name, autonomy, cycle_months, cycle_phase)
        self.required_return = required_return
        self.capital = capital
        self.max_case_share = max_case_share

    def can_fund(self, case, econ: Economy) -> bool:
        """Portfolio rule: no case may take more than ``max_case_share`` of capital.

        A per-case test, deliberately history-free, so one deal never crowds out another.
        """
        return case.homes["midrent"] * econ.midrent_value(self.required_return) <= self.capital * self.max_case_share

    def reservation(self, case, econ: Economy) -> float:
        """Surplus above its required return: it needs at least zero."""
        return 0.0

    def opening(self, case, econ: Economy, padding: float) -> float:
        """It opens by asking a yield ``padding`` above its requirement: the value difference."""
        k = self.required_return
        return case.share("midrent") * (econ.midrent_value(k) - econ.midrent_value(k * (1.0 + padding)))

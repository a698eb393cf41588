"""What a run reports: the headline metrics, declared once with unit and meaning.

Like the parameters (``sim/params.py``), every headline metric is declared here with
its unit and a short meaning; the run summary, the sweep runner's ``outcomes``
validation, reports and the dashboard all read this declaration. The formulas are in
docs/ODD.md section 4.8; a test keeps :func:`headline` and :data:`METRICS` in step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sim import reciprocity
from sim.case import State


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str
    meaning: str
    kind: str = "output"          # output | speed | reciprocity | process
    missing: str = "none"         # what a summary says when there is nothing to measure (the value is NaN)

    @property
    def bounds(self) -> tuple[float, float]:
        """The values a run's metric can take, from its unit (:data:`BOUNDS`); a confidence interval of
        its mean is clipped to them (``experiments.stats``). An undeclared unit is an error, not a guess."""
        return BOUNDS[self.unit]


NON_NEGATIVE = (0.0, math.inf)
BOUNDS: dict[str, tuple[float, float]] = {   # unit -> (lowest, highest) value a run can give
    "homes": NON_NEGATIVE, "homes per 1,000 inhabitants": NON_NEGATIVE, "count": NON_NEGATIVE,
    "cases": NON_NEGATIVE, "months": NON_NEGATIVE, "EUR": NON_NEGATIVE,
    "share": (0.0, 1.0), "0..1": (0.0, 1.0), "-1..1": (-1.0, 1.0),
}


def _m(name, unit, meaning, kind="output", missing="none"):
    return Metric(name, unit, meaning, kind, missing)


_DECLARED = [
    _m("homes_proposed", "homes", "homes in cases put forward during the run, plus the initial pipeline"),
    _m("homes_agreed", "homes", "homes in agreements that bound (ratified) during the run"),
    _m("midrent_agreed", "homes", "mid-rent homes in ratified agreements"),
    _m("midrent_agreed_at_tables", "homes",
       "mid-rent homes in cases whose table reached agreement, bound or not by the end of the run"),
    _m("social_agreed", "homes", "social-rent homes in ratified agreements"),
    _m("homes_started", "homes", "homes whose construction started during the run"),
    _m("homes_completed", "homes",
       "homes completed during the run (the initial pipeline included, so it can exceed homes agreed)"),
    _m("homes_abandoned", "homes", "homes in cases abandoned: stuck with nowhere left to go"),
    _m("affordable_share_agreed", "share", "social plus mid-rent share of the homes agreed", missing="none agreed"),
    _m("agreements", "count", "agreements that bound (ratified)", "process"),
    _m("agreements_lost", "count", "agreements lost at ratification (a party's room to move had gone)", "process"),
    _m("median_months_to_agreement", "months", "median months from a location case's opening to its agreement",
       "speed", missing="none agreed"),
    _m("median_months_to_completion", "months",
       "median months from a location case's opening to completion (completed cases)", "speed",
       missing="none completed"),
    _m("mean_months_to_performance_agreement", "months",
       "mean months from a corporation's bid to the local triangle's agreement on it (performance agreements)",
       "speed", missing="none agreed"),
    _m("mean_window_wait_months", "months", "mean months an agreement waited for its parties' decision windows",
       "speed", missing="none agreed"),
    _m("escalations_regional", "count", "cases sent to a regional versnellingstafel", "process"),
    _m("escalations_national", "count", "cases sent to the national versnellingstafel", "process"),
    _m("max_national_queue", "cases", "longest queue at the national versnellingstafel", "process"),
    _m("meetings", "count", "meetings held at all tables", "process"),
    _m("impasses", "count", "times a case reached the end of its concession clock without agreement", "process"),
    _m("mean_balance", "0..1", "mean over agreements of min/max concession: 1 = all parties moved equally",
       "reciprocity", missing="none agreed"),
    _m("give_and_take", "0..1", "how evenly value conceded flowed both ways between pairs (1 = evenly)",
       "reciprocity", missing="nothing conceded"),
    _m("conditional_concession", "-1..1",
       "how much more often parties concede right after another party conceded than otherwise", "reciprocity",
       missing="not observed"),
    _m("intervention_money_eur", "EUR", "money added by versnellingstafels to ratified agreements"),
]

METRICS: dict[str, Metric] = {m.name: m for m in _DECLARED}


def _max_national_queue(q: pd.DataFrame) -> int:
    national = q[q["level"] == "national"]
    return int(national.groupby("month")["queued"].sum().max()) if len(national) else 0


# Measures a group of municipalities also reports (``experiments.outcomes``, on the group's rows of the tables):
# one definition each, so the group's values over every municipality are the headline's.

def affordable_share(monthly: pd.DataFrame) -> float:
    """Social plus mid-rent share of the homes agreed; NaN when none were agreed."""
    agreed = monthly["agreed"].sum()
    return (float(monthly.loc[monthly["segment"].isin(["social", "midrent"]), "agreed"].sum() / agreed) if agreed
            else float("nan"))


def median_months_to_agreement(cases: pd.DataFrame) -> float:
    """Median months from a location case's opening to its agreement; NaN when none agreed."""
    located = cases[cases["kind"] == "midrent"] if len(cases) else cases
    speed = (located["agreed_month"] - located["opened"]).dropna() if len(cases) else pd.Series(dtype=float)
    return float(speed.median()) if len(speed) else float("nan")


def mean_balance(agreements: pd.DataFrame) -> float:
    """Mean balance of the ratified agreements; NaN when none bound."""
    ratified = agreements[agreements["ratified_month"].notna()] if len(agreements) else agreements
    return float(ratified["balance"].mean()) if len(ratified) else float("nan")


def headline(model, t: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The numbers a policymaker reads first; definitions in docs/ODD.md section 4.8."""
    m, c, a = t["monthly"], t["cases"], t["agreements"]

    def total(col, seg=None):
        x = m if seg is None else m[m["segment"] == seg]
        return int(x[col].sum())

    ratified = a[a["ratified_month"].notna()] if len(a) else a
    located = c[c["kind"] == "midrent"] if len(c) else c   # location cases; performance agreements follow the bid cycle
    done = located[located["final_state"] == State.COMPLETED.value] if len(c) else c
    # negotiated performance cases: a multi-year agreement's tranches never negotiate (no entered_open)
    bids = c[(c["kind"] == "performance") & c["entered_open"].notna()] if len(c) else c
    bid_speed = (bids["agreed_month"] - bids["opened"]).dropna() if len(c) else pd.Series(dtype=float)
    agreed_h = total("agreed")
    return {
        "homes_proposed": total("proposed"),
        "homes_agreed": agreed_h,
        "midrent_agreed": total("agreed", "midrent"),
        # mid-rent homes in cases whose table reached agreement (first time), bound or not yet:
        # unlike midrent_agreed it does not depend on decision windows at the end of the run
        "midrent_agreed_at_tables": (int(a.sort_values("month").drop_duplicates("case_id")["homes_midrent"].sum())
                                     if len(a) else 0),
        "social_agreed": total("agreed", "social"),
        "homes_started": total("started"),
        "homes_completed": total("completed"),
        "homes_abandoned": total("abandoned"),
        "affordable_share_agreed": affordable_share(m),
        "agreements": int(len(ratified)),
        "agreements_lost": int(a["lost_at_ratification"].sum()) if len(a) else 0,
        "median_months_to_agreement": median_months_to_agreement(c),
        "median_months_to_completion": float((done["entered_completed"] - done["opened"]).median()) if len(done) else float("nan"),
        "mean_months_to_performance_agreement": float(bid_speed.mean()) if len(bid_speed) else float("nan"),
        "mean_window_wait_months": float(ratified["window_wait_months"].mean()) if len(ratified) else float("nan"),
        "escalations_regional": int((t["escalations"]["level"] == "regional").sum()),
        "escalations_national": int((t["escalations"]["level"] == "national").sum()),
        "max_national_queue": _max_national_queue(t["queues"]),
        "meetings": int(sum(model.recorder.meetings.values())),
        "impasses": int(model.recorder.impasses),
        "mean_balance": mean_balance(a),
        "give_and_take": reciprocity.give_and_take(model.recorder.given_totals()),
        "conditional_concession": model.recorder.conditional_concession(),
        "intervention_money_eur": (float((ratified["intervention_money_per_home"] * ratified["homes"]).sum())
                                   if len(ratified) else 0.0),
    }

"""``run()``: the one pure entry point. Everything else is a view on it.

``run(scenario, seed, overrides)`` resolves parameters through the one declaration,
builds the model, steps it, and returns tidy tables plus headline metrics. The run's
identity is a hash of scenario, parameters, seed and model version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import reciprocity
from sim import scenario as scn
from sim.case import State

TABLES = ("monthly", "cases", "agreements", "concessions", "escalations", "queues", "pairs")


@dataclass
class RunResult:
    run_id: str
    scenario: str
    seed: int
    params: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    metrics: dict[str, float]
    model_version: str = ""

    def __getattr__(self, name):  # result.monthly, result.cases, ...
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)


def _jsonable(v):
    if isinstance(v, frozenset):
        return sorted(v)
    return v


def run_id_for(scenario, params: dict, seed: int) -> str:
    from sim import __version__
    blob = json.dumps({"scenario": scenario.digest(), "params": {k: _jsonable(v) for k, v in sorted(params.items())},
                       "seed": seed, "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def run(scenario="middenhuur-2017", seed: int = 0, overrides: dict | None = None,
        months: int | None = None) -> RunResult:
    """Run one scenario once.

    ``scenario``: a built-in name, a YAML path or a Scenario object. ``overrides``: declared
    parameter names -> values (plus ``table.format`` to apply a preset first). ``months``
    is a shortcut for ``overrides={"run.months": months}``.
    """
    from sim import __version__
    from sim.model import HousingTablesModel

    sc = scn.load(scenario)
    overrides = dict(overrides or {})
    if months is not None:
        overrides["run.months"] = months
    params = sc.parameter_values(overrides)
    rid = run_id_for(sc, params, int(seed))
    model = HousingTablesModel(sc, params, seed=int(seed), run_id=rid)
    try:
        for _ in range(params["run.months"]):
            model.step()
        model.finish()
        tables = model.recorder.tables()
        metrics = headline(model, tables)
    finally:
        _release(model)
    return RunResult(rid, sc.name, int(seed), {k: _jsonable(v) for k, v in params.items()}, tables, metrics,
                     __version__)


def _release(model) -> None:
    """Mesa 3.3 keeps a per-model id counter in a class-level dict keyed by the model,
    which holds every model (and through it every agent) alive; drop ours."""
    mesa.Agent._ids.pop(model, None)
    for agent in list(model.agents):
        agent.remove()


def headline(model, t: dict[str, pd.DataFrame]) -> dict[str, float]:
    """The numbers a policymaker reads first; definitions in docs/ODD.md section 4.8."""
    m, c, a = t["monthly"], t["cases"], t["agreements"]

    def total(col, seg=None):
        x = m if seg is None else m[m["segment"] == seg]
        return int(x[col].sum())

    ratified = a[a["ratified_month"].notna()] if len(a) else a
    located = c[c["kind"] == "midrent"] if len(c) else c   # location cases; performance agreements follow the bid cycle
    speed = (located["agreed_month"] - located["opened"]).dropna() if len(c) else pd.Series(dtype=float)
    done = located[located["final_state"] == State.COMPLETED.value] if len(c) else c
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
        "affordable_share_agreed": (total("agreed", "midrent") + total("agreed", "social")) / agreed_h if agreed_h else 0.0,
        "agreements": int(len(ratified)),
        "agreements_lost": int(a["lost_at_ratification"].sum()) if len(a) else 0,
        "median_months_to_agreement": float(speed.median()) if len(speed) else float("nan"),
        "median_months_to_completion": float((done["entered_completed"] - done["opened"]).median()) if len(done) else float("nan"),
        "mean_window_wait_months": float(ratified["window_wait_months"].mean()) if len(ratified) else 0.0,
        "escalations_regional": int((t["escalations"]["level"] == "regional").sum()),
        "escalations_national": int((t["escalations"]["level"] == "national").sum()),
        "max_national_queue": int(t["queues"].loc[t["queues"]["level"] == "national", "queued"].max())
        if (t["queues"]["level"] == "national").any() else 0,
        "meetings": int(sum(model.recorder.meetings.values())),
        "impasses": int(model.recorder.impasses),
        "mean_balance": float(ratified["balance"].mean()) if len(ratified) else 1.0,
        "give_and_take": reciprocity.give_and_take(model.recorder.given_totals()),
        "conditional_concession": model.recorder.conditional_concession(),
        "intervention_money_eur": (float((ratified["intervention_money_per_home"] * ratified["homes"]).sum())
                                   if len(ratified) else 0.0),
    }

"""Outcomes a sweep can keep besides the model's headline metrics, computed here from a run's tables.

The model declares its headline metrics once (``sim.outputs.METRICS``). A study often
needs more from the same run without changing the model: the homes completed by 2030
(the horizon of the Nationale Woon- en Bouwagenda) per segment, how long escalated cases
wait in the versnellingstafels' queues, and outcomes *within groups of municipalities*
(large and small, high and low market pressure), which say where a table design works.
They are declared here like the metrics (``sim.outputs.Metric``: name, unit, meaning,
kind) and computed in the worker from the run's tables and the scenario's municipalities,
so the runner stores them as columns beside the metrics and compare, sensitivity and
report treat them alike. :data:`OUTCOMES` is every name an experiment file may list.

A group's measures follow the headline metrics' definitions (docs/ODD.md section 4.8)
restricted to the group's municipalities; a test checks that over all municipalities
they give the headline values back.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import pandas as pd

from sim import outputs
from sim.case import SEGMENTS
from sim.outputs import METRICS, Metric

TARGET_YEAR = 2030            # Nationale Woon- en Bouwagenda: 900,000 homes 2022-2030
LARGE_POPULATION = 100_000    # CBS's largest size class: the G4 and most of the G40 cities
HIGH_PRESSURE = 0.7           # scenarios' market pressure: Randstad provinces, Flevoland, Noord-Brabant

# group -> (what it is, which municipalities: a test on the frame of name, population, pressure)
GROUPS: dict[str, tuple[str, Callable[[pd.DataFrame], pd.Series]]] = {
    "large": (f"municipalities of {LARGE_POPULATION:,}+ inhabitants", lambda m: m["population"] >= LARGE_POPULATION),
    "small": (f"municipalities under {LARGE_POPULATION:,} inhabitants", lambda m: m["population"] < LARGE_POPULATION),
    "high_pressure": (f"municipalities with market pressure {HIGH_PRESSURE} or more",
                      lambda m: m["pressure"] >= HIGH_PRESSURE),
    "low_pressure": (f"municipalities with market pressure below {HIGH_PRESSURE}",
                     lambda m: m["pressure"] < HIGH_PRESSURE),
}


# --- measures of a (restricted) run: tables and the population they cover -------------------

def homes_agreed_per_1000(t: dict, population: int) -> float:
    return 1_000 * float(t["monthly"]["agreed"].sum()) / population if population else float("nan")


def affordable_share_agreed(t: dict, population: int) -> float:
    return outputs.affordable_share(t["monthly"])


def median_months_to_agreement(t: dict, population: int) -> float:
    return outputs.median_months_to_agreement(t["cases"])


def mean_balance(t: dict, population: int) -> float:
    return outputs.mean_balance(t["agreements"])


class GroupMeasure(NamedTuple):
    unit: str
    meaning: str
    kind: str
    function: Callable      # (a run's tables restricted to the group, the group's population) -> value
    missing: str            # what a summary says where the group has nothing to measure (the value is NaN)


GROUP_MEASURES: dict[str, GroupMeasure] = {
    "homes_agreed_per_1000": GroupMeasure("homes per 1,000 inhabitants",
                                          "homes in ratified agreements per 1,000 inhabitants", "output",
                                          homes_agreed_per_1000, "no inhabitants"),
    "affordable_share_agreed": GroupMeasure("share", "social plus mid-rent share of the homes agreed", "output",
                                            affordable_share_agreed, "none agreed"),
    "median_months_to_agreement": GroupMeasure("months", "median months from a location case's opening to its "
                                               "agreement", "speed", median_months_to_agreement, "none agreed"),
    "mean_balance": GroupMeasure("0..1", "mean over ratified agreements of min/max concession (1 = all moved "
                                 "equally)", "reciprocity", mean_balance, "none agreed"),
}


def restrict(tables: dict, names) -> dict:
    """The run's monthly, cases and agreements tables of these municipalities only."""
    keep = set(names)
    return {k: (tables[k][tables[k]["municipality"].isin(keep)] if len(tables[k]) else tables[k])
            for k in ("monthly", "cases", "agreements")}


# --- measures of the whole run ------------------------------------------------------------

def _completed_by(segment: str | None):
    def f(tables: dict, months: int) -> float:
        m = tables["monthly"]
        m = m[m["year"] <= TARGET_YEAR]
        return float(m["completed"].sum() if segment is None else m.loc[m["segment"] == segment, "completed"].sum())
    return f


def _affordable_completed(tables: dict, months: int) -> float:
    total = _completed_by(None)(tables, months)
    return ((_completed_by("social")(tables, months) + _completed_by("midrent")(tables, months)) / total if total
            else float("nan"))


def _queue_months(level: str):
    def f(tables: dict, months: int) -> float:
        e = tables["escalations"]
        e = e[e["level"] == level] if len(e) else e
        if not len(e):
            return float("nan")
        left = e["month_admitted"].fillna(e["month_out"]).fillna(months)   # still queued: counted to the run's end
        return float((left - e["month_in"]).mean())
    return f


RUN_MEASURES: dict[str, tuple[Metric, Callable]] = {
    **{f"completed_by_{TARGET_YEAR}_{s}": (
        Metric(f"completed_by_{TARGET_YEAR}_{s}", "homes", f"{s} homes completed up to and including {TARGET_YEAR}"),
        _completed_by(s)) for s in SEGMENTS},
    f"affordable_share_completed_by_{TARGET_YEAR}": (
        Metric(f"affordable_share_completed_by_{TARGET_YEAR}", "share",
               f"social plus mid-rent share of the homes completed up to and including {TARGET_YEAR}",
               missing="none completed"),
        _affordable_completed),
    **{f"mean_queue_months_{lv}": (
        Metric(f"mean_queue_months_{lv}", "months",
               f"mean months an escalated case waited in the {lv} versnellingstafel's queue until taken up or sent "
               "back (still waiting: to the run's end)", "speed", missing="none escalated"),
        _queue_months(lv)) for lv in ("regional", "national")},
}


def group_outcome(measure: str, group: str) -> str:
    return f"{measure}_in_{group}"


GROUP_OUTCOMES: dict[str, tuple[str, str]] = {   # outcome name -> (measure, group)
    group_outcome(measure, group): (measure, group) for group in GROUPS for measure in GROUP_MEASURES}

DERIVED: dict[str, Metric] = {
    **{name: metric for name, (metric, _) in RUN_MEASURES.items()},
    **{name: Metric(name, GROUP_MEASURES[m].unit, f"{GROUP_MEASURES[m].meaning}, in {GROUPS[g][0]}",
                    GROUP_MEASURES[m].kind, missing=GROUP_MEASURES[m].missing)
       for name, (m, g) in GROUP_OUTCOMES.items()},
}

OUTCOMES: dict[str, Metric] = {**METRICS, **DERIVED}


def municipalities(scenario) -> pd.DataFrame:
    """name, population and pressure of a scenario's municipalities (a ``sim.scenario.Scenario``)."""
    ms = scenario.all_municipalities()
    return pd.DataFrame({"name": [m.name for m in ms], "population": [m.population for m in ms],
                         "pressure": [m.pressure for m in ms]})


def values(names, result, munis: pd.DataFrame) -> dict[str, float]:
    """The outcomes ``names`` of one run (a ``sim.RunResult``); ``munis`` from :func:`municipalities`."""
    out: dict[str, float] = {}
    months = int(result.params["run.months"])
    groups: dict[str, tuple[dict, int]] = {}
    for name in names:
        if name in METRICS:
            out[name] = float(result.metrics[name])
        elif name in RUN_MEASURES:
            out[name] = float(RUN_MEASURES[name][1](result.tables, months))
        else:
            measure, group = GROUP_OUTCOMES[name]
            if group not in groups:
                members = munis[GROUPS[group][1](munis)]
                groups[group] = (restrict(result.tables, members["name"]), int(members["population"].sum()))
            t, population = groups[group]
            out[name] = float(GROUP_MEASURES[measure].function(t, population))
    return out

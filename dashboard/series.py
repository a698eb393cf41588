"""The data behind the comparison: tidy frames from the runs of designs A and B.

Each series is computed per run (``of_run``: one row per point in time) by the worker that
ran it, and ``combine`` stacks a job's runs with their design, replication and seed, so
that a figure's bands are summaries of these rows and its CSV export is these rows.
Definitions follow the headline metrics (``sim/outputs.py``, docs/ODD.md section 4.8): a
series' last point equals the run's metric where one exists (homes by segment, affordable
share), which the browser tests check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.stats import mean_ci, paired_difference
from sim.outputs import METRICS
from sim.reciprocity import give_and_take
from sim.runner import RunResult

FLOWS = ("proposed", "agreed", "started", "completed")
SEGMENTS = ("social", "midrent", "free")
LEVELS = ("regional", "national")


def dates(r: RunResult, months: pd.Series) -> np.ndarray:
    """Month index of a run -> the first day of that calendar month."""
    months = months.to_numpy(dtype=int)
    start = int(r.params["run.start_year"])
    return pd.to_datetime(pd.DataFrame({"year": start + months // 12, "month": months % 12 + 1, "day": 1})).values


def _months(r: RunResult) -> pd.Index:
    return pd.RangeIndex(int(r.params["run.months"]), name="month")


def _cumulative(r: RunResult) -> pd.DataFrame:
    """Homes so far by month and segment (columns: the flows), every month and segment present."""
    full = pd.MultiIndex.from_product([_months(r), SEGMENTS], names=["month", "segment"])
    flows = r.tables["monthly"].groupby(["month", "segment"])[list(FLOWS)].sum().reindex(full, fill_value=0)
    return flows.groupby(level="segment").cumsum()


def _homes(r: RunResult) -> pd.DataFrame:
    """Cumulative homes proposed, agreed, started and completed by segment, per month."""
    long = _cumulative(r).reset_index().melt(id_vars=["month", "segment"], var_name="flow", value_name="homes")
    long.insert(1, "date", dates(r, long["month"]))
    long["homes"] = long["homes"].astype(int)
    return long


def _affordable_share(r: RunResult) -> pd.DataFrame:
    """Social plus mid-rent share of the homes agreed so far, per month (empty before the first)."""
    agreed = _cumulative(r)["agreed"].unstack("segment")
    total = agreed.sum(axis=1)
    share = ((agreed["social"] + agreed["midrent"]) / total.where(total > 0)).rename("share").reset_index()
    share.insert(1, "date", dates(r, share["month"]))
    return share


def _years(r: RunResult) -> pd.RangeIndex:
    start = int(r.params["run.start_year"])
    return pd.RangeIndex(start, start + (int(r.params["run.months"]) - 1) // 12 + 1, name="year")


def _months_to_agreement(r: RunResult) -> pd.DataFrame:
    """Median months from opening to agreement of the location cases agreed in each year.

    Location cases only (kind "midrent"), as the headline metric: performance agreements
    follow the annual bid cycle instead.
    """
    c = r.tables["cases"]
    c = c[(c["kind"] == "midrent") & c["agreed_month"].notna()]
    start = int(r.params["run.start_year"])
    med = ((c["agreed_month"] - c["opened"]).groupby(start + c["agreed_month"].astype(int) // 12).median()
           .reindex(_years(r)).rename("months"))
    return med.astype(float).reset_index()


def _escalations(r: RunResult) -> pd.DataFrame:
    """Per month and level: cases escalated so far, and cases queued at that level's tables."""
    e, q = r.tables["escalations"], r.tables["queues"]
    months = _months(r)
    frames = []
    for level in LEVELS:
        sent = e.loc[e["level"] == level, "month_in"].astype(int).value_counts()
        queued = q.loc[q["level"] == level].groupby("month")["queued"].sum()
        df = pd.DataFrame({"escalated": sent.reindex(months, fill_value=0).cumsum(),
                           "queued": queued.reindex(months, fill_value=0)}).astype(int)
        df = df.reset_index().melt(id_vars="month", var_name="measure", value_name="cases")
        df.insert(1, "level", level)
        df.insert(1, "date", dates(r, df["month"]))
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _reciprocity(r: RunResult) -> pd.DataFrame:
    """Per year: mean balance of the agreements ratified, and give-and-take between pairs.

    The third measure, conditional concession, is recorded for the whole run only; it is in
    the summary table.
    """
    a, pairs = r.tables["agreements"], r.tables["pairs"]
    start = int(r.params["run.start_year"])
    years = _years(r)
    ratified = a[a["ratified_month"].notna()] if len(a) else a
    balance = (ratified.groupby(start + ratified["ratified_month"].astype(int) // 12)["balance"].mean()
               if len(ratified) else pd.Series(dtype=float))
    gt = {year: give_and_take({**{(i, j): g for i, j, g in zip(p["agent_i"], p["agent_j"], p["given_i_to_j"])},
                               **{(j, i): g for i, j, g in zip(p["agent_i"], p["agent_j"], p["given_j_to_i"])}})
          for year, p in pairs.groupby("year")} if len(pairs) else {}
    df = pd.DataFrame({"balance": balance.reindex(years), "give_and_take": pd.Series(gt, dtype=float).reindex(years)},
                      index=years)
    return df.reset_index().melt(id_vars="year", var_name="measure", value_name="value")


# name -> the series of one run; a job's workers compute them while the run is in memory (``dashboard.jobs``)
PER_RUN = {"homes": _homes, "affordable": _affordable_share, "speed": _months_to_agreement,
           "escalation": _escalations, "reciprocity": _reciprocity}


def of_run(r: RunResult) -> dict[str, pd.DataFrame]:
    """Every series of one run, without the design and replication columns."""
    return {name: f(r) for name, f in PER_RUN.items()}


def combine(frames: list[pd.DataFrame], ids: list[tuple[str, int, int]]) -> pd.DataFrame:
    """One series of many runs in one table: ``ids`` gives each frame's (design, replication, seed)."""
    out = []
    for df, (design, rep, seed) in zip(frames, ids):
        df = df.copy()
        df.insert(0, "seed", seed)
        df.insert(0, "replication", rep)
        df.insert(0, "design", design)
        out.append(df)
    return pd.concat(out, ignore_index=True)


def bands(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Mean, lowest and highest over replications (NaNs ignored), per design and ``by``."""
    g = df.groupby(["design", *by], sort=False)[value]
    return g.agg(mean="mean", low="min", high="max", n="count").reset_index()


def summary(metrics: dict[str, list[dict]]) -> pd.DataFrame:
    """Every declared headline metric: A and B with 95% CIs, and the paired B - A with its CI.

    ``metrics``: design -> each replication's metrics (a run's ``metrics``; None or missing: undefined).
    """
    rows = []
    for name, metric in METRICS.items():
        a = np.array([m.get(name, np.nan) for m in metrics["A"]], dtype=float)
        b = np.array([m.get(name, np.nan) for m in metrics["B"]], dtype=float)
        bounds = metric.bounds
        ea, eb, ed = mean_ci(a, bounds=bounds), mean_ci(b, bounds=bounds), paired_difference(b, a, bounds=bounds)
        rows.append({"metric": name, "kind": metric.kind, "unit": metric.unit, "meaning": metric.meaning,
                     "A_mean": ea.mean, "A_low": ea.low, "A_high": ea.high,
                     "B_mean": eb.mean, "B_low": eb.low, "B_high": eb.high,
                     "diff_mean": ed.mean, "diff_low": ed.low, "diff_high": ed.high, "pairs": ed.n,
                     "replications": min(len(a), len(b))})
    return pd.DataFrame(rows)

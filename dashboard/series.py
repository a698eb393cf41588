"""The data behind the comparison: tidy frames from the runs of designs A and B.

Every function takes ``runs`` (design -> runs by replication) and returns one row per
design, replication and point in time, so that a figure's bands are summaries of these
rows and its CSV export is these rows. Definitions follow the headline metrics
(``sim/outputs.py``, docs/ODD.md section 4.8): a series' last point equals the run's metric
where one exists (homes by segment, affordable share), which the browser tests check.
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


def _each(runs: dict[str, list[RunResult]]):
    for design, results in runs.items():
        for rep, r in enumerate(results):
            yield design, rep, r


def _ids(df: pd.DataFrame, design: str, rep: int, r: RunResult) -> pd.DataFrame:
    df.insert(0, "seed", r.seed)
    df.insert(0, "replication", rep)
    df.insert(0, "design", design)
    return df


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


def homes(runs) -> pd.DataFrame:
    """Cumulative homes proposed, agreed, started and completed by segment, per month."""
    frames = []
    for design, rep, r in _each(runs):
        long = (_cumulative(r).reset_index()
                .melt(id_vars=["month", "segment"], var_name="flow", value_name="homes"))
        long.insert(1, "date", dates(r, long["month"]))
        frames.append(_ids(long, design, rep, r))
    out = pd.concat(frames, ignore_index=True)
    out["homes"] = out["homes"].astype(int)
    return out


def affordable_share(runs) -> pd.DataFrame:
    """Social plus mid-rent share of the homes agreed so far, per month (empty before the first)."""
    frames = []
    for design, rep, r in _each(runs):
        agreed = _cumulative(r)["agreed"].unstack("segment")
        total = agreed.sum(axis=1)
        share = ((agreed["social"] + agreed["midrent"]) / total.where(total > 0)).rename("share").reset_index()
        share.insert(1, "date", dates(r, share["month"]))
        frames.append(_ids(share, design, rep, r))
    return pd.concat(frames, ignore_index=True)


def months_to_agreement(runs) -> pd.DataFrame:
    """Median months from opening to agreement of the location cases agreed in each year.

    Location cases only (kind "midrent"), as the headline metric: performance agreements
    follow the annual bid cycle instead.
    """
    frames = []
    for design, rep, r in _each(runs):
        c = r.tables["cases"]
        c = c[(c["kind"] == "midrent") & c["agreed_month"].notna()]
        start = int(r.params["run.start_year"])
        years = pd.RangeIndex(start, start + (int(r.params["run.months"]) - 1) // 12 + 1, name="year")
        med = ((c["agreed_month"] - c["opened"]).groupby(start + c["agreed_month"].astype(int) // 12).median()
               .reindex(years).rename("months"))
        frames.append(_ids(med.reset_index(), design, rep, r))
    return pd.concat(frames, ignore_index=True)


def escalations(runs) -> pd.DataFrame:
    """Per month and level: cases escalated so far, and cases queued at that level's tables."""
    frames = []
    for design, rep, r in _each(runs):
        e, q = r.tables["escalations"], r.tables["queues"]
        months = _months(r)
        for level in LEVELS:
            sent = e.loc[e["level"] == level, "month_in"].astype(int).value_counts()
            queued = q.loc[q["level"] == level].groupby("month")["queued"].sum()
            df = pd.DataFrame({"escalated": sent.reindex(months, fill_value=0).cumsum(),
                               "queued": queued.reindex(months, fill_value=0)}).astype(int)
            df = df.reset_index().melt(id_vars="month", var_name="measure", value_name="cases")
            df.insert(1, "level", level)
            df.insert(1, "date", dates(r, df["month"]))
            frames.append(_ids(df, design, rep, r))
    return pd.concat(frames, ignore_index=True)


def reciprocity(runs) -> pd.DataFrame:
    """Per year: mean balance of the agreements ratified, and give-and-take between pairs.

    The third measure, conditional concession, is recorded for the whole run only; it is in
    the summary table.
    """
    frames = []
    for design, rep, r in _each(runs):
        a, pairs = r.tables["agreements"], r.tables["pairs"]
        start = int(r.params["run.start_year"])
        years = pd.RangeIndex(start, start + (int(r.params["run.months"]) - 1) // 12 + 1, name="year")
        ratified = a[a["ratified_month"].notna()] if len(a) else a
        balance = (ratified.groupby(start + ratified["ratified_month"].astype(int) // 12)["balance"].mean()
                   if len(ratified) else pd.Series(dtype=float))
        gt = {year: give_and_take({**{(i, j): g for i, j, g in zip(p["agent_i"], p["agent_j"], p["given_i_to_j"])},
                                   **{(j, i): g for i, j, g in zip(p["agent_i"], p["agent_j"], p["given_j_to_i"])}})
              for year, p in pairs.groupby("year")} if len(pairs) else {}
        df = pd.DataFrame({"balance": balance.reindex(years), "give_and_take": pd.Series(gt).reindex(years)},
                          index=years)
        df = df.reset_index().melt(id_vars="year", var_name="measure", value_name="value")
        frames.append(_ids(df, design, rep, r))
    return pd.concat(frames, ignore_index=True)


def bands(df: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Mean, lowest and highest over replications (NaNs ignored), per design and ``by``."""
    g = df.groupby(["design", *by], sort=False)[value]
    return g.agg(mean="mean", low="min", high="max", n="count").reset_index()


def summary(runs) -> pd.DataFrame:
    """Every declared headline metric: A and B with 95% CIs, and the paired B - A with its CI."""
    rows = []
    for name, metric in METRICS.items():
        a = np.array([r.metrics.get(name, np.nan) for r in runs["A"]], dtype=float)
        b = np.array([r.metrics.get(name, np.nan) for r in runs["B"]], dtype=float)
        ea, eb, ed = mean_ci(a), mean_ci(b), paired_difference(b, a)
        rows.append({"metric": name, "kind": metric.kind, "unit": metric.unit, "meaning": metric.meaning,
                     "A_mean": ea.mean, "A_low": ea.low, "A_high": ea.high,
                     "B_mean": eb.mean, "B_low": eb.low, "B_high": eb.high,
                     "diff_mean": ed.mean, "diff_low": ed.low, "diff_high": ed.high, "pairs": ed.n})
    return pd.DataFrame(rows)

"""Analysis of a sweep: paired comparison of policies, and sensitivity of outcomes to parameters.

compare: replication r of every policy ran on the same seed at the same design point, so
the difference from the baseline is taken pair by pair and gets a Student-t interval
(``experiments.stats``). Per design point when parameters vary, and pooled over the
design: there each (point, replication) pair is one observation, so the interval covers
both the seeds' noise and how the effect varies over the design.

sensitivity: SALib's Sobol (first-order S1 and total ST) or Morris (mu*, sigma)
indices per policy and outcome, on the outcome averaged over replications at each
design point. The design's ``dummy`` parameter, which the model never sees but which
shifts the seed (``experiments.tasks``), gives the noise floor: an index whose interval
does not clear the dummy's cannot be told apart from the model's own noise. Failed runs
or NaN outcomes are refused, not silently zeroed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.outcomes import OUTCOMES
from experiments.results import experiment_of, read_manifest, read_runs
from experiments.spec import DUMMY
from experiments.stats import mean_ci, paired_difference
from experiments.tasks import cell
from sim.errors import InputError

COMPARE_COLUMNS = ["outcome", "unit", "policy", "baseline", "point", "n", "mean", "mean_low", "mean_high",
                   "n_pairs", "diff", "diff_low", "diff_high"]


def _runs_and_meta(source, baseline):
    if isinstance(source, pd.DataFrame):
        runs = source
        policies = sorted(set(runs["policy"]))
        outcomes = [c for c in runs.columns if c in OUTCOMES]
        default = policies[0] if len(policies) == 1 else None
        if baseline is None and default is None:
            raise InputError("compare", "baseline", f"name the baseline policy when comparing a table of runs "
                                                    f"(policies: {', '.join(policies)})")
        chosen = baseline or default
        if chosen in policies:   # the baseline first, as an experiment lists it
            policies = [chosen] + [p for p in policies if p != chosen]
    else:
        exp = experiment_of(source)
        runs, policies, outcomes, default = read_runs(source), list(exp.policies), exp.outcomes, exp.baseline
    baseline = baseline or default
    if baseline not in policies:
        raise InputError("compare", "--baseline", f"{baseline!r} is not a policy; policies: {', '.join(policies)}")
    return runs, policies, outcomes, baseline


def _rows(wide: pd.DataFrame, outcome: str, policies: list[str], baseline: str, point) -> list[dict]:
    out = []
    base = wide[baseline] if baseline in wide else pd.Series(np.nan, index=wide.index)
    bounds = OUTCOMES[outcome].bounds if outcome in OUTCOMES else None
    for policy in policies:
        x = wide[policy] if policy in wide else pd.Series(np.nan, index=wide.index)
        m = mean_ci(x, bounds=bounds)
        row = {"outcome": outcome, "unit": OUTCOMES[outcome].unit if outcome in OUTCOMES else "", "policy": policy,
               "baseline": baseline, "point": point, "n": m.n, "mean": m.mean, "mean_low": m.low,
               "mean_high": m.high, "n_pairs": 0, "diff": np.nan, "diff_low": np.nan, "diff_high": np.nan}
        if policy != baseline:
            d = paired_difference(x.to_numpy(), base.to_numpy(), bounds=bounds)
            row.update(n_pairs=d.n, diff=d.mean, diff_low=d.low, diff_high=d.high)
        out.append(row)
    return out


def compare(source, baseline: str | None = None, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Per outcome x policy (x design point, and pooled with point = <NA>): mean with its CI, the
    paired difference from the baseline with its 95% CI, and the numbers of runs and pairs."""
    runs, policies, known, baseline = _runs_and_meta(source, baseline)
    outcomes = _chosen(outcomes, known)
    ok = runs[runs["status"] == "ok"]
    if len(runs) and not len(ok):
        raise InputError("analysis", "runs", f"none of the {len(runs)} stored runs succeeded (the first error: "
                                             f"{runs['error'].iloc[0]}); nothing to compare")
    rows = []
    for outcome in outcomes:
        wide = ok.set_index(["point", "replication", "policy"])[outcome].unstack("policy")
        rows += _rows(wide, outcome, policies, baseline, pd.NA)
        if runs["point"].nunique() > 1:
            for point, g in wide.groupby(level="point"):
                rows += _rows(g, outcome, policies, baseline, int(point))
    df = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    df["point"] = df["point"].astype("Int64")
    return df


def _chosen(outcomes, known):
    if not outcomes:
        return list(known)
    bad = [o for o in outcomes if o not in known]
    if bad:
        raise InputError("analysis", "--outcome", f"{', '.join(bad)} not among this sweep's outcomes: "
                                                  f"{', '.join(known)}")
    return list(outcomes)


def _analysis_dir(directory) -> Path:
    d = Path(directory) / "analysis"
    try:
        d.mkdir(exist_ok=True)
    except OSError as e:   # a file named analysis, a read-only directory
        raise InputError(str(d), "analysis", f"cannot hold the analysis ({e.strerror or e}); move what is there "
                                             "or make the directory writable") from None
    return d


def compare_figure(df: pd.DataFrame):
    """Pooled paired differences with their 95% CIs, one panel per outcome; every policy named on
    its panel, in the experiment's order from the top (plotly would skip labels on a crowded axis)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    pooled = df[df["point"].isna() & (df["policy"] != df["baseline"])]
    outcomes = list(dict.fromkeys(pooled["outcome"])) or [""]
    policies = list(dict.fromkeys(pooled["policy"]))
    panel = max(150, 20 * len(policies) + 50)          # pixels: a row per policy and the panel's title
    height = panel * len(outcomes) + 80
    fig = make_subplots(rows=len(outcomes), cols=1, vertical_spacing=min(0.3, 55 / height),
                        subplot_titles=[f"{o} ({OUTCOMES[o].unit}): difference from {pooled['baseline'].iloc[0]}"
                                        if o in OUTCOMES else o for o in outcomes])
    for i, o in enumerate(outcomes, start=1):
        g = pooled[pooled["outcome"] == o]
        fig.add_trace(go.Scatter(
            x=g["diff"], y=g["policy"], mode="markers", name=o, showlegend=False, marker={"size": 10},
            error_x={"type": "data", "symmetric": False, "array": (g["diff_high"] - g["diff"]).tolist(),
                     "arrayminus": (g["diff"] - g["diff_low"]).tolist()},
            customdata=np.stack([g["diff_low"], g["diff_high"], g["n_pairs"]], axis=-1),
            hovertemplate="%{y}: %{x:.3g} (95% CI %{customdata[0]:.3g} to %{customdata[1]:.3g}, "
                          "n=%{customdata[2]})<extra></extra>"), row=i, col=1)
        fig.add_vline(x=0, line_dash="dot", line_color="grey", row=i, col=1)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=policies, tickmode="array",
                     tickvals=policies, autorange="reversed")
    fig.update_layout(height=height, margin={"l": 220, "r": 30, "t": 60, "b": 30},
                      title="Paired difference from the baseline (95% CI over replications)")
    return fig


def _write(df: pd.DataFrame, directory, name: str, figure) -> list[Path]:
    """``analysis/<name>.csv`` and its figure as offline HTML (plotly.js inlined) in a sweep's directory."""
    d = _analysis_dir(directory)
    df.to_csv(d / f"{name}.csv", index=False)
    figure(df).write_html(d / f"{name}.html", include_plotlyjs=True)
    return [d / f"{name}.csv", d / f"{name}.html"]


def file_name(kind: str, baseline: str | None = None, outcomes: list[str] | None = None) -> str:
    """``compare`` or ``sensitivity``, plus what narrows it: a comparison against another baseline or of
    some outcomes gets its own files rather than overwriting the whole sweep's."""
    parts = [kind] + ([f"vs-{baseline}"] if baseline else []) + (["+".join(outcomes)] if outcomes else [])
    return re.sub(r"[^\w.+=-]+", "_", "-".join(parts))


def write_compare(df: pd.DataFrame, directory, name: str = "compare") -> list[Path]:
    return _write(df, directory, name, compare_figure)


def num(v: float) -> str:
    """A number as a reader wants it: 2.1, 0.0457, 40, 1,234 (three significant digits below 100)."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def number_cell(v) -> str:
    """A number for a table's cell: ``num``'s, or empty where there is none (NaN)."""
    return "" if pd.isna(v) else num(v)


def interval(low, high) -> str:
    """A confidence interval as a reader wants it; empty where there is none (too few pairs)."""
    return "" if pd.isna(low) or pd.isna(high) else f"{num(low)} to {num(high)}"


def stored_note(directory) -> str:
    """How much of the sweep the comparison rests on: an interrupted sweep compares only the runs
    it stored, which ``tafelsim sweep --resume`` completes."""
    total = read_manifest(directory)["runs"]
    runs = read_runs(directory)
    failed = int((runs["status"] != "ok").sum())
    note = f"{len(runs)} of {total} runs stored" + (f", {failed} of them failed" if failed else "")
    if len(runs) < total:
        note += f": the sweep is incomplete; complete it with `tafelsim sweep EXPERIMENT --out {directory} --resume`"
    return note


def print_compare(df: pd.DataFrame) -> None:
    from rich.console import Console
    from rich.table import Table
    t = Table(title="Pooled over the design: mean and paired difference from the baseline (95% CI)")
    for c in ("outcome", "policy", "mean", "diff", "95% CI", "pairs"):
        t.add_column(c, justify="left" if c in ("outcome", "policy") else "right")
    for _, r in df[df["point"].isna()].iterrows():
        ci = "" if r["policy"] == r["baseline"] else interval(r["diff_low"], r["diff_high"])
        t.add_row(r["outcome"], r["policy"] + (" (baseline)" if r["policy"] == r["baseline"] else ""),
                  number_cell(r["mean"]), number_cell(r["diff"]), ci,
                  "" if r["policy"] == r["baseline"] else str(r["n_pairs"]))
    Console(width=120).print(t)


# --- sensitivity ---------------------------------------------------------------------------

SENSITIVITY_COLUMNS = ["method", "outcome", "policy", "parameter", "S1", "S1_low", "S1_high", "ST", "ST_low",
                       "ST_high", "mu_star", "mu_star_low", "mu_star_high", "sigma", "rank", "above_dummy"]


def indices(method: str, names: list[str], unit_x: np.ndarray, y: np.ndarray, levels: int = 4,
            seed: int = 0) -> pd.DataFrame:
    """SALib indices of ``y`` over a design drawn by ``experiments.design.unit_sample``.

    Returns one row per name with the index (ST or mu_star) as ``value`` and its 95% CI;
    ``above_dummy`` says whether the lower bound clears the dummy's upper bound. The intervals are
    SALib's bootstrap (index +- its half-width) clipped to the index's range: mu* is a mean of
    absolute effects (>= 0), S1 and ST are shares of variance (0..1); a lower bound of -0.3 for a
    mu* of 0.1 says only that the bootstrap is symmetric. A Sobol estimate can itself fall outside
    0..1 when the design is small (ST 1.6 at n = 8); its interval then reaches to the estimate, so
    that it always contains it.
    """
    from experiments.design import salib_problem
    problem = salib_problem(names)
    rows = pd.DataFrame({"parameter": names})
    if method == "sobol":
        from SALib.analyze import sobol
        s = sobol.analyze(problem, y, calc_second_order=False, conf_level=0.95, num_resamples=200, seed=seed)
        for k in ("S1", "ST"):
            rows[k] = s[k]
            rows[f"{k}_low"], rows[f"{k}_high"] = _within(s[k], s[f"{k}_conf"], 0.0, 1.0)
        key = "ST"
    else:
        from SALib.analyze import morris
        s = morris.analyze(problem, unit_x, y, conf_level=0.95, num_resamples=200, num_levels=levels, seed=seed)
        rows["mu_star"], rows["sigma"] = np.asarray(s["mu_star"]), np.asarray(s["sigma"])
        rows["mu_star_low"], rows["mu_star_high"] = _within(s["mu_star"], s["mu_star_conf"], 0.0, np.inf)
        key = "mu_star"
    rows["rank"] = rows[key].rank(ascending=False, method="min").astype(int)
    if DUMMY in names:
        floor = float(rows.loc[rows["parameter"] == DUMMY, f"{key}_high"].iloc[0])
        rows["above_dummy"] = rows[f"{key}_low"] > floor
    return rows


def _within(estimate, half_width, lowest: float, highest: float) -> tuple[np.ndarray, np.ndarray]:
    """estimate +- half_width, clipped to lowest..highest, widened back to an estimate outside it."""
    est, half = np.asarray(estimate, dtype=float), np.asarray(half_width, dtype=float)
    return (np.maximum(est - half, np.minimum(lowest, est)), np.minimum(est + half, np.maximum(highest, est)))


def sensitivity(directory, outcomes: list[str] | None = None) -> pd.DataFrame:
    """Sobol or Morris indices per policy and outcome (the method follows the design). An outcome
    that is undefined (NaN) at some design point cannot be ranked: it is refused, with the way out."""
    df, unranked = _sensitivity(directory, outcomes)
    if unranked:
        raise InputError(str(directory), "outcomes", "undefined (NaN) outcomes cannot be ranked: "
                         + "; ".join(unranked) + "; leave them out with --outcome or run longer (months)")
    return df


def rankable_sensitivity(directory) -> tuple[pd.DataFrame | None, list[str]]:
    """``sensitivity`` of every outcome that can be ranked, and a note for each that cannot (undefined at
    some design points: a reciprocity index where a point's runs agreed or observed nothing). A report
    shows the first and names the second, rather than dropping the whole analysis for one outcome."""
    df, unranked = _sensitivity(directory, None)
    return (df if len(df) else None), unranked


def _sensitivity(directory, outcomes: list[str] | None) -> tuple[pd.DataFrame, list[str]]:
    from experiments.design import unit_sample
    exp = experiment_of(directory)
    method = exp.design["type"]
    if method not in ("sobol", "morris"):
        raise InputError(str(directory), "design", f"sensitivity needs a sobol or morris design; this sweep's is "
                                                   f"{method} (use `tafelsim compare`)")
    outcomes = _chosen(outcomes, exp.outcomes)
    runs = read_runs(directory)
    if len(runs) < exp.runs:
        raise InputError(str(directory), "runs", f"{exp.runs - len(runs)} of {exp.runs} runs are not stored yet; "
                                                 "finish the sweep with --resume")
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        raise InputError(str(directory), "runs", f"{len(failed)} runs failed (e.g. {failed['run_id'].iloc[0]}: "
                                                 f"{failed['error'].iloc[0]}); redo them with --resume --retry-failed "
                                                 "before a sensitivity analysis")
    _check_design(exp, runs, directory)
    unit_x = unit_sample(method, exp.varied, exp.design)
    nan = []
    out = []
    for policy in exp.policies:
        mine = runs[runs["policy"] == policy]
        for outcome in outcomes:
            y = mine.groupby("point")[outcome].mean().sort_index().to_numpy()
            if np.isnan(y).any():
                nan.append(f"{outcome} ({policy}: NaN at {int(np.isnan(y).sum())} of {len(y)} points)")
                continue
            rows = indices(method, exp.varied, unit_x, y, exp.design["levels"], exp.design["seed"])
            out.append(rows.assign(method=method, outcome=outcome, policy=policy))
    frame = pd.concat(out, ignore_index=True) if out else pd.DataFrame()
    return frame.reindex(columns=SENSITIVITY_COLUMNS), nan


def _check_design(exp, runs: pd.DataFrame, directory) -> None:
    """The regenerated design must be the one the runs were made with."""
    stored = runs.drop_duplicates("point").set_index("point").sort_index()[exp.varied]
    drawn = exp.points.set_index("point")[exp.varied]

    def same(a: pd.Series, b: pd.Series) -> bool:
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            return bool(np.allclose(a.to_numpy(float), b.to_numpy(float)))
        return bool((a.astype(str).to_numpy() == b.map(cell).astype(str).to_numpy()).all())
    if stored.shape != drawn.shape or not all(same(stored[n], drawn[n]) for n in exp.varied):
        raise InputError(str(directory), "design", "experiment.yaml no longer reproduces the stored design points "
                                                   "(another SALib or scipy version?); rerun the sweep")


def sensitivity_figure(df: pd.DataFrame):
    """Ranking per outcome: the index with its CI per parameter, the dummy's as the noise floor."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    key = "ST" if (df["method"] == "sobol").all() else "mu_star"
    panels = list(dict.fromkeys(zip(df["outcome"], df["policy"])))
    def title(o, p):   # the panel's policy, and the unit of its axis (mu* is in the outcome's units)
        unit = "" if key == "ST" or o not in OUTCOMES else f": mu* in {OUTCOMES[o].unit}"
        return f"{o} ({p}){unit}"
    fig = make_subplots(rows=max(1, len(panels)), cols=1, subplot_titles=[title(o, p) for o, p in panels],
                        vertical_spacing=0.3 / max(1, len(panels)))
    for i, (o, p) in enumerate(panels, start=1):
        g = df[(df["outcome"] == o) & (df["policy"] == p)].sort_values(key)
        fig.add_trace(go.Bar(x=g[key], y=g["parameter"], orientation="h", name=key, showlegend=False,
                             marker_color=["lightgrey" if n == DUMMY else "steelblue" for n in g["parameter"]],
                             error_x={"type": "data", "symmetric": False,
                                      "array": (g[f"{key}_high"] - g[key]).tolist(),
                                      "arrayminus": (g[key] - g[f"{key}_low"]).tolist()}), row=i, col=1)
        floor = g.loc[g["parameter"] == DUMMY, f"{key}_high"]
        if len(floor):
            fig.add_vline(x=float(floor.iloc[0]), line_dash="dot", line_color="grey", row=i, col=1)
    # one scale for the panels of one outcome (its policies), so that bars compare across them
    for o in dict.fromkeys(o for o, _ in panels):
        g = df[df["outcome"] == o]
        lows, highs = g[[key, f"{key}_low"]].min(axis=1), g[[key, f"{key}_high"]].max(axis=1)
        lo, hi = min(0.0, float(lows.min())), float(highs.max())
        pad = 0.05 * (hi - lo) if hi > lo else 1.0
        for i, (o2, _) in enumerate(panels, start=1):
            if o2 == o:
                fig.update_xaxes(range=[lo - (pad if lo < 0 else 0), hi + pad], row=i, col=1)
    label = "total Sobol index ST" if key == "ST" else "Morris mu* (effect of a full-range step, output units)"
    fig.update_layout(height=60 + 40 * len(df) + 60 * len(panels), margin={"l": 260, "r": 30, "t": 90, "b": 30},
                      title=f"Sensitivity: {label}, 95% CI<br><sup>dotted line: the dummy's upper bound, the noise "
                            "floor (a parameter whose interval lies above it clears the model's noise)</sup>")
    return fig


def write_sensitivity(df: pd.DataFrame, directory, name: str = "sensitivity") -> list[Path]:
    return _write(df, directory, name, sensitivity_figure)


def print_sensitivity(df: pd.DataFrame) -> None:
    from rich.console import Console
    from rich.table import Table
    sobol = (df["method"] == "sobol").all()
    cols = ["S1", "ST"] if sobol else ["mu_star", "sigma"]
    t = Table(title=("Sobol indices" if sobol else "Morris screening") + " (95% CI); * clears the dummy's noise floor")
    for c in ("outcome", "policy", "rank", "parameter", *cols):
        t.add_column(c, justify="right" if c in cols or c == "rank" else "left")
    for _, r in df.sort_values(["outcome", "policy", "rank"]).iterrows():
        cells = [f"{number_cell(r[c])} ({number_cell(r[c + '_low'])} to {number_cell(r[c + '_high'])})" if c + "_low" in r
                 else number_cell(r[c])
                 for c in cols]
        t.add_row(r["outcome"], r["policy"], str(r["rank"]), r["parameter"] + (" *" if r["above_dummy"] is True else ""),
                  *cells)
    Console(width=140).print(t)

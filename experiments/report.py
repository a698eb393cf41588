"""``write_report``: one self-contained HTML page about a sweep, readable offline.

The page carries plotly.js inline (no request leaves the page) and shows: what was run,
findings in plain language, the comparison with its confidence intervals, the
sensitivity ranking (Sobol or Morris designs), and the yearly series with 95% bands
over replications. Findings say so when an interval includes zero: then the sweep
cannot tell whether the policy changes that outcome.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from experiments import analysis
from experiments.analysis import num
from experiments.results import atomic_write, experiment_of, read_manifest, read_runs, read_series
from experiments.stats import mean_ci
from sim.errors import InputError
from sim.outputs import METRICS


def _what(outcome: str) -> str:
    return METRICS[outcome].meaning if outcome in METRICS else outcome


def finding(row) -> str:
    """One sentence about a pooled comparison row (policy vs baseline)."""
    p, b, o = row["policy"], row["baseline"], row["outcome"]
    unit = METRICS[o].unit if o in METRICS else ""
    unit = f" {unit}" if unit and unit not in ("share", "0..1", "-1..1") else ""
    d, lo, hi, n = row["diff"], row["diff_low"], row["diff_high"], row["n_pairs"]
    if n < 2 or pd.isna(d):
        return f"Too few paired runs ({n}) to compare {p} with {b} on {o}."
    if lo == hi == d == 0:
        return f"{p} leaves {_what(o)} ({o}) unchanged in all {n} paired runs compared with {b}."
    if lo <= 0 <= hi:
        return (f"We cannot tell whether {p} changes {_what(o)} ({o}): the difference from {b} is "
                f"{'+' if d > 0 else ''}{num(d)}{unit}, and its 95% CI ({num(lo)} to {num(hi)}) includes no change "
                f"(n = {n} pairs).")
    speed = o in METRICS and METRICS[o].kind == "speed"
    verb = ("shortens" if d < 0 else "lengthens") if speed else ("raises" if d > 0 else "lowers")
    low, high = sorted((abs(lo), abs(hi)))
    return (f"{p} {verb} {_what(o)} ({o}) by {num(abs(d))}{unit} (95% CI {num(low)}-{num(high)}) "
            f"compared with {b} (n = {n} pairs).")


def sensitivity_findings(sens: pd.DataFrame, baseline: str) -> list[str]:
    out = []
    key = "ST" if (sens["method"] == "sobol").all() else "mu_star"
    label = "total Sobol index" if key == "ST" else "Morris mu*"
    for o, g in sens[sens["policy"] == baseline].groupby("outcome", sort=False):
        g = g[g["parameter"] != "dummy"].sort_values("rank")
        top = g.iloc[0]
        noise = g.loc[~g["above_dummy"].astype(bool), "parameter"].tolist()
        text = (f"For {o} under {baseline}, the most influential parameter is {top['parameter']} ({label} "
                f"{num(top[key])}, 95% CI {num(top[key + '_low'])} to {num(top[key + '_high'])}).")
        if noise:
            text += f" Not distinguishable from the dummy's noise floor: {', '.join(noise)}."
        out.append(text)
    return out


def series_figure(series: pd.DataFrame, name: str, policies: list[str]):
    """Yearly totals per policy: mean over (design point, replication) with a 95% band."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    s = series[series["series"] == name]
    segments = sorted(s["segment"].unique())
    fig = make_subplots(rows=1, cols=len(segments), shared_yaxes=True,
                        subplot_titles=[seg or "all segments" for seg in segments])
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]
    for j, seg in enumerate(segments, start=1):
        for i, policy in enumerate(policies):
            g = s[(s["segment"] == seg) & (s["policy"] == policy)]
            if g.empty:
                continue
            years, est = [], []
            for year, y in g.groupby("year"):
                years.append(int(year))
                est.append(mean_ci(y["value"]))
            c = colours[i % len(colours)]
            fig.add_trace(go.Scatter(x=years + years[::-1], y=[e.high for e in est] + [e.low for e in est][::-1],
                                     fill="toself", fillcolor=c, opacity=0.2, line={"width": 0}, hoverinfo="skip",
                                     mode="lines", name=f"{policy}: 95% band", showlegend=False, legendgroup=policy),
                          row=1, col=j)
            fig.add_trace(go.Scatter(x=years, y=[e.mean for e in est], mode="lines+markers", name=policy,
                                     line={"color": c}, legendgroup=policy, showlegend=j == 1), row=1, col=j)
    fig.update_layout(height=360, title=f"Homes {name} per year (mean and 95% band over replications)",
                      yaxis_title="homes per year", margin={"t": 80, "b": 40})
    return fig


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}.muted{color:#666}li{margin:.4em 0}"""


def _description(exp, manifest: dict, runs: pd.DataFrame) -> str:
    ok = int((runs["status"] == "ok").sum())
    pol = "".join(f"<li><b>{html.escape(p)}</b>{' (baseline)' if p == exp.baseline else ''}: "
                  f"{html.escape(', '.join(f'{k} = {v}' for k, v in s.items()) or 'the scenario as it is')}</li>"
                  for p, s in exp.policies.items())
    params = "".join(f"<li>{html.escape(n)}: {html.escape(str(s))}</li>" for n, s in exp.parameters.items())
    return (f"<p>{html.escape(exp.description)}</p><ul>"
            f"<li>Scenario <b>{html.escape(exp.scenario)}</b>, {exp.months} months; model {manifest['model_version']}"
            f"</li><li>Design: {exp.design['type']}, {manifest['design_points']} points; {exp.replications} "
            f"replications on seeds {exp.seed} to {exp.seed + exp.replications - 1} (every policy and point on the "
            f"same seeds: paired comparisons)</li><li>Runs: {len(runs)} of {manifest['runs']} stored, {ok} "
            f"succeeded, {len(runs) - ok} failed or timed out</li></ul>"
            f"<h3>Policies</h3><ul>{pol}</ul>" + (f"<h3>Varied parameters</h3><ul>{params}</ul>" if params else ""))


def _compare_table(cmp: pd.DataFrame) -> str:
    pooled = cmp[cmp["point"].isna()]
    rows = "".join(
        f"<tr><td>{html.escape(r.outcome)}</td><td>{html.escape(r.policy)}</td><td>{num(r.mean)}</td>"
        + ("<td colspan=3 class=muted>baseline</td>" if r.policy == r.baseline else
           f"<td>{num(r.diff)}</td><td>{num(r.diff_low)} to {num(r.diff_high)}</td><td>{r.n_pairs}</td>")
        + "</tr>" for r in pooled.itertuples() if not pd.isna(r.mean))
    return ("<table><tr><th>outcome</th><th>policy</th><th>mean</th><th>difference</th><th>95% CI</th>"
            f"<th>pairs</th></tr>{rows}</table>")


def write_report(directory, out_html) -> Path:
    """Write the report for result directory ``directory`` to ``out_html``."""
    import plotly.offline
    directory, out_html = Path(directory), Path(out_html)
    if not out_html.parent.is_dir():
        raise InputError(str(out_html), "--out", f"directory {out_html.parent} does not exist")
    exp, manifest, runs = experiment_of(directory), read_manifest(directory), read_runs(directory)
    figures: list[tuple[str, object]] = []
    cmp = analysis.compare(directory)
    findings = [finding(r) for _, r in cmp[cmp["point"].isna() & (cmp["policy"] != cmp["baseline"])].iterrows()]
    sections = [f"<h2>What was run</h2>{_description(exp, manifest, runs)}"]
    if len(exp.policies) > 1:
        figures.append(("compare-figure", analysis.compare_figure(cmp)))
        sections.append("<h2>Comparison with the baseline</h2><p>Pooled over the design: each policy's mean and "
                        "its paired difference from the baseline, with the 95% confidence interval over "
                        f"replications.</p>{_compare_table(cmp)}<div id=slot-compare-figure></div>")
    if exp.design["type"] in ("sobol", "morris"):
        try:
            sens = analysis.sensitivity(directory)
            findings += sensitivity_findings(sens, exp.baseline)
            figures.append(("sensitivity-figure", analysis.sensitivity_figure(sens)))
            sections.append("<h2>Sensitivity</h2><div id=slot-sensitivity-figure></div>")
        except InputError as e:
            sections.append(f"<h2>Sensitivity</h2><p>Not computed: {html.escape(e.message)}</p>")
    series = read_series(directory) if exp.series else pd.DataFrame()
    if len(series):
        sections.append("<h2>Yearly series</h2>")
        for s in exp.series:
            div = f"series-{s['name']}"
            figures.append((div, series_figure(series, s["name"], list(exp.policies))))
            sections.append(f"<div id=slot-{div}></div>")
    items = "".join(f"<li>{html.escape(f)}</li>" for f in findings) or "<li>No comparison to report.</li>"
    body = "".join(sections).replace("<h2>What was run</h2>", f"<h2>Findings</h2><ul>{items}</ul><h2>What was run</h2>", 1)
    for div, fig in figures:
        body = body.replace(f"<div id=slot-{div}></div>",
                            fig.to_html(full_html=False, include_plotlyjs=False, div_id=div, config={"responsive": True}))
    page = (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(exp.name)}: tafelsim "
            f"experiment</title><style>{CSS}</style><script>{plotly.offline.get_plotlyjs()}</script></head><body>"
            f"<h1>Experiment {html.escape(exp.name)}</h1><p class=muted>Result directory {html.escape(str(directory))}"
            f", created {manifest['created']}; experiment {manifest['experiment_hash']}</p>{body}</body></html>")
    atomic_write(out_html, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    return out_html

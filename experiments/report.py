"""``write_report``: one self-contained HTML page about a sweep, readable offline (or its Markdown).

The page carries plotly.js inline (no request leaves the page) and shows: what was run,
findings in plain language, the comparison with its confidence intervals, the
sensitivity ranking (Sobol or Morris designs), and the yearly series with 95% bands
over replications. Findings say so when an interval includes zero: then the sweep
cannot tell whether the policy changes that outcome.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments import analysis
from experiments.analysis import num
from experiments.outcomes import OUTCOMES
from experiments.results import atomic_write, check_target, experiment_of, read_manifest, read_runs, read_series
from experiments.stats import mean_ci
from sim.errors import InputError
from sim.outputs import NON_NEGATIVE


def _what(outcome: str) -> str:
    return OUTCOMES[outcome].meaning if outcome in OUTCOMES else outcome


def finding(row) -> str:
    """One sentence about a pooled comparison row (policy vs baseline)."""
    p, b, o = row["policy"], row["baseline"], row["outcome"]
    unit = OUTCOMES[o].unit if o in OUTCOMES else ""
    unit = f" {unit}" if unit and unit not in ("share", "0..1", "-1..1", "count") else ""
    d, lo, hi, n = row["diff"], row["diff_low"], row["diff_high"], row["n_pairs"]
    if n < 2 or pd.isna(d):
        return f"Too few paired runs ({n}) to compare {p} with {b} on {o}."
    if lo == hi == d == 0:
        return f"{p} leaves {_what(o)} ({o}) unchanged in all {n} paired runs compared with {b}."
    if lo <= 0 <= hi:
        return (f"We cannot tell whether {p} changes {_what(o)} ({o}): the difference from {b} is "
                f"{'+' if d > 0 else ''}{num(d)}{unit}, and its 95% CI ({num(lo)} to {num(hi)}) includes no change "
                f"(n = {n} pairs).")
    speed = o in OUTCOMES and OUTCOMES[o].kind == "speed"
    verb = ("shortens" if d < 0 else "lengthens") if speed else ("raises" if d > 0 else "lowers")
    low, high = sorted((abs(lo), abs(hi)))
    return (f"{p} {verb} {_what(o)} ({o}) by {num(abs(d))}{unit} (95% CI {num(low)}-{num(high)}) "
            f"compared with {b} (n = {n} pairs).")


def sensitivity_findings(sens: pd.DataFrame, baseline: str) -> list[str]:
    out = []
    key = "ST" if (sens["method"] == "sobol").all() else "mu_star"
    label = "total Sobol index" if key == "ST" else "Morris mu*"
    for o, g in sens[sens["policy"] == baseline].groupby("outcome", sort=False):
        floor = float(g.loc[g["parameter"] == "dummy", f"{key}_high"].iloc[0])
        g = g[g["parameter"] != "dummy"].sort_values("rank")
        clear = g[g["above_dummy"].astype(bool)]
        if clear.empty:
            out.append(f"For {o} under {baseline}, no parameter's {label} clears the noise floor (the dummy's, up to "
                       f"{num(floor)}): with this design the model's own noise hides their effects.")
            continue
        top = clear.iloc[0]
        text = (f"For {o} under {baseline}, the most influential parameter is {top['parameter']} ({label} "
                f"{num(top[key])}, 95% CI {num(top[key + '_low'])} to {num(top[key + '_high'])})")
        if len(clear) > 1:
            text += f", then {', '.join(clear['parameter'].iloc[1:])}"
        noise = g.loc[~g["above_dummy"].astype(bool), "parameter"].tolist()
        if noise:
            text += f"; not distinguishable from the model's noise (the dummy's, up to {num(floor)}): {', '.join(noise)}"
        out.append(text + ".")
    return out


def series_figure(series: pd.DataFrame, name: str, policies: list[str]):
    """Yearly totals per policy: mean over (design point, replication) with a 95% band."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    s = series[series["series"] == name]
    bounds = None if name == "relabelled" else NON_NEGATIVE   # homes; relabelled ones are negative for mid-rent
    segments = sorted(s["segment"].unique())
    fig = make_subplots(rows=1, cols=len(segments), shared_yaxes=True,
                        subplot_titles=[seg or "all segments" for seg in segments])
    from plotly.colors import qualitative
    colours = qualitative.Dark24   # one colour per policy up to 24 (a sweep compares up to about 15)
    for j, seg in enumerate(segments, start=1):
        for i, policy in enumerate(policies):
            g = s[(s["segment"] == seg) & (s["policy"] == policy)]
            if g.empty:
                continue
            years, est = [], []
            for year, y in g.groupby("year"):
                years.append(int(year))
                est.append(mean_ci(y["value"], bounds=bounds))
            c = colours[i % len(colours)]
            fig.add_trace(go.Scatter(x=years + years[::-1], y=[e.high for e in est] + [e.low for e in est][::-1],
                                     fill="toself", fillcolor=c, opacity=0.2, line={"width": 0}, hoverinfo="skip",
                                     mode="lines", name=f"{policy}: 95% band", showlegend=False, legendgroup=policy),
                          row=1, col=j)
            fig.add_trace(go.Scatter(x=years, y=[e.mean for e in est], mode="lines+markers", name=policy,
                                     line={"color": c}, legendgroup=policy, showlegend=j == 1), row=1, col=j)
    fig.update_xaxes(dtick=1, tickformat="d")
    fig.update_layout(height=max(360, 24 * len(policies) + 120),
                      title=f"Homes {name} per year (mean and 95% band over replications)",
                      yaxis_title="homes per year", margin={"t": 80, "b": 40})
    return fig


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}.muted{color:#666}li{margin:.4em 0}"""


def _value(v) -> str:
    return str(v).lower() if isinstance(v, bool) else "+".join(v) if isinstance(v, list) else str(v)


def _spec(s: dict) -> str:
    """A varied parameter as a reader says it: 'levels 1, 2' or 'range 0.03 to 0.05 (uniform)'."""
    if "values" in s:
        return "levels " + ", ".join(_value(v) for v in s["values"])
    extra = {"triangular": f", mode {s.get('mode')}", "normal": f", mean {s.get('mean')}, sd {s.get('sd')}"}
    return f"range {s['low']:g} to {s['high']:g} ({s['distribution']}{extra.get(s['distribution'], '')})"


def _description(exp, manifest: dict, runs: pd.DataFrame) -> str:
    ok = int((runs["status"] == "ok").sum())
    pol = "".join(f"<li><b>{html.escape(p)}</b>{' (baseline)' if p == exp.baseline else ''}: "
                  f"{html.escape(', '.join(f'{k} = {_value(v)}' for k, v in s.items()) or 'the scenario as it is')}"
                  "</li>" for p, s in exp.policies.items())
    params = "".join(f"<li>{html.escape(n)}: {html.escape(_spec(s))}</li>" for n, s in exp.parameters.items())
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
           f"<td>{analysis.number_cell(r.diff)}</td><td>{analysis.interval(r.diff_low, r.diff_high)}</td><td>{r.n_pairs}</td>")
        + "</tr>" for r in pooled.itertuples() if not pd.isna(r.mean))
    return ("<table><tr><th>outcome</th><th>policy</th><th>mean</th><th>difference</th><th>95% CI</th>"
            f"<th>pairs</th></tr>{rows}</table>")


@dataclass
class Content:
    """What a report says, whatever its format."""

    directory: Path
    exp: object
    manifest: dict
    runs: pd.DataFrame
    compare: pd.DataFrame
    findings: list[str]
    sensitivity: pd.DataFrame | None
    sensitivity_refused: str
    series: pd.DataFrame


def content(directory) -> Content:
    directory = Path(directory)
    exp, manifest, runs = experiment_of(directory), read_manifest(directory), read_runs(directory)
    cmp = analysis.compare(directory)
    findings = [finding(r) for _, r in cmp[cmp["point"].isna() & (cmp["policy"] != cmp["baseline"])].iterrows()]
    sens, refused = None, ""
    if exp.design["type"] in ("sobol", "morris"):
        try:
            sens, unranked = analysis.rankable_sensitivity(directory)
        except InputError as e:
            refused = e.message
        else:
            if sens is not None:
                findings += sensitivity_findings(sens, exp.baseline)
            if unranked:
                refused = ("undefined (NaN) at some design points, so not ranked: " + "; ".join(unranked)
                           + ("; every other outcome is ranked above" if sens is not None else ""))
    series = read_series(directory) if exp.series else pd.DataFrame()
    return Content(directory, exp, manifest, runs, cmp, findings, sens, refused, series)


def _figure(div: str, fig) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div, config={"responsive": True})


def _section(c: Content, h: int = 2, sfx: str = "") -> str:
    """A sweep's findings, description, comparison, sensitivity and series; headings from <h{h}>,
    figure ids ending in ``sfx`` (unique when a page holds several sweeps)."""
    exp = c.exp
    items = "".join(f"<li>{html.escape(f)}</li>" for f in c.findings) or "<li>No comparison to report.</li>"
    parts = [f"<h{h}>Findings</h{h}><ul>{items}</ul>",
             f"<h{h}>What was run</h{h}>{_description(exp, c.manifest, c.runs)}"]
    if len(exp.policies) > 1:
        parts.append(f"<h{h}>Comparison with the baseline</h{h}><p>Pooled over the design: each policy's mean and "
                     "its paired difference from the baseline, with the 95% confidence interval over replications.</p>"
                     + _compare_table(c.compare) + _figure(f"compare-figure{sfx}", analysis.compare_figure(c.compare)))
    if c.sensitivity is not None:
        parts.append(f"<h{h}>Sensitivity</h{h}>" + _figure(f"sensitivity-figure{sfx}",
                                                          analysis.sensitivity_figure(c.sensitivity)))
    if c.sensitivity_refused:
        parts.append((f"<h{h}>Sensitivity</h{h}>" if c.sensitivity is None else "")
                     + f"<p>Not computed: {html.escape(c.sensitivity_refused)}</p>")
    if len(c.series):
        parts.append(f"<h{h}>Yearly series</h{h}>")
        parts += [_figure(f"series-{s['name']}{sfx}", series_figure(c.series, s["name"], list(exp.policies)))
                  for s in exp.series]
    return (f"<p class=muted>Result directory {html.escape(str(c.directory))}, created {c.manifest['created']}; "
            f"experiment {c.manifest['experiment_hash']}</p>" + "".join(parts))


def html_page(contents: list[Content]) -> str:
    """One offline page (plotly.js inline once) for one sweep, or a section per sweep for several."""
    import plotly.offline
    names = [c.exp.name for c in contents]
    if len(contents) == 1:
        title, body = f"Experiment {names[0]}", _section(contents[0])
    else:
        title = "Experiments " + ", ".join(names)
        toc = "".join(f"<li><a href='#sweep-{i}'>{html.escape(n)}</a>: {html.escape(c.exp.description)}</li>"
                      for i, (n, c) in enumerate(zip(names, contents), start=1))
        body = f"<ul>{toc}</ul>" + "".join(
            f"<section id='sweep-{i}'><h2>Experiment {html.escape(n)}</h2>{_section(c, 3, f'-{i}')}</section>"
            for i, (n, c) in enumerate(zip(names, contents), start=1))
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}: tafelsim"
            f"</title><style>{CSS}</style><script>{plotly.offline.get_plotlyjs()}</script></head><body>"
            f"<h1>{html.escape(title)}</h1>{body}</body></html>")


def markdown(c: Content) -> str:
    """The findings and tables without figures (small enough to commit under results/)."""
    exp, m = c.exp, c.manifest
    ok = int((c.runs["status"] == "ok").sum())
    lines = [f"# Experiment {exp.name}", "", exp.description, "",
             f"Scenario `{exp.scenario}`, {exp.months} months, model {m['model_version']}; {exp.design['type']} design "
             f"with {m['design_points']} points x {len(exp.policies)} policies x {exp.replications} replications "
             f"(seeds {exp.seed}-{exp.seed + exp.replications - 1}, the same under every policy); {ok} of {m['runs']} "
             "runs succeeded.", "", "Policies: " + "; ".join(
                 f"**{p}**{' (baseline)' if p == exp.baseline else ''}: "
                 + (", ".join(f"`{k}` = {_value(v)}" for k, v in st.items()) or "the scenario as it is")
                 for p, st in exp.policies.items()) + ".", ""]
    if exp.parameters:
        lines += ["Varied: " + "; ".join(f"`{n}` {_spec(sp)}" for n, sp in exp.parameters.items()) + ".", ""]
    lines += ["## Findings", ""] + [f"- {f}" for f in c.findings]
    if len(exp.policies) > 1:
        lines += ["", "## Comparison with the baseline (pooled over the design, 95% CI)", "",
                  "| outcome | policy | mean | difference | 95% CI | pairs |", "|---|---|---|---|---|---|"]
        for r in c.compare[c.compare["point"].isna()].itertuples():
            base = r.policy == r.baseline
            lines.append(f"| {r.outcome} | {r.policy}{' (baseline)' if base else ''} | {analysis.number_cell(r.mean)} | "
                         + ("| | |" if base else f"{analysis.number_cell(r.diff)} | {analysis.interval(r.diff_low, r.diff_high)} | "
                                                 f"{r.n_pairs} |"))
    if c.sensitivity is not None:
        key = "ST" if exp.design["type"] == "sobol" else "mu_star"
        lines += ["", f"## Sensitivity ({key}, 95% CI; * clears the dummy's noise floor)", "",
                  "| outcome | policy | rank | parameter | " + key + " | 95% CI |", "|---|---|---|---|---|---|"]
        for r in c.sensitivity.sort_values(["outcome", "policy", "rank"]).itertuples():
            v = getattr(r, key)
            lo, hi = getattr(r, f"{key}_low"), getattr(r, f"{key}_high")
            lines.append(f"| {r.outcome} | {r.policy} | {r.rank} | {r.parameter}{' *' if r.above_dummy else ''} | "
                         f"{num(v)} | {num(lo)} to {num(hi)} |")
    if c.sensitivity_refused:
        lines += ([] if c.sensitivity is not None else ["", "## Sensitivity"]) + ["", f"Not computed: {c.sensitivity_refused}"]
    return "\n".join(lines) + "\n"


def write_report(directories, out) -> Path:
    """Write the report of a result directory, or of several on one page: one offline HTML page
    (plotly.js once, however many sweeps), or Markdown (findings and tables only) when ``out``
    ends in ``.md``."""
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(str(out), "--out", f"directory {out.parent} does not exist")
    dirs = [directories] if isinstance(directories, (str, Path)) else list(directories)
    if out.suffix.lower() not in (".html", ".md"):
        raise InputError(str(out), "--out", "name the report FILE.html (the page with figures) or FILE.md "
                                            "(findings and tables)")
    seen: dict[Path, str] = {}
    for d in dirs:
        if Path(d).resolve() in seen:
            raise InputError(str(d), "directory", f"given twice (also as {seen[Path(d).resolve()]}); name each sweep once")
        seen[Path(d).resolve()] = str(d)
    check_target(out, dirs, "--out")
    cs = [content(d) for d in dirs]
    text = "\n".join(markdown(c) for c in cs) if out.suffix == ".md" else html_page(cs)
    atomic_write(out, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return out

"""Sweep explorer: a sweep's result directory (``tafelsim sweep``) as figures and tables.

The user chooses one of the result directories found under the results root
(``tafelsim dashboard --results DIR``; default: the current directory) or types a path.
The page then shows every successful run's outcome against a varied parameter (colour:
policy), the runs as parallel coordinates over the varied parameters and the outcome,
the comparison of each policy with the baseline (paired differences with 95% CIs, pooled
over the design) and, for Morris and Sobol designs, the sensitivity ranking. All numbers
come from the experiments' own readers and analysis (:mod:`dashboard.sweeps`). A
directory that is not a sweep, or holds a file that cannot be used, is reported in the
page by that file's name; the rest of the page keeps working.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import sweeps
from dashboard.export import card, figure, graph_id, view_id
from dashboard.figures import FONT, POLICY_COLOURS, note, placeholder, style, table_figure
from dashboard.tabs.compare import estimate, reading
from experiments import analysis
from experiments.report import sensitivity_findings
from sim.errors import InputError

NAME, LABEL = "sweep", "Sweep explorer"
EMPTY = "Drawn when a sweep directory is open (choose or type one above)."
SYMBOLS = ("circle", "diamond", "square", "triangle-up", "x", "cross", "star", "pentagon")
RESULTS_KEY = "TAFELSIM_RESULTS"   # the results root, in the Flask app's config (set by dashboard.app)


def _colour(i: int) -> str:
    return POLICY_COLOURS[i % len(POLICY_COLOURS)]


def _percent(fig: go.Figure, name: str, axis: str) -> None:
    if sweeps.unit(name) == "share":
        (fig.update_xaxes if axis == "x" else fig.update_yaxes)(tickformat=".0%")


# --- figures (each also exported, from the same code) -------------------------------------------

@figure("sweep-scatter", "Outcome against a varied parameter")
def scatter_figure(workdir: Path, sweep: str, outcome: str, parameter: str | None):
    c = sweeps.open_sweep(sweep)
    data = sweeps.runs(c, outcome, parameter)
    x = parameter or "policy"
    fig = go.Figure()
    for i, policy in enumerate(sweeps.policies(c)):
        part = data[data["policy"] == policy]
        fig.add_trace(go.Scatter(
            x=part[x], y=part[outcome], mode="markers", meta={"policy": policy},
            name=policy + (" (baseline)" if policy == c.exp.baseline else ""),
            marker=dict(color=_colour(i), symbol=SYMBOLS[i % len(SYMBOLS)], size=9, opacity=0.7,
                        line=dict(width=0.5, color="#333")),
            customdata=part[["point", "replication", "seed"]].to_numpy(),
            hovertemplate=f"{policy}<br>{x} %{{x}}<br>{outcome} %{{y}}<br>"
                          "point %{customdata[0]}, replication %{customdata[1]} (seed %{customdata[2]})<extra></extra>"))
    fig.update_xaxes(title_text=sweeps.axis_title(parameter) if parameter else "policy")
    fig.update_yaxes(title_text=sweeps.axis_title(outcome))
    _percent(fig, outcome, "y")
    if parameter:
        _percent(fig, parameter, "x")
    if data.empty:
        note(fig, "no successful runs stored in this directory (yet)")
    fig = style(fig, 460)
    fig.update_layout(hovermode="closest", legend_title_text="policy")
    numeric = x in data and pd.api.types.is_numeric_dtype(data[x]) and not pd.api.types.is_bool_dtype(data[x])
    if not numeric:
        # on a categorical axis (policies, a switch's levels) the policies' runs side by side rather than on top
        # of each other; on a numeric one, grouping would draw them at values that were never run
        fig.update_layout(scattermode="group", scattergap=0.6)
    return fig, data


@figure("sweep-parallel", "Parallel coordinates: varied parameters and the outcome")
def parallel_figure(workdir: Path, sweep: str, outcome: str):
    c = sweeps.open_sweep(sweep)
    data = sweeps.runs(c, outcome, None)
    names = sweeps.policies(c)
    code = data["policy"].map({p: i for i, p in enumerate(names)})
    n = len(names)
    steps = [[k / n, _colour(i)] for i in range(n) for k in (i, i + 1)]   # one flat colour per policy
    dims = [dict(label=sweeps.axis_title(p), values=data[p]) for p in sweeps.parameters(c)]
    dims.append(dict(label=sweeps.axis_title(outcome), values=data[outcome],
                     tickformat=".0%" if sweeps.unit(outcome) == "share" else None))
    fig = go.Figure(go.Parcoords(
        dimensions=dims, labelfont=dict(size=13), rangefont=dict(size=10, color="#777"),
        line=dict(color=code, colorscale=steps, cmin=-0.5, cmax=n - 0.5, showscale=True,
                  colorbar=dict(title="policy", tickvals=list(range(n)), ticktext=names, thickness=14, len=0.9))))
    fig.update_layout(template="plotly_white", font=FONT, height=440, margin=dict(l=120, r=140, t=70, b=30))
    return fig, data


@figure("sweep-compare", "Policies against the baseline, with 95% confidence intervals")
def compare_figure(workdir: Path, sweep: str):
    c = sweeps.open_sweep(sweep)
    data = sweeps.pooled_comparison(c)
    t = compare_table(data)
    return table_figure(t, [2.2, 1.4, 2.2, 2.2, 0.6, 1.6]), data


@figure("sweep-sensitivity", "Sensitivity ranking")
def sensitivity_figure(workdir: Path, sweep: str, outcome: str):
    c = sweeps.open_sweep(sweep)
    if c.sensitivity is None:
        raise InputError(sweep, "sensitivity", _no_sensitivity(c))
    data = c.sensitivity[c.sensitivity["outcome"] == outcome]
    if data.empty:
        raise InputError(sweep, "outcome", f"{outcome!r} is not among this sweep's outcomes")
    fig = analysis.sensitivity_figure(data)
    sobol = (data["method"] == "sobol").all()
    u = sweeps.unit(outcome)
    fig.update_xaxes(title_text="total Sobol index ST (share of the outcome's variance)" if sobol else
                     f"Morris mu*: mean absolute effect on {outcome} ({'share' if u == 'share' else u})",
                     row=len(set(data["policy"])), col=1)
    fig.update_layout(template="plotly_white", font=FONT, title=None, margin_t=40)
    fig.update_annotations(font_size=13)
    return fig, data


# --- tables as the page shows them --------------------------------------------------------------

def compare_table(pooled: pd.DataFrame) -> pd.DataFrame:
    """The pooled comparison as text cells: each policy's mean and its difference from the baseline."""
    rows = []
    for r in pooled.itertuples():
        base = r.policy == r.baseline
        rows.append({
            "outcome": r.outcome.replace("_", " "), "policy": r.policy + (" (baseline)" if base else ""),
            "mean (95% CI)": estimate(r.mean, r.mean_low, r.mean_high, r.unit),
            "difference from baseline (95% CI)": "" if base else estimate(r.diff, r.diff_low, r.diff_high, r.unit,
                                                                          signed=True),
            "pairs": "" if base else str(r.n_pairs),
            "reading": "baseline" if base else reading(r.n_pairs, r.diff_low, r.diff_high, r.policy),
        })
    return pd.DataFrame(rows, columns=["outcome", "policy", "mean (95% CI)", "difference from baseline (95% CI)",
                                       "pairs", "reading"])


def _compare_html(c) -> html.Table:
    pooled = sweeps.pooled_comparison(c)
    t = compare_table(pooled)
    head = html.Tr([html.Th(col) for col in ("policy", "mean (95% CI)", "difference from baseline (95% CI)",
                                             "pairs", "reading")])
    rows = []
    for outcome, part in t.groupby(pooled["outcome"], sort=False):
        u = sweeps.unit(outcome)
        rows.append(html.Tr(html.Td(f"{outcome.replace('_', ' ')}" + (f" ({'%' if u == 'share' else u})" if u else ""),
                                    colSpan=5), className="kind"))
        for _, r in part.iterrows():
            clear = r["reading"].endswith((" higher", " lower"))
            rows.append(html.Tr([html.Td(r["policy"], className="metric"), html.Td(r["mean (95% CI)"],
                                                                                    className="estimate"),
                                 html.Td(r["difference from baseline (95% CI)"], className="diff"),
                                 html.Td(r["pairs"]), html.Td(r["reading"], className="verdict"
                                                              + (" clear" if clear else ""))]))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="summary", id="sweep-compare-table")


def _no_sensitivity(c) -> str:
    if c.sensitivity_refused:
        return f"No sensitivity ranking for this sweep: {c.sensitivity_refused}"
    return (f"No sensitivity ranking: this sweep's design is {c.exp.design['type']}, and a ranking of the parameters "
            "needs a Morris or Sobol design. The comparison above is what this sweep can tell.")


def _sensitivity_html(c, outcome: str) -> html.Div:
    """The ranking as sentences (for the baseline) and as a table (every policy)."""
    s = c.sensitivity[c.sensitivity["outcome"] == outcome]
    sobol = (s["method"] == "sobol").all()
    cols = [("S1", "first-order S1 (95% CI)"), ("ST", "total ST (95% CI)")] if sobol else \
        [("mu_star", f"mu* ({sweeps.unit(outcome)}, 95% CI)"), ("sigma", "sigma")]
    head = html.Tr([html.Th(h) for h in ("policy", "rank", "parameter", *[h for _, h in cols],
                                         "clears the noise floor")])
    rows = []
    order = s["policy"].map({p: i for i, p in enumerate(sweeps.policies(c))})
    for _, r in s.assign(order=order).sort_values(["order", "rank"]).iterrows():
        cells = [f"{analysis.num(r[k])} ({analysis.num(r[k + '_low'])} to {analysis.num(r[k + '_high'])})"
                 if f"{k}_low" in r.index else analysis.num(r[k]) for k, _ in cols]
        dummy = r["parameter"] == "dummy"
        rows.append(html.Tr([html.Td(r["policy"]), html.Td(str(r["rank"])),
                             html.Td(r["parameter"] + (" (noise floor)" if dummy else "")),
                             *[html.Td(x, className="estimate") for x in cells],
                             html.Td("" if dummy else ("yes" if bool(r["above_dummy"]) else "no"))]))
    return html.Div([
        html.Ul([html.Li(f) for f in sensitivity_findings(s, c.exp.baseline)], className="findings"),
        html.Table([html.Thead(head), html.Tbody(rows)], className="summary", id="sweep-sensitivity-table"),
    ])


def _describe(c) -> html.Div:
    m, exp = c.manifest, c.exp
    ok = int((c.runs["status"] == "ok").sum())
    return html.Div([
        html.B(m["experiment"]), f": {m['design']} design, {m['design_points']} points × {len(m['policies'])} policies "
        f"× {m['replications']} replications of {m['scenario']} ({m['months']} months), model {m['model_version']}. "
        f"{ok} of {m['runs']} runs stored and successful. Baseline: {exp.baseline}. ",
        html.Span(exp.description, className="caption"),
    ])


CAPTIONS = {
    "sweep-scatter": "Every successful run of the sweep: the chosen outcome against the chosen varied parameter, "
                     "coloured by policy. Runs of the same design point and replication share their seed across "
                     "policies (common random numbers).",
    "sweep-parallel": "One line per run across the varied parameters and the chosen outcome, coloured by policy. "
                      "Drag along an axis to select a range; the other lines fade.",
    "sweep-compare": "Pooled over the design: each policy's mean with its 95% confidence interval, and its "
                     "difference from the baseline taken pair by pair (same design point, same seed) with its 95% "
                     "interval. 'No clear difference' means the interval includes 0.",
    "sweep-sensitivity": "How much each varied parameter moves the chosen outcome, with 95% intervals; the dummy "
                         "parameter, which the model never sees, is the noise floor (dotted line): a parameter whose "
                         "interval does not clear it cannot be told apart from the model's own noise.",
}


def layout() -> html.Div:
    picker = html.Div([
        html.Label("sweep", title="result directories of `tafelsim sweep` found under the results root"),
        dcc.Dropdown(id="sweep-dir", options=[], placeholder="choose a sweep found under the results root",
                     className="sweep-select"),
        html.Button("↻", id="sweep-refresh", className="secondary", title="look for sweeps again"),
        dcc.Input(id="sweep-path", type="text", debounce=True, className="file-input",
                  placeholder="or a directory: path/to/sweep"),
        html.Button("Open", id="sweep-open", className="secondary"),
        html.Span(id="sweep-root", className="caption"),
    ], className="picker")
    choose = html.Div([
        html.Label("outcome", title="a headline metric the sweep kept (sim/outputs.py)"),
        dcc.Dropdown(id="sweep-outcome", options=[], clearable=False, className="sweep-choice"),
        html.Label("parameter", title="a parameter the sweep varied"),
        dcc.Dropdown(id="sweep-parameter", options=[], clearable=False, className="sweep-choice"),
    ], className="picker")
    sensitivity = html.Div([html.Div(id="sweep-sensitivity-text"),
                            html.Div(dcc.Loading(dcc.Graph(id=graph_id("sweep-sensitivity"),
                                                           config={"displaylogo": False}), delay_show=300),
                                     id="sweep-sensitivity-graph")])
    return html.Div([
        dcc.Store(id="sweep"),
        picker,
        html.Div(id="sweep-message", className="message"),
        html.Div("Choose a sweep's result directory to explore it.", id="sweep-info", className="intro"),
        choose,
        html.Div([
            card("sweep-scatter", CAPTIONS["sweep-scatter"], empty=EMPTY),
            card("sweep-parallel", CAPTIONS["sweep-parallel"], empty=EMPTY),
            card("sweep-compare", CAPTIONS["sweep-compare"], body=html.Div(id="sweep-compare")),
            card("sweep-sensitivity", CAPTIONS["sweep-sensitivity"], body=sensitivity),
        ], className="cards"),
    ], className="tab-body")


def _options(names: list[str]) -> list[dict]:
    return [{"label": sweeps.axis_title(n), "value": n} for n in names]


def register(app, workdir: Path) -> None:
    def root() -> Path:
        return Path(app.server.config.get(RESULTS_KEY, "."))

    @app.callback(Output("sweep-dir", "options"), Output("sweep-root", "children"),
                  Input("tabs", "value"), Input("sweep-refresh", "n_clicks"), prevent_initial_call=True)
    def listing(tab, _refresh):
        if tab != NAME:
            raise PreventUpdate
        base = root().resolve()
        found = sweeps.find(base)
        options = [{"label": str(p.relative_to(base)) if p != base else p.name, "value": str(p)} for p in found]
        return options, (f"{len(found)} found under {base}" if found else
                         f"no sweeps found under {base} (start the dashboard with --results DIR)")

    @app.callback(Output("sweep", "data"), Output("sweep-message", "children"), Output("sweep-info", "children"),
                  Output("sweep-outcome", "options"), Output("sweep-outcome", "value"),
                  Output("sweep-parameter", "options"), Output("sweep-parameter", "value"),
                  Input("sweep-dir", "value"), Input("sweep-open", "n_clicks"), Input("sweep-path", "n_submit"),
                  State("sweep-path", "value"), State("sweep-outcome", "value"), State("sweep-parameter", "value"),
                  prevent_initial_call=True)
    def open_(chosen, _open, _submit, typed, outcome, parameter):
        """Open the chosen or typed directory; keep the outcome and parameter where the new sweep has them."""
        source = chosen if ctx.triggered_id == "sweep-dir" else typed
        if ctx.triggered_id == "sweep-dir" and not chosen:
            raise PreventUpdate
        try:
            path = sweeps.resolve(source, root())
            c = sweeps.open_sweep(path)
        except InputError as e:
            message = html.Div([html.Strong("This directory cannot be explored:"),
                                html.Div(str(e), style={"whiteSpace": "pre-line"})], className="error")
            return None, message, "Choose a sweep's result directory to explore it.", [], None, [], None
        outcomes, params = sweeps.outcomes(c), sweeps.parameters(c)
        return ({"path": str(path)}, "", _describe(c),
                _options(outcomes), outcome if outcome in outcomes else outcomes[0],
                _options(params), parameter if parameter in params else (params[0] if params else None))

    @app.callback(Output(graph_id("sweep-scatter"), "figure"), Output(view_id("sweep-scatter"), "data"),
                  Output(graph_id("sweep-parallel"), "figure"), Output(view_id("sweep-parallel"), "data"),
                  Output("sweep-sensitivity-text", "children"), Output(graph_id("sweep-sensitivity"), "figure"),
                  Output(view_id("sweep-sensitivity"), "data"), Output("sweep-sensitivity-graph", "style"),
                  Input("sweep", "data"), Input("sweep-outcome", "value"), Input("sweep-parameter", "value"),
                  prevent_initial_call=True)
    def figures(sweep, outcome, parameter):
        if not sweep or not outcome:
            return placeholder(EMPTY), None, placeholder(EMPTY), None, "", {}, None, {"display": "none"}
        path = sweep["path"]
        try:
            c = sweeps.open_sweep(path)
            scatter, _ = scatter_figure(workdir, path, outcome, parameter)
            parallel, _ = parallel_figure(workdir, path, outcome)
        except InputError:
            return (no_update,) * 8   # the sweep changed under us: the open callback reports it
        shown = ({"sweep": path, "outcome": outcome, "parameter": parameter}, {"sweep": path, "outcome": outcome})
        if c.sensitivity is None:
            text, sens, view, graph = html.P(_no_sensitivity(c), className="intro"), {}, None, {"display": "none"}
        else:
            text, view, graph = _sensitivity_html(c, outcome), {"sweep": path, "outcome": outcome}, {}
            sens, _ = sensitivity_figure(workdir, **view)
        return scatter, shown[0], parallel, shown[1], text, sens, view, graph

    @app.callback(Output("sweep-compare", "children"), Output(view_id("sweep-compare"), "data"),
                  Input("sweep", "data"), prevent_initial_call=True)
    def comparison(sweep):
        if not sweep:
            return "", None
        try:
            c = sweeps.open_sweep(sweep["path"])
        except InputError:
            return no_update, no_update
        if len(sweeps.policies(c)) < 2:
            return html.P("This sweep has one policy: there is nothing to compare it with.", className="intro"), None
        return _compare_html(c), {"sweep": sweep["path"]}

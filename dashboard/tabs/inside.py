"""Inside a run: trust between the parties, the escalation ladder, and every agreement.

One run at a time (a design and a replication of the last comparison). The ``trust`` table
is a change log: trust of i in j at month m is the pair's last row with month <= m, and
``trust.initial`` before the pair's first change.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import networkx as nx
import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, State, dash_table, dcc, html, no_update
from dash.exceptions import PreventUpdate
from plotly.colors import qualitative, sample_colorscale

from dashboard.export import card, figure, file_stem, graph_id, view_id
from dashboard.figures import note, style
from dashboard.jobs import DESIGNS, load_job
from dashboard.series import dates
from sim.errors import InputError

NAME, LABEL = "inside", "Inside a run"
TRUST_SCALE = "RdYlBu"                       # red: distrust, blue: trust; readable for colour-blind eyes
KIND_COLOURS = dict(zip(("municipality", "corporation", "investor", "developer", "tenant"), qualitative.Set2))
STATE_ORDER = ("completed", "under_construction", "in_procedure", "agreed", "escalated", "at_table", "open",
               "abandoned")


def _run(workdir: Path, job: str, design: str, replication: int):
    if design not in DESIGNS:
        raise InputError("view", "design", f"got {design!r}; allowed: A or B")
    runs = load_job(str(workdir), job).runs[design]
    if not (isinstance(replication, int) and 0 <= replication < len(runs)):
        raise InputError("view", "replication", f"got {replication!r}; allowed: 0 to {len(runs) - 1}")
    return runs[replication]


def trust_at(trust: pd.DataFrame, month: int, initial: float) -> pd.DataFrame:
    """Trust of i in j at the end of ``month``, for every ordered pair the log ever mentions."""
    pairs = trust[["agent_i", "kind_i", "agent_j", "kind_j"]].drop_duplicates(["agent_i", "agent_j"])
    last = (trust[trust["month"] <= month].sort_values("month", kind="stable")
            .drop_duplicates(["agent_i", "agent_j"], keep="last")[["agent_i", "agent_j", "month", "trust"]]
            .rename(columns={"month": "changed_in_month"}))
    out = pairs.merge(last, on=["agent_i", "agent_j"], how="left")
    out["trust"] = out["trust"].fillna(initial).astype(float)
    return out.reset_index(drop=True)


@lru_cache(maxsize=8)
def _layout(edges: tuple[tuple[str, str], ...]) -> dict:
    """Node positions for a run's whole trust graph, so that they stay put as the month changes."""
    g = nx.Graph(edges)
    if len(g) <= 300:  # Kamada-Kawai reads best but grows with the square of the parties
        return nx.kamada_kawai_layout(g)
    return nx.spring_layout(g, seed=1, iterations=100)


@figure("trust", "Trust between the parties")
def trust_figure(workdir: Path, job: str, design: str, replication: int, month: int):
    r = _run(workdir, job, design, replication)
    initial = float(r.params["trust.initial"])
    edges = trust_at(r.tables["trust"], int(month), initial)
    fig = go.Figure()
    if edges.empty:
        why = ("at one-off tables trust belongs to each case and is dropped afterwards"
               if r.params["table.permanence"] == "one_off" else "no party's trust changed")
        note(fig, f"No trust between parties was kept in this run: {why};<br>every pair stays at "
                  f"trust.initial = {initial:g}.")
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return style(fig, 300, legend=False), edges
    pos = _layout(tuple(sorted({tuple(sorted(p)) for p in zip(edges["agent_i"], edges["agent_j"])})))
    # each directed edge i -> j is drawn as the half of the line nearest i, coloured by i's trust in j;
    # the further trust has moved from where it started, the bolder the line
    bins = pd.cut(edges["trust"], [i / 10 for i in range(11)], include_lowest=True, labels=False)
    for b, part in edges.groupby(bins):
        moved = abs((b + 0.5) / 10 - initial)
        xs, ys = [], []
        for i, j in zip(part["agent_i"], part["agent_j"]):
            (x0, y0), (x1, y1) = pos[i], pos[j]
            xs += [x0, (x0 + x1) / 2, None]
            ys += [y0, (y0 + y1) / 2, None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                                 opacity=min(1.0, 0.35 + 2 * moved), line=dict(
                                     width=0.8 + 5 * moved, color=sample_colorscale(TRUST_SCALE, (b + 0.5) / 10)[0])))
    quarter = [((3 * pos[i][0] + pos[j][0]) / 4, (3 * pos[i][1] + pos[j][1]) / 4)
               for i, j in zip(edges["agent_i"], edges["agent_j"])]
    fig.add_trace(go.Scatter(x=[q[0] for q in quarter], y=[q[1] for q in quarter], mode="markers",
                             marker=dict(size=8, opacity=0, color=edges["trust"], colorscale=TRUST_SCALE,
                                         cmin=0, cmax=1, showscale=True,
                                         colorbar=dict(title="trust of i in j (0..1)", thickness=14)),
                             text=[f"{i} trusts {j}: {t:.2f}" for i, j, t in
                                   zip(edges["agent_i"], edges["agent_j"], edges["trust"])],
                             hoverinfo="text", showlegend=False, meta={"role": "edges"}))
    nodes = pd.concat([edges[["agent_i", "kind_i"]].set_axis(["agent", "kind"], axis=1),
                       edges[["agent_j", "kind_j"]].set_axis(["agent", "kind"], axis=1)]).drop_duplicates("agent")
    held = edges.groupby("agent_i")["trust"].mean()
    for kind, part in nodes.groupby("kind", sort=False):
        fig.add_trace(go.Scatter(
            x=[pos[a][0] for a in part["agent"]], y=[pos[a][1] for a in part["agent"]], name=kind,
            mode="markers+text" if kind == "municipality" else "markers",
            text=list(part["agent"]) if kind == "municipality" else None, textposition="top center",
            textfont=dict(size=11), marker=dict(size=13, color=KIND_COLOURS.get(kind, "#999"),
                                                 line=dict(width=1, color="#333")),
            hovertext=[f"{a} ({kind}): mean trust in others {held.get(a, initial):.2f}" for a in part["agent"]],
            hoverinfo="text", meta={"role": "nodes"}))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig = style(fig, 640)
    fig.update_layout(hovermode="closest", legend_title_text="party")
    return fig, edges


@figure("ladder", "The escalation ladder")
def ladder_figure(workdir: Path, job: str, design: str, replication: int):
    r = _run(workdir, job, design, replication)
    c = r.tables["cases"]
    data = (pd.crosstab(c["highest_level"], c["final_state"])
            .reindex(index=["local", "regional", "national"], fill_value=0))
    data = data[[s for s in STATE_ORDER if s in data.columns] + [s for s in data.columns if s not in STATE_ORDER]]
    fig = go.Figure()
    colours = dict(zip(STATE_ORDER, ("#1b9e77", "#66a61e", "#a6d854", "#e6ab02", "#7570b3", "#8da0cb",
                                     "#b3b3b3", "#d95f02")))
    for state in data.columns:
        fig.add_trace(go.Bar(x=["local table", "regional versnellingstafel", "national versnellingstafel"],
                             y=data[state], name=state.replace("_", " "), marker_color=colours.get(state)))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(title_text="cases")
    fig.update_xaxes(title_text="highest level of the ladder the case reached")
    out = data.reset_index().melt(id_vars="highest_level", var_name="final_state", value_name="cases")
    fig = style(fig, 420)
    fig.update_layout(legend=dict(orientation="v", x=1.02, y=1, yanchor="top", title_text="where it ended"),
                      margin_t=30)
    return fig, out


@figure("national-queue", "National queue per landsdeel")
def queue_figure(workdir: Path, job: str, design: str, replication: int):
    r = _run(workdir, job, design, replication)
    q = r.tables["queues"]
    q = q[q["level"] == "national"]
    months = pd.RangeIndex(int(r.params["run.months"]), name="month")
    wide = q.pivot_table(index="month", columns="landsdeel", values="queued", aggfunc="sum").reindex(months)
    wide = wide.fillna(0).astype(int)
    fig = go.Figure()
    when = dates(r, pd.Series(months))
    for ld in wide.columns:
        fig.add_trace(go.Scatter(x=when, y=wide[ld], name=ld, mode="lines", line_shape="hv"))
    if wide.empty or len(wide.columns) == 0:
        note(fig, "escalation is switched off in this design" if not r.params["escalation.enabled"]
             else "no case waited for the national versnellingstafel")
    fig.update_yaxes(title_text="cases waiting (national queue)", rangemode="tozero")
    fig.update_xaxes(title_text="month")
    fig.update_layout(legend_title_text="landsdeel")
    out = wide.reset_index().melt(id_vars="month", var_name="landsdeel", value_name="queued")
    return style(fig, 420), out


EMPTY = "Drawn for the run chosen above, once A and B have run (Run A and B, on the Design tab)."
AGREEMENT_COLUMNS = [("agreement_id", "agreement"), ("municipality", "municipality"), ("level", "level"),
                     ("month", "agreed (month)"), ("ratified_month", "ratified (month)"), ("homes", "homes"),
                     ("homes_midrent", "mid-rent homes"), ("agent", "party"), ("kind", "kind"),
                     ("reservation", "reservation (EUR/home)"), ("opening", "opening (EUR/home)"),
                     ("final", "final claim (EUR/home)"), ("concession", "concession (0..1)")]


def agreements_table(r) -> pd.DataFrame:
    """One row per party of each agreement: its reservation, opening, final claim and concession."""
    a, c = r.tables["agreements"], r.tables["concessions"]
    if a.empty:
        return pd.DataFrame(columns=[k for k, _ in AGREEMENT_COLUMNS])
    keep = ["agreement_id", "municipality", "level", "month", "ratified_month", "homes", "homes_midrent"]
    t = c[["agreement_id", "agent", "kind", "reservation", "opening", "final", "concession"]].merge(
        a[keep], on="agreement_id", how="left")[[k for k, _ in AGREEMENT_COLUMNS]]
    for col in ("reservation", "opening", "final"):
        t[col] = t[col].round(0)
    t["concession"] = t["concession"].round(3)
    return t


def layout() -> html.Div:
    picker = html.Div([
        html.Label("design"), dcc.RadioItems(id="inside-design", options=list(DESIGNS), value="B", inline=True),
        html.Label("replication"), dcc.Dropdown(id="inside-rep", options=[], value=0, clearable=False,
                                                className="rep-select"),
        html.Label("month", title="trust at the end of this month"),
        html.Div(dcc.Slider(id="inside-month", min=0, max=1, step=1, value=0, marks=None),
                 className="month-slider"),
        html.Span(id="inside-month-text", className="month-text"),
    ], className="picker")
    table = html.Div([
        html.H3("Agreements"),
        html.P("Each party's reservation (the least it accepts), opening demand, final claim (EUR per home) and "
               "concession (share of its range it gave up). Type in the row under a header to filter, e.g. "
               "'> 0.5' or 'investor'; CSV saves the table as filtered and sorted.", className="caption"),
        html.Div([html.Button("CSV", id="agreements-export", className="export",
                              title="download the table as filtered and sorted, as CSV"),
                  html.Span(id="agreements-note", className="export-note")], className="exports"),
        dcc.Store(id="agreements-view"), dcc.Download(id="agreements-download"),
        dash_table.DataTable(id="agreements", columns=[{"name": n, "id": k} for k, n in AGREEMENT_COLUMNS],
                             data=[], filter_action="native", sort_action="native", page_size=12,
                             style_table={"overflowX": "auto"},
                             style_cell={"fontFamily": "Helvetica, Arial, sans-serif", "fontSize": 13,
                                         "padding": "4px 8px"},
                             style_header={"fontWeight": "bold", "backgroundColor": "#eef1f5"}),
    ], className="card wide")
    return html.Div([
        html.Div("Run A and B on the Design tab, then look inside one of the runs here.", id="inside-intro",
                 className="intro"),
        picker,
        html.Div([
            card("trust", "Each line from a party towards another is coloured by "
                 "how much that party trusts the other at the end of the chosen month (the half nearest to "
                 "it). Pairs whose trust has not changed yet stand at trust.initial.", empty=EMPTY),
            card("ladder", "Every case of the run by the highest level it reached, "
                 "coloured by where it ended.", wide=False, empty=EMPTY),
            card("national-queue", "Cases waiting for the national "
                 "versnellingstafel's member for their landsdeel, month by month.", wide=False, empty=EMPTY),
            table,
        ], className="cards"),
    ], className="tab-body")


def register(app, workdir: Path) -> None:
    @app.callback(Output("inside-rep", "options"), Output("inside-rep", "value"),
                  Output("inside-month", "max"), Output("inside-month", "value"), Output("inside-month", "marks"),
                  Output("inside-intro", "children"),
                  Input("job", "data"), prevent_initial_call=True)
    def choose(job):
        try:
            j = load_job(str(workdir), (job or {}).get("id", ""))
        except InputError as e:
            return [], no_update, no_update, no_update, no_update, str(e)
        # from the job's design, not its runs: reading ten runs' tables here would delay the Compare tab
        months, start = int(j.info["designs"]["A"]["run.months"]), int(j.info["designs"]["A"]["run.start_year"])
        step = 12 if months <= 240 else 60
        marks = {m: str(start + m // 12) for m in range(0, months, step)}
        options = [{"label": f"{r} (seed {s})", "value": r} for r, s in enumerate(j.info["seeds"])]
        return options, 0, months - 1, months - 1, marks, ""

    # the figures below are drawn when their tab is open, not while the comparison is being shown
    @app.callback(Output(graph_id("trust"), "figure"), Output(view_id("trust"), "data"),
                  Output("inside-month-text", "children"),
                  Input("tabs", "value"), Input("job", "data"), Input("inside-design", "value"),
                  Input("inside-rep", "value"), Input("inside-month", "value"), prevent_initial_call=True)
    def trust(tab, job, design, rep, month):
        if tab != NAME:
            raise PreventUpdate
        view = {"job": (job or {}).get("id", ""), "design": design, "replication": rep, "month": month}
        try:
            fig, _ = trust_figure(workdir, **view)
            r = _run(workdir, view["job"], design, rep)
        except InputError:
            return no_update, no_update, ""
        when = pd.Timestamp(dates(r, pd.Series([month]))[0])
        return fig, view, f"end of {when:%B %Y}"

    @app.callback(Output(graph_id("ladder"), "figure"), Output(view_id("ladder"), "data"),
                  Output(graph_id("national-queue"), "figure"), Output(view_id("national-queue"), "data"),
                  Output("agreements", "data"), Output("agreements-view", "data"),
                  Input("tabs", "value"), Input("job", "data"), Input("inside-design", "value"),
                  Input("inside-rep", "value"), prevent_initial_call=True)
    def run_views(tab, job, design, rep):
        if tab != NAME:
            raise PreventUpdate
        view = {"job": (job or {}).get("id", ""), "design": design, "replication": rep}
        try:
            ladder, _ = ladder_figure(workdir, **view)
            queue, _ = queue_figure(workdir, **view)
            table = agreements_table(_run(workdir, **view))
        except InputError:
            return no_update, no_update, no_update, no_update, no_update, no_update
        return ladder, view, queue, view, table.to_dict("records"), view

    @app.callback(Output("agreements-download", "data"), Output("agreements-note", "children"),
                  Input("agreements-export", "n_clicks"), State("agreements", "derived_virtual_data"),
                  State("agreements-view", "data"), prevent_initial_call=True)
    def export_agreements(_n, rows, view):
        """The table as the user sees it (filtered, sorted; every page), headed as on the page, named after
        its run (Dash's own export button names every table Data.csv)."""
        if not view:
            return None, "nothing to export yet"
        shown = pd.DataFrame(rows or [], columns=[k for k, _ in AGREEMENT_COLUMNS])
        shown = shown.rename(columns=dict(AGREEMENT_COLUMNS))
        return dict(content=shown.to_csv(index=False), filename=f"{file_stem('agreements', view)}.csv"), ""

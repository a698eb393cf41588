"""Run and compare: A and B side by side over time, and the paired difference B - A.

Lines are the mean over replications, bands run from the lowest to the highest
replication. The summary table gives every declared headline metric (``sim.outputs.METRICS``)
for A and B with 95% confidence intervals, and B - A per replication (common seeds) with
its 95% interval (``experiments.stats.paired_difference``): where that interval excludes
zero, the designs differ beyond the noise of this many replications.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from dash import Input, Output, html

from dashboard import series
from dashboard.export import FIGURES, card, figure, graph_id, view_id
from dashboard.figures import Chart, add_bands, note, placeholder, table_figure
from dashboard.jobs import Job, load_job
from sim.errors import InputError

NAME, LABEL = "compare", "Compare"
SEGMENT_TITLES = {"social": "social rent", "midrent": "mid-rent", "free": "free sector"}
FIGURE_NAMES = ("summary", "homes", "affordable", "speed", "escalation", "reciprocity")
EMPTY = "Drawn when A and B have run (Run A and B, on the Design tab)."


def key(job: Job) -> str:
    """Which design is which, in a line: the presets, and what B changes (up to three parameters)."""
    presets = job.info["presets"]
    changed = changes(job)
    b = f"B: {presets['B']}"
    if changed:
        b += " with " + ", ".join(f"{name}={_text(value)}" for name, _, value in changed[:3])
        b += f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    return f"A: {presets['A']}; {b}"


def _finish(chart: Chart, job: Job, height: int) -> dict:
    """House style, and the designs' key where an export can put it under the title; the job's id and
    replications say which comparison the figure shows (a first look's or the whole job's)."""
    return chart.finish(height, meta=_meta(job))


def _meta(job: Job) -> dict:
    """What a figure of the comparison carries: the designs' key (an export puts it under the title), and
    the job and replications it shows."""
    return {"designs": key(job), "job": job.info["id"], "replications": job.info["replications"]}


def changes(job: Job) -> list[tuple]:
    """(parameter, A's value, B's value) wherever B differs from A."""
    a, b = job.info["designs"]["A"], job.info["designs"]["B"]
    return [(name, a[name], b[name]) for name in a if a[name] != b[name]]


def _text(v) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, list):
        return "+".join(v)
    return f"{v:g}" if isinstance(v, float) else str(v)


# --- numbers as a policymaker reads them ---------------------------------------------------------

def fmt(v: float, unit: str, signed: bool = False, scale_of: float | None = None) -> str:
    """A number with its unit as a policymaker reads it ("EUR 1.2 mln", "+3.4 pp", "1,234").

    ``scale_of``: the bound of an interval around that number, shown on its scale and
    without the unit, so that "EUR 1.2 mln (0.9 to 1.5)" reads as one.
    """
    if v is None or math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    ref = v if scale_of is None else scale_of
    prefix, suffix = "", ""
    if unit == "share":
        text, suffix = f"{100 * v:.1f}", " pp" if signed else "%"
    elif unit in ("0..1", "-1..1"):
        text = f"{v:.3f}"
    elif unit == "months":
        text = f"{v:.1f}"
    elif unit == "EUR":
        prefix = "EUR "
        text, suffix = (f"{v / 1e6:,.1f}", " mln") if abs(ref) >= 1e6 else (f"{v:,.0f}", "")
    else:
        text = f"{v:,.0f}" if abs(ref) >= 100 else f"{v:,.1f}"
    sign = "+" if signed and v > 0 else ""
    return sign + text if scale_of is not None else sign + prefix + text + suffix


def estimate(mean: float, low: float, high: float, unit: str, signed: bool = False) -> str:
    """"EUR 1.2 mln (0.9 to 1.5)": an estimate with its interval, on one scale. One replication has no
    interval (``experiments.stats.mean_ci`` widens it to infinity): "EUR 1.2 mln (no interval)"."""
    if math.isinf(low) and math.isinf(high) and not math.isinf(mean):
        return f"{fmt(mean, unit, signed)} (no interval)"
    return f"{fmt(mean, unit, signed)} ({fmt(low, unit, signed, mean)} to {fmt(high, unit, signed, mean)})"


def reading(pairs: int, low: float, high: float, subject: str = "B", replications: int | None = None) -> str:
    """A paired difference's interval in words: is ``subject`` higher, lower, or can we not tell? Where
    the metric was not measured in every replication (a mean over no agreements is undefined), it
    says on how many of the ``replications`` the reading rests."""
    if pairs == 0:
        return "not defined"
    if pairs == 1:
        words = "one replication: no interval"
    elif low == high == 0:
        words = "the same"
    elif low > 0:
        words = f"{subject} higher"
    elif high < 0:
        words = f"{subject} lower"
    else:
        words = "no clear difference"
    if replications is not None and pairs < replications:
        words += f" ({pairs} of {replications} replications measured)"
    return words


def summary_table(s: pd.DataFrame) -> pd.DataFrame:
    """The summary as text cells (what the page and the table figure show)."""
    def est(row, key, signed=False):
        return estimate(row[f"{key}_mean"], row[f"{key}_low"], row[f"{key}_high"], row["unit"], signed)
    return pd.DataFrame({
        "metric": s["metric"], "meaning": s["meaning"], "unit": s["unit"].replace({"share": "%"}),
        "A (95% CI)": [est(r, "A") for _, r in s.iterrows()],
        "B (95% CI)": [est(r, "B") for _, r in s.iterrows()],
        "B − A (95% CI)": [est(r, "diff", signed=True) for _, r in s.iterrows()],
        "reading": [reading(r["pairs"], r["diff_low"], r["diff_high"], replications=r.get("replications"))
                    for _, r in s.iterrows()],
    })


@figure("summary", "Summary: B − A with 95% confidence intervals")
def summary_figure(workdir: Path, job: str):
    j = load_job(str(workdir), job)
    s = series.summary(j.metrics)
    t = summary_table(s)
    shown = t.drop(columns="meaning").assign(metric=t["metric"].str.replace("_", " "))
    return table_figure(shown, [2.2, 0.6, 2.2, 2.2, 2.4, 1.5],
                        meta=_meta(j)), s


def _summary_html(s: pd.DataFrame) -> html.Table:
    t = summary_table(s)
    head = html.Tr([html.Th(c) for c in ("metric", "unit", "A (95% CI)", "B (95% CI)", "B − A (95% CI)",
                                         "reading")])
    rows = []
    for kind, part in t.groupby(s["kind"], sort=False):
        rows.append(html.Tr(html.Td(kind, colSpan=6), className="kind"))
        for _, r in part.iterrows():
            verdict = r["reading"]
            rows.append(html.Tr([
                html.Td([html.Div(r["metric"].replace("_", " "), className="metric"),
                         html.Div(r["meaning"], className="meaning")]),
                html.Td(r["unit"]), html.Td(r["A (95% CI)"], className="estimate"),
                html.Td(r["B (95% CI)"], className="estimate"),
                html.Td(r["B − A (95% CI)"], className="diff"),
                html.Td(verdict, className="verdict " + ("clear" if verdict in ("B higher", "B lower") else "")),
            ]))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="summary", id="summary-table")


# --- figures over time -------------------------------------------------------------------------

@figure("homes", "Homes proposed, agreed, started and completed")
def homes_figure(workdir: Path, job: str):
    j = load_job(str(workdir), job)
    data = j.series("homes")
    b = series.bands(data, ["flow", "segment", "date"], "homes")
    chart = Chart(rows=len(series.FLOWS), cols=len(series.SEGMENTS), shared_xaxes=True,
                  column_titles=tuple(SEGMENT_TITLES[s] for s in series.SEGMENTS),
                  vertical_spacing=0.05, horizontal_spacing=0.07)
    panels = dict(iter(b.groupby(["flow", "segment"], sort=False)))
    for i, flow in enumerate(series.FLOWS, 1):
        for k, seg in enumerate(series.SEGMENTS, 1):
            add_bands(chart, panels[flow, seg], "date", f"{flow}/{seg}", row=i, col=k, legend=(i, k) == (1, 1))
        chart.yaxis(i, 1)["title"] = {"text": f"{flow} (homes)"}
    for axis in chart.yaxes():
        axis["rangemode"] = "tozero"
    return _finish(chart, j, 860), data


@figure("affordable", "Affordable share")
def affordable_figure(workdir: Path, job: str):
    j = load_job(str(workdir), job)
    data = j.series("affordable")
    chart = Chart()
    add_bands(chart, series.bands(data, ["date"], "share"), "date", "affordable", legend=True)
    chart.yaxis().update(title={"text": "affordable share (%)"}, tickformat=".0%", rangemode="tozero")
    chart.xaxis()["title"] = {"text": "month"}
    return _finish(chart, j, 380), data


@figure("speed", "Months to agreement")
def speed_figure(workdir: Path, job: str):
    j = load_job(str(workdir), job)
    data = j.series("speed")
    chart = Chart()
    add_bands(chart, series.bands(data, ["year"], "months"), "year", "months_to_agreement", legend=True,
              markers=True)
    chart.yaxis().update(title={"text": "median months to agreement"}, rangemode="tozero")
    chart.xaxis().update(title={"text": "year of agreement"}, dtick=1)
    return _finish(chart, j, 380), data


@figure("escalation", "Escalations and queues")
def escalation_figure(workdir: Path, job: str):
    j = load_job(str(workdir), job)
    data = j.series("escalation")
    b = series.bands(data, ["measure", "level", "date"], "cases")
    chart = Chart(rows=2, cols=2, shared_xaxes=True, vertical_spacing=0.08, horizontal_spacing=0.08,
                  column_titles=tuple(f"{level} versnellingstafel(s)" for level in series.LEVELS))
    panels = dict(iter(b.groupby(["measure", "level"], sort=False)))
    for i, measure in enumerate(("escalated", "queued"), 1):
        for k, level in enumerate(series.LEVELS, 1):
            part = panels[measure, level]
            add_bands(chart, part, "date", f"{measure}/{level}", row=i, col=k, legend=(i, k) == (1, 1))
            if not part["high"].any():
                note(chart, "no cases", row=i, col=k)
    chart.yaxis(1, 1)["title"] = {"text": "escalated so far (cases)"}
    chart.yaxis(2, 1)["title"] = {"text": "waiting in queue (cases)"}
    for axis in chart.yaxes():
        axis["rangemode"] = "tozero"
    return _finish(chart, j, 560), data


@figure("reciprocity", "Reciprocity")
def reciprocity_figure(workdir: Path, job: str):
    j = load_job(str(workdir), job)
    data = j.series("reciprocity")
    b = series.bands(data, ["measure", "year"], "value")
    chart = Chart(rows=1, cols=2, horizontal_spacing=0.08,
                  column_titles=("balance of concessions (agreements ratified that year)",
                                 "give-and-take between pairs (that year)"))
    for k, measure in enumerate(("balance", "give_and_take"), 1):
        add_bands(chart, b[b["measure"] == measure], "year", measure, row=1, col=k, legend=k == 1, markers=True)
        chart.yaxis(1, k).update(title={"text": "0 (one-sided) .. 1 (even)" if k == 1 else ""}, range=[0, 1.02])
        chart.xaxis(1, k).update(title={"text": "year"}, dtick=1)
    return _finish(chart, j, 400), data


CAPTIONS = {
    "summary": "Every headline metric of the model, mean over replications with its 95% confidence interval. "
               "B − A is taken per replication (both designs ran on the same seeds), so its interval shows "
               "whether the designs differ beyond the noise: 'no clear difference' means the interval includes 0.",
    "homes": "Homes so far, by segment. Lines: mean over replications; bands: lowest to highest replication.",
    "affordable": "Of all homes agreed so far, the share that is social or mid-rent.",
    "speed": "For location cases agreed in each year: the median months from the case's opening to agreement.",
    "escalation": "Cases sent up the ladder so far (top), and cases waiting in the queues at each level "
                  "(bottom; the national table's five landsdeel queues added up).",
    "reciprocity": "Balance: 1 when all parties of an agreement conceded equally. Give-and-take: 1 when value "
                   "conceded flowed evenly both ways between pairs. The third measure, conditional concession, "
                   "covers the whole run and is in the summary table.",
}


def layout() -> html.Div:
    cards = [card("summary", CAPTIONS["summary"], body=html.Div(id="summary"))]
    cards += [card(n, CAPTIONS[n], wide=n not in ("affordable", "speed"), empty=EMPTY) for n in FIGURE_NAMES[1:]]
    return html.Div([html.Div("Run A and B on the Design tab to compare them here.", id="compare-intro",
                              className="intro"), html.Div(cards, className="cards")], className="tab-body")


def register(app, workdir: Path) -> None:
    outputs = [Output(view_id(name), "data") for name in FIGURE_NAMES]
    outputs += [Output(graph_id(name), "figure") for name in FIGURE_NAMES[1:]]

    # One callback for the whole tab, which also opens it: the tab's graphs then mount with their figures and
    # are drawn once. Opened before its figures came, each graph was drawn empty first (about 0.1 s of the
    # browser's time each, results/benchmarks/dashboard.md). Building all of them takes the server about 0.1 s.
    @app.callback(Output("compare-intro", "children"), Output("summary", "children"), *outputs,
                  Output("tabs", "value"), Input("job", "data"), prevent_initial_call=True)
    def show(job):
        view = {"job": (job or {}).get("id", "")}
        graphs = FIGURE_NAMES[1:]
        try:
            j = load_job(str(workdir), view["job"])
            figures = [FIGURES[name](workdir, **view)[0] for name in graphs]
        except InputError as e:
            return (html.Div(str(e), className="error"), "", *[None] * len(FIGURE_NAMES),
                    *[placeholder(EMPTY)] * len(graphs), NAME)
        return (_intro(j, (job or {}).get("of")), _summary_html(series.summary(j.metrics)),
                *[view] * len(FIGURE_NAMES), *figures, NAME)


def _intro(j: Job, of: int | None = None):
    """What is compared; ``of``: the replications the running job will have, when this is its first look."""
    diff = [f"{name}: A {_text(a)}, B {_text(b)}" for name, a, b in changes(j)]
    info = j.info
    k = info["replications"]
    look = [html.Strong(f"First look: {k} of {of} replications per design. ", className="first-look"),
            html.Span("The figures are drawn again when the other runs are done. ")] if of and of > k else []
    return html.Div([
        *look,
        html.Span(f"{info['scenario_name']}: {k} replication{'s' if k != 1 else ''} per design on "
                  f"seed{'s' if k != 1 else ''} {info['seeds'][0]}" + (f"-{info['seeds'][-1]}. " if k != 1 else ". ")),
        html.Span([html.B("A", className="design-A"), f" {info['presets']['A']}; ",
                   html.B("B", className="design-B"), f" {info['presets']['B']}. "]),
        html.Span("B differs from A in: " + "; ".join(diff) + "." if diff else "A and B are the same design."),
    ])

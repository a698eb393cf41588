"""Shared look of the dashboard's Plotly figures: colours of the designs, bands, empty notes."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

DESIGN_COLOURS = {"A": "#0072B2", "B": "#D55E00"}   # Okabe-Ito blue and vermillion: colour-blind safe
# the sweep explorer's policies, in order (Okabe-Ito again, then its other colours)
POLICY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
FONT = dict(family="Helvetica, Arial, sans-serif", size=13, color="#222")


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def style(fig: go.Figure, height: int, legend: bool = True) -> go.Figure:
    fig.update_layout(template="plotly_white", height=height, font=FONT, hovermode="x unified",
                      margin=dict(l=70, r=20, t=60 if legend else 40, b=50), showlegend=legend,
                      legend=dict(orientation="h", yanchor="bottom", y=1.04, xanchor="left", x=0))
    fig.update_annotations(font_size=13)
    return fig


def table_figure(t: pd.DataFrame, widths: list[float]) -> go.Figure:
    """A table of text cells as a figure, so that it exports (PNG, SVG, HTML) like the others."""
    fig = go.Figure(go.Table(header=dict(values=list(t.columns), align="left", fill_color="#eef1f5"),
                             cells=dict(values=[t[c] for c in t.columns], align="left", height=26),
                             columnwidth=widths))
    fig = style(fig, 90 + 28 * len(t), legend=False)
    fig.update_layout(margin=dict(l=10, r=10))
    return fig


def add_bands(fig: go.Figure, b: pd.DataFrame, x: str, panel: str,
              row: int | None = None, col: int | None = None, legend: bool = False, markers: bool = False) -> None:
    """Mean over replications as a line, lowest to highest replication as a band, per design.

    ``b`` is :func:`dashboard.series.bands` output; ``meta`` on every trace names the
    design, the statistic and the panel, so that tests (and curious users) can find them.
    """
    traces = []
    for design, colour in DESIGN_COLOURS.items():
        s = b[b["design"] == design]
        if s.empty:
            continue
        xs = s[x].to_numpy()
        common = dict(x=xs, legendgroup=design, hoverinfo="skip", showlegend=False)
        traces += [go.Scatter(y=s["low"].to_numpy(), line=dict(width=0), mode="lines",
                              meta={"design": design, "stat": "low", "panel": panel}, **common),
                   go.Scatter(y=s["high"].to_numpy(), line=dict(width=0), mode="lines", fill="tonexty",
                              fillcolor=rgba(colour, 0.18), meta={"design": design, "stat": "high", "panel": panel},
                              **common),
                   go.Scatter(x=xs, y=s["mean"].to_numpy(), mode="lines+markers" if markers else "lines",
                              name=design, legendgroup=design, showlegend=legend, line=dict(color=colour, width=2),
                              meta={"design": design, "stat": "mean", "panel": panel})]
    # one call for all of them: plotly re-validates the figure on every add_trace
    fig.add_traces(traces, **(dict(rows=row, cols=col) if row else {}))


def note(fig: go.Figure, text: str, row: int | None = None, col: int | None = None) -> None:
    """A grey note in the middle of an (empty) panel, saying why there is nothing to plot."""
    fig.add_annotation(text=text, showarrow=False, font=dict(color="#777", size=13), x=0.5, y=0.5,
                       xref="x domain", yref="y domain", **(dict(row=row, col=col) if row else {}))

"""Shared look of the dashboard's Plotly figures: colours of the designs, bands, empty notes.

The Compare tab's figures are built as :class:`Chart`, the plain dict Plotly.js draws, not as
``plotly.graph_objects`` figures: those validate and copy every property on every change,
which cost the server about 0.6 s of CPU for the five figures of a 12-city comparison, on the
path from the runs' end to the figures on the page (results/benchmarks/dashboard.md). Exports
turn a chart into a ``go.Figure`` (:func:`as_figure`), where that time does not matter.
"""

from __future__ import annotations

import copy
from functools import lru_cache

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

DESIGN_COLOURS = {"A": "#0072B2", "B": "#D55E00"}   # Okabe-Ito blue and vermillion: colour-blind safe
# the sweep explorer's policies, in order (Okabe-Ito again, then its other colours)
POLICY_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
FONT = dict(family="Helvetica, Arial, sans-serif", size=13, color="#222")
ANNOTATION_SIZE = 13
NOTE_FONT = dict(color="#777", size=ANNOTATION_SIZE)   # a note saying why a panel is empty (``note``, ``placeholder``)


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def house_layout(height: int, legend: bool = True) -> dict:
    """The layout every figure shares: height, font, legend above the panels (and the template, by name).

    The margins fit the axes' titles and labels and the legend as they are: where Plotly.js has to
    widen a margin for them (automargin), it draws the figure twice, which doubled the time the
    browser took for the Compare tab's figures.
    """
    return dict(template="plotly_white", height=height, font=FONT, hovermode="x unified",
                margin=dict(l=76, r=20, t=72 if legend else 40, b=56), showlegend=legend,
                legend=dict(orientation="h", yanchor="bottom", y=1.04, xanchor="left", x=0))


def style(fig: go.Figure, height: int, legend: bool = True) -> go.Figure:
    fig.update_layout(**house_layout(height, legend))
    fig.update_annotations(font_size=ANNOTATION_SIZE)
    return fig


class Chart:
    """A figure as the dict Plotly.js draws: ``data`` (traces) and ``layout``, on a grid of panels.

    The grid's layout (axes' domains and column titles) is :func:`plotly.subplots.make_subplots`',
    computed once per shape. Panels are numbered as there, row by row from the top left.
    """

    def __init__(self, rows: int = 1, cols: int = 1, **grid):
        self.cols = cols
        self.data: list[dict] = []
        self.layout: dict = copy.deepcopy(_grid(rows, cols, tuple(sorted(grid.items())))) if rows * cols > 1 else {}

    def axes(self, row: int = 1, col: int = 1) -> tuple[str, str]:
        """The x and y axis of a panel, as traces name them ("x", "y" for the first; "x5", "y5"...)."""
        n = (row - 1) * self.cols + col
        return ("x", "y") if n == 1 else (f"x{n}", f"y{n}")

    def xaxis(self, row: int = 1, col: int = 1) -> dict:
        return self.layout.setdefault("xaxis" + self.axes(row, col)[0][1:], {})

    def yaxis(self, row: int = 1, col: int = 1) -> dict:
        return self.layout.setdefault("yaxis" + self.axes(row, col)[1][1:], {})

    def yaxes(self) -> list[dict]:
        """Every panel's y axis."""
        return [v for k, v in self.layout.items() if k.startswith("yaxis")] or [self.yaxis()]

    def finish(self, height: int, legend: bool = True, **layout) -> dict:
        """The figure, in the house style (:func:`house_layout`), as Dash sends it to the page."""
        for a in self.layout.get("annotations", []):
            a.setdefault("font", {})["size"] = ANNOTATION_SIZE
        self.layout.update(house_layout(height, legend), template=_template(), **layout)
        return {"data": self.data, "layout": self.layout}


@lru_cache(maxsize=16)
def _grid(rows: int, cols: int, grid: tuple) -> dict:
    return make_subplots(rows=rows, cols=cols, **dict(grid)).to_plotly_json()["layout"]


@lru_cache(maxsize=1)
def _template() -> dict:
    """The house template as Plotly.js reads it (only plotly's Python objects know templates by name)."""
    return pio.templates["plotly_white"].to_plotly_json()


def as_figure(fig: go.Figure | dict) -> go.Figure:
    """A figure object for exports, from a figure or a chart's dict."""
    return fig if isinstance(fig, go.Figure) else go.Figure(fig)


TABLE_WIDTH_PX = 1200   # what an export draws a table at (``dashboard.export.image``)
CHAR_PX = 7.5           # a character of the table's font, roughly


def table_lines(t: pd.DataFrame, widths: list[float], width_px: float = TABLE_WIDTH_PX) -> list[int]:
    """Lines each row takes when its longest cell wraps in its column (plotly sizes a row to its text,
    so a figure sized for one line a row cut off its last rows)."""
    per_char = [max(1, int(width_px * w / sum(widths) / CHAR_PX) - 2) for w in widths]
    return [max(-(-len(str(v)) // n) for v, n in zip(row, per_char)) for row in t.itertuples(index=False)]


def table_figure(t: pd.DataFrame, widths: list[float], meta: dict | None = None) -> go.Figure:
    """A table of text cells as a figure, so that it exports (PNG, SVG, HTML) like the others; ``meta``
    as the other figures' (the designs' key, which an export puts under the title)."""
    fig = go.Figure(go.Table(header=dict(values=list(t.columns), align="left", fill_color="#eef1f5"),
                             cells=dict(values=[t[c] for c in t.columns], align="left", height=26),
                             columnwidth=widths))
    fig = style(fig, 90 + sum(8 + 20 * n for n in table_lines(t, widths)), legend=False)
    if meta:
        fig.update_layout(meta=meta)
    fig.update_layout(margin=dict(l=10, r=10))
    return fig


def add_bands(chart: Chart, b: pd.DataFrame, x: str, panel: str, row: int = 1, col: int = 1,
              legend: bool = False, markers: bool = False) -> None:
    """Mean over replications as a line, lowest to highest replication as a band, per design.

    ``b`` is :func:`dashboard.series.bands` output; ``meta`` on every trace names the
    design, the statistic and the panel, so that tests (and curious users) can find them.
    """
    xaxis, yaxis = chart.axes(row, col)
    for design, colour in DESIGN_COLOURS.items():
        s = b[b["design"] == design]
        if s.empty:
            continue
        common = dict(type="scatter", x=s[x].to_numpy(), xaxis=xaxis, yaxis=yaxis, legendgroup=design)
        band = dict(common, line=dict(width=0), mode="lines", hoverinfo="skip", showlegend=False)
        chart.data += [dict(band, y=s["low"].to_numpy(), meta={"design": design, "stat": "low", "panel": panel}),
                       dict(band, y=s["high"].to_numpy(), fill="tonexty", fillcolor=rgba(colour, 0.18),
                            meta={"design": design, "stat": "high", "panel": panel}),
                       dict(common, y=s["mean"].to_numpy(), mode="lines+markers" if markers else "lines",
                            name=design, showlegend=legend, line=dict(color=colour, width=2),
                            meta={"design": design, "stat": "mean", "panel": panel})]


def note(fig: go.Figure | Chart, text: str, row: int = 1, col: int = 1) -> None:
    """A grey note in the middle of an (empty) panel, saying why there is nothing to plot."""
    xaxis, yaxis = fig.axes(row, col) if isinstance(fig, Chart) else ("x", "y")
    annotation = dict(text=text, showarrow=False, font=NOTE_FONT, x=0.5, y=0.5,
                      xref=f"{xaxis} domain", yref=f"{yaxis} domain")
    if isinstance(fig, Chart):
        fig.layout.setdefault("annotations", []).append(annotation)
    else:
        fig.add_annotation(**annotation)


def placeholder(text: str) -> dict:
    """What a graph shows before there is anything to plot: a short grey line saying what brings it,
    and no axes (empty axes looked like a result of nothing)."""
    hidden = dict(visible=False)
    return dict(data=[], layout=dict(height=120, xaxis=hidden, yaxis=hidden, margin=dict(l=10, r=10, t=10, b=10),
                                     plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)",
                                     annotations=[dict(text=text, showarrow=False, font=NOTE_FONT,
                                                       x=0.5, y=0.5, xref="paper", yref="paper")]))

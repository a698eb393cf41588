"""Export of any figure (PNG, SVG, HTML) and of the data behind it (CSV).

Every figure of the page is made by a *builder* registered here under a name: a function
of the working directory and a *view* (the job id and whatever the user chose, e.g. the
run and month) that returns the figure (a ``go.Figure`` or a :class:`dashboard.figures.Chart`'s
dict) and the tidy data behind it. The callback that
shows a figure stores its view next to it; the export buttons rebuild the same figure from
that view on the server, so what is exported is what is shown, from the same code.

PNG and SVG are drawn by kaleido with the system's Chromium; HTML carries plotly.js inline
so that it opens offline.
"""

from __future__ import annotations

import atexit
import re
import threading
import warnings
from pathlib import Path
from typing import Callable

import pandas as pd
import plotly.graph_objects as go
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, html

from dashboard.figures import as_figure, placeholder
from sim.errors import InputError

Builder = Callable[..., tuple[go.Figure | dict, pd.DataFrame]]   # a figure or a Chart's dict
FIGURES: dict[str, Builder] = {}
TITLES: dict[str, str] = {}
FORMATS = ("png", "svg", "html", "csv")


def figure(name: str, title: str):
    """Register a builder ``f(workdir, **view) -> (figure, data)`` under ``name``, with its title."""
    def add(builder: Builder) -> Builder:
        FIGURES[name], TITLES[name] = builder, title
        return builder
    return add


def graph_id(name: str) -> dict:
    return {"type": "graph", "name": name}


def view_id(name: str) -> dict:
    return {"type": "view", "name": name}


def card(name: str, caption: str, wide: bool = True, body=None, empty: str = "Nothing to show yet.") -> html.Div:
    """A figure with its title, a caption saying how to read it, and its export buttons.

    ``body`` replaces the graph by other content (the summary table); the exports still
    come from the registered builder. ``empty``: what the graph says until it has a figure.
    """
    return html.Div([
        html.Div([
            html.H3(TITLES[name]),
            html.Div([html.Button(fmt.upper(), id={"type": "export", "name": name, "fmt": fmt},
                                  className="export", title=f"download this figure as {fmt.upper()}"
                                  if fmt != "csv" else "download the data behind this figure as CSV")
                      for fmt in FORMATS] + [html.Span(id={"type": "export-note", "name": name},
                                                       className="export-note")], className="exports"),
        ], className="card-head"),
        html.P(caption, className="caption"),
        body if body is not None else dcc.Loading(dcc.Graph(id=graph_id(name), figure=placeholder(empty),
                                                            config={"displaylogo": False}), delay_show=300),
        dcc.Store(id=view_id(name)),
        dcc.Download(id={"type": "download", "name": name}),
    ], className="card wide" if wide else "card")


_kaleido_lock = threading.Lock()
_kaleido_started = False


def image(fig: go.Figure, fmt: str) -> bytes:
    """PNG or SVG bytes through kaleido (its Chromium is started once, on the first export)."""
    global _kaleido_started
    import kaleido
    import plotly.io as pio
    with _kaleido_lock:
        if not _kaleido_started:
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)  # no MathJax: it would come from a CDN
            atexit.register(kaleido.stop_sync_server, silence_warnings=True)  # close its browser before its files go
            _kaleido_started = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "kopts is ignored if using a server": the server has them
        return pio.to_image(fig, format=fmt, width=1200, scale=2 if fmt == "png" else 1)


def render(name: str, workdir: Path, view: dict, fmt: str) -> tuple[bytes | str, str]:
    """The file a download sends: its content and file name."""
    if name not in FIGURES:
        raise InputError("export", name, "no such figure")
    if fmt not in FORMATS:
        raise InputError("export", fmt, "allowed: " + ", ".join(FORMATS))
    fig, data = FIGURES[name](workdir, **view)
    fig = as_figure(fig)
    shown = {k: Path(str(v)).name or str(v) for k, v in view.items()}   # a directory by its name
    stem = file_stem(name, view)
    which = ", ".join(f"{k} {v}" for k, v in shown.items() if k != "job")
    designs = fig.layout.meta.get("designs") if isinstance(fig.layout.meta, dict) else None
    extra = 70 if designs else 40
    fig.update_layout(title=dict(text=TITLES[name] + (f" ({which})" if which else ""), x=0.01, y=0.995,
                                 yanchor="top", subtitle=dict(text=designs) if designs else None),
                      margin_t=(fig.layout.margin.t or 40) + extra, height=(fig.layout.height or 500) + extra)
    if fmt == "csv":
        return data.to_csv(index=False), f"{stem}.csv"
    if fmt == "html":
        return fig.to_html(include_plotlyjs=True, full_html=True), f"{stem}.html"
    return image(fig, fmt), f"{stem}.{fmt}"


def file_stem(name: str, view: dict) -> str:
    """A download's file name without its suffix: what it shows and of which run, e.g. ``trust-<job>-B-0-215``."""
    shown = [Path(str(v)).name or str(v) for v in view.values()]   # a directory by its name
    return re.sub(r"[^\w.=-]+", "_", "-".join((name, *shown)))


def register(app, workdir: Path) -> None:
    @app.callback(Output({"type": "download", "name": MATCH}, "data"),
                  Output({"type": "export-note", "name": MATCH}, "children"),
                  Input({"type": "export", "name": MATCH, "fmt": ALL}, "n_clicks"),
                  State({"type": "view", "name": MATCH}, "data"),
                  prevent_initial_call=True)
    def export(_clicks, view):
        name, fmt = ctx.triggered_id["name"], ctx.triggered_id["fmt"]
        if not view:
            return None, "nothing to export yet"
        try:
            content, filename = render(name, workdir, view, fmt)
        except InputError as e:
            return None, str(e)
        if isinstance(content, bytes):
            return dcc.send_bytes(content, filename), ""
        return dict(content=content, filename=filename), ""

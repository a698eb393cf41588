"""Writing a pattern's results: effect tables (CSV and Markdown), figures (PNG and offline HTML)
and the sweep runner's reports, into ``results/patterns/<pattern>/``; and the summary of all.

The hand-written ``README.md`` of each pattern (its verdict and mechanism) is never touched here.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from experiments.analysis import number_cell
from experiments.contrasts import tally
from experiments.results import atomic_write

COMMAND = "python -m experiments.patterns --workers 2"
COLOURS = {"holds": "#2ca02c", "not clear": "#7f7f7f", "reversed": "#d62728", "fails": "#d62728", "": "#1f77b4"}
NOT_DRAWN = {"homes_proposed", "midrent_proposed"}   # checks that the designs are paired, not effects


def _pct(v) -> str:
    return "" if pd.isna(v) else f"{v:+.1%}"


def table_md(df: pd.DataFrame) -> str:
    lines = ["| effect | outcome | where | n | estimate | 95% CI | control mean | relative (95% CI) | expected | verdict |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        rel = "" if pd.isna(r.relative) else f"{_pct(r.relative)} ({_pct(r.relative_low)} to {_pct(r.relative_high)})"
        unit = f" {r.unit}" if r.unit and r.unit not in ("count", "share", "0..1", "-1..1") else ""
        lines.append(f"| {r.label} | {r.outcome} | {r.context} | {r.n} | {number_cell(r.effect)}{unit} | "
                     f"{number_cell(r.low)} to {number_cell(r.high)} | {number_cell(r.reference)} | {rel} | {r.expected} | "
                     f"{r.verdict} |")
    return "\n".join(lines) + "\n"


def tally_md(df: pd.DataFrame) -> str:
    t = tally(df)
    if t.empty:
        return ""
    cols = [c for c in t.columns if c not in ("contrast", "outcome")]
    lines = ["| effect | outcome | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    labels = dict(zip(df["contrast"], df["label"]))
    for r in t.to_dict("records"):
        lines.append(f"| {labels[r['contrast']]} | {r['outcome']} | " + " | ".join(str(r[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def _drawn(df: pd.DataFrame) -> pd.DataFrame:
    """Rows worth a marker: per-context rows (the pooled row only where there is no other), no checks."""
    df = df[~df["outcome"].isin(NOT_DRAWN)]
    several = df.groupby(["contrast", "outcome"])["context"].transform("nunique") > 1
    return df[~(several & (df["context"] == "pooled"))]


KEY = {"holds": "the CI shows what the pattern expects", "not clear": "the CI does not tell",
       "reversed": "the CI shows the opposite", "fails": "the cost is larger than the pattern allows",
       "": "reported, not judged"}


def forest(df: pd.DataFrame, title: str, by_context: bool = False):
    """Effects with their 95% CIs, one panel per outcome (or per effect and outcome, contexts on the
    vertical axis, for a sensitivity check); colour says the verdict. Panels are as tall as their rows."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots
    df = _drawn(df)
    keys = list(dict.fromkeys(zip(df["contrast"], df["outcome"]))) if by_context else list(dict.fromkeys(df["outcome"]))
    groups = [df[(df["contrast"] == k[0]) & (df["outcome"] == k[1])] if by_context else df[df["outcome"] == k]
              for k in keys]
    names = ([f"{g['label'].iloc[0]}: {k[1]}" for k, g in zip(keys, groups)] if by_context else keys)
    row_px, gap_px = 24, 110
    plot_px = sum(row_px * len(g) + 30 for g in groups)
    height = plot_px + gap_px * (len(keys) - 1) + 170
    fig = make_subplots(rows=len(keys), cols=1, subplot_titles=[_unit_title(df, k, n, by_context)
                                                                for k, n in zip(keys, names)],
                        row_heights=[row_px * len(g) + 30 for g in groups],
                        vertical_spacing=gap_px / max(1, plot_px + gap_px * (len(keys) - 1)) if len(keys) > 1 else 0)
    fig.update_annotations(x=0, xanchor="left", font={"size": 14})   # panel titles from the left: long ones fit
    for i, (k, g) in enumerate(zip(keys, groups), start=1):
        y = g["context"] if by_context else [f"{lab} ({ctx})" if ctx not in ("all",) else lab
                                            for lab, ctx in zip(g["label"], g["context"])]
        fig.add_trace(go.Scatter(
            x=g["effect"], y=list(y), mode="markers", showlegend=False,
            marker={"size": 9, "color": [COLOURS.get(v, "#1f77b4") for v in g["verdict"]]},
            error_x={"type": "data", "symmetric": False, "array": (g["high"] - g["effect"]).tolist(),
                     "arrayminus": (g["effect"] - g["low"]).tolist(), "color": "#444"},
            customdata=list(zip(g["low"], g["high"], g["n"], g["verdict"])),
            hovertemplate="%{y}: %{x:.4g} (95% CI %{customdata[0]:.4g} to %{customdata[1]:.4g}, n=%{customdata[2]})"
                          " %{customdata[3]}<extra></extra>"), row=i, col=1)
        fig.add_vline(x=0, line_dash="dot", line_color="grey", row=i, col=1)
        for ceiling in {e for e in g["expected"] if e.startswith("below ")}:   # a Ceiling: where "near zero" ends
            fig.add_vline(x=float(ceiling.split()[1]), line_dash="dash", line_color="#d62728", row=i, col=1,
                          annotation_text=ceiling, annotation_position="top left")
        unit = g["unit"].iloc[0]
        fig.update_xaxes(title_text=f"estimate ({unit})" if unit else "estimate", title_standoff=4, row=i, col=1)
    for verdict in dict.fromkeys(df["verdict"]):   # the colour key: one legend entry per verdict shown
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=KEY.get(verdict, verdict),
                                 marker={"size": 9, "color": COLOURS.get(verdict, "#1f77b4")}))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(title={"text": title, "y": 1 - 20 / height, "yanchor": "top", "yref": "container"},
                      height=height, plot_bgcolor="white", margin={"l": 20, "r": 30, "t": 110, "b": 40},
                      legend={"orientation": "h", "x": 0, "xref": "container", "y": 1 - 55 / height,
                              "yanchor": "top", "yref": "container", "font": {"size": 12}})
    fig.update_xaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    return fig


def _unit_title(df: pd.DataFrame, key, name: str, by_context: bool) -> str:
    outcome = key[1] if by_context else key
    unit = df.loc[df["outcome"] == outcome, "unit"].iloc[0]
    return f"{name} ({unit})" if unit else name


_KALEIDO = {"started": False}


def png(fig, path: Path, width: int = 1100) -> None:
    """A PNG through kaleido and the system's Chromium (started once per process)."""
    import warnings

    import kaleido
    import plotly.io as pio
    if not _KALEIDO["started"]:
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)   # no MathJax: it would come from a CDN
        _KALEIDO["started"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "kopts is ignored if using a server"
        data = pio.to_image(fig, format="png", width=width, scale=1.5)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


PLOTLY_JS = "plotly.min.js"   # one copy in results/patterns/, shared by every pattern's page


def page(title: str, intro: str, figures: list) -> str:
    """One page of figures, one under the other, that loads plotly.js from the shared copy one
    folder up: it opens offline as long as the folder ``results/patterns/`` stays together (six
    inline copies would add 28 MB to the repository)."""
    body = "".join(f.to_html(full_html=False, include_plotlyjs=False, config={"responsive": True},
                             div_id=f"figure-{i}") for i, f in enumerate(figures))   # the same page from the same results
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em}</style>"
            f"<script src=\"../{PLOTLY_JS}\"></script></head><body><h1>{html.escape(title)}</h1>"
            f"<p>{html.escape(intro)}</p>{body}</body></html>")


def write_plotlyjs(results: Path) -> None:
    """The shared plotly.js the pages load (rewritten only when the installed plotly's differs)."""
    import plotly.offline
    js = plotly.offline.get_plotlyjs()
    path = results / PLOTLY_JS
    if not path.exists() or path.read_text(encoding="utf-8") != js:
        atomic_write(path, lambda tmp: Path(tmp).write_text(js, encoding="utf-8"))


def write_pattern(pattern, main: pd.DataFrame, sens: pd.DataFrame, main_dir: Path, sens_dir: Path, out: Path) -> None:
    from experiments.report import write_report
    from experiments.results import read_manifest
    out.mkdir(parents=True, exist_ok=True)
    write_plotlyjs(out.parent)
    manifest = read_manifest(main_dir)
    version = manifest["model_version"]
    for name, df in (("effects", main), ("sensitivity", sens)):
        atomic_write(out / f"{name}.csv", lambda tmp, df=df: df.to_csv(tmp, index=False))
    head = (f"Model {version}. Regenerate: `python -m experiments.patterns {pattern.key} --workers 2`. Each estimate is the mean over replications "
            "of the effect computed on common random numbers (the same seeds under every policy and level), with "
            "its Student-t 95% CI; the relative effect divides by the control's mean. A verdict says what the CI "
            "shows against the pattern's expectation.\n\n")
    atomic_write(out / "effects.md", lambda tmp: Path(tmp).write_text(
        f"# {pattern.key.upper()}: effects ({manifest['experiment']}, {manifest['replications']} replications)\n\n{pattern.claim}\n\n{head}"
        + table_md(main), encoding="utf-8"))
    atomic_write(out / "sensitivity.md", lambda tmp: Path(tmp).write_text(
        f"# {pattern.key.upper()}: does the direction survive? ({read_manifest(sens_dir)['experiment']})\n\n{head}"
        "## How often the expected direction holds, over the design's points\n\n" + tally_md(sens)
        + "\n## Every point\n\n" + table_md(sens), encoding="utf-8"))
    figs = [forest(main, f"{pattern.key.upper()}: effects with 95% CIs ({pattern.main})"),
            forest(sens[sens["expected"] != ""], f"{pattern.key.upper()}: the expected effects at every point of "
                   f"{pattern.sensitivity}", by_context=True)]
    png(figs[0], out / "effects.png")
    png(figs[1], out / "sensitivity.png", width=1300)   # the points' labels take room
    atomic_write(out / "figures.html", lambda tmp: Path(tmp).write_text(
        page(f"{pattern.key.upper()}: {pattern.claim}", f"Model {version}; green: the CI shows what the pattern "
             "expects; grey: it does not tell; red: the opposite, or a cost beyond the pattern's floor; "
             "blue: reported, not judged.", figs),
        encoding="utf-8"))
    write_report(main_dir, out / "report.md")
    write_report(sens_dir, out / "sensitivity-report.md")


def write_summary(summary: list, results: Path) -> None:
    """``summary.md`` and ``summary.csv``: each pattern's headline effects and how its sensitivity check came out."""
    rows = []
    for pattern, head, sens in summary:
        t = tally(sens)
        for r in head.itertuples():
            s = t[(t["contrast"] == r.contrast) & (t["outcome"] == r.outcome)]
            sens_cell = (f"{int(s['holds'].iloc[0])} / {int(s['not clear'].iloc[0])} / "
                         f"{int(s['reversed'].iloc[0] + s['fails'].iloc[0])} of {int(s['contexts'].iloc[0])}"
                         if len(s) else "not checked")
            rows.append({"pattern": pattern.key, **r._asdict(), "sensitivity": sens_cell})
    df = pd.DataFrame(rows).drop(columns="Index")
    old = results / "summary.csv"
    if old.exists():   # keep the rows of patterns not regenerated this time
        prev = pd.read_csv(old)
        df = pd.concat([prev[~prev["pattern"].isin(df["pattern"])], df]).sort_values("pattern", kind="stable")
    atomic_write(old, lambda tmp: df.to_csv(tmp, index=False))
    atomic_write(results / "summary.md", lambda tmp: Path(tmp).write_text(_summary_md(df), encoding="utf-8"))


def _summary_md(df: pd.DataFrame) -> str:
    lines = ["# Patterns: headline effects", "", f"Regenerate: `{COMMAND}`. Each pattern's folder has its effect "
             "tables, figures, the sweep runner's reports and a README with the verdict and the mechanism.", "",
             "| pattern | effect | outcome | estimate (95% CI) | relative | verdict | sensitivity: holds / not clear / "
             "fails, of points |", "|---|---|---|---|---|---|---|"]
    for r in df.itertuples():
        lines.append(f"| {r.pattern.upper()} | {r.label} | {r.outcome} | {number_cell(r.effect)} ({number_cell(r.low)} to "
                     f"{number_cell(r.high)}) | {_pct(r.relative)} | {r.verdict} | {r.sensitivity} |")
    return "\n".join(lines) + "\n"

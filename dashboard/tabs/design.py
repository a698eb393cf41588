"""Design: the scenario, designs A and B, and the run of both on common seeds.

The header (scenario, replications, base seed, the run button with its progress, the link
to this design) stays visible on every tab; the tab itself holds the generated controls.
The run is a job of the server's ``Runner`` (a thread; the runs in warm worker processes): the
page asks for its progress while it stays responsive, and it can be cancelled.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import request

from dashboard import controls as ctl
from dashboard.jobs import JobSpec
from dashboard.runner import Runner
from sim import formats
from sim.errors import InputError
from sim.params import PARAMETERS
from sim.scenario import builtin_names, load

NAME, LABEL = "design", "Design"
DEFAULT_SCENARIO = "middenhuur-2017"
PARAMS = {"type": "param", "design": ALL, "name": ALL}
GROUP_TITLES = {"table": "Table switches", "escalation": "Escalation rules"}
# The address bar follows the design, so that a reload (or a bookmark) keeps it: the link is put in place of the
# page's address in the browser's history (replaceState: no new history entry, no reload). Dash's Location hears of
# pushes and of back/forward, not of this, so the link does not come back to ``fill`` as a new page to apply.
ADDRESS = """function(href) {
    if (href && href !== window.location.href) { window.history.replaceState(window.history.state, '', href); }
    return href;
}"""
WAIT_S = 5   # how long the server holds the page's question about a job whose progress has not changed
# The page follows a job by asking the server directly (``/_tafelsim/job/<token>?seen=<runs done>``), which answers
# as soon as more runs are done or the job has ended (or after WAIT_S), so that the page hears of the end at once;
# it updates the progress bar only when it moved. A dcc.Interval would cost a full cycle of Dash's renderer per
# tick (about 0.1 s of the browser's CPU with this page on a 2-core machine), taken from the runs, and would hear
# of the end up to a tick late.
# A first look (the first replications' comparison, ``dashboard.jobs.looks``) goes to the ``job`` store with the number
# of replications the job will have (``of``), which draws it on the Compare tab while the rest run. The end of the
# job goes to ``run-ended`` by set_props too, not as this callback's output: Dash holds back every callback downstream
# of one still running, so with ``run-ended`` (hence ``job``) its output no first look would be drawn before the end.
FOLLOW = """async function(token) {
    if (!token) { return window.dash_clientside.no_update; }
    let shown = -1, looked = null;
    for (;;) {
        let s;
        try { s = await (await fetch("_tafelsim/job/" + token + "?seen=" + shown)).json(); }
        catch (e) { await new Promise(resolve => setTimeout(resolve, 500)); continue; }
        if (s.state !== "running") {
            window.dash_clientside.set_props("run-ended", {data: token});
            return token;
        }
        if (s.look && s.look.id !== looked) {
            looked = s.look.id;
            window.dash_clientside.set_props("job", {data: {id: s.look.id, of: s.total / 2}});
        }
        if (s.done !== shown) {
            shown = s.done;
            window.dash_clientside.set_props("progress", {value: String(s.done), max: String(s.total)});
            window.dash_clientside.set_props("progress-text", {children: s.done + " of " + s.total + " runs"});
        }
    }
}"""


SCENARIOS_KEY = "TAFELSIM_SCENARIOS"   # the server's config: the directory scenario files are loaded from


def scenario_file(source: str, root: Path) -> Path:
    """The scenario file ``source`` names (relative paths from ``root``), if it is a YAML file under
    ``root``. The page can name any path, also in a link, and the server may serve other machines
    (``--host``): reading anything else would show the server's files in the error messages."""
    path = Path(source).expanduser()
    path = (path if path.is_absolute() else root / path).resolve()
    if path != root and root not in path.parents:
        raise InputError(source, "file", f"the dashboard loads scenario files from {root} and below only (its "
                                         "--scenarios directory): copy the file there")
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(source, "file", "a scenario file is YAML, named *.yaml or *.yml")
    return path


def _root() -> Path:
    from flask import current_app, has_app_context
    configured = current_app.config.get(SCENARIOS_KEY) if has_app_context() else None
    return Path(configured or ".").resolve()


def load_scenario(source: str, root: Path | None = None):
    """A built-in name or the path of a YAML file under ``root`` (default: the server's
    ``--scenarios`` directory) -> a validated Scenario; every problem as an InputError."""
    source = (source or "").strip()
    if not source:
        raise InputError("scenario", "file", "enter the path of a scenario YAML file")
    try:
        sc = load(source if source in builtin_names() else scenario_file(source, root or _root()))
        sc.parameter_values()
    except InputError:
        raise
    except (OSError, ValueError) as e:  # e.g. a municipalities_file that cannot be read
        raise InputError(source, "file", f"cannot be read: {e}") from None
    return sc


def _number(id_, value, low, high):
    return dcc.Input(id=id_, type="number", value=value, min=low, max=high, step=1, debounce=True,
                     required=True, className="small-number")


def header() -> html.Header:
    return html.Header([
        html.Div([html.H1("tafelsim"), html.Span("design two negotiation tables, run them, compare them",
                                                 className="subtitle")], className="brand"),
        html.Div([
            html.Label("scenario", title="a built-in scenario, or load a scenario YAML file"),
            dcc.Dropdown(id="scenario", options=builtin_names(), value=DEFAULT_SCENARIO, clearable=False,
                         placeholder="(the file on the right)", className="scenario-select"),
            dcc.Input(id="scenario-file", type="text", placeholder="or a YAML file: path/to/scenario.yaml",
                      debounce=True, className="file-input"),
            html.Button("Load file", id="load-file", className="secondary"),
            html.Label("replications", title=f"runs per design, on seeds base, base+1, ... "
                                             f"({ctl.REPLICATIONS[0]}-{ctl.REPLICATIONS[1]})"),
            _number("replications", 5, *ctl.REPLICATIONS),
            html.Label("base seed", title="replication r of both designs runs on seed base + r"),
            _number("seed", 0, *ctl.SEEDS),
            html.Button("Run A and B", id="run", className="primary"),
            html.Button("Cancel", id="cancel", className="secondary", disabled=True),
            html.Progress(id="progress", value="0", max="1", className="progress"),
            dcc.Store(id="run-token"), dcc.Store(id="run-followed"), dcc.Store(id="run-ended"),
            dcc.Store(id="address"),   # the address bar shows the link (``ADDRESS``)
            html.Span(id="progress-text", className="progress-text"),
            html.A("link to this design", id="link", href="", className="link",
                   title="opens the page with this scenario and these designs"),
            dcc.Clipboard(id="copy-link", title="copy the link", className="copy"),
        ], className="runbar"),
        html.Div(id="run-message", className="message"),
        html.Div(id="design-message", className="message"),
        html.Div(id="design-problems", className="message"),
    ])


def _design_column(design: str, values: dict, preset: str) -> html.Div:
    sections = [
        html.H2(f"Design {design}", className=f"design-{design}"),
        html.Label("table-format preset", title="a preset sets every table switch; change single switches below"),
        dcc.Dropdown(id=f"preset-{design}", options=formats.preset_names(), value=preset, clearable=False),
        html.P(" ".join(formats.describe(preset).split()), id=f"preset-text-{design}", className="caption"),
    ]
    for group, params in ctl.groups(design_params=True).items():
        sections.append(html.H4(GROUP_TITLES.get(group, group)))
        sections.append(html.Div([ctl.control(p, design, values[(design, p.name)]) for p in params],
                                 className="params"))
    return html.Div(sections, className=f"design-column column-{design}")


def layout() -> html.Div:
    sc = load(DEFAULT_SCENARIO)
    presets = {d: sc.table_format for d in ctl.DESIGNS}
    values = ctl.control_values(ctl.baseline(sc, presets))
    shared = [html.Details([
        html.Summary(f"{group} ({len(params)})"),
        html.Div([ctl.control(p, ctl.SHARED, values[(ctl.SHARED, p.name)]) for p in params], className="params"),
    ], open=group == "run") for group, params in ctl.groups(design_params=False).items()]
    return html.Div([
        html.P("Designs A and B differ only in the table and its escalation rules; both face the same scenario "
               "and the parameters below. Hover over a name for its meaning, unit, bounds and source; a greyed-out "
               "one has no effect while the switch above it is off.",
               className="caption"),
        html.Div([_design_column(d, values, presets[d]) for d in ctl.DESIGNS], className="designs"),
        html.H2("Both designs"),
        html.Div(shared, className="shared"),
    ], className="tab-body")


def register(app, workdir: Path, runner: Runner) -> None:
    @app.callback(
        Output(PARAMS, "value"), Output("preset-A", "value"), Output("preset-B", "value"),
        Output("scenario", "value"), Output("scenario-file", "value"),
        Output("replications", "value"), Output("seed", "value"),
        Output("scenario-store", "data"), Output("design-message", "children"),
        Input("url", "search"), Input("scenario", "value"), Input("load-file", "n_clicks"),
        Input("scenario-file", "n_submit"), Input("preset-A", "value"), Input("preset-B", "value"),
        State("scenario-file", "value"), State("scenario-store", "data"))
    def fill(search, builtin, _load, _submit, preset_a, preset_b, path, current):
        """Set the controls from a link (page opened), a scenario (chosen) or a preset (changed)."""
        trigger = ctx.triggered_id
        ids = [o["id"] for o in ctx.outputs_list[0]]
        keep = [no_update] * len(ids)
        if trigger in (None, "url"):
            query, problems = ctl.from_query(search)
            source = query.get("scenario", DEFAULT_SCENARIO)
            try:
                sc = load_scenario(source)
            except InputError as e:
                problems.append(str(e))
                source, sc = DEFAULT_SCENARIO, load(DEFAULT_SCENARIO)
            presets = {d: query["presets"].get(d, sc.table_format) for d in ctl.DESIGNS}
            values = ctl.control_values(ctl.baseline(sc, presets), query["overrides"])
            builtin = source in builtin_names()
            return ([values[(i["design"], i["name"])] for i in ids], presets["A"], presets["B"],
                    source if builtin else None, "" if builtin else source,
                    query.get("replications", no_update), query.get("seed", no_update), source,
                    _problems("This link could not be applied in full:", problems))
        if trigger in ("scenario", "load-file", "scenario-file"):
            source = builtin if trigger == "scenario" else path
            if not source and trigger == "scenario":
                raise PreventUpdate
            try:
                sc = load_scenario(source)
            except InputError as e:
                return (keep, no_update, no_update, no_update, no_update, no_update, no_update, no_update,
                        _problems("This scenario cannot be used:", [str(e)]))
            presets = {d: sc.table_format for d in ctl.DESIGNS}
            values = ctl.control_values(ctl.baseline(sc, presets))
            return ([values[(i["design"], i["name"])] for i in ids], presets["A"], presets["B"],
                    None if trigger != "scenario" else no_update, "" if trigger == "scenario" else no_update,
                    no_update, no_update, source, "")
        # a design's preset changed: its table switches follow the preset
        design = trigger[-1]
        try:
            sc = load_scenario(current)
        except InputError as e:
            return (keep, *[no_update] * 7, _problems("The scenario cannot be read any more:", [str(e)]))
        values = ctl.control_values(ctl.baseline(sc, {"A": preset_a, "B": preset_b}))
        new = [values[(design, i["name"])] if i["design"] == design and i["name"].startswith("table.")
               else no_update for i in ids]
        return (new, *[no_update] * 7, no_update)

    for design in ctl.DESIGNS:
        @app.callback(Output(f"preset-text-{design}", "children"), Input(f"preset-{design}", "value"))
        def describe(preset):
            return " ".join(formats.describe(preset).split())

        rows = ctl.row_id(design, ALL)   # pattern ids: a dict id's dotted name cannot be a plain Output's

        @app.callback(Output(rows, "className"), Output(rows, "title"),
                      Input(ctl.control_id(design, ALL), "value"), State(ctl.control_id(design, ALL), "id"))
        def mark(values, ids):
            """Dim the parameters that have no effect while their switch is off (``Param.requires``)."""
            on = {i["name"]: bool(v) for i, v in zip(ids, values)}   # a switch's value: [True] or []
            params = [PARAMETERS[o["id"]["name"]] for o in ctx.outputs_list[0]]
            marks = [ctl.switched(p, on[p.requires]) for p in params]
            return [c for c, _ in marks], [t for _, t in marks]

    @app.callback(Output("link", "href"), Output("copy-link", "content"), Output("design-problems", "children"),
                  Input(PARAMS, "value"), Input("preset-A", "value"), Input("preset-B", "value"),
                  Input("replications", "value"), Input("seed", "value"), Input("scenario-store", "data"),
                  State(PARAMS, "id"), State("url", "href"))
    def link(raws, preset_a, preset_b, reps, seed, source, ids, href):
        """Keep the link current, say at once which fields hold a value that cannot run, and have design A's
        runs made while the user designs (``Runner.prefetch``); B's too while the page shows exactly the
        design of the link it was opened with (a link to a design is made to run it)."""
        designs, problems = ctl.read_controls(ids, raws)
        problems += _run_settings(reps, seed)
        if problems:
            return no_update, no_update, _problems("Fix these before running:", problems)
        try:
            sc = load_scenario(source)
        except InputError:
            raise PreventUpdate from None
        presets = {"A": preset_a, "B": preset_b}
        query = ctl.to_query(source, reps, seed, presets, designs, ctl.baseline(sc, presets))
        linked = set(parse_qsl(urlsplit(href or "").query)) == set(parse_qsl(query[1:]))
        runner.prefetch(JobSpec(sc, source, int(reps), int(seed), presets, designs), ("A", "B") if linked else ("A",))
        url = (href or "").split("?")[0] + query
        return url, url, ""

    app.clientside_callback(ADDRESS, Output("address", "data"), Input("link", "href"), prevent_initial_call=True)

    idle = (False, True)   # Run on, Cancel off

    @app.server.route("/_tafelsim/job/<token>")
    def job_status(token):
        """A job's progress, for the page that started it (``FOLLOW``), once it differs from what the page has
        ``seen`` (runs done)."""
        status = runner.status(token)
        if status is None:
            return {"state": "unknown", "done": 0, "total": 0}
        status.wait(request.args.get("seen", -1, type=int), WAIT_S)
        return {"state": status.state, "done": status.done, "total": status.total, "look": status.look}

    @app.callback(
        Output("run-token", "data"), Output("run", "disabled"), Output("cancel", "disabled"),
        Output("progress", "value"), Output("progress", "max"), Output("progress-text", "children"),
        Output("run-message", "children"),
        Input("run", "n_clicks"),
        State("scenario-store", "data"), State("replications", "value"), State("seed", "value"),
        State("preset-A", "value"), State("preset-B", "value"), State(PARAMS, "value"), State(PARAMS, "id"),
        prevent_initial_call=True)
    def start(_n, source, reps, seed, preset_a, preset_b, raws, ids):
        """Start A and B on seeds base..base+R-1 in the server's runner; the page follows it (``FOLLOW``)."""
        designs, problems = ctl.read_controls(ids, raws)
        problems += _run_settings(reps, seed)
        if not problems:
            try:
                sc = load_scenario(source)
            except InputError as e:
                problems = [str(e)]
        if problems:
            return (None, *idle, "0", "1", "", _problems("Not run:", problems))
        spec = JobSpec(sc, source, int(reps), int(seed), {"A": preset_a, "B": preset_b}, designs)
        total = 2 * spec.replications
        return (runner.start(spec), True, False, "0", str(total), f"0 of {total} runs", "")

    app.clientside_callback(FOLLOW, Output("run-followed", "data"), Input("run-token", "data"),
                            prevent_initial_call=True)

    @app.callback(
        Output("run", "disabled", allow_duplicate=True), Output("cancel", "disabled", allow_duplicate=True),
        Output("progress", "value", allow_duplicate=True), Output("progress", "max", allow_duplicate=True),
        Output("progress-text", "children", allow_duplicate=True),
        Output("run-message", "children", allow_duplicate=True), Output("job", "data"),
        Input("run-ended", "data"), prevent_initial_call=True)
    def finish(token):
        """The job's result (for the Compare tab, which then opens), or why there is none."""
        status = runner.status(token)
        if status is None or status.state != "finished":   # nothing (more) to compare: the page stays where it is
            message = (_problems("The run failed:", ["the server lost this run (restarted?)"]) if status is None
                       else html.Span(_cancelled(status), className="ok") if status.state == "cancelled"
                       else _problems("The run failed:", [status.error]))
            # the last look stays, as the comparison of the replications it has (a cancelled job's: all it finished)
            look = {"id": status.look["id"]} if status is not None and status.look else no_update
            return (*idle, "0", "1", "", message, look)
        info = status.info
        seeds = info["seeds"]
        text = f"Ran A and B on seeds {seeds[0]}-{seeds[-1]} ({_what_ran(info)})."
        done = (str(status.done), str(status.total), f"{status.done} of {status.total} runs")
        return (*idle, *done, html.Span(text, className="ok"), {"id": info["id"]})   # the Compare tab opens itself

    @app.callback(Output("cancel", "disabled", allow_duplicate=True), Input("cancel", "n_clicks"),
                  State("run-token", "data"), prevent_initial_call=True)
    def cancel(_n, token):
        """Stop the job; the page hears of it when it next asks."""
        runner.cancel(token)
        return True


def _cancelled(status) -> str:
    """'Cancelled.', and what Compare still shows: the replications of both designs finished by then."""
    if not status.look:
        return "Cancelled before a replication of both designs was done."
    k = status.look["replications"]
    return f"Cancelled. Compare shows the {k} replication{'s' if k > 1 else ''} per design finished by then."


def _what_ran(info: dict) -> str:
    """'10 runs, 4.1 s of computing', and how many of them were made ahead (by earlier comparisons, or
    while the page was open: ``Runner.prefetch``; a run still under way at the click counts too)."""
    n = 2 * len(info["seeds"])
    if info.get("reused"):
        return f"{n} runs, the results of the same comparison before"
    read = info["runs_read"]
    made = (f"{n} runs, all made ahead" if read and not info["runs_computed"] else
            f"{info['runs_computed']} new runs and {read} made ahead" if read else f"{n} runs")
    return f"{made}, {info['seconds']:.1f} s of computing"


def _run_settings(reps, seed) -> list[str]:
    problems = []
    if reps is None:
        problems.append(f"replications: allowed: an integer in [{ctl.REPLICATIONS[0]}, {ctl.REPLICATIONS[1]}]")
    if seed is None:
        problems.append(f"base seed: allowed: an integer in [{ctl.SEEDS[0]}, {ctl.SEEDS[1]}]")
    return problems


def _problems(title: str, problems: list[str]):
    if not problems:
        return ""
    return html.Div([html.Strong(title), html.Ul([html.Li(p, style={"whiteSpace": "pre-line"}) for p in problems])],
                    className="error")

"""The Dash app: a header with the run controls, and one tab per module in ``TABS``.

Everything the page needs is served by this server (Dash's own JavaScript, plotly.js and
``assets/``), so it works without a network. Runs and their tables live in a private
temporary working directory that is removed when the server stops; the runs themselves are
done by the server's ``Runner`` (``dashboard.runner``), whose worker processes start with it.
"""

from __future__ import annotations

import atexit
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from dash import Dash, Input, Output, dcc, html

from dashboard import export
from dashboard.runner import Runner
from dashboard.tabs import compare, design, inside, sweep

# a new tab: a module with NAME, LABEL, layout() and register(app, workdir); the design tab also gets the runner
TABS = (design, compare, inside, sweep)


# A tab opens at its top: Run opens Compare, and the page would otherwise keep the Design tab's scroll
# position, landing the user mid-figure. Only a change of tab scrolls (a first look redrawing Compare does not).
TOP = """function(tab) {
    const shown = window.tafelsimTab;
    window.tafelsimTab = tab;
    if (shown !== undefined && shown !== tab) { window.scrollTo(0, 0); }
    return tab;
}"""


def create_app(workdir: Path, results: Path = Path("."), runner: Runner | None = None,
               scenarios: Path = Path(".")) -> Dash:
    """The app; its runs go to ``workdir`` (run by ``runner``), the sweep explorer looks for sweeps under
    ``results``, and the page may load scenario files from under ``scenarios``."""
    import scipy.stats  # noqa: F401  (the summary's intervals need it: import it now, not on the first comparison)

    workdir = Path(workdir)
    app = Dash(__name__, title="tafelsim dashboard", serve_locally=True,
               assets_folder=str(Path(__file__).parent / "assets"), update_title=None)
    app.layout = html.Div([
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="scenario-store", data=design.DEFAULT_SCENARIO),
        dcc.Store(id="job"),
        dcc.Store(id="tab-shown"),   # the tab last shown (``TOP``: a tab opens at its top)
        # plotly.js (4.6 MB) is loaded with the first graph on the page: this hidden one loads it while the
        # user designs, so that the comparison's figures do not wait for it
        dcc.Graph(id="plotly-preload", style={"display": "none"}),
        design.header(),
        dcc.Tabs(id="tabs", value=TABS[0].NAME, children=[
            dcc.Tab(label=t.LABEL, value=t.NAME, children=t.layout()) for t in TABS]),
    ], className="page")
    app.clientside_callback(TOP, Output("tab-shown", "data"), Input("tabs", "value"))
    app.server.config[sweep.RESULTS_KEY] = str(results)
    app.server.config[design.SCENARIOS_KEY] = str(Path(scenarios).resolve())
    design.register(app, workdir, runner or Runner(workdir))
    for tab in TABS[1:]:
        tab.register(app, workdir)
    export.register(app, workdir)
    return app


def serve(host: str = "127.0.0.1", port: int = 8050, results: Path = Path("."), prefetch: bool = True,
          scenarios: Path = Path(".")) -> None:
    """Serve the dashboard until interrupted; ``prefetch``: make runs before Run is clicked (``Runner.prefetch``)."""
    workdir = Path(tempfile.mkdtemp(prefix="tafelsim-dashboard-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    runner = Runner(workdir, prefetching=prefetch)
    runner.start_workers()   # ready by the time the page is: the first comparison waits for no process
    atexit.register(runner.close)
    app = create_app(workdir, results, runner, scenarios)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # a stop by signal also removes the working directory
    print(f"tafelsim dashboard on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    app.run(host=host, port=port, debug=False)

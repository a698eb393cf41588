"""The dashboard as a person uses it: `tafelsim dashboard` in its own process, a real Chromium.

Runs are short (24 months, two replications) so that the whole module takes well under a
minute; the numbers the page plots are checked against `sim.run` for the same seeds, and
the sweep explorer's against the committed sweep's own files.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from dashboard.tabs.compare import fmt
from dashboard.tabs.inside import AGREEMENT_COLUMNS, agreements_table
from experiments import analysis
from experiments.results import read_runs
from sim.params import PARAMETERS

MONTHS, REPS = 24, 2
RESULTS = Path(__file__).resolve().parents[1] / "results"
SWEEP = RESULTS / "sweeps" / "middenhuur-screening"   # committed; read, never regenerated here
B_SWITCHES = {"table.synchronised_cycles": True, "table.permanence": "structural", "escalation.enabled": True}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`tafelsim dashboard` on a free localhost port; stopped (with its workers) afterwards."""
    port, log = _free_port(), tmp_path_factory.mktemp("dashboard") / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tafelsim", "dashboard", "--port", str(port),
                                 "--results", str(RESULTS), "--scenarios", str(tmp_path_factory.getbasetemp())],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the dashboard did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)   # the server's own process group: it, its runs, kaleido's browser
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def control(design: str, name: str) -> str:
    return f"""[id='{{"design":"{design}","name":"{name}","type":"param"}}']"""


def graph_data(page, name: str, timeout: float = 60_000) -> list[dict]:
    """The traces Plotly drew for a figure of the page (decoded arrays, from ``gd._fullData``)."""
    gd = f"""document.getElementById('{{"name":"{name}","type":"graph"}}')?.querySelector('.js-plotly-plot')"""
    page.wait_for_function(f"() => {{ const g = {gd}; return !!(g && g._fullData && g._fullData.length) }}",
                           timeout=timeout)
    return page.evaluate(f"""() => {gd}._fullData.map(t => ({{meta: t.meta || null, name: t.name,
                                       x: Array.from(t.x || []), y: Array.from(t.y || [])}}))""")


COMPARE_FIGURES = ("homes", "affordable", "speed", "escalation", "reciprocity")


def wait_for_comparison(page, replications: int, timeout: float = 120_000) -> None:
    """Until every figure of the Compare tab is drawn from a comparison of this many replications per design (a
    running job's first look has fewer: ``dashboard.jobs.looks``)."""
    page.wait_for_function("""([names, n]) => names.every(name => {
        const d = document.getElementById(JSON.stringify({name: name, type: 'graph'}));
        const g = d && d.querySelector('.js-plotly-plot');
        return g && g._fullData && g._fullData.length && g._fullLayout.meta?.replications === n; })""",
                           arg=[list(COMPARE_FIGURES), replications], timeout=timeout)


def open_page(page, url: str, query: str = ""):
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url + query)
    page.wait_for_selector("#run")
    page.wait_for_function("() => document.querySelector('#link')?.getAttribute('href')?.includes('?')")
    return requests


def test_design_run_compare_look_inside_export(page, server, tmp_path):
    requests = open_page(page, server, f"?scenario=middenhuur-2017&replications={REPS}&run.months={MONTHS}")

    # the controls are the parameter declaration: every number field is bounded by it
    bounds = page.evaluate("""() => Array.from(document.querySelectorAll('input[type=number]'))
        .filter(e => e.closest('[id*=param]')).map(e => [JSON.parse(e.closest('[id*=param]').id).name,
                                                         Number(e.min), Number(e.max)])""")
    numeric = {n for n, p in PARAMETERS.items() if p.kind in (int, float)}
    assert {n for n, _, _ in bounds} == numeric
    assert all((low, high) == (PARAMETERS[n].low, PARAMETERS[n].high) for n, low, high in bounds)

    # design B: switches changed by hand; the escalation rules are marked as without effect until escalation is on
    rule = f"""[id='{{"design":"B","name":"escalation.national_money","type":"param-row"}}']"""
    assert "inactive" in page.get_attribute(rule, "class")
    assert "no effect in this design now: escalation.enabled is off" in page.get_attribute(rule, "title")
    page.locator(control("B", "table.synchronised_cycles") + " input").check()
    page.locator(control("B", "escalation.enabled") + " input").check()
    page.wait_for_function(f"() => !document.querySelector(`{rule}`).classList.contains('inactive')")
    page.locator(control("B", "table.permanence")).click()
    page.get_by_role("option", name="structural", exact=True).click()
    page.wait_for_function("() => document.querySelector('#link').href.includes('B.table.permanence=structural')")

    page.evaluate("window.scrollTo(0, 1400)")   # down among the escalation rules
    assert page.evaluate("window.scrollY") > 0
    page.click("#run")
    wait_for_comparison(page, REPS)   # drawn once all runs are done (a first look of one replication may come before)
    assert "First look" not in page.inner_text("#compare-intro")
    assert page.evaluate("window.scrollY") == 0   # Compare opens at its top, not at Design's scroll position
    # design A's runs were made while B was designed (Runner.prefetch): the job ran only B's
    assert f"{REPS} new runs and {REPS} made ahead" in page.inner_text("#run-message")
    traces = graph_data(page, "homes")

    # both designs ran, and what is plotted is what sim.run returns for the same seeds
    a_params = {"run.months": MONTHS}
    expected = {d: [sim.run("middenhuur-2017", seed=s, overrides=dict(a_params, **(B_SWITCHES if d == "B" else {})))
                    .metrics for s in range(REPS)] for d in "AB"}

    def plotted(design, panel, stat="mean"):
        [t] = [t for t in traces if t["meta"] == {"design": design, "stat": stat, "panel": panel}]
        return t["y"][-1]

    for d in "AB":
        for flow, metric in [("proposed", "homes_proposed"), ("agreed", "homes_agreed"),
                             ("started", "homes_started"), ("completed", "homes_completed")]:
            total = sum(plotted(d, f"{flow}/{seg}") for seg in ("social", "midrent", "free"))
            assert total == pytest.approx(np.mean([m[metric] for m in expected[d]])), (d, flow)
        assert plotted(d, "agreed/midrent") == pytest.approx(np.mean([m["midrent_agreed"] for m in expected[d]]))
        assert plotted(d, "agreed/midrent", "high") == max(m["midrent_agreed"] for m in expected[d])
        assert plotted(d, "agreed/social", "low") == min(m["social_agreed"] for m in expected[d])
    share = graph_data(page, "affordable")
    for d in "AB":
        [t] = [t for t in share if t["meta"] == {"design": d, "stat": "mean", "panel": "affordable"}]
        assert t["y"][-1] == pytest.approx(np.mean([m["affordable_share_agreed"] for m in expected[d]]))
    # the summary's B - A for homes agreed is the mean paired difference
    row = page.locator("#summary-table tr", has_text="homes agreed").first.inner_text()
    diff = np.mean([b["homes_agreed"] - a["homes_agreed"] for a, b in zip(expected["A"], expected["B"])])
    assert fmt(diff, "homes", signed=True) in row

    # inside a run: the trust network of design B (structural tables keep trust)
    page.get_by_text("Inside a run", exact=True).click()
    trust = graph_data(page, "trust")
    nodes = [t for t in trust if t["meta"] == {"role": "nodes"}]
    assert {t["name"] for t in nodes} >= {"municipality", "investor", "developer"}
    assert len([t for t in trust if t["meta"] == {"role": "edges"}][0]["x"]) > 0

    # export the figure as PNG (kaleido, the system's Chromium)
    with page.expect_download(timeout=90_000) as download:
        page.click("""[id='{"fmt":"png","name":"trust","type":"export"}']""")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000

    # the agreements table as CSV, named after its run, headed as on the page, every row (not one page of 12)
    with page.expect_download(timeout=30_000) as download:
        page.click("#agreements-export")
    name = download.value.suggested_filename
    assert re.fullmatch(r"agreements-[0-9a-f]{16}-B-0\.csv", name), name
    download.value.save_as(tmp_path / name)
    shown = pd.read_csv(tmp_path / name)
    want = agreements_table(sim.run("middenhuur-2017", seed=0, overrides=dict(a_params, **B_SWITCHES)))
    assert list(shown.columns) == [label for _, label in AGREEMENT_COLUMNS] and len(shown) == len(want) > 12
    assert shown["homes"].sum() == want["homes"].sum()

    # everything came from this server: nothing from a CDN
    assert requests and all(u.startswith(server) or u.startswith(("data:", "blob:")) for u in requests), requests


def test_a_link_to_a_design_has_both_designs_made_before_run(page, server):
    """The page's link to a design, opened: while it shows exactly that design, both designs' runs are made ahead
    (Runner.prefetch), so Run finds all of them made; the plotted numbers are sim.run's. The address bar is the
    link, so a reload keeps the design (and is such an opening)."""
    open_page(page, server, f"?scenario=middenhuur-2017&replications={REPS}&seed=40&run.months={MONTHS}")
    entries = page.evaluate("history.length")
    page.locator(control("B", "table.chair")).click()
    page.get_by_role("option", name="external", exact=True).click()
    page.wait_for_function("() => document.querySelector('#link').href.includes('B.table.chair=external')")
    link = page.get_attribute("#link", "href")
    page.wait_for_function("link => window.location.href === link", arg=link)
    assert page.evaluate("history.length") == entries   # the address was replaced, not a new history entry
    page.reload()                                    # as whoever was sent the link, or bookmarked it
    page.wait_for_function("() => document.querySelector('#link')?.href.includes('B.table.chair=external')")
    assert "external" in page.inner_text(control("B", "table.chair"))
    page.click("#run")
    wait_for_comparison(page, REPS)
    assert f"{2 * REPS} runs, all made ahead" in page.inner_text("#run-message")
    [mean] = [t for t in graph_data(page, "homes")
              if t["meta"] == {"design": "B", "stat": "mean", "panel": "agreed/midrent"}]
    expected = [sim.run("middenhuur-2017", seed=40 + r, overrides={"run.months": MONTHS, "table.chair": "external"})
                .metrics["midrent_agreed"] for r in range(REPS)]
    assert mean["y"][-1] == pytest.approx(np.mean(expected))


def test_bad_input_is_shown_in_the_page_and_the_server_keeps_running(page, server, tmp_path):
    open_page(page, server, "?replications=1&run.months=12&B.table.chair=nobody")
    page.wait_for_function("() => document.querySelector('#design-message').innerText.includes('nobody')")
    # before any run Compare says what brings its figures, instead of drawing empty axes
    page.get_by_text("Compare", exact=True).click()
    gd = """document.getElementById('{"name":"homes","type":"graph"}').querySelector('.js-plotly-plot')"""
    page.wait_for_function(f"() => {gd}?._fullLayout?.annotations?.length > 0")
    assert page.evaluate(f"() => {gd}._fullLayout.annotations[0].text").startswith("Drawn when A and B have run")
    assert page.evaluate(f"() => [{gd}._fullLayout.xaxis.visible, {gd}._fullData.length]") == [False, 0]
    page.get_by_text("Design", exact=True).click()
    assert "table.chair" in page.inner_text("#design-message")   # a bad link item is named, not applied
    assert page.locator(control("B", "table.chair")).inner_text() == "municipality"

    # a value outside the declared bounds is not taken
    field = page.locator("input" + control("shared", "run.months"))
    field.fill("700")
    field.press("Tab")
    page.wait_for_function("() => document.querySelector('#design-problems').innerText.includes('run.months')")
    assert "[1, 600]" in page.inner_text("#design-problems")
    page.click("#run")
    page.wait_for_function("() => document.querySelector('#run-message').innerText.includes('Not run')")
    field.fill("12")
    field.press("Tab")
    page.wait_for_function("() => document.querySelector('#design-problems').innerText === ''")

    # an invalid scenario file: its problems, by file and field
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmunicipalities:\n  - {name: A, province: Atlantis, region: R, population: -5}\n")
    page.fill("#scenario-file", str(bad))
    page.click("#load-file")
    page.wait_for_function("() => document.querySelector('#design-message').innerText.includes('cannot be used')")
    message = page.inner_text("#design-message")
    assert str(bad) in message and "province" in message and "population" in message

    # a file outside the --scenarios directory, by link or by the box, is refused unread
    for way in ("link", "box"):
        if way == "link":
            page.goto(server + "?scenario=/etc/passwd")
            page.wait_for_selector("#run")
        else:
            page.fill("#scenario-file", "/etc/passwd")
            page.click("#load-file")
        page.wait_for_function("() => document.querySelector('#design-message').innerText.includes('--scenarios')")
        assert "root:" not in page.inner_text("#design-message")

    # a scenario that loads but whose run fails: the error in the page, not a dead server
    failing = tmp_path / "failing.yaml"
    failing.write_text("name: failing\nmunicipalities_file: {path: " + str(tmp_path / "missing.csv") + "}\n")
    page.fill("#scenario-file", str(failing))
    page.click("#load-file")
    page.click("#run")
    page.wait_for_function("""() => ['#run-message', '#design-message'].some(
        s => document.querySelector(s).innerText.includes('missing.csv'))""", timeout=60_000)

    # the server still runs: choose a built-in scenario again and run it
    page.locator("#scenario").click()
    page.get_by_role("option", name="gooi-vechtstreek-2024", exact=True).click()
    page.wait_for_function("() => document.querySelector('#link').href.includes('gooi-vechtstreek-2024')")
    page.click("#run")
    traces = graph_data(page, "homes")
    assert {t["meta"]["design"] for t in traces if t["meta"]} == {"A", "B"}


def test_a_long_run_shows_its_progress_and_a_first_look_and_can_be_cancelled(page, server):
    """A comparison too long to wait for: the progress bar counts its runs; once the first replication of
    both designs is done the Compare tab shows it as a first look (the same numbers as sim.run's); Cancel stops
    the job, Run is back, and Compare shows every replication finished by then."""
    # 100 runs of 30 years: never done first, and long enough for a first look (the runs left will take far more
    # than dashboard.runner.LOOK_WORTH_S at the pace of the first ones, on a machine several times faster too)
    open_page(page, server, "?scenario=middenhuur-2017&replications=50&seed=900&run.months=360")
    page.click("#run")
    page.wait_for_function("() => document.querySelector('#progress-text').innerText.endsWith('of 100 runs')")
    wait_for_comparison(page, 1)
    assert page.locator(".tab--selected").inner_text() == "Compare"
    assert "First look: 1 of 50 replications per design" in page.inner_text("#compare-intro")
    assert page.is_disabled("#run") and not page.is_disabled("#cancel")
    traces = graph_data(page, "homes")
    expected = sim.run("middenhuur-2017", seed=900, months=360).metrics   # A and B: the scenario's own design
    for d in "AB":
        [mean] = [t for t in traces if t["meta"] == {"design": d, "stat": "mean", "panel": "agreed/midrent"}]
        [high] = [t for t in traces if t["meta"] == {"design": d, "stat": "high", "panel": "agreed/midrent"}]
        assert mean["y"] == high["y"]   # one replication: its band is its line
        assert mean["y"][-1] == pytest.approx(expected["midrent_agreed"])
    page.click("#cancel")
    page.wait_for_function("() => document.querySelector('#run-message').innerText.includes('Cancelled')",
                           timeout=30_000)
    assert not page.is_disabled("#run") and page.is_disabled("#cancel")
    page.wait_for_function("() => !document.querySelector('#compare-intro').innerText.includes('First look')")
    said = int(re.search(r"shows the (\d+) replications? per design", page.inner_text("#run-message")).group(1))
    shown = int(re.search(r"(\d+) replications? per design", page.inner_text("#compare-intro")).group(1))
    assert said == shown >= 1    # all finished by the cancel (sim.run above took a while), not only a first look's
    wait_for_comparison(page, shown)
    assert page.locator(".tab--selected").inner_text() == "Compare"


def choose(page, dropdown: str, option: str) -> None:
    page.locator(dropdown).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_sweep_explorer_shows_the_directory_and_reports_a_corrupt_chunk(page, server, tmp_path):
    page.goto(server)
    page.get_by_text("Sweep explorer", exact=True).click()
    page.wait_for_function("() => document.querySelector('#sweep-root').innerText.includes('found under')")
    choose(page, "#sweep-dir", "sweeps/middenhuur-screening")
    choose(page, "#sweep-outcome", "midrent_agreed (homes)")
    choose(page, "#sweep-parameter", "trust.initial (0..1)")

    # the scatter shows every run of the directory, by policy, with units on its axes
    gd = """document.getElementById('{"name":"sweep-scatter","type":"graph"}')?.querySelector('.js-plotly-plot')"""
    page.wait_for_function(f"""() => {{ const g = {gd}; return g?.layout?.yaxis?.title?.text === 'midrent_agreed (homes)'
                                         && g.layout.xaxis?.title?.text === 'trust.initial (0..1)' }}""", timeout=60_000)
    traces = page.evaluate(f"() => {gd}._fullData.map(t => ({{policy: t.meta.policy, x: Array.from(t.x),"
                           f" y: Array.from(t.y)}}))")
    runs = read_runs(SWEEP)
    assert sum(len(t["x"]) for t in traces) == len(runs) == 180
    for t in traces:
        mine = runs[runs["policy"] == t["policy"]]
        assert sorted(zip(t["x"], t["y"])) == sorted(zip(mine["trust.initial"], mine["midrent_agreed"]))

    # the comparison with the baseline and the sensitivity ranking are there
    compare = analysis.compare(SWEEP, outcomes=["midrent_agreed"])
    row = compare[compare["point"].isna() & (compare["policy"] == "structural")].iloc[0]
    table = page.locator("#sweep-compare-table tr", has_text="structural").nth(1).inner_text()
    assert fmt(row["diff"], "homes", signed=True) in table and "structural higher" in table
    page.wait_for_selector("#sweep-sensitivity-table")
    assert "investor.required_return" in page.inner_text("#sweep-sensitivity-table")
    bars = graph_data(page, "sweep-sensitivity")
    assert len(bars) == 3 and all(len(b["x"]) == 4 for b in bars)   # per policy: three parameters and the dummy

    # a copy with a corrupt chunk is reported by that file's name, and the page keeps working
    broken = tmp_path / "broken"
    shutil.copytree(SWEEP, broken)
    chunk = sorted((broken / "runs").glob("*.parquet"))[0]
    chunk.write_bytes(chunk.read_bytes()[:300])
    page.fill("#sweep-path", str(broken))
    page.press("#sweep-path", "Enter")
    page.wait_for_function("() => document.querySelector('#sweep-message').innerText.includes('cannot be explored')")
    assert chunk.name in page.inner_text("#sweep-message") and "corrupt" in page.inner_text("#sweep-message")
    page.wait_for_function(f"() => {gd}?._fullData?.length === 0")   # no figures left of the sweep before
    page.fill("#sweep-path", str(SWEEP))
    page.click("#sweep-open")
    page.wait_for_function("() => document.querySelector('#sweep-message').innerText === ''")
    assert sum(len(t["x"]) for t in graph_data(page, "sweep-scatter")) == 180

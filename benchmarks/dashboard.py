"""How long the dashboard takes to show the 12-city comparison, and the README's screenshots.

Run on demand (not in CI; needs /usr/bin/chromium and the dev extra):
    python benchmarks/dashboard.py [--repeat 3] [--write results/benchmarks/dashboard.md] [--screenshots docs]

Starts `tafelsim dashboard`, opens it in headless Chromium with design A the 2017
samenwerkingstafel of `middenhuur-2017` and design B the same table made structural, with
synchronised decision cycles and the escalation ladder, and times the click on "Run A and B"
until every figure of the Compare tab is drawn, for the first look (the first replication of
both designs) and for the whole comparison of 5 replications per design (10 runs of 108
months). The dashboard makes runs ahead of the click (``Runner.prefetch``): design A's while the
user designs, and B's too on a page opened from a link to the design. So the wait depends on the
way to Run, each on a server of its own: the page opened from the link (the page's own *link to
this design*) and Run clicked as soon as the page has settled, or ``DESIGN_S`` seconds after it;
B designed by hand (three switches) and Run clicked ``DESIGN_S`` seconds later; and, for
reference, the link and the click at once on a server started with ``--no-prefetch``. Each repetition uses new seeds, so no
finished job is reused; in the first way, after each, a link with B changed once more (an
external chair) is opened and run on the same seeds (A's runs are read).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import emit
from playwright.sync_api import sync_playwright

B_SWITCHES = {"table.synchronised_cycles": "true", "table.permanence": "structural", "escalation.enabled": "true"}
REPLICATIONS = 5
PLAIN = f"?scenario=middenhuur-2017&replications={REPLICATIONS}&seed={{seed}}"   # B as A: designed by hand
AGAIN = {"table.chair": "external"}   # then B changed once more: A's runs are those of the comparison before
DESIGN_S = 10.0                       # a user's time between designing B by hand and the click on Run


LINK = """
import json, sys
from dashboard import controls as ctl
from sim.scenario import load
switches, reps, seed = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sc = load("middenhuur-2017")
presets = {d: sc.table_format for d in ctl.DESIGNS}
base = ctl.baseline(sc, presets)
b = {k: v == "true" if v in ("true", "false") else v for k, v in switches.items()}
print(ctl.to_query("middenhuur-2017", reps, seed, presets, {"A": base["A"], "B": {**base["B"], **b}}, base))
"""


def link(seed: int, **more) -> str:
    """The query of the page's own link to the design (``dashboard.controls.to_query``): B with ``B_SWITCHES``
    (and ``more``) on the scenario's format. In a process of its own, from the repository's root (here,
    ``dashboard`` is this file)."""
    out = subprocess.run([sys.executable, "-c", LINK, json.dumps({**B_SWITCHES, **more}), str(REPLICATIONS), str(seed)],
                         cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def design_by_hand(page) -> None:
    """B's switches as a user sets them in the page: two check boxes and a dropdown."""
    control = """[id='{{"design":"B","name":"{}","type":"param"}}']"""
    page.locator(control.format("table.synchronised_cycles") + " input").check()
    page.locator(control.format("escalation.enabled") + " input").check()
    page.locator(control.format("table.permanence")).click()
    page.get_by_role("option", name="structural", exact=True).click()
    page.wait_for_function("() => document.querySelector('#link').href.includes('B.table.permanence=structural')")
FIGURES = ("homes", "affordable", "speed", "escalation", "reciprocity")
ARGS = ["--no-sandbox", "--headless=new", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
DRAWN = """(names) => names.every(n => { const d = document.getElementById(JSON.stringify({name: n, type: 'graph'}));
    const g = d && d.querySelector('.js-plotly-plot'); return g && g._fullData && g._fullData.length > 0 })"""
# Times taken in the page, on its clock: from the press of the mouse on Run until the first look (the first
# replication of both designs, ``dashboard.jobs.looks``) is drawn, until the page says the runs are done, and until
# every figure holds the whole comparison's traces. The page is watched by a MutationObserver (which costs it nothing
# while the runs compete with it for the cores); once the first look or the end is announced, the figures are checked
# every frame until drawn. Playwright's own work around a click (waiting for the button to be ready, scrolling) is
# not the page's and is left out.
WATCH = """([names, replications]) => { const b = window._bench = {};
    document.querySelector('#run').addEventListener('mousedown', () => { b.click = performance.now(); },
                                                     {capture: true, once: true});
    const drawn = (n) => names.every(name => {
        const d = document.getElementById(JSON.stringify({name: name, type: 'graph'}));
        const g = d && d.querySelector('.js-plotly-plot');
        return g && g._fullData && g._fullData.length > 0 && g._fullLayout.meta?.replications === n; });
    const until = (n, key) => { const tick = () => { if (drawn(n)) { b[key] = performance.now(); }
                                                      else { requestAnimationFrame(tick); } }; tick(); };
    new MutationObserver((_, observer) => {
        if (b.click === undefined) { return; }
        const intro = document.querySelector('#compare-intro');
        if (b.looked === undefined && intro && intro.textContent.includes('First look: 1 of')) {
            b.looked = performance.now();
            until(1, 'look');
        }
        if (document.querySelector('#run-message').textContent.includes('Ran')) {
            b.ran = performance.now();
            observer.disconnect();
            until(replications, 'drawn');
        }
    }).observe(document.body, {childList: true, subtree: true, characterData: true}); }"""


def start_server(prefetch: bool = True) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tafelsim", "dashboard", "--port", str(port), "--results", "results",
                             "--prefetch" if prefetch else "--no-prefetch"],
                            stdout=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the dashboard did not start")


def sweep_screenshot(page, path: Path) -> None:
    """The sweep explorer on the committed Morris screening: mid-rent homes against investors' required return."""
    page.get_by_text("Sweep explorer", exact=True).click()
    page.wait_for_function("() => document.querySelector('#sweep-root').innerText.includes('found under')")
    for dropdown, option in (("#sweep-dir", "sweeps/middenhuur-screening"), ("#sweep-outcome", "midrent_agreed (homes)"),
                             ("#sweep-parameter", "investor.required_return (1/year)")):
        page.locator(dropdown).click()
        page.get_by_role("option", name=option, exact=True).click()
        page.keyboard.press("Escape")   # the last dropdown would otherwise stay open over the scatter
    page.wait_for_function(DRAWN, arg=["sweep-scatter", "sweep-parallel", "sweep-sensitivity"], timeout=60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": 1400, "height": 1550})   # two figures


def screenshots_of(page, where: Path) -> None:
    """The comparison just drawn, its homes figure, a look inside a run and the sweep explorer."""
    page.wait_for_timeout(500)
    page.screenshot(path=where / "dashboard-compare.png")
    page.add_style_tag(content="header { position: static; }")   # not over the figure below
    card = page.locator(".card", has=page.locator("""[id='{"name":"homes","type":"graph"}']"""))
    card.screenshot(path=where / "dashboard-homes.png")
    page.get_by_text("Inside a run", exact=True).click()
    page.wait_for_function(DRAWN, arg=["trust", "ladder", "national-queue"], timeout=60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=where / "dashboard-inside.png")
    sweep_screenshot(page, where / "dashboard-sweep.png")


def compare(page) -> tuple[float | None, float, float, str]:
    """Click Run; seconds until the first look is drawn (None: there was none, e.g. A's runs were read), until the
    page says the runs are done, until the whole comparison is drawn; the page's message."""
    page.evaluate(WATCH, [list(FIGURES), REPLICATIONS])
    page.click("#run")
    page.wait_for_function("() => window._bench.drawn !== undefined", timeout=300_000)
    b = page.evaluate("window._bench")
    look = (b["look"] - b["click"]) / 1000 if "look" in b else None
    return look, (b["ran"] - b["click"]) / 1000, (b["drawn"] - b["click"]) / 1000, page.inner_text("#run-message")


def _seconds(t: float | None) -> str:
    return "none" if t is None else f"{t:.1f} s"


def _median(times: list) -> str:
    shown = [t for t in times if t is not None]
    return _seconds(statistics.median(shown) if shown else None)


def run_cpu_seconds() -> dict[str, float]:
    """CPU seconds of the comparison's runs alone: what no amount of other load on the machine changes."""
    import sim
    sim.run("middenhuur-2017", seed=0, months=1)   # imports, not timed (the dashboard's workers have them)
    out = {}
    for design, overrides in (("A", {}), ("B", B_SWITCHES)):
        start = time.process_time()
        for seed in range(5):
            sim.run("middenhuur-2017", seed=seed, overrides=overrides)
        out[design] = time.process_time() - start
    return out


JOB = """
import json, multiprocessing, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from dashboard.jobs import JobSpec, run_job
from dashboard.runner import warm_up
from sim.scenario import load
if __name__ == "__main__":
    workers, seed, switches = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
    sc = load("middenhuur-2017")
    a = sc.parameter_values()
    b = {**a, **{k: v == "true" if v in ("true", "false") else v for k, v in switches.items()}}
    spec = JobSpec(sc, "middenhuur-2017", 5, seed, {"A": sc.table_format, "B": sc.table_format}, {"A": a, "B": b})
    with tempfile.TemporaryDirectory() as work, ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=warm_up) as pool:
        list(pool.map(time.sleep, [0.5] * workers))   # every worker forked and warmed up
        start = time.perf_counter()
        run_job(spec, Path(work), pool=pool)
        print(time.perf_counter() - start)
"""


def job_seconds(workers: int, seed: int) -> float:
    """Wall seconds of the comparison's job alone (``run_job``, no page) on ``workers`` worker processes,
    forked with the model imported as the dashboard's are: how its time divides over the cores. In a process
    of its own, from the repository's root (here, ``dashboard`` is this file)."""
    out = subprocess.run([sys.executable, "-c", JOB, str(workers), str(seed), json.dumps(B_SWITCHES)],
                         cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


# (what the user does, server with prefetch, B designed by hand (else: the page opened from a link to the design),
#  seconds between the page settling (or B designed) and the click on Run)
MODES = (("Page opened from a link to the design, Run clicked as soon as the page has settled", True, False, 0.0),
         (f"Page opened from a link to the design, Run clicked {DESIGN_S:.0f} s after the page has settled",
          True, False, DESIGN_S),
         (f"B designed by hand (three switches), Run clicked {DESIGN_S:.0f} s later", True, True, DESIGN_S),
         ("Page opened from a link to the design, Run clicked as soon as the page has settled, without prefetch "
          "(`--no-prefetch`)", False, False, 0.0))


def _open(page, url: str, query: str, marker: str) -> float:
    """Open the page with a design; seconds until it has loaded and settled."""
    t = time.perf_counter()
    page.goto(url + query)
    page.wait_for_function(f"() => document.querySelector('#link')?.href.includes('{marker}')")
    # the page loads plotly.js (4.6 MB) with a hidden graph while the user designs; a user who
    # clicks Run the moment the page appears waits for it too, which is the page's load, not the run
    page.wait_for_function("() => window.Plotly !== undefined", timeout=60_000)
    page.wait_for_load_state("networkidle")   # the page's own callbacks done (a user reads it first)
    return time.perf_counter() - t


def comparison(page, url: str, mode: int, rep: int, repeat: int, out: dict, screenshots: Path | None) -> None:
    """One comparison (new seeds) the way ``MODES[mode]`` says; in the first mode, then B changed once more and
    run again on the same seeds."""
    what, _, by_hand, wait_s = MODES[mode]
    seed = 1000 * mode + 100 * rep
    if by_hand:
        out["loads"].append(_open(page, url, PLAIN.format(seed=seed), f"seed={seed}"))
        design_by_hand(page)
    else:
        out["loads"].append(_open(page, url, link(seed), "B.table.permanence"))
    page.wait_for_timeout(1000 * wait_s)
    if mode == 0 and rep == 0 and screenshots:
        page.screenshot(path=screenshots / "dashboard-design.png")
    look, ran, drawn, message = compare(page)
    out["drawn"].append(drawn)
    out["runs"].append(ran)
    out["looks"].append(look)
    out["computing"].append(float(re.search(r"([0-9.]+) s of computing", message).group(1)))
    print(f"{what}, repetition {rep + 1}: first look drawn after {_seconds(look)}, runs done after "
          f"{ran:.1f} s, figures drawn after {drawn:.1f} s; {message}", flush=True)
    if mode == 0 and rep == repeat - 1 and screenshots:
        screenshots_of(page, screenshots)
    if mode == 0:
        _open(page, url, link(seed, **AGAIN), "B.table.chair")
        _, ran, drawn, message = compare(page)
        out["again"].append(drawn)
        print(f"  B changed again: figures drawn after {drawn:.1f} s; {message}", flush=True)


def _list(times: list) -> str:
    return ", ".join(map(_seconds, times))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--write", type=Path)
    ap.add_argument("--screenshots", type=Path, help="directory for dashboard-*.png")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    # a server each way, all started now, and the ways taken in turn within each repetition: the machine's speed
    # drifts over minutes, and so the ways are compared side by side
    servers = [start_server(prefetch) for _, prefetch, _, _ in MODES]
    sessions = [{"what": what, "loads": [], "looks": [], "runs": [], "computing": [], "drawn": [], "again": []}
                for what, *_ in MODES]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            pages = [browser.new_page(viewport={"width": 1400, "height": 1000}) for _ in MODES]
            for rep in range(args.repeat):
                for mode, (page, (_, url)) in enumerate(zip(pages, servers)):
                    comparison(page, url, mode, rep, args.repeat, sessions[mode], args.screenshots)
            browser.close()
    finally:
        for proc, _ in servers:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    cpu = run_cpu_seconds()
    jobs = {w: job_seconds(w, 900 + w) for w in (1, 2)}
    lines = [
        "# Dashboard: time to show the 12-city comparison",
        "",
        "`python benchmarks/dashboard.py --repeat 3 --write results/benchmarks/dashboard.md --screenshots docs`",
        "",
        "From the click on *Run A and B* until all five figures of the Compare tab are drawn in headless "
        "Chromium, first for the first look and then for the whole comparison: `middenhuur-2017`, 5 replications "
        "per design (10 runs of 108 months, in parallel processes), "
        "design B = structural table with synchronised cycles and the escalation ladder. "
        "The dashboard makes runs ahead of the click (`dashboard.runner.Runner.prefetch`): design A's while the "
        "user designs, and B's too on a page opened from a link to the design, while it shows that design. So "
        "what the user waits for depends on the way to Run: each way below has a server of its own (all of them "
        "started at once and taken in turn within each repetition, so that they are compared side by side) and "
        "new seeds for every repetition, so no run is read from another. The page counts as settled once plotly.js is "
        "fetched (which the page does while the user designs) and none of its own requests has been pending for "
        "half a second. Times are the page's own (its clock, from the mouse press on Run), so Playwright's work "
        "around the click is not counted.",
        "",
        f"- machine: {platform.platform()}, {len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}",
        f"- load average before: {load:.1f} (other work on the machine slows it down)",
    ]
    for k, out in enumerate(sessions):
        lines += [
            "",
            f"## {out['what']}",
            "",
            f"- page loaded and settled after: {_list(out['loads'])}",
            f"- first look drawn after: {_list(out['looks'])}: the first replication of A and of B, shown while the "
            "other runs go on when they will take at least `dashboard.runner.LOOK_WORTH_S` at the pace so far "
            "(`none`: not worth it)",
            f"- runs finished after: {_list(out['runs'])} (the page says so); of which the job itself (from the "
            f"click's request to `job.json`): {_list(out['computing'])}",
            f"- the whole comparison (5 replications per design) drawn after: {_list(out['drawn'])}; "
            f"median: **{statistics.median(out['drawn']):.1f} s**",
        ]
        if out["again"]:
            lines.append(f"- then a link with B changed once more (an external chair) opened and run at once on the same "
                         f"seeds, A's five runs read from the comparison before: figures drawn after {_list(out['again'])} "
                         f"(median **{statistics.median(out['again']):.1f} s**)")
    lines += [
        "",
        "## The runs themselves",
        "",
        f"- CPU time of the 10 runs (`sim.run`, one process, seeds 0-4): A {cpu['A']:.1f} s, "
        f"B {cpu['B']:.1f} s; the runs take at least (A + B) / cores of wall time, or B / cores once A's are made "
        "ahead, whatever the dashboard does",
        f"- the job alone (no page, no prefetch; new seeds) on 1 worker process: {jobs[1]:.1f} s, on 2: "
        f"{jobs[2]:.1f} s ({jobs[1] / jobs[2]:.2f}x): the job's time divides over the worker processes, one per "
        "core, so on a machine with more cores the runs' part of the wait shrinks in proportion",
        "",
    ]
    emit("\n".join(lines), args.write)


if __name__ == "__main__":
    main()

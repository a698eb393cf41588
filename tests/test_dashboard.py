"""The dashboard's pieces in-process: design links, control values, jobs on common seeds, exports.

The page itself is tested in a real browser (tests/test_dashboard_browser.py); these cover
the many cases that would be slow there.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pandas as pd
import pytest

import sim
from dashboard import controls as ctl
from dashboard import series
from dashboard.export import render
from dashboard.jobs import JobCancelled, JobSpec, load_job, looks, run_job
from dashboard.runner import Runner, SharedRuns, Status
from dashboard.tabs import compare, inside  # noqa: F401  (registers the figures)
from experiments.stats import paired_difference
from sim import storage
from sim.errors import InputError
from sim.scenario import load

SCENARIO, MONTHS, SEEDS = "middenhuur-2017", 12, 2
B = {"table.synchronised_cycles": True, "table.permanence": "structural"}


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    sc = load(SCENARIO)
    a = sc.parameter_values({"run.months": MONTHS})
    spec = JobSpec(sc, SCENARIO, SEEDS, 7, {"A": sc.table_format, "B": sc.table_format}, {"A": a, "B": {**a, **B}})
    workdir = tmp_path_factory.mktemp("work")
    return spec, workdir, run_job(spec, workdir)["id"]


def test_a_link_restores_the_design():
    sc = load(SCENARIO)
    presets = {"A": sc.table_format, "B": "bestuurlijk-overleg"}
    base = ctl.baseline(sc, presets)
    designs = {"A": {**base["A"], "run.months": 24, "escalation.enabled": True},
               "B": {**base["B"], "run.months": 24, "table.members": frozenset({"municipality", "tenant"})}}
    query = ctl.to_query(SCENARIO, 3, 11, presets, designs, base)
    parsed, problems = ctl.from_query(query)
    assert problems == []
    assert (parsed["scenario"], parsed["replications"], parsed["seed"], parsed["presets"]) == (SCENARIO, 3, 11, presets)
    values = ctl.control_values(ctl.baseline(sc, parsed["presets"]), parsed["overrides"])
    ids = [{"design": d, "name": n} for d, n in values]
    restored, problems = ctl.read_controls(ids, list(values.values()))
    assert problems == [] and restored == designs
    assert len(query) < 300   # only what differs from the scenario and the presets


@pytest.mark.parametrize("item,needle", [
    ("A.format=versnellingstafel", "unknown preset"),
    ("B.table.chair=nobody", "one of none, municipality, external"),
    ("run.months=601", "int in [1, 600]"),
    ("replications=0", "integer in [1, 50]"),
    ("seed=x", "integer in [0, "),
    ("investor.required_retrun=0.04", "not a setting of this page"),
    ("A.investor.required_return=0.04", "not a setting of this page"),   # not a design parameter
])
def test_a_bad_link_item_is_named_and_not_applied(item, needle):
    parsed, problems = ctl.from_query("?scenario=middenhuur-2017&" + item)
    assert len(problems) == 1 and needle in problems[0] and item.split("=")[0].split(".", 1)[-1] in problems[0]
    assert parsed["presets"] == {} and all(not v for v in parsed["overrides"].values())
    assert "replications" not in parsed and "seed" not in parsed


def test_controls_reject_what_is_outside_the_declaration():
    sc = load(SCENARIO)
    values = ctl.control_values(ctl.baseline(sc, {"A": sc.table_format, "B": sc.table_format}))
    values[("shared", "investor.required_return")] = None        # the browser's value for 0.9 in [0.01, 0.15]
    values[("B", "table.members")] = []
    values[("A", "table.chair")] = "dictator"
    ids = [{"design": d, "name": n} for d, n in values]
    _, problems = ctl.read_controls(ids, list(values.values()))
    assert len(problems) == 3
    assert any("investor.required_return" in p and "[0.01, 0.15]" in p for p in problems)
    assert any(p.startswith("design B: table.members") for p in problems)
    assert any(p.startswith("design A: table.chair") for p in problems)


def test_every_parameter_has_a_control_with_its_kind():
    from dash import dcc
    for name, p in ctl.PARAMETERS.items():
        row = ctl.control(p, "A", ctl.to_control(p, p.default))
        assert p.doc in row.title and p.allowed() in row.title   # the tooltip: meaning, unit and bounds
        widget = row.children[1].children
        if p.kind in (int, float):
            assert isinstance(widget, dcc.Input) and (widget.min, widget.max) == (p.low, p.high)
        elif p.kind in (bool, frozenset):
            assert isinstance(widget, dcc.Checklist)
        else:
            assert isinstance(widget, dcc.Dropdown) and widget.options == list(p.choices)


def test_a_job_runs_both_designs_on_common_seeds(job):
    spec, workdir, jid = job
    j = load_job(str(workdir), jid)
    assert j.info["seeds"] == [7, 8]
    direct = {d: [sim.run(SCENARIO, seed=s, overrides={"run.months": MONTHS, **(B if d == "B" else {})})
                  for s in (7, 8)] for d in "AB"}
    for d in "AB":
        assert [r.run_id for r in j.runs[d]] == [r.run_id for r in direct[d]]
    s = series.summary(j.metrics).set_index("metric")
    for metric in ("homes_agreed", "median_months_to_agreement", "mean_balance"):
        e = paired_difference([r.metrics[metric] for r in direct["B"]], [r.metrics[metric] for r in direct["A"]])
        assert s.loc[metric, ["diff_mean", "diff_low", "diff_high"]].tolist() == pytest.approx(
            [e.mean, e.low, e.high], nan_ok=True)


def test_the_series_a_job_keeps_are_those_of_its_runs(job):
    """The workers compute the Compare tab's series; they equal those of the runs read back."""
    _, workdir, jid = job
    j = load_job(str(workdir), jid)
    ids = [(d, rep, r.seed) for d in "AB" for rep, r in enumerate(j.runs[d])]
    for name, of_run in series.PER_RUN.items():
        direct = series.combine([of_run(j.runs[d][rep]) for d, rep, _ in ids], ids)
        pd.testing.assert_frame_equal(j.series(name), direct, check_exact=True)
    assert j.metrics["B"][1] == pytest.approx(j.runs["B"][1].metrics, nan_ok=True)


def test_a_corrupt_series_file_is_named(job, tmp_path):
    _, workdir, jid = job
    shutil.copytree(workdir / "jobs" / jid, tmp_path / "jobs" / jid)
    (tmp_path / "jobs" / jid / "series" / "homes.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="homes.parquet"):
        load_job(str(tmp_path), jid).series("homes")


def test_the_same_comparison_is_not_run_twice(job):
    spec, workdir, jid = job
    stamp = (workdir / "jobs" / jid / "job.json").stat().st_mtime_ns
    again = run_job(spec, workdir)
    assert again["id"] == jid and again["reused"]
    assert (workdir / "jobs" / jid / "job.json").stat().st_mtime_ns == stamp


def test_runs_an_earlier_comparison_made_are_read_not_run_again(job):
    """Changing only B and running again runs only B: A's runs are those of the first comparison."""
    spec, workdir, jid = job
    first = load_job(str(workdir), jid)
    b2 = {**spec.designs["B"], "table.permanence": "one_off"}
    again = run_job(JobSpec(spec.scenario, SCENARIO, SEEDS, 7, spec.presets, {"A": spec.designs["A"], "B": b2}),
                    workdir)
    assert (again["runs_read"], again["runs_computed"]) == (SEEDS, SEEDS)
    assert again["runs"]["A"] == first.info["runs"]["A"] and again["metrics"]["A"] == first.info["metrics"]["A"]
    direct = sim.run(SCENARIO, seed=8, overrides={"run.months": MONTHS, "table.synchronised_cycles": True})
    assert again["metrics"]["B"][1] == storage.run_info(direct)["metrics"]


def test_a_design_equal_to_the_other_runs_once(tmp_path):
    sc = load(SCENARIO)
    a = sc.parameter_values({"run.months": MONTHS})
    info = run_job(JobSpec(sc, SCENARIO, SEEDS, 3, {"A": sc.table_format, "B": sc.table_format}, {"A": a, "B": a}),
                   tmp_path)
    assert info["runs_computed"] == SEEDS and info["runs"]["A"] == info["runs"]["B"]
    assert info["metrics"]["A"] == info["metrics"]["B"]


def test_an_estimate_reads_with_its_interval_or_says_it_has_none():
    """A first look of one replication has no interval; the summary says so instead of "(-inf to inf)"."""
    assert compare.estimate(1.25e6, 0.9e6, 1.5e6, "EUR") == "EUR 1.2 mln (0.9 to 1.5)"
    one = series.summary({"A": [{"homes_agreed": 120}], "B": [{"homes_agreed": 150}]})
    row = compare.summary_table(one).set_index("metric").loc["homes_agreed"]
    assert (row["A (95% CI)"], row["B − A (95% CI)"]) == ("120 (no interval)", "+30.0 (no interval)")
    assert row["reading"] == "one replication: no interval"


def test_a_reading_says_on_how_many_replications_it_rests_when_some_measured_nothing():
    """A mean over no agreements is undefined (NaN): the pairs where either design measured nothing
    drop out, and the reading says so instead of passing a smaller sample off as the whole."""
    nan = float("nan")
    s = series.summary({"A": [{"mean_balance": v} for v in (0.5, 0.6, nan, 0.55)],
                        "B": [{"mean_balance": v} for v in (0.7, 0.8, 0.75, nan)]})
    row = compare.summary_table(s).set_index("metric").loc["mean_balance"]
    assert row["reading"] == "B higher (2 of 4 replications measured)"
    every = compare.summary_table(series.summary({"A": [{"homes_agreed": v} for v in (1, 2, 3)],
                                                  "B": [{"homes_agreed": v} for v in (5, 6, 8)]}))
    assert every.set_index("metric").loc["homes_agreed", "reading"] == "B higher"


def test_first_looks_come_at_1_4_16_replications_while_at_most_half_of_the_job():
    assert [looks(r) for r in (1, 2, 5, 7, 8, 31, 32, 50)] == [[], [1], [1], [1], [1, 4], [1, 4], [1, 4, 16],
                                                                 [1, 4, 16]]


def test_a_job_gives_a_first_look_that_is_the_comparison_of_its_first_replications(tmp_path):
    """The look is the job a user asking for fewer replications would get: same id, same numbers; the
    job itself is unchanged by giving it (its runs, series and metrics as without a look)."""
    sc = load(SCENARIO)
    a = sc.parameter_values({"run.months": MONTHS})
    spec = JobSpec(sc, SCENARIO, 2, 7, {"A": sc.table_format, "B": sc.table_format}, {"A": a, "B": {**a, **B}})
    seen = []
    info = run_job(spec, tmp_path, look=seen.append)
    [first] = seen
    part = replace(spec, replications=1)
    assert first["id"] == part.job_id() and first["replications"] == 1 and first["seeds"] == [7]
    assert first["runs"] == {d: runs[:1] for d, runs in info["runs"].items()}
    assert first["metrics"] == {d: m[:1] for d, m in info["metrics"].items()}
    assert first["runs_computed"] == 2 and first["runs_read"] == 0
    job = load_job(str(tmp_path), first["id"])
    whole = load_job(str(tmp_path), info["id"])
    for name in series.PER_RUN:
        expected = whole.series(name)
        expected = expected[expected["replication"] == 0].reset_index(drop=True)
        pd.testing.assert_frame_equal(job.series(name), expected)
    # asked for itself, the look's comparison is the one already written
    assert run_job(part, tmp_path)["reused"]
    # a job of one replication has nothing to look at first
    seen.clear()
    run_job(replace(spec, base_seed=20, replications=1), tmp_path, look=seen.append)
    assert seen == []
    # nor does one whose other runs would not take long enough to be worth drawing a look (``look_worth``)
    run_job(replace(spec, base_seed=30), tmp_path, look=seen.append, look_worth=3600.0)
    assert seen == []


def _follow(runner: Runner, token: str, timeout: float = 120.0):
    """Follow a job as the page does (asking for a change of what it has seen), until it is no longer running."""
    deadline = time.monotonic() + timeout
    seen = []
    while (status := runner.status(token)).state == "running":
        seen.append(status.done)
        assert time.monotonic() < deadline, "the job did not end"
        status.wait(status.done, timeout=1)
    return status, seen


def test_a_job_status_answers_whoever_waits_for_it_when_it_changes():
    status = Status(total=4)
    started = time.monotonic()
    status.wait(seen=-1, timeout=10)                        # the page has seen nothing yet: at once
    status.wait(seen=0, timeout=0.2)                        # nothing changed: after the timeout
    assert 0.2 <= time.monotonic() - started < 5
    for change in ({"done": 1}, {"state": "failed", "error": "x"}):   # more runs done, or the job ended: at once
        threading.Timer(0.1, status.update, kwargs=change).start()
        started = time.monotonic()
        status.wait(seen=status.done, timeout=30)
        assert time.monotonic() - started < 10 and all(getattr(status, k) == v for k, v in change.items())


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    r = Runner(tmp_path_factory.mktemp("runner"), workers=2, look_worth=0.0)   # short jobs: a first look all the same
    r.start_workers()
    yield r
    r.close()


def test_the_servers_runner_gives_the_same_job_as_run_job(job, runner):
    spec, workdir, jid = job
    status, seen = _follow(runner, runner.start(spec))
    assert status.state == "finished" and status.done == status.total == 2 * SEEDS and seen == sorted(seen)
    assert status.info["id"] == jid and (runner.workdir / "jobs" / jid / "job.json").exists()
    assert status.info["metrics"] == load_job(str(workdir), jid).info["metrics"]
    # the page was given a first look: the first replication of both designs, as a job of its own
    assert status.look == {"id": replace(spec, replications=1).job_id(), "replications": 1}
    assert (runner.workdir / "jobs" / status.look["id"] / "job.json").exists()


def test_design_a_made_ahead_is_handed_to_the_job_and_not_run_again(runner, tmp_path):
    sc = load(SCENARIO)
    a = sc.parameter_values({"run.months": MONTHS})
    spec = JobSpec(sc, SCENARIO, 2, 400, {"A": sc.table_format, "B": sc.table_format}, {"A": a, "B": {**a, **B}})
    runner.prefetch(spec)
    runner.prefetch(spec)                     # the page asks again (design B changed): the same runs, not new ones
    status, _ = _follow(runner, runner.start(spec))
    assert status.state == "finished"
    assert (status.info["runs_read"], status.info["runs_computed"]) == (2, 2)    # A's made ahead, B's by the job
    assert status.info["metrics"] == run_job(spec, tmp_path)["metrics"]        # what a job without a prefetch gives
    runner.prefetch(spec)                     # all on disk now: nothing to make
    assert runner._ahead == []
    # a page showing the design of the link it was opened with has both designs made ahead
    both = replace(spec, base_seed=450)
    runner.prefetch(both, ("A", "B"))
    status, _ = _follow(runner, runner.start(both))
    assert (status.info["runs_read"], status.info["runs_computed"]) == (4, 0)


def test_a_job_sharing_runs_with_a_cancelled_one_still_finishes(runner, tmp_path):
    """Two pages ask for the same comparison at once; one is cancelled, which cancels the runs not yet started,
    that the other job shares: those are made again for it."""
    sc = load(SCENARIO)
    a = sc.parameter_values({"run.months": MONTHS})
    spec = JobSpec(sc, SCENARIO, 4, 500, {"A": sc.table_format, "B": sc.table_format}, {"A": a, "B": {**a, **B}})
    first, second = runner.start(spec), runner.start(spec)
    runner.cancel(first)
    status, _ = _follow(runner, second)
    assert status.state == "finished", status.error
    last = sim.run(SCENARIO, seed=503, overrides={"run.months": MONTHS, **B})   # the last run: the likeliest made again
    assert status.info["metrics"]["B"][3] == storage.run_info(last)["metrics"]
    assert _follow(runner, first)[0].state in ("cancelled", "finished")


def test_a_job_whose_worker_dies_is_run_again_on_new_workers(tmp_path):
    """A worker process killed mid-job breaks the pool: the job starts once more on new workers, and the runs
    the broken pool had (shared ones included) are made again there."""
    import os
    import signal
    sc = load(SCENARIO)
    a = sc.parameter_values({"run.months": 48})
    spec = JobSpec(sc, SCENARIO, 3, 700, {"A": sc.table_format, "B": sc.table_format}, {"A": a, "B": {**a, **B}})
    runner = Runner(tmp_path / "work", workers=2)
    try:
        runner.prefetch(spec)                       # A's runs, shared with the job
        token = runner.start(spec)
        deadline = time.monotonic() + 60
        while not runner.pool()._processes and time.monotonic() < deadline:
            time.sleep(0.05)
        broken = runner.pool()
        os.kill(next(iter(broken._processes)), signal.SIGKILL)
        status, _ = _follow(runner, token)
        assert status.state == "finished", status.error
        assert runner.pool() is not broken          # the job went on on new workers
        for d, overrides in (("A", {}), ("B", B)):
            direct = sim.run(SCENARIO, seed=702, overrides={"run.months": 48, **overrides})
            assert status.info["metrics"][d][2] == storage.run_info(direct)["metrics"]
    finally:
        runner.close()


def test_shared_runs_hand_out_one_run_once_and_drop_only_what_no_job_waits_for():
    from concurrent.futures import ThreadPoolExecutor
    gate, started = threading.Event(), threading.Event()

    def make(name):
        started.set()
        gate.wait(30)
        return name
    with ThreadPoolExecutor(1) as pool:
        runs = SharedRuns(lambda: pool)
        busy, new = runs.submit(make, "busy")                 # takes the only worker
        assert started.wait(30)
        queued, _ = runs.submit(make, "queued")
        wanted, _ = runs.submit(make, "wanted", claim=True)   # a job waits for this one
        again, again_new = runs.submit(make, "queued")
        assert new and not again_new and again is queued
        runs.drop([busy, queued, wanted])
        assert queued.cancelled() and not wanted.cancelled() and not busy.cancelled()
        resubmitted, new = runs.submit(make, "queued")       # a dropped run asked for again is made after all
        assert new and resubmitted is not queued
        gate.set()
        assert [f.result(30) for f in (busy, wanted, resubmitted)] == ["busy", "wanted", "queued"]


def test_a_cancelled_job_stops_and_leaves_no_result(runner):
    sc = load(SCENARIO)
    values = sc.parameter_values()
    spec = JobSpec(sc, SCENARIO, 5, 300, {"A": sc.table_format, "B": sc.table_format}, {"A": values, "B": values})
    token = runner.start(spec)
    runner.cancel(token)
    status, _ = _follow(runner, token, timeout=30)
    assert status.state == "cancelled" and status.done < status.total
    assert not (runner.workdir / "jobs" / spec.job_id() / "job.json").exists()


def test_a_cancelled_job_hands_over_every_replication_it_finished(tmp_path):
    """Cancel keeps what is done: the job's last look is the comparison of every replication whose runs
    of both designs had finished (not only the latest first look: 1, 4, 16, ...), the job that many
    replications would be."""
    import threading
    sc = load(SCENARIO)
    a = sc.parameter_values({"run.months": MONTHS})
    spec = JobSpec(sc, SCENARIO, 12, 800, {"A": sc.table_format, "B": sc.table_format}, {"A": a, "B": {**a, **B}})
    cancelled, given = threading.Event(), []

    def progress(done, total):
        if done >= 14:          # seven replications' worth of runs: past the first look of 4, before one of 16
            cancelled.set()
    with pytest.raises(JobCancelled):
        run_job(spec, tmp_path / "work", progress, cancelled=cancelled, look=given.append)
    last = given[-1]
    assert 4 < last["replications"] < 12 and [g["replications"] for g in given[:-1]] == [1, 4]
    again = run_job(replace(spec, replications=last["replications"]), tmp_path / "fresh")   # run anew elsewhere
    assert last["metrics"] == again["metrics"] and last["id"] == again["id"]


def test_a_failing_run_is_reported_by_design_and_seed(runner):
    sc = load(SCENARIO)
    good = sc.parameter_values({"run.months": MONTHS})
    bad = {**good, "investor.required_return": 7.0}   # outside its declared bounds: sim.run refuses it
    spec = JobSpec(sc, SCENARIO, 1, 11, {"A": sc.table_format, "B": sc.table_format}, {"A": good, "B": bad})
    status, _ = _follow(runner, runner.start(spec))
    assert status.state == "failed" and "design B, seed 11" in status.error and "investor.required_return" in status.error
    assert runner.status("no such token") is None


@pytest.mark.parametrize("bad", ["", "../../etc", "0123456789abcdeg", "0123456789abcdef"])
def test_only_finished_jobs_with_a_well_formed_id_are_read(job, bad):
    with pytest.raises(InputError):
        load_job(str(job[1]), bad)


def test_trust_is_read_from_the_change_log():
    log = pd.DataFrame({"month": [2, 5, 3], "agent_i": ["a", "a", "b"], "kind_i": ["investor"] * 3,
                        "agent_j": ["b", "b", "a"], "kind_j": ["developer"] * 3, "trust": [0.5, 0.7, 0.2]})
    at = {m: inside.trust_at(log, m, 0.4).set_index(["agent_i", "agent_j"])["trust"].to_dict() for m in (1, 3, 9)}
    assert at[1] == {("a", "b"): 0.4, ("b", "a"): 0.4}
    assert at[3] == {("a", "b"): 0.5, ("b", "a"): 0.2}
    assert at[9] == {("a", "b"): 0.7, ("b", "a"): 0.2}


def test_exports_carry_the_figure_and_its_data(job):
    _, workdir, jid = job
    csv, name = render("homes", workdir, {"job": jid}, "csv")
    data = pd.read_csv(pd.io.common.StringIO(csv))
    assert name.endswith(".csv") and len(data) == 2 * SEEDS * MONTHS * 3 * 4
    j = load_job(str(workdir), jid)
    last = data[(data["month"] == MONTHS - 1) & (data["flow"] == "agreed")].groupby(["design", "seed"])["homes"].sum()
    assert last.tolist() == [r.metrics["homes_agreed"] for d in "AB" for r in j.runs[d]]
    page, name = render("trust", workdir, {"job": jid, "design": "B", "replication": 1, "month": MONTHS - 1}, "html")
    assert name.endswith(".html") and "plotly.js" in page and 'src="http' not in page   # opens offline
    svg, _ = render("ladder", workdir, {"job": jid, "design": "A", "replication": 0}, "svg")
    assert svg.lstrip().startswith(b"<svg") and b"highest level" in svg
    # the Compare tab's figures are plain dicts (dashboard.figures.Chart): exported as figures all the same
    svg, _ = render("homes", workdir, {"job": jid}, "svg")
    assert b"social rent" in svg and b"completed (homes)" in svg and b"B: " in svg   # panels, axes, the designs' key


def test_the_dashboard_command_refuses_a_port_in_use():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        r = subprocess.run([sys.executable, "-m", "tafelsim", "dashboard", "--port", str(s.getsockname()[1])],
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "choose another port" in r.stderr and "Traceback" not in r.stderr


def test_the_page_loads_scenario_files_from_its_scenarios_directory_only(tmp_path):
    """The page can name any path (also in a link) and the server may serve other machines: a file
    outside ``--scenarios``, or one that is not YAML, is refused before it is read."""
    from dashboard.tabs.design import load_scenario
    from sim.errors import InputError
    inside = tmp_path / "mine.yaml"
    inside.write_text("name: mine\nmunicipalities:\n  - {name: A, province: Utrecht, region: R, population: 50000}\n")
    assert load_scenario(str(inside), root=tmp_path).name == "mine"
    assert load_scenario("mine.yaml", root=tmp_path).name == "mine"           # relative to the directory
    assert load_scenario("middenhuur-2017", root=tmp_path).name == "middenhuur-2017"   # built-ins always
    (tmp_path / "notes.txt").write_text("secret: 1\n")
    for source, says in [("/etc/passwd", "--scenarios"), (str(tmp_path / ".." / "x.yaml"), "--scenarios"),
                         (str(tmp_path / "notes.txt"), "*.yaml")]:
        with pytest.raises(InputError, match=says.replace("*", r"\*")) as e:
            load_scenario(source, root=tmp_path)
        assert "secret" not in str(e.value) and "root:" not in str(e.value)


def test_the_summary_exports_whole_and_says_what_it_compares(job):
    """The exported summary is sized for rows whose text wraps (it cut off its last row) and carries
    the designs' key that an export puts under the title, as the other figures do."""
    from dashboard.figures import table_lines
    spec, workdir, jid = job
    fig, _ = compare.summary_figure(workdir, jid)
    assert fig.layout.meta["designs"].startswith("A: ") and "B: " in fig.layout.meta["designs"]
    cells = fig.data[0].cells.values
    t = pd.DataFrame({k: list(col) for k, col in enumerate(cells)})
    lines = table_lines(t, list(fig.data[0].columnwidth))
    assert max(lines) >= 2                               # 'mean months to performance agreement' wraps
    assert fig.layout.height >= 90 + 28 * len(t) + 20 * (sum(lines) - len(lines))


def test_a_design_parameters_switch_is_a_design_parameter():
    """The design tab dims a parameter whose switch is off (``Param.requires``): the switch must be in the same
    design column, a design parameter too."""
    from sim.params import PARAMETERS
    for p in PARAMETERS.values():
        if p.requires and ctl.is_design_param(p.name):
            assert ctl.is_design_param(p.requires) and PARAMETERS[p.requires].kind is bool, p.name

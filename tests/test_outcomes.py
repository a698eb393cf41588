"""Outcomes computed in experiments/ from a run's tables: they agree with the model's own metrics,
groups add up, and a sweep stores them, draws switches among their levels and reports them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
import sweep_helpers
from experiments import analysis, outcomes, results
from experiments.design import levels
from experiments.spec import load_experiment
from experiments.sweep import run_sweep
from experiments.tasks import tasks
from sim import scenario
from sim.outputs import METRICS
from tafelsim.cli import app


@pytest.fixture(scope="module", params=[("gooi-vechtstreek-2024", 5, 36), ("woondeal-ladder", 8, 30)])
def run(request):
    name, seed, months = request.param
    sc = scenario.load(name)
    return sim.run(sc, seed=seed, months=months), outcomes.municipalities(sc)


def test_group_measures_over_every_municipality_are_the_headline_metrics(run):
    r, munis = run
    everyone = outcomes.restrict(r.tables, munis["name"])
    population = int(munis["population"].sum())
    m = r.metrics
    assert m["homes_agreed"] > 0
    got = {k: g.function(everyone, population) for k, g in outcomes.GROUP_MEASURES.items()}
    assert got["homes_agreed_per_1000"] * population / 1_000 == pytest.approx(m["homes_agreed"])
    for name in ("affordable_share_agreed", "median_months_to_agreement", "mean_balance"):
        assert got[name] == pytest.approx(m[name], nan_ok=True), name


def test_complementary_groups_add_up_to_the_whole(run):
    r, munis = run
    v = outcomes.values(list(outcomes.GROUP_OUTCOMES), r, munis)
    for a, b in (("large", "small"), ("high_pressure", "low_pressure")):
        pops = [int(munis.loc[outcomes.GROUPS[g][1](munis), "population"].sum()) for g in (a, b)]
        assert sum(pops) == munis["population"].sum()
        homes = sum(v[f"homes_agreed_per_1000_in_{g}"] * p / 1_000 for g, p in zip((a, b), pops) if p)
        assert homes == pytest.approx(r.metrics["homes_agreed"])
    assert all(0 <= v[k] <= 1 or np.isnan(v[k]) for k in v if k.startswith(("affordable_share", "mean_balance")))


def test_completed_by_2030_splits_the_completions_of_a_run_that_ends_by_then():
    r = sim.run("middenhuur-2017", seed=2)    # 2018-2025
    v = outcomes.values([f"completed_by_2030_{s}" for s in ("social", "midrent", "free")]
                        + ["affordable_share_completed_by_2030"], r, outcomes.municipalities(scenario.load("middenhuur-2017")))
    segments = [v[f"completed_by_2030_{s}"] for s in ("social", "midrent", "free")]
    assert r.metrics["homes_completed"] > 0 and sum(segments) == r.metrics["homes_completed"]
    assert v["affordable_share_completed_by_2030"] == pytest.approx((segments[0] + segments[1]) / sum(segments))
    late = sim.run("middenhuur-2017", seed=2, overrides={"run.start_year": 2029}, months=24)   # 2029-2030 only
    assert sum(outcomes.values([f"completed_by_2030_{s}" for s in ("social", "midrent", "free")], late,
                               outcomes.municipalities(scenario.load("middenhuur-2017"))).values()) \
        == late.metrics["homes_completed"]


def test_a_run_that_agrees_nothing_reports_its_means_as_undefined_not_as_perfect():
    """A mean over no agreements is not measured: it was reported as perfect balance and give-and-take
    (1), no waiting (0 months) and no affordable homes (share 0), which a comparison of designs would
    have averaged in as real values. Each such metric is NaN and declares what its summary says instead."""
    r = sim.run("middenhuur-2017", seed=0, months=1)
    m = r.metrics
    assert m["agreements"] == 0 and m["homes_agreed"] == 0
    for name in ("affordable_share_agreed", "mean_window_wait_months", "mean_balance", "give_and_take"):
        assert np.isnan(m[name]) and METRICS[name].missing != "none", name
    grouped = ["mean_balance_in_large", "affordable_share_agreed_in_large"]
    v = outcomes.values(grouped, r, outcomes.municipalities(scenario.load("middenhuur-2017")))
    for name in grouped:
        assert np.isnan(v[name]) and outcomes.DERIVED[name].missing == "none agreed", name


def test_queue_months_count_the_wait_until_taken_up_sent_back_or_the_end():
    esc = pd.DataFrame({"level": ["national", "national", "national", "regional"],
                        "month_in": [10, 20, 50, 5], "month_admitted": [12, np.nan, np.nan, 5],
                        "month_out": [30, 32, np.nan, 9]})
    f = outcomes.RUN_MEASURES["mean_queue_months_national"][1]
    assert f({"escalations": esc}, 60) == pytest.approx((2 + 12 + 10) / 3)   # admitted, sent back, still queued
    assert outcomes.RUN_MEASURES["mean_queue_months_regional"][1]({"escalations": esc}, 60) == 0
    assert np.isnan(f({"escalations": esc.iloc[:0]}, 60))   # nothing escalated: no wait to measure, not a wait of 0


def test_levels_are_drawn_evenly_on_a_morris_grid_of_six():
    u = np.array([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert levels([False, True], u) == [False] * 3 + [True] * 3
    assert levels(["a", "b", "c"], u) == ["a", "a", "b", "b", "c", "c"]
    assert levels([1, 2], np.array([0.0, 0.49, 0.5, 0.999])) == [1, 1, 2, 2]


SWEEP = """\
name: derived
description: Switches drawn among their levels, with outcomes computed from the run's tables.
scenario: gooi-vechtstreek-2024
months: 9
seed: 4
replications: 1
policies:
  base: {}
  sooner: {negotiation.meetings_to_deadline: 2}
parameters:
  table.chair: [none, municipality, external]
  table.synchronised_cycles: [false, true]
  trust.initial: {low: 0.2, high: 0.6}
design: {type: morris, trajectories: 3, levels: 6, seed: 1}
outcomes: [homes_agreed, homes_agreed_per_1000_in_large, homes_agreed_per_1000_in_small, mean_queue_months_national,
           mean_balance_in_high_pressure]
"""


def test_a_sweep_stores_derived_outcomes_and_reports_several_sweeps_on_one_page(tmp_path):
    path = tmp_path / "derived.yaml"
    path.write_text(SWEEP)
    exp = load_experiment(path)
    assert set(exp.points["table.chair"]) == {"none", "municipality", "external"}
    out = run_sweep(path, tmp_path / "a", workers=2, progress=False).out
    runs = results.read_runs(out)
    assert (runs["status"] == "ok").all() and len(runs) == exp.runs
    assert set(runs["table.chair"]) == {"none", "municipality", "external"} and runs["table.synchronised_cycles"].dtype == bool
    task = next(t for t in tasks(exp) if t.point == 5 and t.policy == "sooner")
    again = sim.run("gooi-vechtstreek-2024", seed=task.seed, overrides=task.overrides, months=9)
    want = outcomes.values(exp.outcomes, again, outcomes.municipalities(scenario.load("gooi-vechtstreek-2024")))
    row = runs.set_index("run_id").loc[task.run_id]
    for o in exp.outcomes:
        assert row[o] == pytest.approx(want[o], nan_ok=True), o
    assert runs["homes_agreed_per_1000_in_large"].isna().all()   # no city of 100,000 here: undefined, not 0
    sens = analysis.sensitivity(out, outcomes=["homes_agreed_per_1000_in_small"])
    assert set(sens["parameter"]) == {"table.chair", "table.synchronised_cycles", "trust.initial", "dummy"}
    cmp = analysis.compare(out)
    assert cmp.loc[cmp["outcome"] == "homes_agreed_per_1000_in_small", "unit"].eq("homes per 1,000 inhabitants").all()

    other = sweep_helpers.small_sweep(tmp_path)
    page = tmp_path / "both.html"
    r = CliRunner().invoke(app, ["report", str(out), str(other), "--out", str(page)])
    assert r.exit_code == 0, r.output
    text = page.read_text()
    assert "<h2>Experiment derived</h2>" in text and "<h2>Experiment small</h2>" in text
    assert 'id="compare-figure-1"' in text and 'id="compare-figure-2"' in text and 'id="series-completed-2"' in text
    import plotly.offline
    assert text.count(plotly.offline.get_plotlyjs()[:200]) == 1          # plotly.js once, however many sweeps

"""Whole runs: scenarios load and run, results round-trip, memory does not grow."""

from __future__ import annotations

import gc
import json
import weakref
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import mesa
import pandas as pd
import pytest

import sim
from sim import storage
from sim.scenario import builtin_names, load


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_scenarios_load_and_run_a_short_horizon(name):
    r = sim.run(name, seed=3, months=12)
    assert r.params["run.months"] == 12
    assert len(r.monthly) > 0 and r.metrics["homes_proposed"] > 0


def test_middenhuur_2017_has_the_twelve_cities():
    names = {m.name for m in load("middenhuur-2017").all_municipalities()}
    assert len(names) == 12 and {"Amsterdam", "Hoorn", "Helmond", "Maastricht"} <= names


def test_results_round_trip(tmp_path):
    r = sim.run("middenhuur-2017", seed=5, months=24)
    storage.write(r, tmp_path)
    back = storage.read(tmp_path)
    assert back.run_id == r.run_id
    for name in r.tables:
        pd.testing.assert_frame_equal(back.tables[name], r.tables[name], check_dtype=False)


def test_corrupt_results_file_is_named(tmp_path):
    r = sim.run("middenhuur-2017", seed=5, months=6)
    storage.write(r, tmp_path)
    (tmp_path / "cases.parquet").write_bytes(b"not parquet")
    with pytest.raises(storage.ResultsError, match="cases.parquet"):
        storage.read(tmp_path)


def _metrics(seed):
    return sim.run("middenhuur-2017", seed=seed, months=36).metrics


def test_same_seed_same_result_in_another_process():
    here = _metrics(11)
    with ProcessPoolExecutor(max_workers=2) as pool:
        there = list(pool.map(_metrics, [11, 11]))
    for m in there:  # json spells NaN the same on both sides
        assert json.dumps(m, sort_keys=True) == json.dumps(here, sort_keys=True)


def test_many_runs_do_not_keep_models_alive():
    sim.run("middenhuur-2017", seed=0, months=6)
    gc.collect()
    before = len(mesa.Agent._ids)
    for s in range(5):
        sim.run("middenhuur-2017", seed=s, months=6)
    gc.collect()
    assert len(mesa.Agent._ids) == before
    import sim.model as sm
    # (a dead weak proxy, which libraries such as numba leave among the objects, raises on isinstance)
    alive = [o for o in gc.get_objects()
             if not isinstance(o, weakref.ProxyTypes) and isinstance(o, sm.HousingTablesModel)]
    assert alive == []


def test_a_run_makes_no_reference_cycles():
    """A run's objects are freed by reference counting (sim.runner._release), so the collector's
    passes during a run find nothing, which is why it passes only every million allocations then
    (sim.runner._collector_for_a_run). A change that made reference cycles shows here: the run's
    own final collection, the only one with the collector off, would find them."""
    found = []

    def seen(phase, info):
        if phase == "stop":
            found.append(info["collected"])

    gc.collect()
    gc.disable()
    gc.callbacks.append(seen)
    try:
        sim.run("middenhuur-2017", seed=0, months=12)
    finally:
        gc.callbacks.remove(seen)
        gc.enable()
    assert found, "the run made no collection of its own"
    assert sum(found) < 50, f"a run left {sum(found)} objects in reference cycles"


def test_a_run_frees_its_model_itself_and_leaves_the_collector_as_it_was(monkeypatch):
    """sim.run tunes the garbage collector for the run (sim.runner._collector_for_a_run). The model
    must be gone when the run returns: left as garbage, it would be frozen with everything else at
    the start of the next run and never collected (a sweep's workers grew to gigabytes)."""

    import sim.runner as runner
    models = []
    simulate = runner._simulate

    def spy(model, progress):
        models.append(weakref.ref(model))
        return simulate(model, progress)

    monkeypatch.setattr(runner, "_simulate", spy)
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    gc.disable()   # no automatic collection may free it for the run: only the run's own
    try:
        for s in range(2):
            sim.run("middenhuur-2017", seed=s, months=6)
            assert models[-1]() is None
        # runs in threads of one process (a dask worker with several threads) overlap
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda s: sim.run("middenhuur-2017", seed=s, months=6), range(3)))
        assert len(models) == 5 and all(ref() is None for ref in models)
    finally:
        gc.enable()
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == frozen


def test_speed_of_performance_agreements_counts_negotiated_bids_only():
    """Yearly: every bid is negotiated. Multi-year: the tranches bound with the first year's agreement
    never negotiate, so they must not pull the mean towards zero months."""
    for multi in (False, True):
        r = sim.run("lokale-driehoek-2018", seed=2, months=30, overrides={"performance.multi_year": multi})
        c = r.cases
        perf = c[c["kind"] == "performance"]
        negotiated = perf[perf["entered_open"].notna()]
        expected = (negotiated["agreed_month"] - negotiated["opened"]).dropna()
        # the triangle meets monthly and signs at the `performance.meetings_required`-th meeting at the earliest
        assert len(expected) > 0 and (expected >= r.params["performance.meetings_required"] - 1).all()
        assert r.metrics["mean_months_to_performance_agreement"] == pytest.approx(expected.mean())
        assert (len(perf) > len(negotiated)) == multi   # tranches exist only under multi-year agreements
        if multi:   # counting the tranches (0 months each) would understate the effort of negotiating
            assert (perf["agreed_month"] - perf["opened"]).mean() < expected.mean()
    none = sim.run("middenhuur-2017", seed=2, months=12).metrics["mean_months_to_performance_agreement"]
    assert none != none   # no performance agreements: NaN, not 0


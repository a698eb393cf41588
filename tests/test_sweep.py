"""The sweep runner: same table whatever the workers or interruptions, failures as rows, no run lost or stored twice."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import sweep_helpers
from experiments import results
from experiments.sweep import run_sweep
from sim.errors import InputError

EXPERIMENT = """\
name: tiny
scenario: gooi-vechtstreek-2024
months: {months}
seed: 5
replications: {reps}
policies:
  base: {{}}
  synchronised: {{table.synchronised_cycles: true}}
  {extra}
parameters:
  investor.required_return: [0.035, 0.045]
outcomes: [homes_agreed, median_months_to_agreement, mean_balance]
series: [{{name: agreed, by_segment: true}}]
"""


def experiment(tmp_path: Path, months=6, reps=3, extra="") -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(EXPERIMENT.format(months=months, reps=reps, extra=extra))
    return path


def table(out) -> pd.DataFrame:
    """What reading DIR gives, without the measured wall time."""
    return results.read_runs(out).drop(columns="wall_time_s")


def raw_rows(out) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(p) for p in sorted(Path(out, "runs").glob("part-*.parquet"))])


def test_one_and_two_workers_give_identical_tables(tmp_path):
    exp = experiment(tmp_path)
    a = run_sweep(exp, tmp_path / "w1", workers=1, chunk_runs=5, progress=False)
    b = run_sweep(exp, tmp_path / "w2", workers=2, chunk_runs=3, progress=False)
    assert a.done == b.done == a.total == 2 * 2 * 3 and a.failed == b.failed == 0
    pd.testing.assert_frame_equal(table(a.out), table(b.out))
    pd.testing.assert_frame_equal(results.read_series(a.out), results.read_series(b.out))
    runs = table(a.out)
    assert set(runs.columns) >= {"run_id", "policy", "point", "replication", "seed", "investor.required_return",
                                 "homes_agreed", "status", "error"}
    # common random numbers: a replication has one seed under every policy and point
    assert (runs.groupby("replication")["seed"].nunique() == 1).all()
    assert len(raw_rows(a.out)) == a.total    # nothing stored twice


def test_sigkill_mid_sweep_then_resume_gives_the_uninterrupted_table(tmp_path):
    exp = experiment(tmp_path, months=24, reps=8)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "tafelsim", "sweep", str(exp), "--out", str(out), "--workers", "2",
                             "--chunk-runs", "3"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(list((out / "runs").glob("part-*.parquet"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)   # the sweep and its worker processes, mid-way
        proc.wait()
    stored = len(raw_rows(out))
    assert 0 < stored < 2 * 2 * 8, stored
    r = subprocess.run([sys.executable, "-m", "tafelsim", "sweep", str(exp), "--out", str(out), "--workers", "2",
                        "--resume"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{stored} already stored" in r.stdout
    whole = run_sweep(exp, tmp_path / "whole", workers=2, progress=False)
    pd.testing.assert_frame_equal(table(out), table(whole.out))
    pd.testing.assert_frame_equal(results.read_series(out), results.read_series(whole.out))
    raw = raw_rows(out)
    assert len(raw) == raw["run_id"].nunique() == whole.total    # none missing, none twice


def test_sigterm_stores_the_finished_runs_and_leaves_no_worker_running(tmp_path):
    """What a batch system does at a job's time limit: the runs finished so far are written (none
    would be otherwise: one chunk holds them all), the workers stop with the sweep, and --resume
    does the rest."""
    import psutil
    exp = experiment(tmp_path, months=24, reps=20)   # 80 runs: SIGTERM comes after 4, long before the last
    out = tmp_path / "terminated"
    total = 2 * 2 * 20
    proc = subprocess.Popen([sys.executable, "-m", "tafelsim", "sweep", str(exp), "--out", str(out), "--workers", "2",
                             "--chunk-runs", "1000"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(lambda: proc.stderr.read(32), "")), daemon=True)
    reader.start()

    def done() -> int:   # from the progress bar on stderr
        return max((int(n) for n in re.findall(rf"(\d+)/{total}", "".join(seen))), default=0)
    deadline = time.monotonic() + 120
    while done() < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143
    reader.join(10)
    assert "terminated (SIGTERM); finished runs are stored in" in "".join(seen)
    assert not psutil.wait_procs(workers, timeout=15)[1]   # none left running
    stored = len(raw_rows(out))
    assert 4 <= stored < total, stored
    r = subprocess.run([sys.executable, "-m", "tafelsim", "sweep", str(exp), "--out", str(out), "--workers", "2",
                        "--resume"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{stored} already stored, {total} in all" in r.stdout
    raw = raw_rows(out)
    assert len(raw) == raw["run_id"].nunique() == total


@contextlib.contextmanager
def backend_options(backend: str):
    """run_sweep's keyword for local worker processes or a Dask LocalCluster of two worker processes."""
    if backend == "local":
        yield {"workers": 2}
        return
    from distributed import LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield {"scheduler": cluster.scheduler_address}


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_failing_and_hanging_runs_become_rows_and_the_rest_completes(tmp_path, backend):
    extra = (f"failing: {{table.learning_sessions: {sweep_helpers.FAIL_SESSIONS}}}\n"
             f"  hanging: {{table.learning_sessions: {sweep_helpers.HANG_SESSIONS}}}")
    exp = experiment(tmp_path, reps=2, extra=extra)
    with backend_options(backend) as where:
        start = time.monotonic()
        s = run_sweep(exp, tmp_path / "out", timeout_per_run=10, simulate=sweep_helpers.misbehaving_run,
                      progress=False, **where)
        assert time.monotonic() - start < 300   # the hanging runs (an hour each) did not hold it up
        runs = results.read_runs(s.out)
        assert len(runs) == s.total == 4 * 2 * 2
        failing, hanging = runs[runs["policy"] == "failing"], runs[runs["policy"] == "hanging"]
        assert (failing["status"] == "error").all() and failing["error"].str.contains("injected failure").all()
        assert failing["homes_agreed"].isna().all()
        shown = runs[["policy", "seed", "status", "error"]].to_string()
        assert set(hanging.loc[hanging["seed"] % 2 == 0, "status"]) == {"timeout"}, shown
        assert set(hanging.loc[hanging["seed"] % 2 == 1, "status"]) == {"ok"}, shown
        others = runs[runs["policy"].isin(["base", "synchronised"])]
        assert (others["status"] == "ok").all() and others["homes_agreed"].notna().all(), shown
        assert s.failed == len(failing) + (hanging["status"] == "timeout").sum()
        # --retry-failed redoes exactly the failed runs; their new rows replace the old ones when read
        again = run_sweep(exp, s.out, resume=True, retry_failed=True, progress=False, **where)
    assert again.done == s.failed and again.skipped == s.total - s.failed
    after = results.read_runs(s.out)
    assert (after["status"] == "ok").all() and len(after) == s.total


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_a_killed_worker_loses_no_run_and_stores_none_twice(tmp_path, backend):
    exp = experiment(tmp_path, reps=3)
    simulate = functools.partial(sweep_helpers.kill_worker_once, str(tmp_path / "killed"), 6)
    with backend_options(backend) as where:
        s = run_sweep(exp, tmp_path / "out", simulate=simulate, progress=False, **where)
    assert (tmp_path / "killed").exists()                 # a worker process did die mid-sweep
    reference = run_sweep(exp, tmp_path / "reference", workers=1, progress=False)
    pd.testing.assert_frame_equal(table(s.out), table(reference.out))
    raw = raw_rows(s.out)
    assert len(raw) == raw["run_id"].nunique() == s.total and (raw["status"] == "ok").all()


def test_resume_refuses_another_experiment_and_results_stay_intact(tmp_path):
    exp = experiment(tmp_path, months=3, reps=1)
    s = run_sweep(exp, tmp_path / "out", workers=1, progress=False)
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file() and p.name != ".lock"}
    other = tmp_path / "other" / "tiny.yaml"
    other.parent.mkdir()
    other.write_text(exp.read_text().replace("seed: 5", "seed: 6"))
    with pytest.raises(InputError, match="made by experiment 'tiny'.*use another --out"):
        run_sweep(other, s.out, resume=True, progress=False)
    with pytest.raises(InputError, match="already holds a sweep; add --resume"):
        run_sweep(exp, s.out, progress=False)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        run_sweep(exp, tmp_path / "busy", progress=False)
    assert {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file() and p.name != ".lock"} == before
    nothing = run_sweep(exp, s.out, resume=True, progress=False)   # complete: nothing to do
    assert nothing.done == 0 and nothing.skipped == s.total


def test_corrupt_or_foreign_chunks_are_named_and_not_mixed_in(tmp_path):
    exp = experiment(tmp_path, months=3, reps=1)
    a = run_sweep(exp, tmp_path / "a", workers=1, progress=False)
    other = tmp_path / "o.yaml"
    other.write_text(exp.read_text().replace("seed: 5", "seed: 9"))
    b = run_sweep(other, tmp_path / "b", workers=1, progress=False)
    foreign = next((b.out / "runs").glob("part-*.parquet"))
    planted = a.out / "runs" / "part-zzzz-00000.parquet"
    planted.write_bytes(foreign.read_bytes())
    with pytest.raises(results.ResultsError, match=f"{planted}: belongs to another sweep"):
        results.read_runs(a.out)
    with pytest.raises(InputError, match="belongs to another sweep"):
        run_sweep(exp, a.out, resume=True, progress=False)    # resume refuses too, touching nothing
    planted.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(results.ResultsError, match=f"{planted}: corrupt or not a Parquet file"):
        results.read_runs(a.out)
    planted.unlink()
    assert len(results.read_runs(a.out)) == a.total


def test_sweep_cli_runs_smoke_by_name_and_prints_a_summary(tmp_path):
    r = subprocess.run([sys.executable, "-m", "tafelsim", "sweep", "smoke", "--dry-run"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and "30 runs" in r.stdout
    exp = experiment(tmp_path, months=3, reps=1)
    r = subprocess.run([sys.executable, "-m", "tafelsim", "sweep", str(exp), "--out", str(tmp_path / "o"),
                        "--workers", "1"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "4 runs done (0 failed)" in r.stdout
    assert "run/s" in r.stderr and "failed=0" in r.stderr     # tqdm's progress bar: done, rate, ETA, failed
    manifest = results.read_manifest(tmp_path / "o")
    assert manifest["runs"] == 4 and manifest["model_version"] and manifest["experiment_hash"]
    assert (tmp_path / "o" / "experiment.yaml").exists()

"""Bad input to the experiment runner that once slipped through: an audit's findings, each a test.

Every case must end in a clear error naming the file and field (exit code 2 on the command
line, ``InputError`` from Python), and leave results already written as they were.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments import analysis, results
from experiments.spec import ExperimentError, MAX_POINTS, MAX_RUNS, load_experiment
from sim.errors import InputError
from sim.params import PARAMETERS

TINY = {"name": "tiny", "scenario": "middenhuur-2017", "months": 2, "seed": 1, "replications": 2,
        "policies": {"as-was": {}, "sync": {"table.synchronised_cycles": True}},
        "outcomes": ["homes_agreed", "meetings"]}


def write(tmp_path: Path, name: str = "exp.yaml", **changes) -> Path:
    data = {**TINY, **changes}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def tafelsim(*args, cwd=None, timeout=120) -> subprocess.CompletedProcess:
    """``tafelsim`` as a person runs it: a process (what the exit code and stderr really are)."""
    return subprocess.run([sys.executable, "-m", "tafelsim", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def cli(*args) -> subprocess.CompletedProcess:
    """``tafelsim`` in this process (typer's runner: the same commands and guard, without a second of
    imports per call), for the many calls of one test; each kind of call is also made by process."""
    from hostile import cli as invoke
    seen = invoke(args)
    return subprocess.CompletedProcess(args, seen.code, seen.out, seen.err)


def problems(path: Path) -> dict[str, str]:
    with pytest.raises(ExperimentError) as e:
        load_experiment(path)
    return dict(e.value.problems)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    """A finished sweep of four 2-month runs (copied by tests that damage it)."""
    from experiments.sweep import run_sweep
    d = tmp_path_factory.mktemp("tiny")
    return run_sweep(write(d), d / "sweep", workers=1, progress=False).out


@pytest.fixture
def copy(sweep, tmp_path) -> Path:
    out = tmp_path / "sweep"
    shutil.copytree(sweep, out)
    return out


def snapshot(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


# --- the size of a design is checked from its arithmetic, before any point is drawn --------------

def floats(k: int) -> list[str]:
    """``k`` declared float parameters with finite bounds, that an experiment may vary."""
    names = [n for n, p in PARAMETERS.items() if p.kind is float and not n.startswith(("table.", "escalation.", "run."))
             and p.low is not None and p.high is not None and p.low < p.high]
    return names[:k]


def test_a_design_too_large_is_refused_at_once_naming_its_size_field(tmp_path):
    ranges = {n: {"low": PARAMETERS[n].low, "high": PARAMETERS[n].high} for n in floats(2)}
    sobol = write(tmp_path, "sobol.yaml", design={"type": "sobol", "n": 524288}, parameters=ranges)
    start = time.perf_counter()
    found = problems(sobol)
    assert time.perf_counter() - start < 5          # nothing drawn: 2 million points would take long and much memory
    assert f"at most {MAX_POINTS:,}" in found["design.n"]
    levels = {n: {"values": [float(x) for x in np.linspace(PARAMETERS[n].low, PARAMETERS[n].high, 10)]}
              for n in floats(7)}
    grid = write(tmp_path, "grid.yaml", parameters=levels)
    assert "10,000,000 points" in problems(grid)["parameters"]
    many = write(tmp_path, "many.yaml", replications=100_000, design={"type": "lhs", "n": 100},
                 parameters={"investor.required_return": {"low": 0.03, "high": 0.05}})
    assert f"at most {MAX_RUNS:,} runs" in problems(many)["replications"]


def test_the_dry_run_of_a_design_too_large_says_so_and_exits_2(tmp_path):
    path = write(tmp_path, design={"type": "lhs", "n": 1_000_000}, replications=100,
                 parameters={"investor.required_return": {"low": 0.03, "high": 0.05}})
    r = tafelsim("sweep", path, "--dry-run")
    assert r.returncode == 2 and "replications" in r.stderr and "Traceback" not in r.stderr


def test_run_months_is_not_a_parameter_to_vary(tmp_path):
    path = write(tmp_path, parameters={"run.months": {"values": [1, 2]}})
    assert "`months`" in problems(path)["parameters.run.months"]


def test_settings_a_design_does_not_use_are_refused(tmp_path):
    lhs = write(tmp_path, "lhs.yaml", design={"type": "lhs", "n": 4, "levels": 6},
                parameters={"investor.required_return": {"low": 0.03, "high": 0.05}})
    assert "morris" in problems(lhs)["design.levels"]
    factorial = write(tmp_path, "f.yaml", design={"type": "factorial", "seed": 5})
    assert "seed" in problems(factorial)["design.seed"]


# --- types: as strict as a scenario file ----------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("replications", True), ("months", True), ("seed", True), ("seed", "7"), ("seed", 3.0), ("replications", "3")])
def test_a_boolean_a_string_or_a_float_is_not_a_count(tmp_path, field, value):
    assert field in problems(write(tmp_path, **{field: value}))


def test_nested_settings_are_strict_too(tmp_path):
    path = write(tmp_path, design={"type": "lhs", "n": True},
                 parameters={"investor.required_return": {"low": 0.03, "high": 0.05, "distribution": "normal",
                                                          "mean": True, "sd": 0.005}},
                 series=[{"name": "agreed", "by_segment": "yes"}])
    found = problems(path)
    assert {"design.n", "parameters.investor.required_return.mean"} <= set(found)
    assert any(f.startswith("series") for f in found)


@pytest.mark.parametrize("source", [123, "", None, {"scenario": "x"}])
def test_load_experiment_of_something_that_is_not_a_name_or_path(source):
    with pytest.raises(ExperimentError, match="experiment"):
        load_experiment(source)


def test_a_bad_scenario_is_reported_once_not_as_missing_months(tmp_path):
    found = problems(write(tmp_path, scenario=5, months=None))
    assert "scenario" in found and "months" not in found


# --- names the file system cannot take ------------------------------------------------------------

def test_names_too_long_for_the_file_system_are_refused_by_name(tmp_path, sweep):
    long = "x" * 300
    r = tafelsim("sweep", long, "--dry-run")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    r = cli("sweep", write(tmp_path, scenario=long), "--dry-run")
    assert r.returncode == 2 and "scenario" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = cli("sweep", write(tmp_path), "--out", tmp_path / long)
    assert r.returncode == 2 and "--out" in r.stderr and "Traceback" not in r.stderr, r.stderr
    r = cli("compare", tmp_path / long)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    r = cli("dashboard", "--results", tmp_path / long)
    assert r.returncode == 2 and "--results" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("reader", [results.read_runs, analysis.compare])
@pytest.mark.parametrize("where", [None, 123, "a\0b"])
def test_readers_refuse_what_is_not_a_directory_path(reader, where):
    with pytest.raises(InputError):
        reader(where)


def test_compare_on_a_run_or_a_damaged_sweep_exits_2(tmp_path, copy, earlier_run):
    r = cli("compare", earlier_run / "run.json")
    assert r.returncode == 2 and "not a sweep" in r.stderr and "Traceback" not in r.stderr, r.stderr
    (copy / "analysis").rmdir() if (copy / "analysis").is_dir() else None
    (copy / "analysis").write_text("mine")
    r = cli("compare", copy)
    assert r.returncode == 2 and "analysis" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert (copy / "analysis").read_text() == "mine"


# --- what is written never destroys results ------------------------------------------------------

def test_report_and_export_never_overwrite_the_sweep_or_what_is_not_a_file(tmp_path, copy):
    before = snapshot(copy)
    for target in (copy / "manifest.json", copy / "experiment.yaml", copy / "runs" / "x.html", tmp_path):
        r = (tafelsim if target == tmp_path else cli)("report", copy, "--out", target)
        assert r.returncode == 2 and "--out" in r.stderr and "Traceback" not in r.stderr, (target, r.stderr)
    archive = tmp_path / "x.tar.gz"
    archive.mkdir()
    r = cli("export", copy, "--ema", archive)
    assert r.returncode == 2 and "--ema" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert snapshot(copy) == before
    r = cli("report", copy, "--out", copy / "report.html")   # a new file beside the results is fine
    assert r.returncode == 0, r.stderr


def test_a_refused_sweep_leaves_no_lock_file_in_a_run_directory(tmp_path, out_dir):
    before = snapshot(out_dir)
    r = tafelsim("sweep", write(tmp_path), "--out", out_dir)
    assert r.returncode == 2 and "holds no sweep" in r.stderr
    assert snapshot(out_dir) == before and not (out_dir / ".lock").exists()


def test_a_scheduler_that_is_not_an_address_is_refused_before_anything_is_written(tmp_path):
    out = tmp_path / "new"
    r = tafelsim("sweep", write(tmp_path), "--out", out, "--scheduler", "not a url")
    assert r.returncode == 2 and "--scheduler" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not out.exists()


# --- results read back must be what the sweep stored ---------------------------------------------

def test_an_experiment_file_edited_after_the_sweep_is_refused(copy):
    stored = (copy / "experiment.yaml").read_text()
    for edited in (stored.replace("- meetings", "- meetings\n- homes_completed"), stored.replace("sync:", "synced:")):
        assert edited != stored
        (copy / "experiment.yaml").write_text(edited)
        r = cli("compare", copy)
        assert r.returncode == 2 and "experiment.yaml" in r.stderr and "edited" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    (copy / "experiment.yaml").write_text(stored)
    assert cli("compare", copy).returncode == 0


@pytest.mark.parametrize("field", ["parameters", "experiment_hash", "outcomes"])
def test_a_manifest_without_a_field_the_readers_need_is_named(copy, field):
    import json
    m = json.loads((copy / "manifest.json").read_text())
    del m[field]
    (copy / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(InputError, match=field):
        results.read_runs(copy)


def test_compare_says_how_many_runs_it_rests_on(copy):
    r = cli("compare", copy)
    assert r.returncode == 0 and "4 of 4 runs stored" in r.stdout, r.stdout
    for chunk in (copy / "runs").glob("part-*.parquet"):
        chunk.unlink()
    r = cli("compare", copy)
    assert r.returncode == 0 and "0 of 4 runs stored" in r.stdout and "--resume" in r.stdout, r.stdout


# --- every row says its scenario, as a single run's tables do ------------------------------------

def test_sweep_rows_carry_the_scenario_and_read_back_identically(sweep):
    import pandas as pd
    raw = pd.read_parquet(sweep / "runs")            # what pandas or DuckDB see, without our reader
    assert list(raw.columns[:3]) == ["run_id", "scenario", "policy"]
    assert set(raw["scenario"]) == {"middenhuur-2017"}
    assert set(results.read_runs(sweep)["scenario"]) == {"middenhuur-2017"}


def test_a_format_1_sweep_stays_readable_and_is_not_resumed_into(tmp_path, copy):
    """Sweeps written before the scenario column (format 1) read with the column added, and
    --resume refuses to mix the two formats in one directory."""
    import json
    import pyarrow.parquet as pq
    before = results.read_runs(copy)
    for chunk in (copy / "runs").glob("part-*.parquet"):
        table = pq.read_table(chunk)
        pq.write_table(table.drop_columns(["scenario"]).replace_schema_metadata(table.schema.metadata), chunk)
    m = json.loads((copy / "manifest.json").read_text())
    m["format"] = results.FORMAT_1
    del m["scenario_name"]
    (copy / "manifest.json").write_text(json.dumps(m))
    after = results.read_runs(copy)
    pd_testing = __import__("pandas").testing
    pd_testing.assert_frame_equal(after.drop(columns="wall_time_s"), before.drop(columns="wall_time_s"))
    r = tafelsim("sweep", copy / "experiment.yaml", "--out", copy, "--resume")
    assert r.returncode == 2 and "older result format" in r.stderr, r.stderr


# --- a sweep that cannot work says so ----------------------------------------------------------------

def test_a_sweep_where_every_run_failed_exits_1_and_compare_says_why(tmp_path, monkeypatch):
    """Every run raising (a stand-in for ``sim.run``): the command says so and exits 1, and compare
    refuses to compare nothing."""
    import sweep_helpers
    from typer.testing import CliRunner

    from experiments import sweep as sweep_module
    from tafelsim.cli import app
    real = sweep_module.run_sweep
    monkeypatch.setattr(sweep_module, "run_sweep",
                        lambda *a, **k: real(*a, **{**k, "simulate": sweep_helpers.misbehaving_run}))
    path = write(tmp_path, policies={"failing": {"table.learning_sessions": sweep_helpers.FAIL_SESSIONS}})
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert r.exit_code == 1 and "every run failed" in r.stderr and "injected failure" in r.stderr, r.output
    r = cli("compare", out)
    assert r.returncode == 2 and "none of the 2 stored runs succeeded" in r.stderr, r.stderr


def test_run_sweep_in_a_script_without_a_main_guard_stops_with_the_reason(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text("from experiments.sweep import run_sweep\n"
                      f"run_sweep({str(write(tmp_path))!r}, {str(tmp_path / 'out')!r}, workers=1, progress=False)\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert r.returncode != 0 and '__name__ == "__main__"' in r.stderr, r.stderr[-2000:]
    assert not list((tmp_path / "out" / "runs").glob("*.parquet"))   # no run stored as failed


def test_params_markdown_shows_the_scenarios_values_and_checks_the_name():
    r = tafelsim("params", "middenhuur-2017", "--markdown")
    assert r.returncode == 0 and "| middenhuur-2017 |" in r.stdout.splitlines()[0]
    assert "| `run.start_year` | int | year | 2017 |" in r.stdout
    r = cli("params", "nosuch", "--markdown")
    assert r.returncode == 2 and "nosuch" in r.stderr


def test_a_dry_run_checks_out_too_and_counts_in_plain_english(tmp_path, earlier_run):
    r = tafelsim("sweep", write(tmp_path), "--dry-run", "--out", earlier_run)
    assert r.returncode == 2 and "holds no sweep" in r.stderr, r.stderr
    r = cli("sweep", write(tmp_path, replications=1, policies={"base": {}}), "--dry-run")
    assert r.returncode == 0 and "1 design point x 1 policy x 1 replication = 1 run of" in r.stdout, r.stdout


def test_the_dummy_is_not_listed_as_a_parameter(tmp_path):
    path = write(tmp_path, design={"type": "lhs", "n": 4}, parameters={"dummy": {"low": 0, "high": 1}})
    assert "add it themselves" in problems(path)["parameters.dummy"]


def test_report_names_its_format_and_each_sweep_once(tmp_path, sweep):
    r = cli("report", sweep, "--out", tmp_path / "report.txt")
    assert r.returncode == 2 and "FILE.html" in r.stderr and not (tmp_path / "report.txt").exists()
    r = cli("report", sweep, sweep, "--out", tmp_path / "report.md")
    assert r.returncode == 2 and "given twice" in r.stderr


def test_a_comparison_without_pairs_shows_no_interval_rather_than_nan():
    from experiments.analysis import interval
    assert interval(float("nan"), float("nan")) == "" and interval(1.0, 2.5) == "1 to 2.5"


def test_resume_after_the_scenario_changed_says_so(tmp_path):
    scenario = tmp_path / "mine.yaml"
    scenario.write_text("name: mine\nmunicipalities:\n  - {name: A, province: Utrecht, region: R, population: 50000}\n")
    path = write(tmp_path, scenario=str(scenario), replications=1, policies={"base": {}})
    out = tmp_path / "out"
    assert cli("sweep", path, "--out", out, "--workers", "1").returncode == 0
    scenario.write_text(scenario.read_text().replace("50000", "60000"))
    r = cli("sweep", path, "--out", out, "--resume")
    assert r.returncode == 2 and "scenario's content" in r.stderr and "changed" in r.stderr, r.stderr


def test_the_list_of_experiments_is_aligned():
    r = cli("experiments")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) >= 5
    assert len({line.index(" runs ") for line in lines}) == 1   # one column for the sizes


def test_a_narrower_comparison_gets_its_own_files(copy):
    assert cli("compare", copy).returncode == 0
    whole = (copy / "analysis" / "compare.csv").read_text()
    r = cli("compare", copy, "--outcome", "meetings", "--baseline", "sync")
    assert r.returncode == 0, r.stderr
    assert (copy / "analysis" / "compare.csv").read_text() == whole        # the whole comparison is kept
    assert "meetings" in (copy / "analysis" / "compare-vs-sync-meetings.csv").read_text()

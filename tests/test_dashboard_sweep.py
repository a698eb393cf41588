"""The sweep explorer's data in-process: what it plots is what the experiments' code reads and computes.

The committed sweep (results/sweeps/middenhuur-screening, a Morris design with three
policies) is read, never regenerated; bad directories are made from copies of it. The
page itself is tested in a real browser (tests/test_dashboard_browser.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sweep_helpers
from dashboard import sweeps
from dashboard.export import render
from dashboard.tabs import sweep as explorer
from dashboard.tabs.compare import fmt
from experiments import analysis
from experiments.results import read_runs
from experiments.stats import paired_difference
from sim.errors import InputError
from tafelsim.cli import app

SWEEP = Path(__file__).resolve().parents[1] / "results" / "sweeps" / "middenhuur-screening"


@pytest.fixture(scope="module")
def runs():
    return read_runs(SWEEP)


@pytest.mark.parametrize("outcome,parameter", [("homes_agreed", "investor.required_return"),
                                               ("affordable_share_agreed", "trust.initial")])
def test_the_scatter_shows_every_run_of_the_directory(runs, outcome, parameter):
    fig, data = explorer.scatter_figure(None, str(SWEEP), outcome, parameter)
    assert sum(len(t.x) for t in fig.data) == len(runs) == 180
    for trace in fig.data:
        mine = runs[runs["policy"] == trace.meta["policy"]]
        plotted = sorted(zip(trace.x, trace.y))
        assert plotted == sorted(zip(mine[parameter], mine[outcome]))
    assert [t.meta["policy"] for t in fig.data] == ["as-was", "synchronised", "structural"]
    unit = "%" if outcome == "affordable_share_agreed" else "homes"
    assert fig.layout.yaxis.title.text == f"{outcome} ({unit})" and "(" in fig.layout.xaxis.title.text
    assert len(data) == 180


def test_parallel_coordinates_run_over_the_varied_parameters_and_the_outcome(runs):
    fig, _ = explorer.parallel_figure(None, str(SWEEP), "midrent_agreed")
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["investor.required_return (1/year)", "negotiation.reciprocity (0..1)",
                                       "trust.initial (0..1)", "midrent_agreed (homes)"]   # not the dummy
    assert list(dims[-1].values) == list(runs["midrent_agreed"])
    colour = fig.data[0].line.color
    assert [fig.data[0].line.colorbar.ticktext[int(k)] for k in colour] == list(runs["policy"])


def test_the_comparison_is_the_paired_difference_from_the_baseline(runs):
    _, pooled = explorer.compare_figure(None, str(SWEEP))
    expected = analysis.compare(SWEEP)
    pd.testing.assert_frame_equal(pooled, expected[expected["point"].isna()].drop(columns="point")
                                  .reset_index(drop=True))
    # the numbers shown, computed here from the runs on their own
    table = explorer.compare_table(pooled).set_index(["outcome", "policy"])
    wide = runs.set_index(["point", "replication", "policy"])["midrent_agreed"].unstack("policy")
    d = paired_difference(wide["structural"], wide["as-was"])
    cell = table.loc[("midrent agreed", "structural"), "difference from baseline (95% CI)"]
    assert cell == f"{fmt(d.mean, 'homes', True)} ({fmt(d.low, 'homes', True, d.mean)} to " \
                   f"{fmt(d.high, 'homes', True, d.mean)})"
    assert table.loc[("midrent agreed", "structural"), "reading"] == "structural higher" and d.low > 0
    assert table.loc[("midrent agreed", "as-was (baseline)"), "reading"] == "baseline"


def test_the_sensitivity_ranking_is_the_analysis_of_the_directory():
    fig, data = explorer.sensitivity_figure(None, str(SWEEP), "homes_agreed")
    expected = analysis.sensitivity(SWEEP, outcomes=["homes_agreed"])
    assert len(data) == len(expected) == 3 * 4   # three policies x (three parameters and the dummy)
    for trace, (policy, g) in zip(fig.data, expected.groupby("policy", sort=False)):
        shown = dict(zip(trace.y, trace.x))
        assert shown == pytest.approx(dict(zip(g["parameter"], g["mu_star"])))
    assert "Morris mu*" in fig.layout.xaxis3.title.text and "(homes)" in fig.layout.xaxis3.title.text


def test_exports_of_the_explorer_name_the_sweep_not_its_path():
    csv, name = render("sweep-scatter", None, {"sweep": str(SWEEP), "outcome": "mean_balance",
                                               "parameter": "trust.initial"}, "csv")
    assert name == "sweep-scatter-middenhuur-screening-mean_balance-trust.initial.csv"
    assert len(pd.read_csv(pd.io.common.StringIO(csv))) == 180
    page, name = render("sweep-parallel", None, {"sweep": str(SWEEP), "outcome": "mean_balance"}, "html")
    assert name.endswith(".html") and "/" not in name and 'src="http' not in page


def test_sweeps_are_found_under_the_results_root(tmp_path):
    for where in ("a", "b/c", "b/d/e", ".hidden/f", "g/h/i/j"):
        shutil.copytree(SWEEP, tmp_path / where, ignore=shutil.ignore_patterns("runs"))
    (tmp_path / "a" / "nested").mkdir()
    shutil.copy(SWEEP / "manifest.json", tmp_path / "a" / "nested")   # inside a sweep: not searched
    found = sweeps.find(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a", "b/c", "b/d/e"]
    assert sweeps.find(tmp_path / "a") == [tmp_path / "a"]   # the root may be a sweep itself
    assert sweeps.resolve("b/c", tmp_path) == tmp_path / "b" / "c"


def _truncate(chunk: Path) -> None:
    chunk.write_bytes(chunk.read_bytes()[:200])


def _garbage(chunk: Path) -> None:
    chunk.write_bytes(b"PAR1" + bytes(range(256)) * 4)


def _manifest(text: str):
    return lambda d: (d / "manifest.json").write_text(text)


def _foreign(d: Path) -> None:   # a chunk of another sweep, well-formed: refused, not mixed in
    import pyarrow.parquet as pq
    chunk = sorted((d / "runs").glob("*.parquet"))[0]
    table = pq.read_table(chunk)
    meta = {**table.schema.metadata, b"tafelsim.experiment_hash": b"0123456789abcdef"}
    pq.write_table(table.replace_schema_metadata(meta), chunk)


@pytest.mark.parametrize("damage,named", [
    (lambda d: _truncate(sorted((d / "runs").glob("*.parquet"))[0]), "runs/part-"),
    (lambda d: _garbage(sorted((d / "runs").glob("*.parquet"))[-1]), "runs/part-"),
    (lambda d: (d / "manifest.json").unlink(), "manifest.json"),
    (_manifest('{"format": "tafelsim-sweep/99"}'), "manifest.json"),
    (_manifest("!!python/object/apply:os.system ['echo no']"), "manifest.json"),
    (lambda d: (d / "experiment.yaml").write_text("!!python/object/apply:os.system ['echo no']\n"),
     "experiment.yaml"),
    (_foreign, "runs/part-"),
])
def test_a_damaged_directory_is_refused_naming_the_file(tmp_path, damage, named):
    broken = tmp_path / "broken"
    shutil.copytree(SWEEP, broken)
    damage(broken)
    with pytest.raises(InputError) as e:
        sweeps.open_sweep(broken)
    message = str(e.value)
    assert str(broken / named) in message, message
    assert "Traceback" not in message


def test_a_directory_that_is_not_a_sweep_gets_a_clear_message(tmp_path):
    with pytest.raises(InputError, match="manifest.json: missing; .* is not a sweep's result directory"):
        sweeps.open_sweep(tmp_path)
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        sweeps.resolve("file.txt", tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        sweeps.resolve("nowhere", tmp_path)


def test_a_factorial_sweep_says_why_it_has_no_sensitivity_ranking(tmp_path):
    small = sweep_helpers.small_sweep(tmp_path)
    c = sweeps.open_sweep(small)
    assert c.sensitivity is None
    text = explorer._no_sensitivity(c)
    assert "factorial" in text and "Morris or Sobol" in text
    with pytest.raises(InputError, match="factorial"):
        render("sweep-sensitivity", None, {"sweep": str(small), "outcome": "homes_agreed"}, "csv")
    fig, _ = explorer.scatter_figure(None, str(small), "homes_agreed", "investor.required_return")
    assert sorted(set(np.concatenate([t.x for t in fig.data]))) == [0.0375, 0.045]


def test_the_dashboard_command_checks_its_results_directory(tmp_path):
    r = CliRunner().invoke(app, ["dashboard", "--results", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "--results" in r.output and "does not exist" in r.output
    r = CliRunner().invoke(app, ["dashboard", "--help"])
    assert "--results" in r.output

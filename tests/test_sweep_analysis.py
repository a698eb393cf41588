"""Analysis of sweeps: paired comparison, SALib indices (checked on the Ishigami function), EMA export, DuckDB."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sweep_helpers
from experiments import analysis, report, results
from experiments.design import unit_sample
from experiments.stats import paired_difference
from experiments.sweep import run_sweep
from sim.errors import InputError
from tafelsim.cli import app


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return sweep_helpers.small_sweep(tmp_path_factory.mktemp("sweep"))


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


NAMES = ["x1", "x2", "x3", "dummy"]


def test_sobol_indices_of_the_ishigami_function():
    u = unit_sample("sobol", NAMES, {"n": 2048, "seed": 1})
    y = ishigami(-math.pi + 2 * math.pi * u)
    s = analysis.indices("sobol", NAMES, u, y, seed=1).set_index("parameter")
    # analytic values (Ishigami and Homma 1990; a = 7, b = 0.1)
    for name, s1, st in [("x1", 0.3139, 0.5576), ("x2", 0.4424, 0.4424), ("x3", 0.0, 0.2437)]:
        assert s.loc[name, "S1"] == pytest.approx(s1, abs=0.04), name
        assert s.loc[name, "ST"] == pytest.approx(st, abs=0.04), name
        assert s.loc[name, "ST_low"] <= st + 0.02 and s.loc[name, "ST_high"] >= st - 0.02
    assert abs(s.loc["dummy", "ST"]) < 0.01 and abs(s.loc["dummy", "S1"]) < 0.02
    assert s.loc[["x1", "x2", "x3"], "above_dummy"].all() and not s.loc["dummy", "above_dummy"]
    assert list(s.sort_values("rank").index[:2]) == ["x1", "x2"]


def test_morris_screening_of_the_ishigami_function():
    u = unit_sample("morris", NAMES, {"trajectories": 60, "levels": 4, "seed": 2})
    y = ishigami(-math.pi + 2 * math.pi * u)
    m = analysis.indices("morris", NAMES, u, y, levels=4).set_index("parameter")
    assert m.loc["dummy", "mu_star"] == 0 and m.loc["dummy", "sigma"] == 0   # the model never sees it
    assert m.loc[["x1", "x2", "x3"], "above_dummy"].all()
    assert m.loc["x3", "sigma"] > m.loc["x3", "mu_star"] * 0.5   # x3 acts only through its interaction with x1


def test_compare_is_the_paired_difference_per_point_and_pooled(small):
    df = analysis.compare(small)
    runs = results.read_runs(small)
    wide = runs.set_index(["point", "replication", "policy"])["homes_agreed"].unstack("policy")
    pooled = df[df["point"].isna() & (df["outcome"] == "homes_agreed")].set_index("policy")
    d = paired_difference(wide["learning"], wide["as-was"])
    assert pooled.loc["learning", ["diff", "diff_low", "diff_high"]].tolist() == pytest.approx([d.mean, d.low, d.high])
    assert pooled.loc["learning", "n_pairs"] == 8 and pooled.loc["as-was", "n"] == 8
    assert math.isnan(pooled.loc["as-was", "diff"])                 # the baseline has no difference from itself
    per_point = df[df["point"].notna() & (df["outcome"] == "homes_agreed") & (df["policy"] == "learning")]
    assert sorted(per_point["point"]) == [0, 1] and (per_point["n_pairs"] == 4).all()
    assert set(df["outcome"]) == {"homes_agreed", "median_months_to_agreement", "mean_window_wait_months",
                                  "mean_balance"}
    from_table = analysis.compare(runs, baseline="as-was")       # the same from a table of runs
    key = ["outcome", "policy", "point"]
    pd.testing.assert_frame_equal(from_table.sort_values(key, ignore_index=True), df.sort_values(key, ignore_index=True))
    other = analysis.compare(small, baseline="learning")
    assert (other["baseline"] == "learning").all()
    with pytest.raises(InputError, match="'nope' is not a policy"):
        analysis.compare(small, baseline="nope")


def test_compare_and_sensitivity_commands(small):
    r = CliRunner().invoke(app, ["compare", str(small), "--outcome", "homes_agreed"])
    assert r.exit_code == 0, r.output
    assert "learning" in r.output and "baseline" in r.output
    csv = pd.read_csv(small / "analysis" / "compare-homes_agreed.csv")
    assert set(csv["outcome"]) == {"homes_agreed"} and (small / "analysis" / "compare-homes_agreed.html").stat().st_size > 1e6
    r = CliRunner().invoke(app, ["sensitivity", str(small)])
    assert r.exit_code == 2 and "needs a sobol or morris design" in r.output
    r = CliRunner().invoke(app, ["compare", str(small / "nothing")])
    assert r.exit_code == 2 and "not a sweep's result directory" in r.output


SOBOL = """\
scenario: gooi-vechtstreek-2024
months: 12
seed: 2
replications: 2
policies: {{base: {{}}, {extra}}}
parameters:
  trust.initial: {{low: 0.1, high: 0.7}}
  table.meeting_interval: {{low: 1, high: 4}}
design: {design}
outcomes: [homes_agreed, mean_balance, median_months_to_completion]
"""


@pytest.mark.parametrize("design", ["{type: sobol, n: 8, seed: 3}", "{type: morris, trajectories: 4, seed: 3}"])
def test_sensitivity_of_a_model_sweep_and_its_refusals(tmp_path, design):
    path = tmp_path / "s.yaml"
    path.write_text(SOBOL.format(design=design, extra="sync: {table.synchronised_cycles: true}"))
    s = run_sweep(path, tmp_path / "out", workers=2, progress=False)
    with pytest.raises(InputError, match=r"median_months_to_completion \(base: NaN at"):
        analysis.sensitivity(s.out)           # nothing completes within a year: refused, not zeroed
    # a report ranks the outcomes that can be ranked and names the one that cannot
    page = report.content(s.out)
    assert set(page.sensitivity["outcome"]) == {"homes_agreed", "mean_balance"}
    assert "not ranked: median_months_to_completion (base: NaN at" in page.sensitivity_refused
    df = analysis.sensitivity(s.out, outcomes=["homes_agreed", "mean_balance"])
    key = "ST" if "sobol" in design else "mu_star"
    assert set(df["parameter"]) == {"trust.initial", "table.meeting_interval", "dummy"}
    assert set(df["policy"]) == {"base", "sync"} and len(df) == 3 * 2 * 2
    assert df[key].notna().all() and (df[f"{key}_low"] <= df[key]).all() and (df[key] <= df[f"{key}_high"]).all()
    dummy = df[df["parameter"] == "dummy"]
    assert (dummy[key] > 0).any()          # the dummy shifts the seed: its index is the model's own noise, not 0
    runs = results.read_runs(s.out)        # ... while the policies at a design point share their seeds
    assert (runs.groupby(["point", "replication"])["seed"].nunique() == 1).all()
    r = CliRunner().invoke(app, ["sensitivity", str(s.out), "--outcome", "homes_agreed"])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(s.out / "analysis" / "sensitivity-homes_agreed.csv")["outcome"].eq("homes_agreed").all()
    # a sweep with failed runs is refused with the way out
    path.write_text(SOBOL.format(design=design, extra=f"bad: {{table.learning_sessions: "
                                                     f"{sweep_helpers.FAIL_SESSIONS}}}"))
    f = run_sweep(path, tmp_path / "failed", workers=2, simulate=sweep_helpers.misbehaving_run, progress=False)
    with pytest.raises(InputError, match="runs failed.*--retry-failed"):
        analysis.sensitivity(f.out, outcomes=["homes_agreed"])


def test_ema_export_round_trips_and_prim_finds_a_box(small, tmp_path):
    archive = tmp_path / "small.tar.gz"
    r = CliRunner().invoke(app, ["export", str(small), "--ema", str(archive)])
    assert r.exit_code == 0, r.output
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import load_results
        from ema_workbench.analysis import prim
    experiments, outcomes = load_results(str(archive))
    runs = results.read_runs(small).sort_values(["policy", "point", "replication"], ignore_index=True)
    assert len(experiments) == len(runs) == 24
    assert list(experiments["policy"].astype(str)) == list(runs["policy"])
    assert np.allclose(experiments["investor.required_return"], runs["investor.required_return"])
    for o in ("homes_agreed", "mean_balance"):
        assert np.allclose(outcomes[o], runs[o].to_numpy(float), equal_nan=True)
    y = outcomes["homes_agreed"] > np.median(outcomes["homes_agreed"])
    box = prim.Prim(experiments[["investor.required_return", "replication"]], y, threshold=0.5).find_box()
    assert 0 < box.coverage <= 1 and box.density >= 0.5
    r = CliRunner().invoke(app, ["export", str(small), "--ema", str(tmp_path / "x.zip")])
    assert r.exit_code == 2 and "FILE.tar.gz" in r.output


def test_duckdb_reads_the_parquet_chunks_directly(small):
    import duckdb
    query = (f"SELECT policy, count(*) AS runs, avg(homes_agreed) AS homes_agreed "
             f"FROM '{small}/runs/*.parquet' WHERE status = 'ok' GROUP BY policy ORDER BY policy")
    got = duckdb.sql(query).to_arrow_table().to_pandas()
    runs = results.read_runs(small)
    want = runs.groupby("policy", as_index=False).agg(runs=("run_id", "size"), homes_agreed=("homes_agreed", "mean"))
    assert got["policy"].tolist() == want["policy"].tolist() and got["runs"].tolist() == want["runs"].tolist()
    assert np.allclose(got["homes_agreed"], want["homes_agreed"])


def test_sensitivity_intervals_stay_in_the_indices_range():
    """SALib's bootstrap intervals are symmetric (index +- half-width) and ran below 0 for small mu*
    and S1, ST; they are clipped to the range: mu* >= 0, S1 and ST in 0..1."""
    rng = np.random.default_rng(3)
    u = unit_sample("morris", NAMES, {"trajectories": 6, "levels": 4, "seed": 3})
    y = u[:, 0] + 0.05 * rng.normal(size=len(u))          # noise: mu* of x2, x3 small, intervals wide
    m = analysis.indices("morris", NAMES, u, y, levels=4)
    assert (m["mu_star_low"] >= 0).all() and (m["mu_star_low"] <= m["mu_star"]).all()
    u = unit_sample("sobol", NAMES, {"n": 16, "seed": 3})
    y = u[:, 0] + 0.5 * rng.normal(size=len(u))
    s = analysis.indices("sobol", NAMES, u, y, seed=1)
    for k in ("S1", "ST"):   # within 0..1, or reaching to an estimate that strays outside (a small design)
        assert (s[f"{k}_low"] >= np.minimum(0, s[k])).all() and (s[f"{k}_high"] <= np.maximum(1, s[k])).all(), k
        assert (s[f"{k}_low"] <= s[k]).all() and (s[k] <= s[f"{k}_high"]).all(), k

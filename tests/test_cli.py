"""The CLI as a person uses it: through its process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

TABLES = ("monthly", "cases", "agreements", "concessions", "escalations", "queues", "pairs")


def tafelsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tafelsim", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def test_run_writes_tables_and_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    r1 = tafelsim("run", "middenhuur-2017", "--seed", 1, "--out", a)
    assert r1.returncode == 0, r1.stderr
    assert "homes_agreed" in r1.stdout
    r2 = tafelsim("run", "middenhuur-2017", "--seed", 1, "--out", b)
    assert r2.returncode == 0, r2.stderr
    for name in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet"))
    info = json.loads((a / "run.json").read_text())
    assert info["seed"] == 1 and info["scenario"] == "middenhuur-2017"
    assert {"run_id", "model_version", "parameters", "metrics"} <= set(info)
    assert info["parameters"]["investor.required_return"] == 0.0375
    assert info == json.loads((b / "run.json").read_text())
    df = pd.read_parquet(a / "cases.parquet")
    assert {"run_id", "scenario", "seed"} <= set(df.columns) and (df["seed"] == 1).all()


@pytest.mark.parametrize("args,needle", [
    (["run", "middenhuur-2017", "--set", "investor.required_retrun=0.05"], "did you mean 'investor.required_return'"),
    (["run", "middenhuur-2017", "--set", "investor.required_return=0.9"], "float in [0.01, 0.15]"),
    (["run", "middenhuur-2017", "--set", "run.months=abc"], "run.months"),
    (["run", "middenhuur-2017", "--set", "nonsense"], "NAME=VALUE"),
    (["run", "middenhuur-2071"], "did you mean 'middenhuur-2017'"),
    (["run", "middenhuur-2017", "--format", "versnellingstafel"], "unknown preset"),
])
def test_bad_input_exits_2_with_one_clear_message(args, needle):
    r = tafelsim(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_malformed_scenario_file_names_file_and_fields(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmunicipalities:\n  - {name: A, province: Atlantis, region: R, population: -5}\n"
                   "parameters:\n  investor.required_return: 2\n  tabel.chair: none\nfoo: 1\n")
    r = tafelsim("validate", bad)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    for needle in (str(bad), "province", "population", "investor.required_return", "tabel.chair", "foo"):
        assert needle in r.stderr, needle
    r = tafelsim("run", bad)
    assert r.returncode == 2 and str(bad) in r.stderr


def test_broken_yaml(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [unclosed\n")
    r = tafelsim("run", bad)
    assert r.returncode == 2 and "not valid YAML" in r.stderr and "line" in r.stderr


def test_bad_run_leaves_existing_results_untouched(tmp_path):
    out = tmp_path / "out"
    assert tafelsim("run", "middenhuur-2017", "--seed", 2, "--months", 12, "--out", out).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r = tafelsim("run", "middenhuur-2017", "--set", "run.months=-1", "--out", out)
    assert r.returncode == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_scenarios_params_and_formats_list():
    r = tafelsim("scenarios")
    assert r.returncode == 0 and "middenhuur-2017" in r.stdout
    r = tafelsim("params", "middenhuur-2017")
    assert r.returncode == 0 and "investor.required_return" in r.stdout and "1/year" in r.stdout
    r = tafelsim("formats")
    assert r.returncode == 0 and "versnellingstafel-landelijk" in r.stdout


def test_help_and_the_scenario_list_import_no_heavy_library():
    """`tafelsim --help` and `tafelsim scenarios` start in a tenth of a second (issue 11) because the
    front door imports neither pandas nor scipy, plotly or Mesa; checked through what is imported,
    not by timing (an eager `from experiments.spec import ...` once put 0.4 s of pandas into --help)."""
    probe = ("import sys; from tafelsim.cli import app; "
             "print(sorted(m for m in ('pandas', 'scipy', 'plotly', 'mesa', 'dash') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]", r.stdout

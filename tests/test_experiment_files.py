"""Experiment files: built-ins load, designs have the right size and stay in bounds, bad files get one clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from experiments import ExperimentError, load_experiment
from experiments.spec import DUMMY, builtin_names
from experiments.tasks import tasks
from sim.params import PARAMETERS
from tafelsim.cli import app

NUMERIC = sorted(n for n, p in PARAMETERS.items() if p.kind in (int, float) and not n.startswith("run."))


def test_builtin_experiments_load_with_expected_sizes():
    names = builtin_names()
    assert {"smoke", "woondeal-designs", "sobol-default", "morris-default"} <= set(names)
    smoke = load_experiment("smoke")
    assert smoke.runs == 2 * 3 * 5 and smoke.months == 24
    sob = load_experiment("sobol-default")
    d = len(sob.parameters) + 1   # the dummy
    assert sob.varied[-1] == DUMMY and len(sob.points) == sob.design["n"] * (d + 2)
    mor = load_experiment("morris-default")
    assert len(mor.points) == mor.design["trajectories"] * (len(mor.parameters) + 2)
    wd = load_experiment("woondeal-designs")
    assert wd.scenario == "woondeal-ladder" and wd.baseline in wd.policies and len(wd.policies) >= 3



def test_the_benchmarks_experiment_files_load():
    """benchmarks/*.yaml time the runner (results/benchmarks/README.md): they must stay valid as the
    parameters and outcomes change."""
    files = sorted((Path(__file__).resolve().parents[1] / "benchmarks").glob("*.yaml"))
    assert files
    for f in files:
        exp = load_experiment(f)
        assert exp.runs >= 1 and exp.name == f.stem

@st.composite
def experiments_(draw):
    names = draw(st.lists(st.sampled_from(NUMERIC), min_size=1, max_size=4, unique=True))
    params = {}
    for n in names:
        p = PARAMETERS[n]
        a, b = sorted(draw(st.floats(p.low, p.high, allow_nan=False)) for _ in range(2))
        if p.kind is int:
            a, b = int(a), int(b) + 1
        if not a < b or b > p.high or (b - a) / 4 == 0:  # a normal's default sd must not underflow
            a, b = p.low, p.high
        params[n] = {"low": a, "high": b, "distribution": draw(st.sampled_from(["uniform", "triangular", "normal"]))}
    kind = draw(st.sampled_from(["factorial", "lhs", "sobol", "morris"]))
    if kind == "factorial":
        params = {n: {"values": sorted({s["low"], s["high"]})} for n, s in params.items()}
        design = {"type": kind}
    elif kind == "lhs":
        design = {"type": kind, "n": draw(st.integers(1, 40)), "seed": draw(st.integers(0, 99))}
    elif kind == "sobol":
        design = {"type": kind, "n": 2 ** draw(st.integers(0, 4)), "seed": draw(st.integers(0, 99))}
    else:
        design = {"type": kind, "trajectories": draw(st.integers(2, 8)), "levels": draw(st.sampled_from([2, 4, 6]))}
    reps = draw(st.integers(1, 3))
    return {"scenario": "gooi-vechtstreek-2024", "months": 3, "replications": reps, "parameters": params,
            "design": design, "policies": {"a": {}, "b": {"table.synchronised_cycles": True}}}


@given(experiments_())
def test_designs_have_the_right_size_and_stay_in_bounds(tmp_path_factory, data):
    import yaml
    path = tmp_path_factory.mktemp("exp") / "e.yaml"
    path.write_text(yaml.safe_dump(data))
    exp = load_experiment(path)
    kind, d = data["design"]["type"], len(data["parameters"])
    expected = {"factorial": 2 ** d if kind == "factorial" and all(len(s["values"]) == 2 for s in
                                                                   data["parameters"].values()) else None,
                "lhs": data["design"].get("n"), "sobol": (data["design"].get("n") or 0) * (d + 3),
                "morris": (data["design"].get("trajectories") or 0) * (d + 2)}[kind]
    if expected is not None:
        assert len(exp.points) == expected
    for n, spec in exp.parameters.items():
        col = exp.points[n]
        lo, hi = (min(spec["values"]), max(spec["values"])) if "values" in spec else (spec["low"], spec["high"])
        assert col.between(lo, hi).all(), n
        if PARAMETERS[n].kind is int:
            assert all(float(v).is_integer() for v in col)
    runs = list(tasks(exp))
    assert len(runs) == exp.runs == len(exp.points) * 2 * data["replications"]
    assert len({t.run_id for t in runs}) == len(runs)                      # ids are unique ...
    assert [t.run_id for t in tasks(exp)] == [t.run_id for t in runs]      # ... and deterministic
    seeds = {}
    for t in runs:   # common random numbers: a replication's seed is the same under every policy and point ...
        key = (t.replication, int(1000 * t.values[DUMMY])) if DUMMY in t.values else t.replication
        seeds.setdefault(key, set()).add(t.seed)    # ... where the dummy (the noise floor) does not shift it
    assert all(len(s) == 1 for s in seeds.values())
    assert len({t.seed for t in runs}) == len(seeds)


BAD = {
    "unknown parameter": ("parameters:\n  investor.required_retrun: [0.03, 0.04]\n",
                          ["parameters.investor.required_retrun", "did you mean 'investor.required_return'"]),
    "unknown outcome": ("outcomes: [homes_agread]\n", ["outcomes.0", "did you mean 'homes_agreed'"]),
    "range out of bounds": ("parameters:\n  investor.required_return: {low: 0.001, high: 0.05}\n"
                            "design: {type: lhs, n: 4}\n", ["parameters.investor.required_return.low", "[0.01, 0.15]"]),
    "design does not fit": ("parameters:\n  investor.required_return: {low: 0.03, high: 0.05}\n",
                            ["parameters.investor.required_return", "factorial design needs `values`"]),
    "sobol size": ("parameters:\n  trust.initial: {low: 0.1, high: 0.5}\ndesign: {type: sobol, n: 10}\n",
                   ["design.n", "power of 2"]),
    "baseline not a policy": ("policies: {a: {}, b: {table.chair: external}}\nbaseline: c\n",
                              ["baseline", "'c' is not a policy"]),
    "policy sets a non-table parameter": ("policies: {a: {}, b: {investor.required_return: 0.04}}\n",
                                          ["policies.b.investor.required_return", "table.* or escalation.*"]),
    "unknown preset": ("policies: {a: {}, b: {table.format: woondeal}}\n", ["policies.b.table.format", "unknown preset"]),
    "unknown key": ("replicatoins: 3\n", ["replicatoins", "unknown key"]),
    "one level in a sampled design": ("parameters:\n  table.chair: [external]\ndesign: {type: morris, trajectories: 2}\n",
                                      ["parameters.table.chair", "at least two"]),
    "unknown derived outcome": ("outcomes: [homes_agreed_per_1000_in_big]\n",
                                ["outcomes.0", "did you mean 'homes_agreed_per_1000_in_large'"]),
    "broken yaml": ("policies: [unclosed\n", ["not valid YAML", "line"]),
    "duplicate key": ("seed: 1\nseed: 2\n", ["duplicate key 'seed'", "line 4"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_experiment_file_exits_2_naming_file_and_field(tmp_path, case):
    text, needles = BAD[case]
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: gooi-vechtstreek-2024\nmonths: 3\n" + text)
    r = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert r.exit_code == 2, r.output
    assert str(path) in r.output and "Traceback" not in r.output
    for needle in needles:
        assert needle in r.output, (needle, r.output)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_all_problems_at_once_through_the_process(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: middenhuur-2071\nreplications: 0\npolicies: {a: {}}\nbaseline: z\n"
                    "parameters:\n  trust.initial: {low: 0.5, high: 0.2}\n  tabel.chair: [none]\n"
                    "outcomes: [homes_agreed, nonsense]\n")
    r = subprocess.run([sys.executable, "-m", "tafelsim", "sweep", str(path), "--dry-run"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    for needle in ("replications", "scenario", "did you mean 'middenhuur-2017'", "baseline", "parameters.trust.initial",
                   "parameters.tabel.chair", "outcomes.1"):
        assert needle in r.stderr, needle
    assert all(line.startswith(f"error: {path}: ") for line in r.stderr.strip().splitlines())


def test_experiment_error_is_the_projects_input_error(tmp_path):
    from sim.errors import InputError
    path = tmp_path / "e.yaml"
    path.write_text("scenario: gooi-vechtstreek-2024\nseed: -1\n")
    with pytest.raises(InputError) as err:
        load_experiment(path)
    assert isinstance(err.value, ExperimentError) and err.value.where == str(path) and err.value.field == "seed"


@pytest.mark.parametrize("args,needle", [
    (["--workers", "0"], "--workers: must be at least 1"),
    (["--timeout-per-run", "-1"], "--timeout-per-run: must be a positive number"),
    (["--retry-failed"], "--retry-failed: goes with --resume"),
])
def test_bad_sweep_options_exit_2_before_anything_runs(tmp_path, args, needle):
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["sweep", "smoke", "--out", str(out), *args])
    assert r.exit_code == 2 and needle in r.output and "Traceback" not in r.output
    assert not (out / "manifest.json").exists()


def test_out_that_is_a_file_or_missing_experiment(tmp_path):
    f = tmp_path / "file"
    f.write_text("keep me")
    r = CliRunner().invoke(app, ["sweep", "smoke", "--out", str(f)])
    assert r.exit_code == 2 and "is a file, not a directory" in r.output and f.read_text() == "keep me"
    r = CliRunner().invoke(app, ["sweep", "smok", "--dry-run"])
    assert r.exit_code == 2 and "did you mean 'smoke'" in r.output
    r = CliRunner().invoke(app, ["sweep", str(tmp_path / "nothere.yaml"), "--dry-run"])
    assert r.exit_code == 2 and "does not exist" in r.output

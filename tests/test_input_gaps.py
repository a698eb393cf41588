"""Bad-input gaps found by an audit: each is refused with a message naming the file, the field
and what is allowed, never a traceback, a silently wrong run or a lost results directory.

- a parameter set twice in a scenario, dotted and nested (YAML sees two different keys);
- a municipalities CSV whose header repeats a column name;
- a results directory whose run.json has fields of the wrong type, and ``storage.read`` of no path;
- ``--out`` that is the current directory or contains it (the shell would be left in a removed directory).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from hostile import MUNICIPALITIES_CSV, SCENARIO_INLINE, SCENARIO_WITH_FILE, assert_refused, process, snapshot
from sim import storage
from sim.errors import InputError
from sim.params import ParameterError, flatten
from sim.scenario import Scenario, ScenarioError, load

TWICE = SCENARIO_INLINE + "  investor.required_return: 0.04\n  investor:\n    required_return: 0.05\n"


# --- 1. a parameter spelt twice, dotted and nested --------------------------------------------
def test_validate_refuses_a_parameter_given_dotted_and_nested(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(TWICE, encoding="utf-8")
    seen = process(["validate", path])
    assert_refused(seen, "parameters.investor.required_return")
    assert str(path) in seen.err
    assert "'investor.required_return'" in seen.err and "'investor: {required_return: ...}'" in seen.err
    assert "ok" not in seen.out


def test_run_refuses_it_before_touching_out(tmp_path, out_dir):
    path = tmp_path / "scenario.yaml"
    path.write_text(TWICE, encoding="utf-8")
    before = snapshot(out_dir)
    assert_refused(process(["run", path, "--out", out_dir]), "given twice", out_dir, before)


def test_every_collision_is_reported_with_the_other_problems(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(TWICE + "  trust: {initial: 0.5}\n  trust.initial: 0.6\n  tabel.chair: none\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        load(path)
    fields = [field for _, field, _ in e.value.problems]
    assert {"parameters.investor.required_return", "parameters.trust.initial", "parameters.tabel.chair"} <= set(fields)


def test_three_spellings_of_one_name_are_all_named():
    with pytest.raises(ParameterError, match=r"given 3 times.*'a\.b: \{c: \.\.\.\}'.*'a: \{b: \{c: \.\.\.\}\}'"
                                             r".*'a\.b\.c'"):
        flatten({"a.b": {"c": 1}, "a": {"b": {"c": 2}}, "a.b.c": 3}, where="f.yaml")


def test_a_scenario_built_in_python_is_refused_too():
    sc = Scenario(name="py", municipalities=[{"name": "A", "province": "Utrecht", "region": "R", "population": 5}],
                  parameters={"investor": {"required_return": 0.05}, "investor.required_return": 0.04})
    with pytest.raises(ParameterError, match=r"^py: investor\.required_return: given twice"):
        sc.parameter_values()


def test_nested_and_dotted_without_collision_still_work(tmp_path):
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO_INLINE + "  investor: {required_return: 0.05}\n  trust.initial: 0.6\n", encoding="utf-8")
    p = load(path).parameter_values()
    assert p["investor.required_return"] == 0.05 and p["trust.initial"] == 0.6


# --- 2. a repeated column in the municipalities CSV -------------------------------------------
def test_a_repeated_csv_column_is_refused(tmp_path, out_dir):
    header, rows = MUNICIPALITIES_CSV.split("\n", 1)
    (tmp_path / "data.csv").write_text(header + ",name\n" + "".join(f"{r},Elders\n" for r in rows.splitlines()),
                                       encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO_WITH_FILE, encoding="utf-8")
    before = snapshot(out_dir)
    for command in (["validate", path], ["run", path, "--out", out_dir]):
        seen = process(command)
        assert_refused(seen, "data.csv", out_dir, before)
        assert "line 1, column 'name'" in seen.err and "columns 1 and 7" in seen.err


def test_blank_trailing_columns_are_not_a_repeat(tmp_path):
    header, rows = MUNICIPALITIES_CSV.split("\n", 1)
    (tmp_path / "data.csv").write_text(header + ",,\n" + "".join(f"{r},,\n" for r in rows.splitlines()),
                                       encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO_WITH_FILE, encoding="utf-8")
    assert len(load(path).all_municipalities()) == 3


# --- 3. run.json of the wrong shape -----------------------------------------------------------
@pytest.mark.parametrize("key,value,field", [
    ("tables", ["monthly.parquet"], "tables"),
    ("tables", "x", "tables"),
    ("tables", {"cases": 5}, "tables.cases"),
    ("tables", {"cases": "../elsewhere/cases.parquet"}, "tables.cases"),
    ("seed", True, "seed"),
    ("seed", -5, "seed"),
    ("seed", 1.5, "seed"),
    ("seed", 2**63, "seed"),
    ("run_id", "", "run_id"),
    ("scenario", None, "scenario"),
    ("parameters", [], "parameters"),
    ("metrics", {"homes_agreed": "many"}, "metrics.homes_agreed"),
    ("model_version", 4, "model_version"),
])
def test_a_malformed_run_json_field_is_named(earlier_run, tmp_path, key, value, field):
    out = tmp_path / "run"
    shutil.copytree(earlier_run, out)
    info = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**info, key: value}))
    with pytest.raises(storage.ResultsError) as e:
        storage.read(out)
    assert e.value.where == str(out / "run.json") and e.value.field == field
    assert "allowed" in e.value.message


def test_a_missing_seed_is_named(earlier_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(earlier_run, out)
    info = json.loads((out / "run.json").read_text())
    del info["seed"]
    (out / "run.json").write_text(json.dumps(info))
    with pytest.raises(storage.ResultsError, match=r"run\.json: seed: missing"):
        storage.read(out)


def test_an_older_run_json_without_version_or_tables_still_reads(earlier_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(earlier_run, out)
    info = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({k: v for k, v in info.items() if k not in ("model_version", "tables")}))
    back = storage.read(out)
    assert back.run_id == info["run_id"] and set(back.tables) == set(info["tables"])


@pytest.mark.parametrize("out", [None, 5, "", b"results", "x" * 5000])
def test_read_of_no_path_is_an_input_error(out):
    with pytest.raises(InputError):
        storage.read(out)


# --- 4. --out that is the current directory or contains it ------------------------------------
def _run_in(cwd, out):
    return subprocess.run([sys.executable, "-m", "tafelsim", "run", "middenhuur-2017", "--months", "1", "--out",
                           str(out)], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("empty", [True, False])
def test_out_that_is_the_current_directory_is_refused(out_dir, empty):
    if empty:
        shutil.rmtree(out_dir)
        out_dir.mkdir()
    before = snapshot(out_dir)
    inode = out_dir.stat().st_ino
    for out in (".", out_dir):
        r = _run_in(out_dir, out)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert "--out" in r.stderr and "current directory" in r.stderr and "outside" in r.stderr
        assert snapshot(out_dir) == before and out_dir.stat().st_ino == inode


def test_out_that_contains_the_current_directory_is_refused(out_dir):
    inside = out_dir.parent / "work" / "deeper"
    inside.mkdir(parents=True)
    r = _run_in(inside, "..")
    assert r.returncode == 2 and "contains the current directory" in r.stderr, r.stderr
    assert inside.is_dir()


def test_storage_write_to_the_current_directory_is_refused(earlier_run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(storage.ResultsError, match="current directory"):
        storage.write(storage.read(earlier_run), ".")
    assert list(tmp_path.iterdir()) == []


def test_out_beside_the_current_directory_still_works(tmp_path):
    (tmp_path / "here").mkdir()
    r = _run_in(tmp_path / "here", "../results")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "results" / "run.json").is_file()

"""The named hostile inputs of issue 13, each tried as a new user would.

Every case must give exit code 2, no traceback, a message naming the file or field, no
hang, and leave an earlier run's ``--out`` byte for byte as it was. All cases run
in-process; those marked ``process=True`` also run through ``python -m tafelsim``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hostile import (MUNICIPALITIES_CSV, SCENARIO_INLINE, SCENARIO_WITH_FILE, assert_refused, cli, deadline,
                     process, snapshot)

CASES = {}


def case(name, process=False, commands=("run", "validate")):
    """Register a builder ``f(tmp) -> (target, needles)``: ``target`` is a scenario path or a list of args."""
    def register(f):
        CASES[name] = (f, process, commands)
        return f
    return register


def scenario_with_data(tmp, csv_text=MUNICIPALITIES_CSV, extra=""):
    (tmp / "data.csv").write_text(csv_text, encoding="utf-8")
    path = tmp / "scenario.yaml"
    path.write_text(SCENARIO_WITH_FILE + extra, encoding="utf-8")
    return path


def scenario_text(tmp, text, name="scenario.yaml"):
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def replace_row(old, new):
    return MUNICIPALITIES_CSV.replace(old, new)


# --- the municipalities data file ----------------------------------------------------------
@case("data: missing file", process=True)
def _(tmp):
    return scenario_text(tmp, SCENARIO_WITH_FILE.replace("data.csv", "nope.csv")), "nope.csv"


@case("data: a directory")
def _(tmp):
    (tmp / "data.csv").mkdir()
    return scenario_text(tmp, SCENARIO_WITH_FILE), ["data.csv", "directory"]


@case("data: a binary file", process=True)
def _(tmp):
    path = scenario_with_data(tmp)
    (tmp / "data.csv").write_bytes(bytes(range(256)) * 40)
    return path, "data.csv"


@case("data: without the expected columns")
def _(tmp):
    return scenario_with_data(tmp, "gemeente,inwoners\nAastad,5000\n"), ["data.csv", "population_2024"]


@case("data: non-numeric population", process=True)
def _(tmp):
    return scenario_with_data(tmp, replace_row("50000", "veel")), "line 2, column population_2024"


@case("data: negative population")
def _(tmp):
    return scenario_with_data(tmp, replace_row("50000", "-5")), "line 2, column population_2024"


@case("data: zero population")
def _(tmp):
    return scenario_with_data(tmp, replace_row("12000", "0")), "line 3, column population_2024"


@case("data: fractional population")
def _(tmp):
    return scenario_with_data(tmp, replace_row("12000", "1.5")), "line 3, column population_2024"


@case("data: population above the bound")
def _(tmp):
    return scenario_with_data(tmp, replace_row("80000", "90000000")), "line 4, column population_2024"


@case("data: unknown province", process=True)
def _(tmp):
    return scenario_with_data(tmp, replace_row("Zeeland,Zeeland", "Atlantis,Zeeland")), "line 3, column province"


@case("data: a filter that selects nothing", process=True)
def _(tmp):
    scenario_with_data(tmp)
    return scenario_text(tmp, SCENARIO_WITH_FILE.replace("path: data.csv", "path: data.csv\n  regions: [Nergens]")), \
        "municipalities_file.regions"


@case("data: a province filter with no municipality in the file")
def _(tmp):
    scenario_with_data(tmp)
    return scenario_text(tmp, SCENARIO_WITH_FILE.replace("path: data.csv", "path: data.csv\n  provinces: [Drenthe]")), \
        "municipalities_file"


@case("data: duplicate names", process=True)
def _(tmp):
    return scenario_with_data(tmp, replace_row("Beedorp", "Aastad")), "line 3, column name"


@case("data: a name both inline and in the file")
def _(tmp):
    scenario_with_data(tmp)
    text = SCENARIO_WITH_FILE + "municipalities:\n  - {name: Aastad, province: Utrecht, region: R, population: 5}\n"
    return scenario_text(tmp, text), "Aastad"


@case("data: empty file")
def _(tmp):
    return scenario_with_data(tmp, ""), ["data.csv", "empty"]


@case("data: header only")
def _(tmp):
    return scenario_with_data(tmp, MUNICIPALITIES_CSV.splitlines()[0] + "\n"), "data.csv"


@case("data: a row with more values than columns")
def _(tmp):
    return scenario_with_data(tmp, replace_row("50000,true", "50000,true,extra")), "line 2"


@case("data: a row with missing values")
def _(tmp):
    return scenario_with_data(tmp, replace_row("Beedorp,Zeeland,Zeeland,Zuidwest,12000,false", "Beedorp,Zeeland")), \
        "line 3"


@case("data: landsdeel that contradicts the province")
def _(tmp):
    return scenario_with_data(tmp, replace_row("Utrecht,Regio A,Oost", "Utrecht,Regio A,Zuid")), \
        "line 2, column landsdeel"


@case("data: a FIFO", process=True)
def _(tmp):
    os.mkfifo(tmp / "data.csv")
    return scenario_text(tmp, SCENARIO_WITH_FILE), "data.csv"


@case("data: pressure for an unknown province")
def _(tmp):
    scenario_with_data(tmp)
    return scenario_text(tmp, SCENARIO_WITH_FILE.replace("path: data.csv",
                                                         "path: data.csv\n  pressure_by_province: {Holland: 0.5}")), \
        "pressure_by_province"


@case("data: pressure out of range")
def _(tmp):
    scenario_with_data(tmp)
    return scenario_text(tmp, SCENARIO_WITH_FILE.replace("path: data.csv", "path: data.csv\n  pressure: 7")), \
        "municipalities_file.pressure"


# --- YAML ------------------------------------------------------------------------------------
BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{k}: &{k} [" + ", ".join([f"*{p}"] * 9) + "]\n" for p, k in zip("abcdefgh", "bcdefghi")) + \
    "name: bomb\nmunicipalities: *i\n"


@case("yaml: billion laughs", process=True)
def _(tmp):
    return scenario_text(tmp, BILLION_LAUGHS), ["scenario.yaml", "alias"]


@case("yaml: 200,000 keys", process=True)
def _(tmp):
    return scenario_text(tmp, "name: many\n" + "".join(f"k{i}: {i}\n" for i in range(200_000))), "scenario.yaml"


@case("yaml: recursive alias", process=True)
def _(tmp):
    return scenario_text(tmp, "name: loop\nparameters: &p {again: *p}\n"), ["scenario.yaml", "recursive"]


@case("yaml: deep nesting", process=True)
def _(tmp):
    return scenario_text(tmp, "name: deep\nparameters: " + "[" * 10_000 + "]" * 10_000 + "\n"), \
        ["scenario.yaml", "nested"]


@case("yaml: duplicate keys", process=True)
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE + "  run.months: 4\n"), ["scenario.yaml", "duplicate key"]


@case("yaml: .inf for an integer", process=True)
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE.replace("run.months: 3", "run.months: .inf")), "scenario.yaml"


@case("yaml: .nan for a number")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE + "  investor.required_return: .nan\n"), "scenario.yaml"


@case("yaml: .inf for a population")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE.replace("population: 12000", "population: .inf")), "scenario.yaml"


@case("yaml: a boolean for a population", process=True)
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE.replace("population: 12000", "population: true")), \
        "municipalities.1.population"


@case("yaml: a boolean for a count")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE.replace("investors: 2", "investors: yes")), "actors.investors"


@case("yaml: a boolean for a float parameter")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE + "  investor.required_return: true\n"), \
        "parameters.investor.required_return"


@case("yaml: a string for a population")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE.replace("population: 12000", "population: '12000'")), \
        "municipalities.1.population"


@case("yaml: a python tag", process=True)
def _(tmp):
    return scenario_text(tmp, "name: !!python/object/apply:os.system ['echo hi']\n"), ["scenario.yaml", "tag"]


@case("yaml: a binary tag")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE.replace("name: inline", "name: !!binary aGVsbG8=")), "tag"


@case("yaml: a set tag")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE + "citations: !!set {a, b}\n"), "tag"


@case("yaml: two documents")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE + "---\nname: second\n"), "scenario.yaml"


@case("yaml: empty file")
def _(tmp):
    return scenario_text(tmp, ""), "scenario.yaml"


@case("yaml: a list at the top")
def _(tmp):
    return scenario_text(tmp, "- name: x\n"), "scenario.yaml"


@case("yaml: broken syntax")
def _(tmp):
    return scenario_text(tmp, "name: [unclosed\n"), ["scenario.yaml", "line"]


@case("yaml: Latin-1 instead of UTF-8")
def _(tmp):
    path = tmp / "scenario.yaml"
    path.write_bytes(SCENARIO_INLINE.replace("inline", "caf\u00e9").encode("latin-1"))
    return path, ["scenario.yaml", "UTF-8"]


@case("yaml: a mapping as a key")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE + "? {a: 1}\n: 2\n"), "scenario.yaml"


@case("yaml: larger than the limit")
def _(tmp):
    return scenario_text(tmp, SCENARIO_INLINE + "description: '" + "x" * 6_000_000 + "'\n"), "scenario.yaml"


# --- paths -----------------------------------------------------------------------------------
@case("path: a directory as the scenario", process=True)
def _(tmp):
    (tmp / "dir.yaml").mkdir()
    return tmp / "dir.yaml", "dir.yaml"


@case("path: an unreadable scenario file", process=True)
def _(tmp):
    if os.geteuid() != 0:
        path = scenario_text(tmp, SCENARIO_INLINE)
        path.chmod(0)
        return path, ["scenario.yaml", "permission"]
    return Path("/proc/self/mem"), "/proc/self/mem"   # root reads every file; this one gives an I/O error


@case("path: a FIFO as the scenario", process=True)
def _(tmp):
    os.mkfifo(tmp / "fifo.yaml")
    return tmp / "fifo.yaml", ["fifo.yaml", "FIFO"]


@case("path: a device as the scenario")
def _(tmp):
    return Path("/dev/zero"), "/dev/zero"


@case("path: a name over 255 characters", process=True)
def _(tmp):
    return tmp / ("x" * 300 + ".yaml"), "xxxx"


@case("path: below a file")
def _(tmp):
    scenario_text(tmp, SCENARIO_INLINE)
    return tmp / "scenario.yaml" / "more.yaml", "more.yaml"


@case("path: an unknown built-in name")
def _(tmp):
    return "middenhuur-2071", "did you mean 'middenhuur-2017'"


# --- --out -----------------------------------------------------------------------------------
@case("out: a file", process=True, commands=("run",))
def _(tmp):
    (tmp / "file").write_text("keep me")
    return ["run", "middenhuur-2017", "--months", 1, "--out", tmp / "file"], ["--out", "file"]


@case("out: /dev/null", process=True, commands=("run",))
def _(tmp):
    return ["run", "middenhuur-2017", "--months", 1, "--out", "/dev/null"], "/dev/null"


@case("out: an unwritable place", process=True, commands=("run",))
def _(tmp):
    if os.geteuid() != 0:
        (tmp / "locked").mkdir(mode=0o500)
        return ["run", "middenhuur-2017", "--months", 1, "--out", tmp / "locked" / "x"], "--out"
    return ["run", "middenhuur-2017", "--months", 1, "--out", "/proc/tafelsim"], "--out"


@case("out: below a file", commands=("run",))
def _(tmp):
    (tmp / "file").write_text("keep me")
    return ["run", "middenhuur-2017", "--months", 1, "--out", tmp / "file" / "sub"], "--out"


@case("out: a directory with other files", process=True, commands=("run",))
def _(tmp):
    (tmp / "mine").mkdir()
    (tmp / "mine" / "thesis.tex").write_text("keep me")
    return ["run", "middenhuur-2017", "--months", 1, "--out", tmp / "mine"], "thesis.tex"


@case("out: a name over 255 characters", commands=("run",))
def _(tmp):
    return ["run", "middenhuur-2017", "--months", 1, "--out", tmp / ("o" * 300)], "--out"


# --- options and --set -----------------------------------------------------------------------
def run_with(*extra):
    return ["run", "middenhuur-2017", "--months", 1, *extra]


OPTION_CASES = {
    "--seed -1": (run_with("--seed", -1), "--seed"),
    "--seed 1.5": (run_with("--seed", 1.5), "--seed"),
    "--seed 2**70": (run_with("--seed", 2**70), "--seed"),
    "--seed x": (run_with("--seed", "x"), "--seed"),
    "--months 0": (["run", "middenhuur-2017", "--months", 0], "run.months"),
    "--months 601": (["run", "middenhuur-2017", "--months", 601], "run.months"),
    "--months 1e9": (["run", "middenhuur-2017", "--months", "1e9"], "--months"),
    "--set without =": (run_with("--set", "nonsense"), "NAME=VALUE"),
    "--set =5": (run_with("--set", "=5"), "NAME=VALUE"),
    "--months and --set run.months": (run_with("--set", "run.months=2"), "--months"),
    "--format and --set table.format": (run_with("--format", "woondealtafel", "--set", "table.format=woondealtafel"),
                                        "--format"),
    "--set twice": (run_with("--set", "trust.gain=0.1", "--set", "trust.gain=0.2"), "trust.gain"),
    "--set unknown name": (run_with("--set", "investor.required_retrun=0.05"), "did you mean"),
    "--set inf for an int": (["run", "middenhuur-2017", "--set", "run.months=inf"], "run.months"),
    "--set 1e400 for an int": (["run", "middenhuur-2017", "--set", "run.months=1e400"], "run.months"),
    "--set 2.5 for an int": (["run", "middenhuur-2017", "--set", "run.months=2.5"], "run.months"),
    "--set nan": (run_with("--set", "investor.required_return=nan"), "investor.required_return"),
    "--set -inf": (run_with("--set", "trust.gain=-inf"), "trust.gain"),
    "--set out of bounds": (run_with("--set", "investor.required_return=0.9"), "float in [0.01, 0.15]"),
    "--set bad choice": (run_with("--set", "table.chair=king"), "table.chair"),
    "--set bad boolean": (run_with("--set", "escalation.enabled=maybe"), "escalation.enabled"),
    "--set empty value": (run_with("--set", "trust.gain="), "trust.gain"),
    "--set bad member": (run_with("--set", "table.members=municipality+bank"), "table.members"),
    "--set bad format": (run_with("--set", "table.format=nope"), "unknown preset"),
    "--format unknown": (run_with("--format", "versnellingstafel"), "unknown preset"),
    "--format a path": (run_with("--format", "../../etc/passwd"), "unknown preset"),
    "--format very long": (run_with("--format", "f" * 5000), "unknown preset"),
    "unknown option": (run_with("--sead", 1), "--sead"),
    "params of an unknown scenario": (["params", "nope"], "nope"),
    "validate a missing file": (["validate", "missing.yaml"], "missing.yaml"),
    "run a missing file": (["run", "missing.yaml"], "missing.yaml"),
}
PROCESS_OPTIONS = {"--seed 1.5", "--seed 2**70", "--months 0", "--set inf for an int", "--set nan", "--set twice",
                   "--format a path"}

for _name, (_args, _needle) in OPTION_CASES.items():
    case(f"option: {_name}", process=_name in PROCESS_OPTIONS, commands=("run",))(
        lambda tmp, a=_args, n=_needle: (a, n))


# --- the tests -------------------------------------------------------------------------------
def _args(target, command, out):
    if isinstance(target, list):
        args = list(target)
        if args[0] == "run" and "--out" not in args:
            args += ["--out", out]
        return args
    return ["run", target, "--out", out] if command == "run" else ["validate", target]


IN_PROCESS = [(name, cmd) for name, (_, _, cmds) in CASES.items() for cmd in cmds]


@pytest.mark.parametrize("name,command", IN_PROCESS, ids=[f"{n} [{c}]" for n, c in IN_PROCESS])
def test_hostile_input_in_process(name, command, tmp_path, out_dir):
    target, needles = CASES[name][0](tmp_path)
    before = snapshot(out_dir)
    with deadline(60):
        seen = cli(_args(target, command, out_dir))
    assert_refused(seen, needles, out_dir, before)


THROUGH_PROCESS = [(name, cmds[0]) for name, (_, proc, cmds) in CASES.items() if proc]


@pytest.mark.parametrize("name,command", THROUGH_PROCESS, ids=[f"{n} [{c}]" for n, c in THROUGH_PROCESS])
def test_hostile_input_through_the_process(name, command, tmp_path, out_dir):
    target, needles = CASES[name][0](tmp_path)
    before = snapshot(out_dir)
    seen = process(_args(target, command, out_dir), timeout=60)
    assert_refused(seen, needles, out_dir, before)


def test_the_catalogue_is_complete():
    """At least the cases the issue names, and a representative subset through the process."""
    assert len(IN_PROCESS) >= 100
    assert 20 <= len(THROUGH_PROCESS) <= 30

"""Scenario files: the built-ins are valid and grounded; malformed files get one clear error."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario import BUILTIN_DIR, builtin_names, load

FACTS_PROVINCES = {"Groningen": 10, "Friesland": 18, "Drenthe": 12, "Overijssel": 25, "Flevoland": 6,
                   "Gelderland": 51, "Utrecht": 26, "Noord-Holland": 44, "Zuid-Holland": 50, "Zeeland": 13,
                   "Noord-Brabant": 56, "Limburg": 31}
runner = CliRunner()


def test_the_five_scenarios_of_the_seeds_are_built_in():
    assert {"middenhuur-2017", "gooi-vechtstreek-2024", "woondeal-ladder", "lokale-driehoek-2018",
            "nederland"} <= set(builtin_names())


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_validates_and_cites_its_numbers(name):
    r = runner.invoke(app, ["validate", str(BUILTIN_DIR / f"{name}.yaml")])
    assert r.exit_code == 0, r.output
    sc = load(name)
    assert sc.description and sc.source
    # every parameter the scenario sets is cited (a citation may say 'model assumption') or commented in place
    raw = (BUILTIN_DIR / f"{name}.yaml").read_text()
    for key in sc.parameters:
        cited = key in sc.citations
        commented = any(key in line and "#" in line for line in raw.splitlines())
        assert cited or commented, f"{name}: {key} is neither cited nor commented"


def test_national_scenario_has_342_municipalities_in_the_right_provinces():
    ms = load("nederland").all_municipalities()
    assert len(ms) == 342 and len({m.name for m in ms}) == 342
    assert Counter(m.province for m in ms) == FACTS_PROVINCES
    assert len({m.region for m in ms}) == 35
    assert {m.landsdeel for m in ms} == {"Noord", "Oost", "Noordwest", "Zuidwest", "Zuid"}


def test_gooi_and_vechtstreek_has_its_learning_programme_and_review():
    p = load("gooi-vechtstreek-2024").parameter_values()
    assert p["table.learning_sessions"] == 4 and p["table.regional_plan_review"] and p["table.chair"] == "external"
    assert p["table.plan_review_threshold"] == 50


def test_presets_and_single_switches_apply_to_any_scenario():
    r = runner.invoke(app, ["run", "gooi-vechtstreek-2024", "--months", "3", "--format", "versnellingstafel-regionaal",
                            "--set", "table.synchronised_cycles=true"])
    assert r.exit_code == 0, r.output
    p = load("gooi-vechtstreek-2024").parameter_values({"table.format": "woondealtafel",
                                                          "table.synchronised_cycles": "true"})
    assert p["table.orientation"] == "vertical" and p["table.synchronised_cycles"] is True


# --- malformed files ------------------------------------------------------------------
BASE = yaml.safe_load((BUILTIN_DIR / "middenhuur-2017.yaml").read_text())


def _set(d, path, value):
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value


def _del(d, path):
    cur = d
    for k in path[:-1]:
        cur = cur[k]
    del cur[path[-1]]


MUTATIONS = st.one_of(
    st.sampled_from([("del", ("name",)), ("del", ("municipalities",)), ("del", ("municipalities", 0, "province")),
                     ("del", ("municipalities", 0, "population"))]),
    st.tuples(st.just("set"), st.sampled_from([("municipalities", 0, "population"), ("municipalities", 0, "pressure"),
                                               ("actors", "investors"), ("parameters", "run.months"),
                                               ("parameters", "investor.required_return"), ("table_format",),
                                               ("parameters", "table.chair"), ("municipalities", 0, "province")]),
              st.one_of(st.text(max_size=5), st.just([1, 2]), st.just({"a": 1}), st.floats(-1e9, -1),
                        st.floats(1e6, 1e12), st.just(None), st.just(True))),
    st.tuples(st.just("unknown"), st.sampled_from([(), ("municipalities", 0), ("actors",), ("parameters",)]),
              st.sampled_from(["colour", "investor.required_retrun", "tabel", "x.y"])),
    st.tuples(st.just("broken"), st.sampled_from(["name: [unclosed\n", "\tname: tab\n", "a: b: c\n", "- [\n", "{", ""])),
)


def _apply(mutation):
    data = copy.deepcopy(BASE)
    kind = mutation[0]
    if kind == "del":
        _del(data, mutation[1])
    elif kind == "set":
        _set(data, mutation[1], mutation[2])
    elif kind == "unknown":
        target = data
        for k in mutation[1]:
            target = target[k]
        target[mutation[2]] = 1
    else:
        return mutation[1]
    return yaml.safe_dump(data, allow_unicode=True)


def _is_still_valid(text):
    try:
        load_text = yaml.safe_load(text)
        from sim.scenario import validate_data
        validate_data(load_text, "x").parameter_values()
        return True
    except Exception:
        return False


@given(MUTATIONS)
def test_malformed_scenarios_get_a_clear_error_and_exit_2(tmp_path_factory, mutation):
    text = _apply(mutation)
    if _is_still_valid(text):  # e.g. a mutation that happens to stay in bounds
        return
    path = Path(tmp_path_factory.mktemp("bad")) / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    for cmd in (["validate", str(path)], ["run", str(path), "--months", "1"]):
        r = runner.invoke(app, cmd)
        assert r.exit_code == 2, (cmd, r.output, r.exception)
        assert isinstance(r.exception, SystemExit)
        out = r.output + (r.stderr if hasattr(r, "stderr") and r.stderr else "")
        assert str(path) in out and "Traceback" not in out
        assert out.startswith("error:")

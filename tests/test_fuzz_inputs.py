"""Fuzzing the entry points with generated bad input: scenario files, data files, command lines
and calls of ``sim.run``.

Every generated input is bad by construction, judged against the documented schema and
the parameter declaration (never by asking the code under test): a value outside its
declared bounds, of the wrong kind, a boolean or a non-finite number where a number is
due, an unknown key, a missing column, a tag, an alias bomb. Each must be refused with
exit code 2 (the CLI) or an InputError (Python), without a traceback, naming the file or
field, and leaving an earlier run's ``--out`` as it was.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import sim
from hostile import MUNICIPALITIES_CSV, SCENARIO_INLINE, assert_refused, cli, snapshot
from sim.errors import InputError
from sim.params import PARAMETERS
from sim.scenario import PROVINCES, builtin_names

FUZZ = settings(max_examples=max(100, settings.default.max_examples),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])


# --- bad values by declaration ---------------------------------------------------------------
def _not_a_number(text: str) -> bool:
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return True


def bad_value(p):
    """Values a declared parameter must refuse: outside bounds, wrong kind, booleans, NaN/inf."""
    wrong_kind = st.one_of(st.none(), st.lists(st.integers(), max_size=2), st.dictionaries(TEXT, st.integers(),
                                                                                               max_size=2))
    if p.kind in (int, float):
        below = st.floats(max_value=p.low, exclude_max=True, allow_nan=False, allow_infinity=False)
        above = st.floats(min_value=p.high, exclude_min=True, allow_nan=False, allow_infinity=False)
        options = [below, above, NOT_FINITE, st.booleans(), TEXT.filter(_not_a_number), wrong_kind,
                   st.integers(min_value=int(p.high) + 1), st.integers(max_value=math.ceil(p.low) - 1)]
        if p.kind is int:
            options.append(st.floats(p.low, p.high).filter(lambda x: x != int(x)))
        return st.one_of(options)
    if p.kind is bool:
        return st.one_of(TEXT.filter(lambda t: t.lower() not in {"true", "false", "yes", "no", "1", "0"}),
                         st.integers(), st.floats(allow_nan=False), wrong_kind)
    if p.kind is frozenset:
        return st.one_of(st.lists(st.sampled_from(p.choices), max_size=3).map(lambda xs: [*xs, "bank"]),
                         st.just([]), st.integers(), st.dictionaries(TEXT, st.integers(), min_size=1, max_size=2))
    return st.one_of(TEXT.filter(lambda t: t not in p.choices), st.integers(), st.booleans(), wrong_kind)


BAD_PARAMETER = st.sampled_from(sorted(PARAMETERS)).flatmap(lambda n: st.tuples(st.just(n), bad_value(PARAMETERS[n])))
UNKNOWN_NAME = TEXT.filter(lambda t: t.strip() and t.strip() not in PARAMETERS and t.strip() != "table.format")
LETTERS = st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True)


def as_cli_text(value) -> str:
    """How a person would type the value after ``--set NAME=`` (lists as a+b)."""
    if isinstance(value, (list, tuple)):
        return "+".join(map(str, value))
    return str(value)


# --- scenario files --------------------------------------------------------------------------
BASE = yaml.safe_load(SCENARIO_INLINE)
SCHEMA_BOUNDS = {  # docs/ODD.md 3.3: the scenario file's fields and their bounds
    ("municipalities", 0, "population"): (1, 2_000_000, int),
    ("municipalities", 1, "pressure"): (0.0, 1.0, float),
    ("municipalities", 0, "land_price_factor"): (0.1, 5.0, float),
    ("municipalities", 1, "rent_factor"): (0.3, 3.0, float),
    ("actors", "investors"): (0, 500, int),
    ("actors", "developers"): (1, 2_000, int),
    ("actors", "corporations"): (0, 500, int),
}


def _schema_bad(bounds):
    low, high, kind = bounds
    options = [st.floats(max_value=low, exclude_max=True, allow_nan=False, allow_infinity=False),
               st.floats(min_value=high, exclude_min=True, allow_nan=False, allow_infinity=False),
               NOT_FINITE, st.booleans(), TEXT, st.none(), st.lists(st.integers(), max_size=2)]
    if kind is int:
        options.append(st.floats(low, high).filter(lambda x: x != int(x)))
    return st.one_of(options)


def _put(data, path, value):
    cur = data
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = value


def _by_field_or_line(field, value):
    """NaN and infinities are refused while the YAML is read, by line and column; the rest by field."""
    return [field, "line"] if isinstance(value, float) and not math.isfinite(value) else field


@st.composite
def bad_scenario(draw):
    """(file text, a needle the message must contain)."""
    data = copy.deepcopy(BASE)
    kind = draw(st.sampled_from(["schema value", "parameter", "unknown key", "missing key", "duplicate key", "tag",
                                 "alias bomb", "deep", "not a mapping", "binary", "municipality names"]))
    if kind == "schema value":
        path = draw(st.sampled_from(sorted(SCHEMA_BOUNDS, key=str)))
        value = draw(_schema_bad(SCHEMA_BOUNDS[path]))
        _put(data, path, value)
        return yaml.safe_dump(data), _by_field_or_line(".".join(map(str, path)), value)
    if kind == "parameter":
        name, value = draw(BAD_PARAMETER)
        data["parameters"][name] = value
        return yaml.safe_dump(data), _by_field_or_line(f"parameters.{name}", value)
    if kind == "unknown key":
        where = draw(st.sampled_from([(), ("actors",), ("municipalities", 0)]))
        key = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(
            lambda k: k not in {"name", "description", "source", "table_format", "municipalities", "actors",
                                "parameters", "citations", "municipalities_file", "investors", "developers",
                                "corporations", "province", "region", "population", "pressure", "rent_factor",
                                "land_price_factor", "alderman_initiative", "vision_strength", "financial_expertise"}))
        target = data
        for k in where:
            target = target[k]
        target[key] = 1
        return yaml.safe_dump(data), key
    if kind == "missing key":
        path = draw(st.sampled_from([("name",), ("municipalities", 0, "name"), ("municipalities", 1, "province"),
                                     ("municipalities", 0, "region"), ("municipalities", 1, "population")]))
        cur = data
        for k in path[:-1]:
            cur = cur[k]
        del cur[path[-1]]
        return yaml.safe_dump(data), ".".join(map(str, path))
    if kind == "duplicate key":
        key = draw(st.sampled_from(["name", "parameters", "actors", "municipalities"]))
        return yaml.safe_dump(data) + f"{key}: again\n", "duplicate key"
    if kind == "tag":
        tag = draw(st.sampled_from(["!!binary", "!!set", "!!omap", "!!python/object:os.system", "!x", "!!str",
                                    "!!int", "!!timestamp", "!<tag:yaml.org,2002:str>"]))
        return yaml.safe_dump(data).replace("name: inline", f"name: {tag} inline"), "tag"
    if kind == "alias bomb":
        fan = draw(st.integers(5, 12))
        depth = draw(st.integers(math.ceil(math.log(100_001, fan)), 12))
        lines = ["l0: &l0 [" + ", ".join(["x"] * fan) + "]"]
        lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]" for i in range(1, depth)]
        return "name: bomb\n" + "\n".join(lines) + "\n", "alias"
    if kind == "deep":
        depth = draw(st.integers(51, 3000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        return f"name: deep\nparameters: {opener * depth}1{closer * depth}\n", ["nested", "nesting"]
    if kind == "not a mapping":
        return draw(st.sampled_from(["- a\n- b\n", "42\n", "just text\n", "null\n", ""])), "scenario.yaml"
    if kind == "binary":
        return draw(st.binary(min_size=1, max_size=200)).replace(b"\xff", b"") + b"\xff\xfe", "UTF-8"
    name = data["municipalities"][0]["name"]
    data["municipalities"][1]["name"] = name
    return yaml.safe_dump(data), name


@FUZZ
@given(bad_scenario(), st.sampled_from(["run", "validate"]))
def test_fuzzed_scenario_files_are_refused(tmp_path_factory, out_dir, text_needle, command):
    text, needle = text_needle
    path = Path(tmp_path_factory.mktemp("fuzz")) / "scenario.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    before = snapshot(out_dir)
    args = ["run", path, "--out", out_dir] if command == "run" else ["validate", path]
    seen = cli(args)
    assert_refused(seen, needle, out_dir, before)
    assert str(path) in seen.err


# --- data files ------------------------------------------------------------------------------
ROWS = [line.split(",") for line in MUNICIPALITIES_CSV.splitlines()]
COLUMN = {name: i for i, name in enumerate(ROWS[0])}
LANDSDELEN = {"Oost": ("Utrecht", "Gelderland", "Overijssel"), "Zuidwest": ("Zuid-Holland", "Zeeland"),
              "Noordwest": ("Noord-Holland", "Flevoland")}


@st.composite
def bad_table(draw):
    """(CSV text, needle): one row or the header made wrong."""
    rows = copy.deepcopy(ROWS)
    r = draw(st.integers(1, len(rows) - 1))
    line = f"line {r + 1}"
    kind = draw(st.sampled_from(["population", "province", "name", "region", "landsdeel", "estimate",
                                 "drop column", "extra value", "missing value"]))
    if kind == "population":
        rows[r][COLUMN["population_2024"]] = draw(st.one_of(
            st.integers(max_value=0).map(str), st.integers(min_value=2_000_001).map(str),
            st.floats(1, 1e6).filter(lambda x: x != int(x)).map(str), st.sampled_from(["", "  ", "true", "1e5",
                                                                                       "nan", "inf", "veel"]),
            st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True)))
        needle = line
    elif kind == "province":
        rows[r][COLUMN["province"]] = draw(st.from_regex(r"[A-Za-z -]{0,15}", fullmatch=True).filter(
            lambda t: t.strip() not in PROVINCES))
        needle = line
    elif kind == "name":
        rows[r][0] = draw(st.sampled_from(["", "   ", rows[1 if r != 1 else 2][0]]))
        needle = line
    elif kind == "region":
        rows[r][COLUMN["woondeal_region"]] = draw(st.sampled_from(["", "  "]))
        needle = line
    elif kind == "landsdeel":
        province = rows[r][COLUMN["province"]]
        rows[r][COLUMN["landsdeel"]] = draw(st.sampled_from(
            [ld for ld, provinces in LANDSDELEN.items() if province not in provinces] + ["Midden"]))
        needle = f"{line}, column landsdeel"
    elif kind == "estimate":
        rows[r][COLUMN["population_is_estimate"]] = draw(st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True).filter(
            lambda t: t not in ("true", "false")))
        needle = f"{line}, column population_is_estimate"
    elif kind == "drop column":
        c = COLUMN[draw(st.sampled_from(["name", "province", "woondeal_region", "population_2024"]))]
        rows = [[v for i, v in enumerate(row) if i != c] for row in rows]
        needle = ROWS[0][c]
    elif kind == "extra value":
        rows[r].append(draw(st.from_regex(r"[a-z0-9]{0,5}", fullmatch=True)))
        needle = line
    else:
        rows[r] = rows[r][:draw(st.integers(1, 3))]
        needle = line
    return "\n".join(",".join(row) for row in rows) + "\n", needle


@FUZZ
@given(bad_table(), st.sampled_from(["run", "validate"]))
def test_fuzzed_data_files_are_refused(tmp_path_factory, out_dir, table_needle, command):
    table, needle = table_needle
    folder = Path(tmp_path_factory.mktemp("data"))
    (folder / "data.csv").write_text(table, encoding="utf-8")
    scenario = folder / "scenario.yaml"
    scenario.write_text("name: fuzz\nmunicipalities_file: {path: data.csv}\nparameters: {run.months: 2}\n",
                        encoding="utf-8")
    before = snapshot(out_dir)
    args = ["run", scenario, "--out", out_dir] if command == "run" else ["validate", scenario]
    seen = cli(args)
    assert_refused(seen, needle, out_dir, before)
    assert "data.csv" in seen.err


# --- command lines ---------------------------------------------------------------------------
OUT_TRAPS = ["/dev/null", "a-file", "a-file/below", "foreign", "o" * 300]


@st.composite
def bad_command_line(draw):
    """(args after `run`, needle); {OUT} stands for the earlier run's directory, {TMP} for a scratch folder."""
    kind = draw(st.sampled_from(["seed", "months", "set value", "set name", "set malformed", "format", "scenario",
                                 "out"]))
    base = ["middenhuur-2017"]
    if kind == "seed":
        seed = draw(st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63),
                              st.floats(allow_nan=True).filter(lambda x: not (math.isfinite(x) and x == int(x))),
                              LETTERS))
        return [*base, "--months", "1", "--seed", str(seed)], "--seed"
    if kind == "months":
        months = draw(st.one_of(st.integers(max_value=0), st.integers(min_value=601), LETTERS))
        return [*base, "--months", str(months)], ["--months", "run.months"]
    if kind == "set value":
        name, value = draw(BAD_PARAMETER)
        text = as_cli_text(value)
        if PARAMETERS[name].kind is bool:  # typed, 1 and 0 are booleans
            assume(text.strip().lower() not in {"true", "false", "yes", "no", "1", "0"})
        if PARAMETERS[name].kind is frozenset:
            assume(any(item.strip() and item.strip() not in PARAMETERS[name].choices
                       for item in text.replace("+", ",").split(",")) or not text.strip())
        if PARAMETERS[name].kind in (int, float):  # typed at a prompt, 1e400 is inf and 1.0 is one
            try:
                typed = float(text)
                low, high = PARAMETERS[name].low, PARAMETERS[name].high
                assume(not math.isfinite(typed) or not low <= typed <= high
                       or (PARAMETERS[name].kind is int and typed != int(typed)))
            except ValueError:
                pass
        if name == "run.months":
            return [*base, "--set", f"{name}={text}"], name
        return [*base, "--months", "1", "--set", f"{name}={text}"], name
    if kind == "set name":
        name = draw(UNKNOWN_NAME.filter(lambda t: "=" not in t))
        return [*base, "--months", "1", "--set", f"{name}=1"], "--set"
    if kind == "set malformed":
        return [*base, "--months", "1", "--set", draw(TEXT.filter(lambda t: "=" not in t))], "--set"
    if kind == "format":
        fmt = draw(TEXT.filter(lambda t: t not in __import__("sim.formats").formats.preset_names()))
        return [*base, "--months", "1", "--format", fmt], "preset"
    if kind == "scenario":
        name = draw(TEXT.filter(lambda t: t not in builtin_names() and not t.startswith("-")))
        return [name, "--months", "1"], ["scenario", "file", "directory"]
    trap = draw(st.sampled_from(OUT_TRAPS))
    return [*base, "--months", "1", "--out", trap if trap.startswith("/") else "{TMP}/" + trap], "--out"


@FUZZ
@given(bad_command_line())
def test_fuzzed_command_lines_are_refused(tmp_path_factory, out_dir, args_needle):
    args, needle = args_needle
    scratch = Path(tmp_path_factory.mktemp("cli"))
    (scratch / "a-file").write_text("keep me")
    (scratch / "foreign").mkdir()
    (scratch / "foreign" / "notes.txt").write_text("keep me")
    args = [a.replace("{TMP}", str(scratch)) for a in args]
    if "--out" not in args:
        args += ["--out", str(out_dir)]
    before = snapshot(out_dir)
    assert_refused(cli(["run", *args]), needle, out_dir, before)
    assert (scratch / "a-file").read_text() == "keep me" and (scratch / "foreign" / "notes.txt").exists()


# --- sim.run from Python ---------------------------------------------------------------------
BAD_OVERRIDES = st.one_of(
    BAD_PARAMETER.map(lambda nv: {nv[0]: nv[1]}),
    UNKNOWN_NAME.map(lambda n: {n: 1}),
    st.one_of(st.integers(), st.none(), st.tuples(st.integers()), st.sampled_from([2.5, object()])).map(
        lambda k: {k: 1}),
    st.one_of(st.lists(st.integers(), min_size=1), TEXT.filter(bool), st.integers(), st.floats(),
              st.sets(st.integers(), min_size=1)),
)
BAD_SEEDS = st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63), st.floats(), st.booleans(), TEXT,
                      st.none(), st.lists(st.integers(), max_size=2))
BAD_SCENARIOS = st.one_of(st.integers(), st.floats(), st.none(), st.lists(TEXT, max_size=2), st.binary(min_size=1),
                          st.dictionaries(TEXT, st.integers(), max_size=2), st.just(""))


@FUZZ
@given(st.one_of(BAD_OVERRIDES.map(lambda o: {"overrides": o}), BAD_SEEDS.map(lambda s: {"seed": s}),
                 BAD_SCENARIOS.map(lambda s: {"scenario": s}),
                 st.one_of(st.integers(max_value=0), st.integers(min_value=601), st.floats(0.5, 10).filter(
                     lambda x: x != int(x)), st.booleans(), TEXT.filter(_not_a_number)).map(lambda m: {"months": m})))
def test_bad_calls_of_sim_run_raise_input_error(call):
    kwargs = {"scenario": "middenhuur-2017", "seed": 0, "months": 1, **call}
    if "months" in call:
        kwargs.pop("months")
        kwargs["overrides"] = {"run.months": call["months"]}
    if isinstance(kwargs.get("overrides"), dict) and "run.months" in kwargs["overrides"]:
        kwargs.pop("months", None)
    with pytest.raises(InputError) as err:
        sim.run(**kwargs)
    assert str(err.value).strip()


@FUZZ
@given(BAD_PARAMETER)
def test_a_bad_override_is_named(name_value):
    name, value = name_value
    with pytest.raises(InputError, match="allowed") as err:
        sim.run("middenhuur-2017", seed=0, overrides={name: value, "run.months": 1} if name != "run.months"
                else {name: value})
    assert name in str(err.value)


def test_the_seed_is_not_truncated():
    with pytest.raises(InputError, match="seed"):
        sim.run("middenhuur-2017", seed=1.5, months=1)
    with pytest.raises(InputError, match="seed"):
        sim.run("middenhuur-2017", seed=2**70, months=1)
    import numpy as np
    assert sim.run("middenhuur-2017", seed=np.int64(3), months=1).seed == 3


def test_a_scenario_object_with_a_missing_data_file_is_refused():
    from sim.scenario import Scenario
    sc = Scenario(name="x", municipalities_file={"path": str(Path(tempfile.gettempdir()) / "no-such-file.csv")})
    with pytest.raises(InputError, match="no-such-file.csv"):
        sim.run(sc, months=1)

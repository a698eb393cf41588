"""Valid but extreme input: every parameter at its lower and its upper bound, all of them at
once, one municipality without investors or capacity. The model must run to the end,
write no NaN or negative count, keep its invariants, and print a summary without 'nan'."""

from __future__ import annotations

import math

import pytest
import yaml

import sim
from sim.outputs import METRICS
from sim.params import PARAMETERS
from sim.scenario import Scenario

from hostile import cli

COUNTS = ("proposed", "agreed", "started", "completed", "abandoned", "pipeline")
TINY = Scenario(name="tiny", municipalities=[
    {"name": "Aastad", "province": "Utrecht", "region": "Regio A", "population": 300_000},
    {"name": "Beedorp", "province": "Zeeland", "region": "Zeeland", "population": 20_000}],
    actors={"investors": 2, "developers": 2, "corporations": 2})


def extreme(p, side):
    if p.kind in (int, float):
        return p.low if side == "low" else p.high
    if p.kind is bool:
        return side == "high"
    if p.kind is frozenset:
        return ["municipality"] if side == "low" else list(p.choices)
    return p.choices[0] if side == "low" else p.choices[-1]


def assert_sane(r):
    m = r.monthly
    assert not m[list(COUNTS)].isna().any().any()
    assert (m[list(COUNTS)] >= 0).all().all()
    for _, x in m.sort_values("month").groupby(["municipality", "segment"]):  # homes are conserved
        cum = x[["proposed", "relabelled", "completed", "abandoned"]].cumsum()
        assert (cum["proposed"] + cum["relabelled"] == cum["completed"] + x["pipeline"] + cum["abandoned"]).all()
    c = r.cases
    if len(c):
        assert (c["homes"] >= 0).all() and c["homes"].sum() == r.metrics["homes_proposed"]
        months = c[[col for col in c.columns if col.startswith("months_")]]
        assert (months >= 0).all().all() and (months.sum(axis=1) == c["age_months"]).all()
    for name, v in r.metrics.items():
        assert not (isinstance(v, float) and math.isinf(v)), name
        low, high = METRICS[name].bounds    # the range a confidence interval is clipped to (experiments.stats)
        # NaN only where there is nothing to measure, which the metric declares (its ``missing`` text)
        assert (math.isnan(v) and METRICS[name].missing != "none") or low <= v <= high, (name, v)


@pytest.mark.parametrize("side", ["low", "high"])
@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_each_parameter_at_its_bound(name, side):
    p = PARAMETERS[name]
    overrides = {name: extreme(p, side)}
    if name != "run.months":
        overrides["run.months"] = 12
    assert_sane(sim.run(TINY, seed=3, overrides=overrides))


@pytest.mark.parametrize("side,months", [("low", 60), ("high", 36), ("high", 600)])
def test_every_parameter_at_its_bound_at_once(side, months):
    overrides = {name: extreme(p, side) for name, p in PARAMETERS.items()}
    overrides["run.months"] = months
    assert_sane(sim.run(TINY, seed=5, overrides=overrides))


def test_one_municipality_without_investors_or_capacity(tmp_path):
    """Every capacity (of corporations, developers, municipalities, higher tables) at its lowest."""
    lowest = {n: p.low for n, p in PARAMETERS.items() if p.kind in (int, float) and
              ("capacity" in n or n.endswith("cases_per_year")) and n != "cases.per_year"}
    assert "corporation.investment_capacity" in lowest and "municipality.process_capacity" in lowest
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump({
        "name": "bare",
        "municipalities": [{"name": "Eendorp", "province": "Drenthe", "region": "Drenthe Zuid", "population": 1}],
        "actors": {"investors": 0, "developers": 1, "corporations": 0},
        "parameters": {"run.months": 48, "cases.per_year": 50, "performance.enabled": True, **lowest}}),
        encoding="utf-8")
    assert_sane(sim.run(path, seed=1))
    seen = cli(["run", path, "--months", 12])
    assert seen.code == 0, seen.err
    assert "nan" not in seen.out.lower().split() and "none agreed" in seen.out


def test_zero_required_return_of_corporations_runs():
    """Issue 13: --set corporation.required_return=0 divided by zero."""
    seen = cli(["run", "lokale-driehoek-2018", "--months", 12, "--set", "corporation.required_return=0"])
    assert seen.code == 0, (seen.err, seen.exception)

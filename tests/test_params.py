"""The one parameter declaration: every value is checked, every error is clear."""

import pytest

import sim
from sim.params import PARAMETERS, ParameterError, check, defaults


def test_every_parameter_is_fully_declared():
    for p in PARAMETERS.values():
        assert p.doc and p.name.count(".") == 1
        if p.kind in (int, float):
            assert p.low <= p.default <= p.high, p.name
        check(p.name, p.default, "defaults")  # defaults pass their own bounds


def test_unknown_parameter_suggests_the_nearest_name():
    with pytest.raises(ParameterError, match="did you mean 'investor.required_return'"):
        check("investor.required_retrun", 0.04, "f.yaml")


@pytest.mark.parametrize("name,value", [("investor.required_return", 0.5), ("run.months", 0),
                                        ("run.months", 2.5), ("table.chair", "king"),
                                        ("escalation.enabled", "maybe"), ("investor.required_return", "x"),
                                        ("table.members", ["municipality", "bank"]),
                                        ("investor.required_return", float("nan"))])
def test_bad_values_name_the_allowed_range(name, value):
    with pytest.raises(ParameterError) as err:
        check(name, value, "scenario.yaml")
    assert "scenario.yaml" in str(err.value) and name in str(err.value) and "allowed" in str(err.value)


def test_run_rejects_unknown_overrides():
    with pytest.raises(ParameterError):
        sim.run("middenhuur-2017", overrides={"investor.requird_return": 0.04}, months=1)


def test_defaults_cover_every_parameter():
    assert set(defaults()) == set(PARAMETERS)


def test_odd_documents_every_parameter():
    from pathlib import Path
    odd = (Path(__file__).resolve().parent.parent / "docs" / "ODD.md").read_text(encoding="utf-8")
    missing = [name for name in PARAMETERS if f"`{name}`" not in odd]
    assert not missing, f"docs/ODD.md lacks {missing}; paste `tafelsim params --markdown` into section 5"


def test_every_headline_metric_is_declared_with_unit_and_meaning():
    from sim.outputs import METRICS
    r = sim.run("middenhuur-2017", seed=0, months=12)
    assert list(r.metrics) == list(METRICS)
    for m in METRICS.values():
        assert m.unit and m.meaning

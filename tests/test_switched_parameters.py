"""Parameters declared to act only while a switch is on (``sim.params.Param.requires``) change nothing while
it is off: the declaration the dashboard marks its controls by, and the parameter listing shows, is true of
the model."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.params import PARAMETERS

SCENARIO, MONTHS = "woondeal-ladder", 36       # a ladder in use: cases escalate within three years
SWITCHED = sorted(n for n, p in PARAMETERS.items() if p.requires)


def moved(name: str):
    """The value furthest from the default within the declared range (or the other choice)."""
    p = PARAMETERS[name]
    if p.kind is bool:
        return not p.default
    return p.low if abs(p.default - p.low) >= abs(p.high - p.default) else p.high


def tables(overrides: dict) -> dict[str, pd.DataFrame]:
    r = sim.run(SCENARIO, seed=3, overrides={"run.months": MONTHS, **overrides})
    return {k: v.drop(columns="run_id") for k, v in r.tables.items()}   # the run id hashes the parameters


@pytest.fixture(scope="module")
def switched_off():
    return {switch: tables({switch: False}) for switch in {PARAMETERS[n].requires for n in SWITCHED}}


def test_the_switches_act_in_this_scenario(switched_off):
    on = tables({"escalation.enabled": True, "table.regional_plan_review": True})
    for switch, off in switched_off.items():
        assert not all(off[k].equals(on[k]) for k in off), f"{switch} changes nothing here: the test would be empty"


@pytest.mark.parametrize("name", SWITCHED)
def test_a_parameter_changes_nothing_while_its_switch_is_off(name, switched_off):
    switch = PARAMETERS[name].requires
    assert PARAMETERS[switch].kind is bool
    off = tables({switch: False, name: moved(name)})
    for k, table in off.items():
        pd.testing.assert_frame_equal(table, switched_off[switch][k], obj=f"{k} with {name}={moved(name)}")

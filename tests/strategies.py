"""Hypothesis strategies: generators of valid scenarios and parameter overrides.

Collected in one module (as Axelrod does) so every property test draws from the same
space. Sizes are kept small so that a run takes milliseconds.
"""

from __future__ import annotations

from hypothesis import strategies as st

from sim import formats
from sim.scenario import PROVINCES, Scenario

REGIONS = ("Regio A", "Regio B", "Regio C")


@st.composite
def municipalities(draw):
    n = draw(st.integers(1, 4))
    out = []
    for i in range(n):
        out.append({
            "name": f"Gemeente {i}",
            "province": draw(st.sampled_from(PROVINCES)),
            "region": draw(st.sampled_from(REGIONS)),
            "population": draw(st.integers(10_000, 400_000)),
            "pressure": draw(st.floats(0.2, 1.0)),
            "land_price_factor": draw(st.floats(0.5, 2.0)),
            "rent_factor": draw(st.floats(0.7, 1.5)),
        })
    return out


@st.composite
def overrides(draw):
    """Parameter values drawn inside their declared bounds, for the levers that matter most."""
    o = {
        "run.months": draw(st.integers(6, 48)),
        "investor.required_return": draw(st.floats(0.02, 0.07)),
        "negotiation.padding": draw(st.floats(0.0, 1.0)),
        "negotiation.reciprocity": draw(st.floats(0.0, 1.0)),
        "negotiation.rounds_per_meeting": draw(st.integers(1, 6)),
        "negotiation.meetings_to_deadline": draw(st.integers(1, 6)),
        "agents.autonomy": draw(st.floats(0.0, 1.0)),
        "trust.initial": draw(st.floats(0.0, 1.0)),
        "cases.per_year": draw(st.floats(0.5, 8.0)),
        "cases.midrent_share": draw(st.floats(0.0, 1.0)),
        "cases.social_share": draw(st.floats(0.0, 0.6)),
        "cases.infrastructure_share": draw(st.floats(0.0, 0.5)),
        "cases.cross_region_share": draw(st.floats(0.0, 0.5)),
        "developer.land_position_share": draw(st.floats(0.0, 1.0)),
        "economics.cost_inflation": draw(st.floats(0.0, 0.2)),
        "pipeline.initial_homes": draw(st.sampled_from([0.0, 5.0])),
        "economics.owner_land_price": draw(st.floats(20_000, 200_000)),
        "municipality.vision_strength": draw(st.floats(0.0, 1.0)),
        "escalation.enabled": draw(st.booleans()),
        "escalation.national_money": draw(st.sampled_from([0.0, 5_900.0, 30_000.0])),
        "escalation.regional_money": draw(st.sampled_from([0.0, 3_000.0])),
        "escalation.national_cases_per_year": draw(st.sampled_from([1.0, 6.0, 24.0])),
        "escalation.regional_min_homes": draw(st.sampled_from([0, 50, 200])),
        "table.mandate": draw(st.booleans()),
        "table.expertise_pool": draw(st.booleans()),
        "cycles.position_drift": draw(st.sampled_from([0.0, 0.01, 0.05])),
        "developer.land_premium": draw(st.floats(0.0, 1.0)),
        "performance.enabled": draw(st.booleans()),
        "performance.multi_year": draw(st.booleans()),
        "table.format": draw(st.sampled_from(formats.preset_names())),
        "table.synchronised_cycles": draw(st.booleans()),
        "table.decision_rule": draw(st.sampled_from(["consensus", "qualified_majority", "lead"])),
        "table.chair": draw(st.sampled_from(["none", "municipality", "external"])),
        "table.specificity": draw(st.sampled_from(["concrete", "general"])),
        "table.permanence": draw(st.sampled_from(["one_off", "structural"])),
        "table.learning_sessions": draw(st.integers(0, 4)),
        "table.regional_plan_review": draw(st.booleans()),
        "table.members": draw(st.sets(st.sampled_from(["corporation", "investor", "developer", "tenant"]))
                              .map(lambda s: sorted(s | {"municipality"}))),
    }
    return o


@st.composite
def scenarios(draw):
    return Scenario(
        name="generated",
        municipalities=draw(municipalities()),
        actors={"investors": draw(st.integers(0, 4)), "developers": draw(st.integers(1, 4)),
                "corporations": draw(st.integers(0, 4))},
        parameters={"run.start_year": 2020},
    )

"""Implementation: procedure, construction, completion (MODEL.md 3.5); ratification is ``sim/ratification.py``.

Limited by each municipality's process capacity (cases in procedure at once) and by
builders' capacity (homes started per year, as a bucket that refills monthly).
"""

from __future__ import annotations

from sim.case import State


def start_procedures(model, month: int) -> None:
    p = model.p
    for case in list(model.ready.values()):
        m = case.municipality
        if month < case.release_month or m.in_procedure >= m.process_capacity:
            continue
        m.in_procedure += 1
        months = max(0, p["pipeline.procedure_months"] - case.process_help)
        if case.objection:
            months += p["pipeline.objection_months"]
        case.procedure_months = months
        case.move(State.IN_PROCEDURE, month)
        del model.ready[case.id]


def advance(model, month: int) -> None:
    """Procedures that are done start building when builders have room; buildings complete."""
    p = model.p
    model.build_bucket = min(model.build_capacity, model.build_bucket + model.build_capacity / 12.0)
    for case in model.cases_in(State.UNDER_CONSTRUCTION):
        duration = case.construction_months if case.construction_months is not None else p["pipeline.construction_months"]
        if month - case.state_since >= duration:
            case.move(State.COMPLETED, month)
            model.recorder.homes_event(month, case, "completed")
    for case in model.cases_in(State.IN_PROCEDURE):
        if month - case.state_since < case.procedure_months:
            continue
        need = min(case.total_homes, model.build_capacity)
        if model.build_bucket < need:
            continue
        model.build_bucket -= need
        case.municipality.in_procedure -= 1
        case.move(State.UNDER_CONSTRUCTION, month)
        model.recorder.homes_event(month, case, "started")

"""Implementation: ratification, procedure, construction, completion (MODEL.md 3.3 and 3.5).

Limited by each municipality's process capacity (cases in procedure at once) and by
builders' capacity (homes started per year, as a bucket that refills monthly).
"""

from __future__ import annotations

from sim.case import State
from sim.tables import adjust_trust, deadline_for, financial_gap


def ratify(model, case, month: int) -> None:
    """An agreement binds once every signing party has passed a decision window.

    While it waits, prices move (construction cost, rents, land). The parties can
    reshuffle the package among themselves, but if the surplus no longer covers every
    signing party's reservation point at today's prices, the room to move is gone (001):
    the case returns to the table (and trust suffers).
    """
    if financial_gap(model, case) > 1e-9:
        case.lost_agreements += 1
        model.recorder.agreement_lost(month, case)
        case.move(State.AT_TABLE, month)
        case.agreement = None
        case.pending_ratification = None
        case.meetings_at_level = min(case.meetings_at_level, deadline_for(case, model.p) - 1)
        case.table.agenda.append(case)
        adjust_trust(model, case, case.parties, lambda a, b: -model.p["trust.loss"])
        return
    case.ratify_month = month
    case.release_month = max(case.release_month, month + (0 if case.specific else
                                                          model.p["negotiation.concretisation_months"]))
    model.recorder.ratified(month, case)
    if case.kind == "performance" and model.p["performance.multi_year"] and case.tranche_of is None:
        model.make_tranches(case, month)  # the later years of a multi-year agreement bind with it


def start_procedures(model, month: int) -> None:
    p = model.p
    for case in model.waiting_for_procedure():
        m = case.municipality
        if month < case.release_month or m.in_procedure >= m.process_capacity:
            continue
        m.in_procedure += 1
        months = max(0, p["pipeline.procedure_months"] - case.process_help)
        if case.objection:
            months += p["pipeline.objection_months"]
        case.procedure_months = months
        case.move(State.IN_PROCEDURE, month)


def advance(model, month: int) -> None:
    """Procedures that are done start building when builders have room; buildings complete."""
    p = model.p
    model.build_bucket = min(model.build_capacity, model.build_bucket + model.build_capacity / 12.0)
    for case in sorted(model.cases_in(State.UNDER_CONSTRUCTION), key=lambda c: c.id):
        duration = case.construction_months if case.construction_months is not None else p["pipeline.construction_months"]
        if month - case.state_since >= duration:
            case.move(State.COMPLETED, month)
            model.recorder.homes_event(month, case, "completed")
    for case in sorted(model.cases_in(State.IN_PROCEDURE), key=lambda c: c.id):
        if month - case.state_since < case.procedure_months:
            continue
        need = min(case.total_homes, model.build_capacity)
        if model.build_bucket < need:
            continue
        model.build_bucket -= need
        case.municipality.in_procedure -= 1
        case.move(State.UNDER_CONSTRUCTION, month)
        model.recorder.homes_event(month, case, "started")

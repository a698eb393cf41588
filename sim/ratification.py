"""From an agreement at the table to a binding one: decision windows, mandates and lost agreements.

An agreement binds only when every signatory's organisation has approved it in a decision
window (council, board, investment committee; MODEL.md 3.3). A party whose negotiator has a
mandate (``table.mandate``) signs at the table; at a table with synchronised decision cycles
the seated parties decide in the month of the agreement; every other signatory, and every
absent one, decides in its own next window. Only concrete plans come here: a general question
agreed in principle is first worked out at its table (``HousingTablesModel.work_out``).

Between the table and a window some things move. Agreed prices are indexed (the usual
bouwkostenindexatie), so general inflation of costs, rents and land changes nothing; what is
real is checked: investors' required yields (the buyer of the rented homes bears the value its
yield puts on them) and the boards' positions (``Actor.position``). A party approves if its
claim, after what it bears, still meets its board's reservation; otherwise the agreement is
lost (seed 001: parties without 'bewegingsruimte'), its numbers become known to the table,
and the case returns to the table for ``negotiation.renegotiation_meetings`` more meetings.
"""

from __future__ import annotations

from dataclasses import replace

from sim.case import State
from sim.tables import adjust_trust, deadline_for, view
from sim.valuation import SLOT, value_cases


def schedule(model, case, table, month: int) -> None:
    """Set each signatory's decision month for the agreement just reached."""
    at_table = table.switches["mandate"] or table.switches["synchronised_cycles"]
    decide = {}
    for a in case.parties + case.absent:
        if at_table and a in case.parties:
            decide[a.unique_id] = month
        else:
            decide[a.unique_id] = month + a.months_to_window(month)
    case.decisions = decide
    case.pending_ratification = max(decide.values())
    model.deciding[case.id] = case


def decide_all(model, month: int) -> None:
    """The signatories whose window is this month decide; the last approval makes an agreement bind.

    Agreed prices are indexed: the check is made in the prices of the agreement's month, with
    today's investors' yield (cases valued together). What the agreed variant was worth in the
    agreement's own prices does not change while it waits, so it is kept with the agreement
    (``_agreed_values``).
    """
    cases = [c for c in model.deciding.values() if month in c.decisions.values()]
    if not cases:
        return
    then = [model.economy_at(c.agreement["month"]) for c in cases]
    months = {id(e): e for e in then}                    # each agreement month's prices once
    held_of = {i: replace(e, investor_return=model.economy.investor_return) for i, e in months.items()}
    held = [held_of[id(e)] for e in then]
    v = [c.agreement["variant"] for c in cases]              # the boards check the agreed variant only
    vw = view(model, cases, month, economy=held, variants=v)
    now = vw.val.surplus[:, 0].tolist()
    agreed = _agreed_values(model, cases, month, then, v)
    needs = vw.true_need()[:, :, 0].tolist()               # Python floats: each case reads a few of them
    # the tranches of multi-year agreements whose yearly updates wait for their boards, valued together
    drafted = model.draft_tranches([c for c in cases if c.kind == "performance" and c.updates], month)
    for r, case in enumerate(cases):
        _decide(model, case, month, needs[r], agreed[r] - now[r], drafted)


def _agreed_values(model, cases, month: int, then: list, variants: list) -> list:
    """Each agreed variant's surplus in the prices of its agreement's month (``then``): valued, for
    the cases deciding for the first time together, at their first decision and kept in the
    agreement (``"value"``). Every value is per case, so it is the same whichever cases it was
    valued with."""
    todo = [r for r, case in enumerate(cases) if "value" not in case.agreement]
    if todo:
        val = value_cases(model, [cases[r] for r in todo], month, economy=[then[r] for r in todo],
                          variants=[variants[r] for r in todo])
        for r, value in zip(todo, val.surplus[:, 0].tolist()):
            cases[r].agreement["value"] = value
    return [case.agreement["value"] for case in cases]


def _decide(model, case, month, needs: list, value_fall: float, drafted: dict) -> None:
    """One case's signatories due this month decide (``needs``: each slot's board reservation at the variant;
    ``drafted``: tranches of the month's deciding agreements, ``HousingTablesModel.draft_tranches``)."""
    claims, decisions = case.agreement["claims"], case.decisions
    investor = case.cast.get("investor")
    buyer = "investor" if investor is not None and investor.unique_id in claims else "developer"
    for a in case.parties + case.absent:
        i = a.unique_id
        if decisions.get(i) != month:
            continue
        loss = value_fall if a.kind == buyer else 0.0      # the buyer bears the value its yield puts on the homes
        if claims[i] - loss < needs[SLOT[a.kind]] - 1e-6:
            _lost(model, case, a, month)
            return
        del decisions[i]
    if not decisions:
        bind(model, case, month, drafted)


def bind(model, case, month: int, drafted: dict | None = None) -> None:
    """The agreement binds: the package's mix and fast-tracked procedure become the case's."""
    v, space = case.agreement["variant"], case.space
    mid = round(float(space.mid_share[v]) * case.total_homes)
    delta = mid - case.homes["midrent"]
    if delta:
        case.homes["midrent"], case.homes["free"] = mid, case.homes["free"] - delta
        case.mix_changed -= delta
        model.recorder.relabel(month, case, -delta)
    if space.priority[v]:
        case.process_help = max(case.process_help, model.p["negotiation.priority_months"])
    case.ratify_month = month
    case.pending_ratification = None
    del model.deciding[case.id]
    model.schedule.agreed(case)
    case.release_month = max(case.release_month, month)
    model.recorder.ratified(month, case)
    model.on_bind(case)
    if case.kind == "performance" and case.updates:
        model.make_tranches([case], month, drafted)  # yearly updates made while the agreement waited for its boards
    case.leave_the_table()


def _lost(model, case, party, month: int) -> None:
    """A board said no: the agreement is lost and the case goes back to the table."""
    p = model.p
    case.lost_agreements += 1
    model.recorder.agreement_lost(month, case, party)
    case.known.add(party.unique_id)
    case.move(State.AT_TABLE, month)
    case.agreement = None
    case.decisions = {}
    case.pending_ratification = None
    del model.deciding[case.id]
    case.meetings_at_level = max(0, deadline_for(case, p) - p["negotiation.renegotiation_meetings"])
    case.table.agenda.append(case)
    adjust_trust(model, case, case.parties, lambda a, b: -p["trust.loss"])

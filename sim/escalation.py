"""The escalation ladder: local or woondeal table -> regional -> national versnellingstafel.

A case is stuck when its table reaches the end of the concession clock without agreement.
At a vertical table the governments that steer may then impose a package where one exists
(never at a horizontal versnellingstafel: there parties work as equals, seed 003). Otherwise
the rule sends the case one level up (or straight to the national table when its bottleneck
crosses regions and skipping is allowed) into that table's queue.

What a versnellingstafel takes up follows seed 003: cases of regional (or national)
significance (``escalation.*_min_homes``), bottlenecks a lower table cannot move
(regio-overstijgend; infrastructure goes straight to the national table, which alone can move
it), as many a year as its members can handle
(``escalation.*_cases_per_year``; the national table per landsdeel member), the largest first.
A case it does not take up, or that waited longer than ``escalation.max_queue_months``, is
sent back to its entry table with advice (insight), and is abandoned if it gets stuck again.
"""

from __future__ import annotations

import numpy as np

from sim.case import State
from sim.negotiation import Terms
from agents import KINDS as AGENT_KINDS
from sim.tables import adjust_trust, insight_of, seat, set_insight, set_padding, view


def classify(case, zone: bool) -> str:
    """Kind of bottleneck (MODEL.md 6): infrastructure, no investor, financial (no zone, money
    included) or impasse (a zone that the parties did not find)."""
    if case.infrastructure_blocked:
        return "infrastructure"
    if case.lacks_investor:
        return "no_investor"
    return "impasse" if zone else "financial"


def next_table(model, case):
    """The table a stuck case goes to, or None when it has nowhere left to go."""
    p = model.p
    if (not p["escalation.enabled"] or case.kind != "midrent" or case.bottleneck == "no_investor"
            or case.sent_back or case.level >= 2):
        return None  # no table can conjure an investor; an advised case has had its chance
    if (case.cross_region and p["escalation.allow_skip"]) or case.infrastructure_blocked:
        return model.national_table  # regio-overstijgend, or a bottleneck only the national table can move
    if case.level == 0:
        return model.regional_tables.get(case.municipality.region, model.national_table)
    return model.national_table


def takes_up(table, case) -> bool:
    """Seed 003's criteria: significant enough, or a bottleneck only this level can move."""
    if case.infrastructure_blocked and table.means.infrastructure:
        return True
    if case.cross_region and table.level == 2:
        return True
    return case.total_homes >= table.means.min_homes


def escalate(model, case, month: int, zone: bool) -> bool:
    """Send a stuck case up; False when it cannot go up (it is then abandoned). ``zone``: whether a
    zone of agreement exists at the parties' own numbers with the case's money."""
    case.bottleneck = classify(case, zone)
    target = next_table(model, case)
    if target is None:
        return False
    model.recorder.escalation_out(month, case, "escalated")  # closes the row of the level it leaves, if any
    old = case.table
    if case in old.agenda:
        old.agenda.remove(case)
    case.move(State.ESCALATED, month)
    case.level = target.level
    case.max_level = max(case.max_level, target.level)
    case.table = target
    target.queue.append(case)
    model.recorder.escalation_in(month, case, target, queue_length=len(target.queue) - 1)
    return True


def admit(model, table, month: int) -> None:
    """Take up queued cases within each member's intake, largest first; send back the rest that
    do not qualify or waited too long."""
    p = model.p
    if table.level == 0:
        return
    table.refill_intake(p["escalation.intake_buffer_months"])
    if not table.queue:
        return  # most months most tables have nobody waiting: only the intake grows
    limit = p["escalation.max_queue_months"]
    admitted = []
    for case in sorted(table.queue, key=lambda c: (-c.total_homes, c.state_since, c.id)):
        waited = month - case.state_since
        if not takes_up(table, case):
            send_back(model, table, case, month, "not_taken_up")
            continue
        key = table.member_key(case)
        if table.intake.get(key, 0.0) >= 1.0:
            table.intake[key] -= 1.0
            table.queue.remove(case)
            case.move(State.AT_TABLE, month)
            seat(model, table, case, pad=False)
            admitted.append((table, case))
            table.agenda.append(case)
            model.recorder.escalation_admitted(month, case)
        elif waited > limit:
            send_back(model, table, case, month, "sent_back")
    # the admitted cases' padding and means together (each depends on its own case only)
    set_padding(model, admitted)
    apply_means(model, admitted, month)


def send_back(model, table, case, month: int, outcome: str) -> None:
    """Back to the entry table with the higher table's advice: insight, and a fresh clock."""
    table.queue.remove(case)
    model.recorder.escalation_out(month, case, outcome)
    entry = model.entry_table[case.municipality.unique_id]
    case.sent_back = True
    case.level = 0
    case.move(State.AT_TABLE, month)
    seat(model, entry, case, pad=False)
    advice = model.p["escalation.advice_insight"] * table.means.mediation
    for a in case.parties:
        set_insight(model, entry, case, a, max(insight_of(model, entry, case, a), advice))
    set_padding(model, [(entry, case)])   # the advice's insight lowers the padding too
    entry.agenda.append(case)


def apply_means(model, items: list, month: int) -> None:
    """What the level brings on admission ((table, case) pairs) beyond seating: moving
    infrastructure, and money.

    Seating applies the rest (``tables.seat``): mediation (insight), process help (before the
    package space, which offers priority only for months beyond it) and the national table's wider
    mix (``Means.mix_levels``).
    """
    for table, case in items:
        means = table.means
        if means.infrastructure and case.infrastructure_blocked:
            case.unblock_month = month + model.p["escalation.infrastructure_months"]
    close_gaps(model, items, month)


def close_gaps(model, items: list, month: int) -> None:
    """Money, a fixed contribution per home up to the level's limit (like the Woningbouwimpuls),
    paid only when it closes the financial gap the parties face; tried on admission and again
    before every meeting at the level, because prices move while a case waits. Once granted it
    stays with the case. ``items``: (table, case) pairs, valued together."""
    todo = [(t, c) for t, c in items if t.means.money > c.money_per_home]  # granted money stays granted
    if not todo:
        return
    vw = view(model, [c for _, c in todo], month, known_cost=True)
    shortfall = vw.total(vw.true_need()) - vw.val.surplus
    shortfall = np.where(vw.val.valid, shortfall, np.inf).min(axis=1)
    for (table, case), gap in zip(todo, shortfall):
        if gap - case.money_per_home <= 0:
            continue  # an impasse, not a financial gap: mediation is what helps
        if gap - table.means.money <= 0:
            case.money_per_home = table.means.money  # money is paid only where it closes the gap


def stuck_cases(model, items: list, month: int) -> list:
    """Cases stuck at the end of their concession clock ((table, case) pairs), valued together at
    their own numbers: a vertical table may impose a package (returned as (table, case, terms));
    the others escalate or are abandoned."""
    if not items:
        return []
    vw = view(model, [c for _, c in items], month, known_cost=True)
    need = vw.true_need()
    money = np.array([c.money_per_home for _, c in items])
    net = np.where(vw.val.valid, vw.val.surplus + money[:, None] - vw.total(need), -np.inf)
    zones = (net.max(axis=1) >= -1e-6).tolist()     # a zone of agreement at the case's own numbers
    imposed = []
    for r, (table, case) in enumerate(items):
        terms = impose(model, table, case, month, vw, r, need[r], net[r])
        if terms is not None:
            imposed.append((table, case, terms))
        elif not escalate(model, case, month, zone=zones[r]):
            table.agenda.remove(case)
            model.abandon(case, month, "abandoned")
    return imposed


def impose(model, table, case, month: int, vw, r: int, need, net):
    """A vertical table's governments impose the package that leaves the most surplus, when one
    fits every signatory's reservation, with the surplus above them split evenly. ``vw`` values the
    case (row ``r``) at its own numbers; ``need`` (slots x variants) and ``net`` (variants) follow from it.

    Returns the imposed terms, or None. The price is recorded: the parties lose
    ``escalation.impose_trust_loss`` of trust in each other, and objections follow with
    ``escalation.impose_objection_probability`` (drawn with the case, so policies share it).
    """
    p = model.p
    if not table.vertical or case.infrastructure_blocked or case.lacks_investor:
        return None
    v = int(np.argmax(net))
    if net[v] < -1e-6:
        return None
    signers = [(k, a) for k, a in enumerate(vw.agents[r]) if a is not None and (vw.seated[r, k] or vw.absent[r, k])]
    share = float(net[v]) / len(signers)
    claims = {a.unique_id: float(need[k, v]) + share for k, a in signers}
    openings = {}
    for k, a in signers:
        if vw.seated[r, k]:
            opening = AGENT_KINDS[a.kind].openings(vw.val, np.array([r]), [a], np.array([case.padding[k]]))[0, v]
            openings[a.unique_id] = max(float(need[k, v]), float(opening + vw.position[r, k] * vw.stake[r, k, v]))
    absent = tuple(a.unique_id for k, a in signers if vw.absent[r, k])
    terms = Terms(v, claims, {i: claims[i] for i in openings}, {a.unique_id: float(need[k, v]) for k, a in signers},
                  openings, float(vw.val.surplus[r, v]) + case.money_per_home - sum(claims[i] for i in absent),
                  case.money_per_home, absent, imposed=True)
    case.variant = v
    case.imposed = True
    if case.imposition_draw < p["escalation.impose_objection_probability"]:
        case.objection = True
    adjust_trust(model, case, case.parties, lambda a, b: -p["escalation.impose_trust_loss"])
    return terms

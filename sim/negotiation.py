"""One meeting's negotiation over a case (MODEL.md section 5).

Protocol: a multilateral monotonic concession protocol over the case's surplus, with
a single negotiation text. Every party holds a claim on the surplus per home (land
revenue, margin, return above requirement, rent reduction). In each round every party
moves its demand from its opening towards its reservation point along the
time-dependent curve target = res + (open - res) * (1 - t^(1/e)), with e set by its
autonomy, and the step is scaled by 1 + rho * (g - 1), where g is the others' mean step in the
previous round over the party's own (clipped to [0, 2]): more when others gave more,
less when they gave less (reciprocity, tit for tat). The table's decision rule then asks whether the
demands fit in the surplus; if so the text (who gets the slack) follows the chair.

Everything here is a function of the case, the parties and the format: no randomness,
so two policies on the same seed differ only where the policy reaches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from agents.base import Economy
from sim import economics as eco

EPS = 1e-9


@dataclass
class Terms:
    """What a meeting agreed: each party's final claim and the package behind it."""

    claims: dict[int, float]          # agent id -> EUR per home
    reservations: dict[int, float]
    openings: dict[int, float]
    surplus: float                    # EUR per home, money included
    money: float                      # EUR per home added by an intervention


@dataclass
class MeetingResult:
    agreed: bool
    rounds: int
    terms: Terms | None = None
    blocked_by: str = ""              # "tenant_knowledge", "infrastructure", "no_investor", "" (no fit yet)
    steps: dict[int, float] = field(default_factory=dict)   # concession moved this meeting per party


def surplus(case, econ: Economy, investor_return: float, corporation_return: float) -> float:
    """Surplus per home: rented homes' value above construction cost, plus free-sector land value."""
    c = econ.construction_cost
    return (case.share("midrent") * (econ.midrent_value(investor_return) - c)
            + case.share("social") * (econ.social_value(corporation_return) - c)
            + case.share("free") * econ.owner_land_price)


def perceived_surplus(total: float, specific: bool, margin: float) -> float:
    """A general question leaves the numbers vague: parties keep a safety margin."""
    return total if specific else total - margin * abs(total)


def accept(rule: str, targets: dict[int, float], reservations: dict[int, float], available: float,
           lead: int | None) -> tuple[bool, dict[int, float]]:
    """Apply a decision rule; return whether it accepts and the minimum claim of each party.

    consensus: every party gets its current demand.
    qualified_majority: two thirds get their demand; the rest are bound to the package
      as long as it still meets their reservation point.
    lead: the lead party gets its demand; the others sign anything at or above
      their reservation point (vertical steering, but nobody signs at a loss).
    """
    ids = list(targets)
    if rule == "lead" and lead in targets:
        need = {i: (targets[i] if i == lead else reservations[i]) for i in ids}
    elif rule == "qualified_majority" and len(ids) >= 3:
        bound = len(ids) - math.ceil(2 * len(ids) / 3)
        excess = sorted(ids, key=lambda i: targets[i] - reservations[i], reverse=True)
        outvoted = set(excess[:bound])
        need = {i: (reservations[i] if i in outvoted else targets[i]) for i in ids}
    else:
        need = dict(targets)
    return sum(need.values()) <= available + EPS, need


def divide(need: dict[int, float], available: float, chair: str, municipality_id: int | None,
           proposer: int) -> dict[int, float]:
    """Write the single negotiation text: who gets the slack above the minimum claims.

    An external chair splits it evenly; a municipal chair keeps it for the municipality;
    without a chair the round's proposer (alternating offers) takes it.
    """
    slack = max(0.0, available - sum(need.values()))
    final = dict(need)
    if chair == "external" or (chair == "municipality" and municipality_id not in final):
        for i in final:
            final[i] += slack / len(final)
    elif chair == "municipality":
        final[municipality_id] += slack
    else:
        final[proposer] += slack
    return final


def meet(case, parties, econ: Economy, *, rules: dict, available: float, money: float, lead: int | None,
         municipality_id: int | None, t_start: float, t_step: float, rounds: int, reciprocity: float,
         can_sign: bool, threshold: float = 0.01, hold: dict[int, float] | None = None,
         on_round=None) -> MeetingResult:
    """Negotiate ``case`` for one meeting of ``rounds`` rounds.

    ``case.concession`` holds each party's conceded share of its range and
    ``case.padding`` its padding at this level; both persist between meetings.
    ``t_start``/``t_step`` place the rounds on the concession clock in [0, 1].
    ``on_round(agent_id, conceded, others_conceded)`` receives every observed step for
    the conditional-concession measure; a step counts as a concession when it is at
    least ``threshold`` of the party's range. ``hold[i]`` is the share of its range a
    guarded party keeps back this meeting: it concedes at most ``1 - hold[i]``.
    """
    res = {a.unique_id: a.reservation(case, econ) for a in parties}
    opening = {a.unique_id: max(res[a.unique_id], a.opening(case, econ, case.padding[a.unique_id]))
               for a in parties}
    moved = {a.unique_id: 0.0 for a in parties}
    # A party with nothing to give (reservation == opening) neither concedes nor counts
    # as withholding a concession when others judge reciprocity.
    active = [a for a in parties if opening[a.unique_id] - res[a.unique_id] > EPS]
    for r in range(rounds):
        t0, t1 = t_start + r * t_step, t_start + (r + 1) * t_step
        steps = {}
        for a in active:
            i = a.unique_id
            e = eco.concession_exponent(a.autonomy)
            base = eco.concession_level(t1, e) - eco.concession_level(t0, e)
            others = [case.last_step[j] for j in case.last_step if j != i]
            if others and i in case.last_step:
                # tit for tat: others' mean step last round against my own (ratio clipped to [0, 2])
                ratio = min(2.0, (sum(others) / len(others)) / max(case.last_step[i], EPS))
                base *= 1.0 + reciprocity * (ratio - 1.0)
            cap = 1.0 - (hold or {}).get(i, 0.0)
            steps[i] = min(max(base, 0.0), max(0.0, cap - case.concession.setdefault(i, 0.0)))
        if on_round is not None and case.last_step:
            for i, s in steps.items():
                if i in case.last_step and case.concession[i] < 1.0 - EPS:  # could concede this round
                    on_round(i, s >= threshold,
                             any(case.last_step[j] >= threshold for j in case.last_step if j != i))
        had_room = {i for i in steps if case.concession[i] < 1.0 - EPS}
        for i, s in steps.items():
            case.concession[i] += s
            moved[i] += s
        # only parties that still had room count when others judge reciprocity next round
        case.last_step = {i: s for i, s in steps.items() if i in had_room}
        targets = {i: res[i] + (opening[i] - res[i]) * (1.0 - case.concession.get(i, 0.0)) for i in res}
        if not can_sign:  # blocked (infrastructure, no investor) or too early to sign: positions still move
            continue
        ok, need = accept(rules["decision_rule"], targets, res, available, lead)
        if ok:
            ids = list(res)
            final = divide(need, available, rules["chair"], municipality_id, ids[r % len(ids)])
            terms = Terms(final, res, opening, available, money)
            return MeetingResult(True, r + 1, terms, steps=moved)
    return MeetingResult(False, rounds, None, steps=moved)

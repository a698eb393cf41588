"""One meeting's negotiation over a case's package (MODEL.md section 5; docs/ODD.md 3.4.3).

A single negotiation text (Fisher and Ury; Raiffa's mediated single text) on two layers:

1. **The text** (integrative): which variant of the package (``sim/package.py``) is on the
   table. Before the rounds the text's writer may move it one step on one issue, to the
   neighbour it expects to leave the most surplus over what the parties need. Who writes
   is the chair's part: an external chair has heard every party in private caucus and sees
   through most of their padding; a municipal chair writes as the municipality sees it and
   steers towards its own interests; without a chair the parties write in turn, and since
   nobody arranges compensation, a party only accepts a move that costs it nothing. A
   writer that cannot see through a party's padding takes part of the padding for real need,
   so it can miss the packages where a gain on one issue pays for a loss on another. On a
   general question there is no concrete plan to work on and the text stays where it is.
2. **The division** (distributive): every party's demand moves from its opening towards its
   reservation along the time-dependent curve ``target = res + (open - res) (1 - t^(1/e))``,
   scaled by tit-for-tat reciprocity, and a guarded party holds part of its range back.
   Each round a proposal divides the available surplus; the table's decision rule decides.

Claims are in EUR per home of the case on the surplus of the current variant; absent
signatories (parties that must sign but are not seated) are reserved their guessed
reservation. Everything here is a deterministic function of its inputs: two policies on the
same seed differ only where the policy reaches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim import economics as eco

EPS = 1e-9


@dataclass
class Terms:
    """What a meeting agreed, at the variant on the table."""

    variant: int
    claims: dict[int, float]          # agent id -> final claim, EUR per home (seated and absent)
    needs: dict[int, float]           # seated: the claim each party had come down to (before slack)
    reservations: dict[int, float]    # seated and absent (absent: the table's guess)
    openings: dict[int, float]        # seated
    available: float                  # surplus + money - absent guesses, EUR per home
    money: float                      # EUR per home added by an intervention
    absent: tuple[int, ...] = ()      # signatories not at the table
    mediated: bool = False            # accepted on an external chair's proposal


@dataclass
class MeetingResult:
    agreed: bool
    rounds: int
    terms: Terms | None = None
    blocked_by: str = ""              # "tenant_knowledge", "assessment", "infrastructure", "no_investor", ""
    steps: dict[int, float] = field(default_factory=dict)   # share of its range each party conceded
    text_moved: bool = False


@dataclass
class Table:
    """The parts of a meeting the format fixes (``table.*`` switches) and its state this meeting."""

    chair: str                        # none | municipality | external
    decision_rule: str                # consensus | qualified_majority | lead
    lead: int | None                  # the municipality's id under the lead rule
    municipality: int | None          # the seated municipality's id
    chair_trust: float                # how far parties accept a neutral chair's proposal below their demand
    caucus_disclosure: float          # share of its padding a party reveals to an external chair


def perceived_surplus(surplus: np.ndarray, res: dict, targets: dict, writer, insight: dict) -> np.ndarray:
    """The net surplus a writer expects per variant: available surplus minus what it believes
    each party needs, taking ``1 - insight[j]`` of party j's remaining padding for need."""
    out = surplus.copy()
    for j in res:
        if j == writer:
            out -= res[j]
        else:
            out -= res[j] + (1.0 - insight.get(j, 0.0)) * (targets[j] - res[j])
    return out


def write_text(v: int, candidates: np.ndarray, surplus: np.ndarray, res: dict, targets: dict, writer,
               insight: dict, bonus: np.ndarray | None = None, compensate: bool = True) -> int:
    """Move the text to the candidate the writer expects to leave the most net surplus.

    ``bonus`` is what the writer adds for its own interests (a municipal chair's steering).
    Without a chair (``compensate=False``) nobody arranges compensation through the land price,
    so a move is only made if no other party's reservation rises: every party must see for
    itself that it loses nothing.
    """
    cand = np.concatenate(([v], candidates)).astype(int)
    z = perceived_surplus(surplus[cand], {j: r[cand] for j, r in res.items()},
                          {j: t[cand] for j, t in targets.items()}, writer, insight)
    if bonus is not None:
        z = z + bonus[cand]
    if not compensate:
        worse = np.zeros(len(cand), dtype=bool)
        for j, r in res.items():
            if j != writer:
                worse |= r[cand] > r[v] + 1e-6
        z = np.where(worse, -np.inf, z)
    best = int(np.argmax(z))
    return int(cand[best]) if z[best] > z[0] + 1e-6 else v


def minimum_claims(rule: str, targets: dict[int, float], res: dict[int, float], lead: int | None) -> dict:
    """What the decision rule lets each party insist on.

    consensus: every party its current demand. qualified_majority (3 or more parties): two
    thirds get their demand; the rest (those asking most above their reservation) are bound
    as long as the package still meets their reservation. lead: the lead party its demand,
    everyone else its reservation (vertical steering; nobody signs at a loss).
    """
    ids = list(targets)
    if rule == "lead" and lead in targets:
        return {i: (targets[i] if i == lead else res[i]) for i in ids}
    if rule == "qualified_majority" and len(ids) >= 3:
        bound = len(ids) - math.ceil(2 * len(ids) / 3)
        outvoted = set(sorted(ids, key=lambda i: targets[i] - res[i], reverse=True)[:bound])
        return {i: (res[i] if i in outvoted else targets[i]) for i in ids}
    return dict(targets)


def rule_accepts(rule: str, votes: dict[int, bool], lead: int | None) -> bool:
    n = len(votes)
    if rule == "lead" and lead in votes:
        return votes[lead]
    if rule == "qualified_majority" and n >= 3:
        return sum(votes.values()) >= math.ceil(2 * n / 3)
    return all(votes.values())


def mediated_proposal(targets: dict, res: dict, available: float, disclosure: float) -> dict | None:
    """An external chair's proposal from what the parties told it in private caucus.

    The chair estimates each reservation as ``res + (1 - disclosure) (target - res)``; if the
    estimates fit, it gives every party its estimate plus a share of the rest proportional to
    what the party still asks above it (a proportional claims rule; an equal split when nobody
    asks more). Nobody is offered less than its reservation.
    """
    est = {i: res[i] + (1.0 - disclosure) * (targets[i] - res[i]) for i in targets}
    rest = available - sum(est.values())
    if rest < -EPS:
        return None
    excess = {i: targets[i] - est[i] for i in targets}
    total = sum(excess.values())
    return {i: est[i] + max(rest, 0.0) * (excess[i] / total if total > EPS else 1.0 / len(est)) for i in est}


def divide_slack(needs: dict, available: float, chair: str, municipality: int | None, proposer: int) -> dict:
    """Who gets the slack above the minimum claims (the single text's division).

    A municipal chair keeps it for the municipality; without a chair the round's proposer
    (alternating offers) takes it; an external chair's text splits it evenly.
    """
    slack = max(0.0, available - sum(needs.values()))
    final = dict(needs)
    if chair == "municipality" and municipality in final:
        final[municipality] += slack
    elif chair == "none":
        final[proposer] += slack
    else:
        for i in final:
            final[i] += slack / len(final)
    return final


def meet(case, parties, *, table: Table, surplus: np.ndarray, res: dict[int, np.ndarray],
         opening: dict[int, np.ndarray], absent: dict[int, np.ndarray], money: float, candidates,
         writer, writer_insight: dict, writer_bonus: np.ndarray | None = None, t_start: float, t_step: float, rounds: int, reciprocity: float,
         threshold: float, hold: dict[int, float], can_sign: bool, ratio_cap: float = 2.0,
         on_round=None) -> MeetingResult:
    """Negotiate ``case`` for one meeting of ``rounds`` rounds.

    ``case.variant`` is the text's variant, ``case.concession`` each party's conceded share of
    its range and ``case.last_step`` the previous round's steps; all persist between meetings.
    ``res``/``opening`` map seated parties to arrays over variants, ``absent`` maps absent
    signatories to the table's guess of their reservation. ``candidates(v)`` gives the
    variants the text may move to from v (empty on a general question); ``writer`` is the
    agent id writing the text, ``"chair"`` for an external chair, or None.
    ``t_start``/``t_step`` place the rounds on the concession clock in [0, 1]. ``hold[i]`` is
    the share of its range a guarded party keeps back this meeting.
    ``on_round(agent_id, conceded, others_conceded)`` receives every observation of a party
    that was free to take its scheduled step: it "conceded" if it took at least that step
    (a smaller step is holding back against the others), and "others conceded" if another
    party stepped at least ``threshold`` of its range the round before.
    """
    ids = [a.unique_id for a in parties]
    conceded = case.concession
    for i in ids:
        conceded.setdefault(i, 0.0)
    moved = {i: 0.0 for i in ids}
    net = surplus + money - sum(absent.values()) if absent else surplus + money

    def targets_at(i):
        return res[i] + (opening[i] - res[i]) * (1.0 - conceded[i])

    text_moved = False
    if writer is not None:
        cand = candidates(case.variant)
        if len(cand):
            v_new = write_text(case.variant, cand, net, res, {i: targets_at(i) for i in ids}, writer, writer_insight,
                               writer_bonus, compensate=table.chair != "none")
            text_moved = v_new != case.variant
            case.variant = v_new
    v = case.variant
    r_v = {i: float(res[i][v]) for i in ids}
    o_v = {i: max(r_v[i], float(opening[i][v])) for i in ids}
    available = float(net[v])
    active = [a for a in parties if o_v[a.unique_id] - r_v[a.unique_id] > EPS]
    for r in range(rounds):
        t0, t1 = t_start + r * t_step, t_start + (r + 1) * t_step
        steps, free = {}, {}
        for a in active:
            i = a.unique_id
            e = eco.concession_exponent(a.autonomy)
            scheduled = eco.concession_level(t1, e) - eco.concession_level(t0, e)
            base = scheduled
            others = [case.last_step[j] for j in case.last_step if j != i]
            if others and i in case.last_step:
                # tit for tat: the others' mean step last round against my own (ratio clipped to [0, cap])
                ratio = min(ratio_cap, (sum(others) / len(others)) / max(case.last_step[i], EPS))
                base *= 1.0 + reciprocity * (ratio - 1.0)
            room = max(0.0, 1.0 - hold.get(i, 0.0) - conceded[i])
            steps[i] = min(max(base, 0.0), room)
            free[i] = scheduled > EPS and room > scheduled * (1.0 + reciprocity * (ratio_cap - 1.0)) + EPS
        if on_round is not None and case.last_step:
            for i, s in steps.items():
                if i in case.last_step and free[i]:
                    e = eco.concession_exponent(parties[ids.index(i)].autonomy)
                    scheduled = eco.concession_level(t1, e) - eco.concession_level(t0, e)
                    on_round(i, s >= scheduled * (1.0 - 1e-6),
                             any(case.last_step[j] >= threshold for j in case.last_step if j != i))
        had_room = {i for i in steps if conceded[i] < 1.0 - EPS}
        for i, s in steps.items():
            conceded[i] += s
            moved[i] += s
        # only parties that still had room count when others judge reciprocity next round
        case.last_step = {i: s for i, s in steps.items() if i in had_room}
        if not can_sign:  # blocked or too early to sign: positions still move
            continue
        targets = {i: r_v[i] + (o_v[i] - r_v[i]) * (1.0 - conceded[i]) for i in ids}
        terms = _agree(table, targets, r_v, o_v, available, money, absent, v, ids, r)
        if terms is not None:
            return MeetingResult(True, r + 1, terms, steps=moved, text_moved=text_moved)
    return MeetingResult(False, rounds, None, steps=moved, text_moved=text_moved)


def _agree(table: Table, targets, res, opening, available, money, absent, v, ids, r) -> Terms | None:
    """This round's proposal and vote; the agreed terms, or None."""
    absent_claims = {j: float(g[v]) for j, g in absent.items()}
    every_res = {**res, **absent_claims}
    if table.chair == "external":
        offer = mediated_proposal(targets, res, available, table.caucus_disclosure)
        if offer is not None:
            votes = {i: offer[i] >= res[i] + (1.0 - table.chair_trust) * (targets[i] - res[i]) - 1e-6 for i in ids}
            if rule_accepts(table.decision_rule, votes, table.lead):
                return Terms(v, {**offer, **absent_claims}, dict(offer), every_res, opening, available, money,
                             tuple(absent_claims), mediated=True)
    needs = minimum_claims(table.decision_rule, targets, res, table.lead)
    if sum(needs.values()) > available + EPS:
        return None
    final = divide_slack(needs, available, table.chair, table.municipality, ids[r % len(ids)])
    return Terms(v, {**final, **absent_claims}, needs, every_res, opening, available, money, tuple(absent_claims))

"""Tables: a format, its members' cases on the agenda, a meeting calendar and a memory.

A structural table keeps what its members learned (insight) and the trust they built
in the model's trust graph; a one-off table gives each case a fresh start and forgets
afterwards. The negotiation itself is :mod:`sim.negotiation`; this module decides who
sits at the table for a case, how much they pad, and what a meeting teaches them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.base import returns_for
from sim import negotiation
from sim.case import LEVELS


@dataclass
class Means:
    """What a level of the ladder can bring to a stuck case (MODEL.md section 6)."""

    mediation: float = 0.0       # insight every party is given on admission (reveals reservation points)
    money: float = 0.0           # EUR per home it may add to close a financial gap
    process_help: int = 0        # months of procedure it saves
    impose: bool = False         # vertical table: may overrule a municipality's vision premium
    infrastructure: bool = False  # can move an infrastructure bottleneck
    mix_change: float = 0.0      # share of mid-rent homes it may turn into free-sector homes


@dataclass
class Table:
    id: int
    name: str
    level: int
    switches: dict
    means: Means = field(default_factory=Means)
    capacity: int | None = None          # cases at once (None: unlimited); per landsdeel if per_landsdeel
    per_landsdeel: bool = False          # national table: one member per landsdeel, each with `capacity`
    phase: int = 0
    agenda: list = field(default_factory=list)
    queue: list = field(default_factory=list)
    insight: dict = field(default_factory=dict)   # agent id -> insight (structural memory)
    learned: bool = False
    meetings: int = 0

    @property
    def level_name(self) -> str:
        return LEVELS[self.level]

    @property
    def structural(self) -> bool:
        return self.switches["permanence"] == "structural"

    def meets(self, month: int) -> bool:
        return (month - self.phase) % self.switches["meeting_interval"] == 0

    def has_room(self, case) -> bool:
        if self.capacity is None:
            return True
        if self.per_landsdeel:
            ld = case.municipality.landsdeel
            return sum(1 for c in self.agenda if c.municipality.landsdeel == ld) < self.capacity
        return len(self.agenda) < self.capacity

    def parties(self, case) -> list:
        """The case's cast that this table's membership seats, and that has a stake in it."""
        cast = case.cast
        seated = []
        for kind in ("municipality", "corporation", "investor", "developer", "tenant"):
            agent = cast.get(kind)
            if agent is None or kind not in self.switches["members"]:
                continue
            if kind == "investor" and case.homes["midrent"] == 0:
                continue
            if kind == "corporation" and case.homes["social"] == 0:
                continue
            seated.append(agent)
        if case.land_owner == "developer" and cast.get("developer") not in seated and "developer" in cast:
            seated.append(cast["developer"])  # whoever owns the land sits at the table
        return seated


def mean_trust(model, case, agent, others) -> float:
    if not others:
        return model.p["trust.initial"]
    if case.trust_local is not None:  # one-off table: trust that lives and dies with the case
        t0 = model.p["trust.initial"]
        vals = [case.trust_local.get((agent.unique_id, o.unique_id), t0) for o in others]
    else:
        vals = [model.trust_between(agent, o) for o in others]
    return sum(vals) / len(vals)


def adjust_trust(model, case, parties, delta_for) -> None:
    """Apply ``delta_for(i, j)`` to trust of i in j, in the table's memory or the case's own."""
    for a in parties:
        for b in parties:
            if a is b:
                continue
            d = delta_for(a, b)
            if not d:
                continue
            if case.trust_local is not None:
                key = (a.unique_id, b.unique_id)
                case.trust_local[key] = min(1.0, max(0.0, case.trust_local.get(key, model.p["trust.initial"]) + d))
            else:
                model.add_trust(a, b, d)


def insight_of(table: Table, case, agent, base: float) -> float:
    store = table.insight if table.structural else case.insight_local
    return store.get(agent.unique_id, base)


def set_insight(table: Table, case, agent, value: float) -> None:
    store = table.insight if table.structural else case.insight_local
    store[agent.unique_id] = min(1.0, max(0.0, value))


def base_insight(agent) -> float:
    """What a party understands of the others' arithmetic before meeting them."""
    if agent.kind == "municipality":
        return 0.5 * agent.financial_expertise
    if agent.kind == "tenant":
        return 0.5 * agent.effective_knowledge
    return 0.2


def learning_programme(model, table: Table, case, parties) -> None:
    """Joint sessions on each other's interests and arithmetic (seed 002), before negotiating."""
    n = table.switches["learning_sessions"]
    gain = model.p["learning.insight_gain"]
    for _ in range(n):
        for a in parties:
            v = insight_of(table, case, a, base_insight(a))
            set_insight(table, case, a, v + 2 * gain * (1 - v))
        adjust_trust(model, case, parties, lambda a, b: gain / 2)


def seat(model, table: Table, case) -> None:
    """Bring a case to this table: set who negotiates and how much each pads.

    Padding falls with trust and with insight (000: 'inzicht in elkaars belangen');
    a general question makes everyone pad more. Mediation at higher levels reveals
    reservation points, which is modelled as insight.
    """
    parties = table.parties(case)
    case.parties = parties
    if not table.structural:
        case.trust_local = {}
        case.insight_local = {}
    else:
        case.trust_local = None
    if table.switches["learning_sessions"] and (not table.structural or not table.learned):
        learning_programme(model, table, case, parties)
        table.learned = True
    for a in parties:
        if table.means.mediation:
            set_insight(table, case, a, max(insight_of(table, case, a, base_insight(a)), table.means.mediation))
    pad = model.p["negotiation.padding"]
    factor = 1.0 if case.specific else model.p["negotiation.general_question_padding"]
    for a in parties:
        distrust = guardedness(model, table, case, a)
        case.padding[a.unique_id] = min(1.0, pad * factor * distrust)
    case.meetings_at_level = 0


def guardedness(model, table: Table, case, agent) -> float:
    """(1 - trust) * (1 - insight) of a party at this table, in [0, 1].

    How guarded a party is: it pads its opening by this much and, at the end of the
    clock, keeps this much of its range back (MODEL.md 5.4, 6: 'padding and low trust keep
    the parties apart'). At a vertical table governments steer, so trust matters half
    as much (seed 003).
    """
    others = [o for o in case.parties if o is not agent]
    trust = mean_trust(model, case, agent, others)
    if table.switches["orientation"] == "vertical":
        trust = 0.5 * (trust + 0.5)
    insight = insight_of(table, case, agent, base_insight(agent))
    return (1.0 - trust) * (1.0 - insight)


def available_surplus(model, case, with_money: bool = True) -> float:
    """The surplus per home the parties see: value above cost, plus intervention money,
    less the safety margin they keep on a general question."""
    econ = model.economy.local(case.municipality)
    investor_k, corp_k = returns_for(case, model)
    total = negotiation.surplus(case, econ, investor_k, corp_k) + (case.money_per_home if with_money else 0.0)
    return negotiation.perceived_surplus(total, case.specific, model.p["negotiation.general_question_margin"])


def deadline_for(case, p) -> int:
    """Meetings on the concession clock: performance agreements get the meetings they need first."""
    d = p["negotiation.meetings_to_deadline"]
    return d + p["performance.meetings_required"] - 1 if case.kind == "performance" else d


def financial_gap(model, case) -> float:
    """Reservation points minus available surplus: > 0 means no zone of agreement."""
    econ = model.economy.local(case.municipality)
    return sum(a.reservation(case, econ) for a in case.parties) - available_surplus(model, case)


def hold_meeting(model, table: Table, case, month: int):
    """One meeting on one case: negotiate, then learn and update trust.

    A tenant organisation that does not yet know the themes (seed 004) cannot negotiate:
    the meeting is spent explaining, it learns, and the concession clock does not move,
    so the case is delayed rather than failed. A performance agreement needs
    ``performance.meetings_required`` meetings before it can be signed (the bid, the
    reaction, the negotiation, the signing).
    """
    p = model.p
    parties = case.parties
    econ = model.economy.local(case.municipality)
    ids = {a.kind: a.unique_id for a in parties}
    available = available_surplus(model, case)
    tenant = case.cast.get("tenant")
    tenant_ready = tenant is None or tenant not in parties or \
        tenant.effective_knowledge >= p["tenant.knowledge_required"]
    no_buyer = case.lacks_investor
    deadline = deadline_for(case, p)
    rounds = p["negotiation.rounds_per_meeting"]
    if not tenant_ready and case.tenant_waits < deadline:
        case.tenant_waits += 1  # after a full clock of waiting the others sign without its consent
        result = negotiation.MeetingResult(False, 0, None, "tenant_knowledge")
    else:
        too_early = case.kind == "performance" and case.meetings + 1 < p["performance.meetings_required"]
        hold = {a.unique_id: p["negotiation.distrust_hold"] * guardedness(model, table, case, a) for a in parties}
        lead = ids.get("municipality") if table.switches["decision_rule"] == "lead" else None
        rules = {"decision_rule": table.switches["decision_rule"], "chair": table.switches["chair"]}
        result = negotiation.meet(
            case, parties, econ, rules=rules, available=available, money=case.money_per_home, lead=lead,
            municipality_id=ids.get("municipality") if case.land_owner == "municipality" else None,
            t_start=case.meetings_at_level / deadline, t_step=1.0 / (rounds * deadline), rounds=rounds,
            reciprocity=p["negotiation.reciprocity"], threshold=p["negotiation.concession_threshold"], hold=hold,
            can_sign=not (case.infrastructure_blocked or no_buyer or too_early),
            on_round=model.recorder.concession_observed)
        if case.infrastructure_blocked or no_buyer:
            result.blocked_by = "no_investor" if no_buyer else "infrastructure"
        case.meetings_at_level += 1
    case.blocked_by = result.blocked_by
    case.meetings += 1
    table.meetings += 1
    model.recorder.meeting(month, table, case, result)
    # learning: insight grows with every meeting, faster with an external chair
    gain = p["learning.insight_gain"] * (2.0 if table.switches["chair"] == "external" else 1.0)
    for a in parties:
        v = insight_of(table, case, a, base_insight(a))
        set_insight(table, case, a, v + gain * (1 - v))
        if a.kind == "tenant":
            a.learn(p["learning.insight_gain"])
    # trust: reciprocated concessions build it, unreciprocated ones erode it
    steps = result.steps
    tg, tl = p["trust.gain"], p["trust.loss"]

    def delta(a, b):
        if result.agreed:
            return tg
        mine, theirs = steps.get(a.unique_id, 0.0), steps.get(b.unique_id, 0.0)
        if mine <= negotiation.EPS:
            return 0.0
        return tg / 4 if theirs >= 0.5 * mine else -tl / 4

    adjust_trust(model, case, parties, delta)
    return result

"""Tables: a format, its members, an agenda of cases, a meeting calendar and a memory.

A structural table keeps what its members learned (insight) and the trust they built in the
model's trust store, and holds its learning programme once for all its members; a one-off
table gives each case a fresh start (and its own programme) and forgets afterwards. The
negotiation itself is :mod:`sim.negotiation`; this module decides who sits at the table for a
case, who must sign without sitting there, how guarded each party is, and what a meeting
teaches them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from agents import KINDS as AGENT_KINDS
from agents import Municipality
from sim import negotiation
from sim.case import LEVELS
from sim.package import space_for
from sim.valuation import KINDS, SLOT, Valuation, value_cases


@dataclass
class Means:
    """What a level of the ladder can bring to a stuck case (MODEL.md section 6)."""

    mediation: float = 0.0       # insight every party is given on admission (reveals reservation points)
    money: float = 0.0           # EUR per home it may add to close a financial gap
    process_help: int = 0        # months of procedure it saves
    infrastructure: bool = False  # can move an infrastructure bottleneck
    mix_levels: int = 1          # mix steps towards free-sector homes it may put on the table
    cases_per_year: float = math.inf  # cases it can take up a year (per landsdeel member at the national table)
    min_homes: int = 0           # size from which a case is of (regional or national) significance


@dataclass
class Table:
    id: int                              # row of the model's insight array
    name: str
    level: int
    switches: dict
    area: list                           # municipalities it serves
    means: Means = field(default_factory=Means)
    per_landsdeel: bool = False          # national table: one member per landsdeel, each with its own intake
    phase: int = 0
    agenda: list = field(default_factory=list)
    queue: list = field(default_factory=list)
    learned: bool = False
    meetings: int = 0
    intake: dict = field(default_factory=dict)    # landsdeel ("" for one member) -> cases it may still take up
    # read from the level and the switches once (a table's switches are its format's and do not change;
    # these are asked some 170,000 times in a national run)
    level_name: str = field(init=False)
    structural: bool = field(init=False)          # keeps trust and insight between cases
    vertical: bool = field(init=False)            # governments steer (seed 003)

    def __post_init__(self):
        self.level_name = LEVELS[self.level]
        self.structural = self.switches["permanence"] == "structural"
        self.vertical = self.switches["orientation"] == "vertical"

    def meets(self, month: int) -> bool:
        return (month - self.phase) % self.switches["meeting_interval"] == 0

    def member_key(self, case) -> str:
        return case.municipality.landsdeel if self.per_landsdeel else ""

    def refill_intake(self, buffer_months: float) -> None:
        """Monthly: each member's intake grows by a twelfth of its yearly capacity; unused intake
        keeps for at most ``buffer_months`` (and at least one case)."""
        rate = self.means.cases_per_year / 12.0
        keys = {m.landsdeel for m in self.area} if self.per_landsdeel else {""}
        for k in keys:
            self.intake[k] = min(max(1.0, buffer_months * rate), self.intake.get(k, 0.0) + rate)

    def parties(self, case) -> list:
        """The case's cast that this table's membership seats, and that has a stake in it."""
        cast = case.cast
        seated = []
        for kind in ("municipality", "corporation", "investor", "developer", "tenant"):
            agent = cast.get(kind)
            if agent is None:
                continue
            landowner = kind == "developer" and case.land_owner == "developer"  # whoever owns the land sits there
            if kind not in self.switches["members"] and not landowner:
                continue
            if kind == "investor" and case.homes["midrent"] == 0:
                continue
            if kind == "corporation" and case.homes["social"] == 0:
                continue
            seated.append(agent)
        return seated


def signatories(case) -> list:
    """Who must sign an agreement on the case, seated or not (MODEL.md 5.2).

    The municipality (its land or its zoning), the developer who builds, the investor that
    buys the mid-rent homes, the corporation that takes the social homes; the tenant
    organisation co-signs performance agreements (Woningwet 2015).
    """
    cast, out = case.cast, []
    for kind in ("municipality", "corporation", "investor", "developer", "tenant"):
        agent = cast.get(kind)
        if agent is None:
            continue
        if kind == "investor" and case.homes["midrent"] == 0:
            continue
        if kind == "corporation" and case.homes["social"] == 0:
            continue
        if kind == "tenant" and case.kind != "performance":
            continue
        out.append(agent)
    return out


# --- trust and insight stores ---------------------------------------------------------
# Structural tables keep trust in the model's store (agents x agents, sim/trust.py) and insight in
# the model's table x agent array; a one-off table keeps both in the case, by party slot:
# ``case.trust_local`` (5 x 5) and ``case.insight_local`` (5), NaN where nothing is known yet.

def trust_in(model, case, agent, other) -> float:
    if case.trust_local is not None:  # one-off table: trust that lives and dies with the case
        return float(case.trust_local[SLOT[agent.kind], SLOT[other.kind]])
    return model.trust_between(agent, other)


def adjust_trust(model, case, parties, delta_for) -> None:
    """Apply ``delta_for(i, j)`` to trust of i in j: in the case's own store at once, or in the
    model's store at the end of the month (a learning session's trust, which counts at once at
    a structural table, goes through ``HousingTablesModel.trust_among``)."""
    if case.trust_local is None:
        model.add_trust([(a, b, d) for a in parties for b in parties if a is not b and (d := delta_for(a, b))])
        return
    for a in parties:
        for b in parties:
            if a is b:
                continue
            d = delta_for(a, b)
            if d:
                i, j = SLOT[a.kind], SLOT[b.kind]
                case.trust_local[i, j] = min(1.0, max(0.0, case.trust_local[i, j] + d))


def insight_of(model, table: Table, case, agent) -> float:
    if table.structural:
        v = model.insight[table.id, model.agent_index[agent.unique_id]]
    else:
        v = case.insight_local[SLOT[agent.kind]]
    return base_insight(agent) if v != v else float(v)


def set_insight(model, table: Table, case, agent, value: float) -> None:
    value = min(1.0, max(0.0, value))
    if table.structural:
        model.insight[table.id, model.agent_index[agent.unique_id]] = value
    else:
        case.insight_local[SLOT[agent.kind]] = value


def learned(insight: float, gain: float) -> float:
    """Insight after learning ``gain`` of what is still to learn, in [0, 1]."""
    return min(1.0, max(0.0, insight + gain * (1 - insight)))


def learn_insight(model, table: Table, case, agent, gain: float) -> None:
    set_insight(model, table, case, agent, learned(insight_of(model, table, case, agent), gain))


def guardedness_rows(model, items: list, seated: np.ndarray, agents: list, idx: np.ndarray) -> np.ndarray:
    """(1 - trust) * (1 - insight) of every seated party of every (table, case) item, shape (M, 5).

    How guarded a party is: it pads its opening by this much and keeps this much of its range
    back (MODEL.md 5.4, 6: 'padding and low trust keep the parties apart'). The trust that
    counts is its mean trust in the other parties; under a municipal chair, whose text it
    must accept, its trust in the municipality. At a vertical table governments steer, so
    trust counts only ``trust.vertical_weight`` as much, the rest taken at ``trust.vertical_anchor``
    (seed 003). ``seated``, ``agents``, ``idx``: the items' slots (``slot_rows``).
    """
    p = model.p
    m = len(items)
    n = len(KINDS)
    trust = model.trust_store.value[idx[:, :, None], idx[:, None, :]]
    insight = model.insight[np.array([t.id for t, _ in items], dtype=int)[:, None], idx]
    # what a party knows before meeting (empty slots count for nothing: the result is masked by ``seated``)
    base = np.full((m, n), p["learning.base_insight"])
    tenant = SLOT["tenant"]
    for r in seated[:, tenant].nonzero()[0]:
        base[r, tenant] = base_insight(agents[r][tenant])
    for r, (table, case) in enumerate(items):
        if case.trust_local is not None:
            trust[r] = case.trust_local
        if not table.structural:
            insight[r] = case.insight_local
    vertical = np.array([table.vertical for table, _ in items], dtype=bool)
    muni_chair = np.array([table.switches["chair"] == "municipality" for table, _ in items], dtype=bool) \
        & seated[:, SLOT["municipality"]]
    if negotiation.kernel_loaded():
        from sim import view_kernel
        return view_kernel.guardedness(trust, insight, base, seated, vertical, muni_chair, p)
    return guarded(trust, insight, base, seated, vertical, muni_chair, p)


def guarded(trust: np.ndarray, insight: np.ndarray, base: np.ndarray, seated: np.ndarray, vertical: np.ndarray,
            muni_chair: np.ndarray, p: dict) -> np.ndarray:
    """``guardedness_rows``' arithmetic on what it gathered: each slot's trust in each other slot (M, 5, 5),
    its insight (NaN: none learned yet, then ``base``), who is seated, which tables are vertical and which
    are chaired by their seated municipality. ``sim.view_kernel.guardedness`` gives the same numbers compiled."""
    n = len(KINDS)
    insight = np.where(np.isnan(insight), base, insight)
    others = seated[:, None, :] & ~np.eye(n, dtype=bool)[None, :, :]            # (M, i, j)
    count = others.sum(axis=2)
    mean = np.where(count > 0, (trust * others).sum(axis=2) / np.maximum(count, 1), p["trust.initial"])
    in_muni = trust[:, :, SLOT["municipality"]]
    is_muni = np.arange(n)[None, :] == SLOT["municipality"]
    tau = np.where(muni_chair[:, None] & ~is_muni, in_muni, mean)
    w = p["trust.vertical_weight"]
    tau = np.where(vertical[:, None], w * tau + (1.0 - w) * p["trust.vertical_anchor"], tau)
    return np.where(seated, (1.0 - tau) * (1.0 - insight), 0.0)


def base_insight(agent) -> float:
    """What a party understands of the others' arithmetic before meeting them.

    A tenant organisation's insight grows with its knowledge of the themes; the professional
    parties start from ``learning.base_insight``. (A municipality's financial expertise acts
    on what others can make it believe, not on its own padding: ``seat``.)
    """
    p = agent.model.p
    if agent.kind == "tenant":
        return p["tenant.insight_per_knowledge"] * agent.effective_knowledge
    return p["learning.base_insight"]


def learning_programme(model, table: Table, case, parties) -> None:
    """Joint sessions on each other's interests and arithmetic (seed 002), before negotiating.

    Each session adds ``learning.session_gain`` of the insight still to gain and
    ``learning.session_trust`` to trust between every pair of participants.
    """
    n = table.switches["learning_sessions"]
    gain, trust = model.p["learning.session_gain"], model.p["learning.session_trust"]
    for _ in range(n):
        for a in parties:
            learn_insight(model, table, case, a, gain)
        if case.trust_local is None:
            model.trust_among(parties, trust)
        else:
            adjust_trust(model, case, parties, lambda a, b: trust)


def roster(model, table: Table) -> list:
    """A structural table's members: the municipalities it serves, their corporations and tenant
    organisations (where the format seats them), and the market parties of its membership."""
    members = table.switches["members"]
    area = set(m.unique_id for m in table.area)
    out = [m for m in table.area if "municipality" in members]
    for corp in model.corporations:
        if any(m.unique_id in area for m in corp.working_area):
            if "corporation" in members:
                out.append(corp)
            if "tenant" in members:
                out.append(model.tenant_of[corp.unique_id])
    if "investor" in members:
        out += model.investors
    if "developer" in members:
        out += model.developers
    return out


# --- seating --------------------------------------------------------------------------
_NOTHING_YET = np.full(len(KINDS), np.nan)   # per slot: no step taken, nothing learned (copied: np.full costs more)


def seat(model, table: Table, case, pad: bool = True) -> None:
    """Bring a case to this table: who negotiates, who must sign from a distance, and how much each pads.

    Padding falls with trust and insight (000: 'inzicht in elkaars belangen'). Parties facing
    a municipality that cannot judge a business case pad more (seed 004: assessing a bid
    'vergt financiële kennis'); mediation at higher levels reveals reservation points, which is
    modelled as insight. ``pad=False`` leaves the padding to a later ``set_padding`` for many cases at once.
    """
    p = model.p
    parties = table.parties(case)
    case.parties = parties
    case.absent = [a for a in signatories(case) if a not in parties]
    case.table = table
    if case.conceded is None:  # concessions and the record carry over between levels (3.4.6)
        case.conceded, case.last = np.zeros(len(KINDS)), _NOTHING_YET.copy()
    if not table.structural:
        case.trust_local = np.full((len(KINDS), len(KINDS)), p["trust.initial"])
        case.insight_local = _NOTHING_YET.copy()
    else:
        case.trust_local = None
    if table.switches["learning_sessions"]:
        if not table.structural:
            learning_programme(model, table, case, parties)
        elif not table.learned:
            learning_programme(model, table, case, roster(model, table) or parties)
            table.learned = True
    for a in parties:
        if table.means.mediation:
            set_insight(model, table, case, a, max(insight_of(model, table, case, a), table.means.mediation))
    if table.switches["specificity"] == "concrete":
        case.concrete = True  # a higher table works on the concrete case (seed 003: 'interveniëren bij knelpunten')
    if table.means.process_help:   # before the package space: priority is on the table only if it saves more
        case.process_help = max(case.process_help, table.means.process_help)
    case.space = space_for(case, p, concrete=case.concrete, mix_levels=table.means.mix_levels, shared=model.spaces)
    case.variant = case.space.plan
    case.slots = None
    case.slots = slot_agents(case)
    if pad:
        set_padding(model, [(table, case)])
    case.meetings_at_level = 0
    case.assessment_meetings = assessment_meetings(model, table, case)


def assessment_meetings(model, table: Table, case) -> int:
    """Meetings the seated municipality needs to assess the case's business case before it can sign
    (seed 004: assessing a bid 'vergt financiële kennis'), fewer with expertise. None for an
    initial-pipeline case, or while the question is general: its business case exists only once the
    plan is worked out (``Model.work_out``), and that is when the municipality assesses it."""
    muni = case.cast.get("municipality")
    if muni not in case.parties or case.kind == "pipeline" or not case.concrete:
        return 0
    return math.ceil(model.p["municipality.assessment_meetings"]
                     * (1.0 - muni.expertise(pooled_expertise(model, table))))


def set_padding(model, items: list) -> None:
    """Each seated party's padding at its table: ``negotiation.padding`` x guardedness, more facing a
    municipality that cannot check a business case (``negotiation.expertise_padding``)."""
    if not items:
        return
    p = model.p
    agents, seated, _, idx = slot_rows(model, [c for _, c in items])
    guarded = guardedness_rows(model, items, seated, agents, idx)
    m = SLOT["municipality"]
    exploit = np.zeros(len(items))
    for r, (table, case) in enumerate(items):
        if seated[r, m]:
            exploit[r] = p["negotiation.expertise_padding"] * (1.0 - agents[r][m].expertise(pooled_expertise(model, table)))
    factor = np.where(np.arange(len(KINDS))[None, :] == m, 1.0, 1.0 + exploit[:, None])
    padding = np.where(seated, np.minimum(1.0, p["negotiation.padding"] * factor * guarded), 0.0)
    for r, (_, case) in enumerate(items):
        case.padding = padding[r]


def pooled_expertise(model, table: Table) -> float:
    """A regional expertise pool's level where the table has one (``table.expertise_pool``)."""
    return model.p["municipality.pool_expertise"] if table.switches["expertise_pool"] else 0.0


def guardedness(model, table: Table, case, agent) -> float:
    """One party's guardedness at this table (``guardedness_rows`` for one case)."""
    agents, seated, _, idx = slot_rows(model, [case])
    return float(guardedness_rows(model, [(table, case)], seated, agents, idx)[0, SLOT[agent.kind]])


def deadline_for(case, p) -> int:
    """Meetings on the concession clock: performance agreements get the meetings they need first."""
    d = p["negotiation.meetings_to_deadline"]
    return d + p["performance.meetings_required"] - 1 if case.kind == "performance" else d


# --- valuation ------------------------------------------------------------------------
@dataclass
class View:
    """Cases valued in one month with every signatory's numbers, as arrays over (case, slot, column).

    A column is a variant of the case's package: all of them in variant order (``columns`` None:
    column v is variant v, padded to the widest case), or the ones ``columns`` names per case.
    """

    val: Valuation
    agents: list                 # M lists of 5: the slot's agent (seated or absent signatory) or None (the cases' own)
    seated: np.ndarray           # (M, 5) bool
    absent: np.ndarray           # (M, 5) bool
    own: np.ndarray              # (M, 5, V) each party's own reservation, without its board's position
    stake: np.ndarray            # (M, 5, V)
    position: np.ndarray         # (M, 5) its board's position this month (share of stake)
    standard: np.ndarray | None  # (M, 5, V) the market-standard guess, for absent parties (``view(guesses=True)``)
    idx: np.ndarray              # (M, 5) the slots' rows of the model's agent arrays (``slot_rows``)
    board_margin: float = 0.0    # room kept for an absent party's board (negotiation.board_margin)
    columns: np.ndarray | None = None  # (M, W) the variant of each column (-1: padding); None: all variants

    def rows(self, rows: list) -> "View":
        """The same view restricted to some cases, and to the columns those cases have: exactly
        what ``view`` would compute for them alone (every value is per case and variant)."""
        idx = np.asarray(rows, dtype=int)
        if self.columns is None:
            width = max(self.val.cases[i].space.size for i in rows)
        else:
            width = int((self.columns[idx] >= 0).sum(axis=1).max())
        return View(self.val.rows(idx, width), [self.agents[i] for i in rows], self.seated[idx], self.absent[idx],
                    self.own[idx, :, :width], self.stake[idx, :, :width], self.position[idx],
                    None if self.standard is None else self.standard[idx, :, :width], self.idx[idx],
                    self.board_margin, None if self.columns is None else self.columns[idx, :width])

    def column_of(self, rows: np.ndarray, variants: np.ndarray) -> np.ndarray:
        """The column holding each of ``rows``' ``variants`` (which the view must have valued)."""
        if self.columns is None:
            return np.asarray(variants, dtype=int)
        return np.argmax(self.columns[rows] == np.asarray(variants)[:, None], axis=1)

    def true_need(self) -> np.ndarray:
        """Every signatory's own reservation with its board's current position (0 for empty slots)."""
        return self.own + self.position[:, :, None] * self.stake

    def table_res(self, margin: np.ndarray) -> np.ndarray:
        """Reservations as the table sees them: a seated party's own, its board's position and the room
        its negotiator keeps without a mandate (``margin``, per case); an absent party's guess, or
        its own numbers and board position once a veto made them known, with the same room for its
        board."""
        seated = self.own + (self.position + margin[:, None])[:, :, None] * self.stake
        # an absent party decides at its board, so the table keeps the room a negotiator without a
        # mandate would keep; once a veto made its numbers known, its board's position counts too
        room = self.board_margin * self.stake
        absent = np.where(self.known()[:, :, None], self.own + self.position[:, :, None] * self.stake,
                          self.standard) + room
        return np.where(self.seated[:, :, None], seated, np.where(self.absent[:, :, None], absent, 0.0))

    def known(self) -> np.ndarray:
        """(M, 5): the absent signatories whose own numbers a veto made known to the table."""
        known = np.zeros(self.seated.shape, dtype=bool)
        for r in self.absent.any(axis=1).nonzero()[0]:
            case = self.val.cases[r]
            known[r] = [a is not None and a.unique_id in case.known for a in self.agents[r]]
        return known

    def openings(self, res: np.ndarray, padding: np.ndarray) -> np.ndarray:
        """Each seated party's first demand at the table: its own reservation, what it asks above it
        (``Actor.asks``: ``padding``, per case and slot, of its stake) and its board's position; never
        below its reservation as the table sees it (``res``, ``table_res``)."""
        opening = np.zeros(res.shape)
        for k, kind in enumerate(KINDS):
            rows = self.seated[:, k].nonzero()[0]
            if len(rows):
                who = [self.agents[r][k] for r in rows.tolist()]
                ask = AGENT_KINDS[kind].asks(self.val, rows, who, padding[rows, k], self.stake[rows, k])
                opening[rows, k] = np.maximum(res[rows, k], self.own[rows, k] + ask
                                              + self.position[rows, k, None] * self.stake[rows, k])
        return opening

    def total(self, x: np.ndarray) -> np.ndarray:
        """Sum over the signatories, seated ones first, each group in slot order (as the parties are listed)."""
        out = np.zeros(x.shape[:1] + x.shape[2:])
        for mask in (self.seated, self.absent):
            for k in range(len(KINDS)):
                out = out + np.where(mask[:, k, None], x[:, k], 0.0)
        return out


def slot_agents(case) -> tuple[list, list, list]:
    """The case's agent per slot, and whether it is seated or an absent signatory (kept from its seating)."""
    if case.slots is not None:
        return case.slots
    seated_ids = {a.unique_id for a in case.parties}
    absent_ids = {a.unique_id for a in case.absent}
    agents, seated, absent = [], [], []
    for kind in KINDS:
        a = case.cast.get(kind)
        s = a is not None and a.unique_id in seated_ids
        b = a is not None and a.unique_id in absent_ids
        agents.append(a if (s or b) else None)
        seated.append(s)
        absent.append(b)
    return agents, seated, absent


def slot_rows(model, cases: list) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """The cases' slots at once: the agent of each slot (``slot_agents``), seated (M, 5), absent
    (M, 5), and the slots' rows of the model's agent arrays (M, 5; 0 for an empty slot). The
    arrays' rows are kept with the case's slots, which change only at seating."""
    agents, flags, rows = [], [], []
    for case in cases:
        slots = case.slots if case.slots is not None else slot_agents(case)
        cached = case.slot_index
        if cached is None or cached[0] is not slots:
            cached = case.slot_index = (
                slots, tuple(model.agent_index[a.unique_id] if a is not None else 0 for a in slots[0]),
                (*slots[1], *slots[2]))
        agents.append(slots[0])
        rows.append(cached[1])
        flags.append(cached[2])
    n, m = len(KINDS), len(cases)
    flags = np.fromiter(chain.from_iterable(flags), dtype=bool, count=2 * n * m).reshape(m, 2 * n)
    return agents, flags[:, :n], flags[:, n:], np.fromiter(chain.from_iterable(rows), dtype=int,
                                                           count=n * m).reshape(m, n)


def view(model, cases: list, month: int, known_cost=None, economy=None, guesses: bool = False,
         variants=None) -> View:
    """Value ``cases`` this month and every signatory's reservation, stake and board position;
    ``guesses``: also the market-standard reservations a table assumes for absent signatories
    (only a table's reading of the reservations needs them: ``View.table_res``); ``variants``:
    some variants per case instead of all (``value_cases``; an array (cases, columns) becomes the
    view's ``columns``)."""
    val = value_cases(model, cases, month, known_cost, economy, variants)
    agents, seated, absent, idx = slot_rows(model, cases)
    drift = model.drift[:, min(month, model.drift.shape[1] - 1)]
    position = np.where(seated | absent, drift[idx], 0.0)
    if negotiation.kernel_loaded():
        from sim import view_kernel
        own, stake, standard = view_kernel.slot_values(val, agents, seated, absent, guesses, model.p)
    else:
        own, stake, standard = slot_values(val, agents, seated, absent, guesses)
    columns = None if variants is None or np.ndim(variants) < 2 else np.asarray(variants, dtype=int)
    return View(val, agents, seated, absent, own, stake, position, standard, idx,
                model.p["negotiation.board_margin"], columns)


def slot_values(val: Valuation, agents: list, seated: np.ndarray, absent: np.ndarray, guesses: bool) -> tuple:
    """Every signatory's own reservation, stake and (``guesses``) market-standard reservation, each
    of shape (cases, 5, columns), by its kind's formulas (``agents/*``); ``sim.view_kernel`` gives
    the same numbers compiled."""
    m, width = val.size
    own = np.zeros((m, len(KINDS), width))
    stake = np.zeros(own.shape)
    standard = np.zeros(own.shape) if guesses else None
    for k, kind in enumerate(KINDS):
        rows = (seated[:, k] | absent[:, k]).nonzero()[0]
        if len(rows) == 0:
            continue
        cls = AGENT_KINDS[kind]
        who = [agents[r][k] for r in rows.tolist()]
        own[rows, k] = res = cls.reservations(val, rows, who)
        stake[rows, k] = res if cls.stake_is_reservation else cls.stakes(val, rows, who)
        guess = absent[rows, k].nonzero()[0] if guesses else ()
        if len(guess):
            standard[rows[guess], k] = cls.reservations(val, rows[guess], [who[g] for g in guess], standard=True)
    return own, stake, standard


# Starting a view costs about as much as valuing a thousand more (case, variant) cells (measured on a
# national run: some 0.5 ms against 0.5 us a cell); ``width_groups`` weighs padding against it.
CELLS_PER_VIEW = 1000


def width_groups(cases: list) -> list[list[int]]:
    """The rows of ``cases`` in groups to value apart, each at its own width (all variants of each case).

    A view pads every case to the widest package of its batch, and a month's agreements mix
    performance agreements (two variants) with national cases (ninety): half of what one view
    of them valued was padding. Sizes are taken from the largest down; a size joins the group of
    the sizes above it while the padding it adds costs less than another view (``CELLS_PER_VIEW``).
    Every value is per case, so the groups give what one view of all would."""
    by_size: dict[int, list[int]] = {}
    for r, case in enumerate(cases):
        by_size.setdefault(case.space.size, []).append(r)
    groups: list[list[int]] = []
    width = 0
    for size in sorted(by_size, reverse=True):
        rows = by_size[size]
        if groups and len(rows) * (width - size) <= CELLS_PER_VIEW:
            groups[-1].extend(rows)
        else:
            groups.append(list(rows))
            width = size
    return [sorted(g) for g in groups]


def shortfalls(model, cases: list, month: int) -> np.ndarray:
    """Per case and variant: every signatory's own reservation (board position included) minus the
    surplus, at the case's real cost, without intervention money; <= 0 where a zone of agreement
    exists. The cases are valued together, shape (cases, variants)."""
    v = view(model, cases, month, known_cost=True)
    return v.total(v.true_need()) - v.val.surplus


def true_shortfall(model, case, month: int) -> np.ndarray:
    """``shortfalls`` of one case, per variant."""
    return shortfalls(model, [case], month)[0]


def zone_exists(model, case, month: int, with_money: bool = False) -> bool:
    """Is there a variant where every signatory's true reservation fits in the surplus?"""
    money = case.money_per_home if with_money else 0.0
    return bool(np.any(true_shortfall(model, case, month) - money <= 1e-6))


def financial_gap(model, case, month: int) -> float:
    """Smallest shortfall over the variants of true needs against the surplus (money included); <= 0: a zone."""
    return float(np.min(true_shortfall(model, case, month) - case.money_per_home))


# --- a meeting ------------------------------------------------------------------------
def hold_meetings(model, items: list, month: int) -> list:
    """One meeting on each of ``items`` ((table, case) pairs), all negotiated at once; then every
    party learns and trust moves (at a structural table: at the end of the month).

    A tenant organisation that cannot yet judge the package (seed 004: the themes are new to it;
    ``tenant_can_judge``) does not negotiate: the meeting is spent explaining, it learns, and the
    concession clock does not move, so the case is delayed rather than failed. A municipality that
    cannot judge a business case needs meetings to assess it before it can sign
    (``municipality.assessment_meetings``), and a
    performance agreement needs ``performance.meetings_required`` meetings (bid, reaction,
    negotiation, signing). Returns the agreed terms per item, or None.
    """
    p = model.p
    if not items:
        return []
    gated, talks = [], []
    cases = [c for _, c in items]
    # for the tenants' judgement and the talks: the variants a meeting can reach, not all of them
    valued = view(model, cases, month, guesses=True, variants=meeting_columns(cases))
    judges = tenant_can_judge(model, items, valued)
    for k, (table, case) in enumerate(items):
        (talks if judges[k] or case.tenant_waits >= deadline_for(case, p) else gated).append(k)
    terms: list = [None] * len(items)
    steps = np.zeros((len(items), len(KINDS)))
    rounds = np.zeros(len(items), dtype=int)
    for k in gated:
        case = items[k][1]
        case.tenant_waits += 1  # after a full clock of waiting it negotiates anyway (its reservation binds)
        case.blocked_by = "tenant_knowledge"
    if talks:
        batch = [items[k] for k in talks]
        vw = valued if len(talks) == len(items) else valued.rows(talks)
        meetings = assemble(model, batch, month, vw)
        outcome = negotiation.meet_all(meetings, protocol(p), model.recorder.concessions_observed)
        chosen = vw.columns[np.arange(len(batch)), meetings.variant]    # the variant of each text's column
        disassemble(meetings, outcome, [c for _, c in batch], chosen)
        steps[talks], rounds[talks] = outcome.steps, outcome.rounds
        for r in outcome.agreed.nonzero()[0].tolist():
            terms[talks[r]] = terms_of(meetings, outcome, r, items[talks[r]][1], int(chosen[r]))
    for (table, case), held in zip(items, rounds.tolist()):
        case.meetings += 1
        case.rounds_total += held
        table.meetings += 1
        model.recorder.meeting(month, table, case)
    _learn(model, items, valued)
    _trust_after_meetings(model, items, valued, np.array([t is not None for t in terms]), steps)
    return terms


def tenant_can_judge(model, items: list, vw: "View") -> np.ndarray:
    """Per item: can its seated tenant organisation (if any) judge the package on the table?

    A volunteer organisation signs for its tenants only when it can tell that the package leaves
    them what they need. What it cannot see through is ``1 - insight`` of its stake (insight grows
    with its knowledge of the themes, an advisor and the meetings it attends); it can judge when
    that is no more than the room the package leaves over every signatory's reservation at the
    text's variant. So a package with room to spare is judged at once, and a tight one only by an
    organisation that understands the arithmetic: the delay follows from the case's numbers, not
    from a fixed knowledge threshold. ``vw`` values every item (``view``)."""
    judges = np.ones(len(items), dtype=bool)
    rows = vw.seated[:, SLOT["tenant"]].nonzero()[0]
    if not len(rows):
        return judges
    cases = [items[k][1] for k in rows]
    v = vw.column_of(rows, np.array([c.variant for c in cases]))
    need = vw.total(vw.true_need())[rows]
    r = np.arange(len(rows))
    room = vw.val.surplus[rows, v] + np.array([c.money_per_home for c in cases]) - need[r, v]
    blind = np.array([1.0 - insight_of(model, items[k][0], items[k][1], items[k][1].cast["tenant"]) for k in rows])
    judges[rows] = blind * vw.stake[rows, SLOT["tenant"], v] <= np.maximum(room, 0.0) + 1e-6
    return judges


def terms_of(m: negotiation.Meetings, out: negotiation.Outcome, r: int, case, variant: int) -> negotiation.Terms:
    """The agreed terms of meeting row ``r``, by agent id; ``variant``: the package variant of its text."""
    v = int(m.variant[r])   # the text's column in the meeting's arrays
    agents, _, _ = slot_agents(case)
    seated_r, absent_r = m.seated[r].tolist(), m.absent[r].tolist()
    seated = [(k, a.unique_id) for k, a in enumerate(agents) if a is not None and seated_r[k]]
    absent = [(k, a.unique_id) for k, a in enumerate(agents) if a is not None and absent_r[k]]
    claims, needs = out.claims[r].tolist(), out.needs[r].tolist()
    res, opening = m.res[r, :, v].tolist(), m.opening[r, :, v].tolist()
    return negotiation.Terms(
        variant=variant, claims={i: claims[k] for k, i in seated + absent},
        needs={i: needs[k] for k, i in seated},
        reservations={i: res[k] for k, i in seated + absent},
        openings={i: max(res[k], opening[k]) for k, i in seated},
        available=float(out.available[r]), money=case.money_per_home, absent=tuple(i for _, i in absent),
        mediated=bool(out.mediated[r]))


def protocol(p) -> negotiation.Protocol:
    return negotiation.Protocol(p["negotiation.rounds_per_meeting"], p["negotiation.reciprocity"],
                                p["negotiation.reciprocity_ratio_cap"], p["negotiation.concession_threshold"],
                                p["negotiation.chair_trust"], p["negotiation.caucus_disclosure"])


def meeting_columns(cases: list) -> np.ndarray:
    """The variants a meeting on each case can reach, shape (cases, columns), -1 for padding: the
    text's variant, then, on a concrete case, its neighbours in variant order. The text moves at most
    once a meeting, one step on one issue (``negotiation.write_text``), so no other variant matters
    to it; valuing only these keeps a meeting's arrays narrow (a national case has up to 90 variants)."""
    moves = [c.space.neighbours(c.variant) if c.concrete else () for c in cases]
    out = np.full((len(cases), 1 + max((len(x) for x in moves), default=0)), -1, dtype=int)
    out[:, 0] = [c.variant for c in cases]
    for r, x in enumerate(moves):
        out[r, 1:1 + len(x)] = x
    return out


def assemble(model, items: list, month: int, vw: "View | None" = None) -> negotiation.Meetings:
    """The meetings of ``items`` ((table, case) pairs) as arrays: valuations, reservations as each table
    sees them, openings, guardedness, the writer of the text, the clock and the rules. ``vw``: the
    items already valued this month at their ``meeting_columns``, if they are.

    The arrays' columns are those of the view: column 0 is the text's variant, the others the
    candidates it may move to; the meetings' ``variant`` is a column (``View.columns`` maps it back)."""
    p = model.p
    cases = [c for _, c in items]
    vw = view(model, cases, month, guesses=True, variants=meeting_columns(cases)) if vw is None else vw
    m, width = vw.val.size
    margin = np.array([0.0 if t.switches["mandate"] else p["negotiation.board_margin"] for t, _ in items])
    padding = np.array([c.padding for c in cases])
    if negotiation.kernel_loaded():
        from sim import view_kernel
        res, opening = view_kernel.table_numbers(vw, margin, padding, p)
    else:
        res = vw.table_res(margin)
        opening = vw.openings(res, padding)
    surplus = np.where(vw.val.valid, vw.val.surplus, -np.inf) + np.array([c.money_per_home for c in cases])[:, None]
    candidates = np.where(vw.columns[:, 1:] >= 0, np.arange(1, width)[None, :], -1)
    bonus = np.zeros((m, width))
    rounds = p["negotiation.rounds_per_meeting"]
    idx = vw.idx
    hold = p["negotiation.distrust_hold"] * guardedness_rows(model, items, vw.seated, vw.agents, idx)
    agent = np.where(vw.seated, model.agent_ids[idx], -1)
    exponent = np.where(vw.seated, model.concession_exponents[idx], 1.0)
    # the rules of each item's table
    chairs = [t.switches["chair"] for t, _ in items]
    chair = np.array([negotiation.CHAIRS[c] for c in chairs], dtype=int)
    rule = np.array([negotiation.RULES[t.switches["decision_rule"]] for t, _ in items], dtype=int)
    muni_seated = vw.seated[:, SLOT["municipality"]]
    muni_slot = np.where(muni_seated, SLOT["municipality"], -1)
    lead = np.where(rule == negotiation.RULES["lead"], muni_slot, -1)
    # a seated municipality that chairs writes the text and steers it (only it can: it is seated)
    steering = (chair == negotiation.CHAIRS["municipality"]) & muni_seated
    # the concession clock and what may stop a signature
    clock = np.fromiter(chain.from_iterable((c.meetings_at_level, c.kind == "performance", c.meetings,
                                             c.assessment_meetings, c.infrastructure_blocked or c.lacks_investor)
                                            for c in cases), dtype=float, count=5 * m).reshape(m, 5)
    at_level, performance, held, assessment, blocked = clock.T
    performance, blocked = performance.astype(bool), blocked.astype(bool)
    d = p["negotiation.meetings_to_deadline"]
    deadline = np.where(performance, d + p["performance.meetings_required"] - 1, d)   # ``deadline_for``
    t_start = at_level / deadline
    t_step = 1.0 / (rounds * deadline)
    too_early = performance & (held + 1 < p["performance.meetings_required"])
    assessing = at_level < assessment
    can_sign = ~(blocked | too_early | assessing)
    writer = np.full(m, negotiation.NO_TEXT)
    writer_insight = np.zeros(m)
    for r, (table, case) in enumerate(items):
        if chairs[r] == "external":
            writer[r] = negotiation.CHAIR
            writer_insight[r] = p["negotiation.caucus_disclosure"]
        else:
            w = case.cast["municipality"] if steering[r] else case.parties[case.meetings % len(case.parties)]
            writer[r] = SLOT[w.kind]   # the municipality as chair, or the parties in turn
            writer_insight[r] = insight_of(model, table, case, w)
        case.blocked_by = ("no_investor" if case.lacks_investor else "infrastructure") if blocked[r] else \
            ("assessment" if assessing[r] else "")
    steer = steering.nonzero()[0]
    insight = np.where(vw.seated, writer_insight[:, None], 0.0)
    if len(steer):
        bonus[steer] = p["negotiation.chair_steering"] * Municipality.affordability_values(
            vw.val, steer, [vw.agents[r][SLOT["municipality"]] for r in steer])
    return negotiation.Meetings(
        seated=vw.seated, absent=vw.absent, res=res, opening=opening, surplus=surplus, candidates=candidates,
        writer=writer, writer_insight=insight, bonus=bonus, variant=np.zeros(m, dtype=int),
        conceded=np.array([c.conceded for c in cases]), last=np.array([c.last for c in cases]), exponent=exponent,
        t_start=t_start, t_step=t_step, hold=hold, can_sign=can_sign, chair=chair, rule=rule, lead=lead,
        municipality=muni_slot, agent=agent)


def disassemble(m: negotiation.Meetings, outcome: negotiation.Outcome, cases: list, variants: np.ndarray) -> None:
    """Write the meetings' state back to the cases: the text's variant (``variants``), concessions, the record."""
    conceded, last = m.conceded.copy(), m.last.copy()     # each case keeps its row (as ``set_padding`` does)
    for case, variant, c, x, moved in zip(cases, variants.tolist(), conceded, last, outcome.text_moved.tolist()):
        case.variant = variant
        case.conceded = c
        case.last = x
        case.meetings_at_level += 1
        case.text_moves += int(moved)


def _learn(model, items: list, vw: View) -> None:
    """Insight grows with every meeting; on a general question, with the numbers off the table, less.

    At a structural table, and for a tenant organisation's knowledge, the gain takes effect at the
    end of the month (the tables of a month meet in parallel): the structural tables' gains are
    queued as (table x agent code, gain) arrays, in the order of the items and of their parties
    (``HousingTablesModel._learn_at_tables``). A one-off table's case learns at once. ``vw``:
    the items' view (their seated parties and the parties' rows).
    """
    p = model.p
    gains = np.array([p["learning.insight_gain"] * (1.0 if case.concrete else p["learning.general_question_share"])
                      for _, case in items])
    structural = np.array([table.structural for table, _ in items], dtype=bool)
    rows, slots = np.nonzero(vw.seated & structural[:, None])     # row-major: items in order, parties in slot order
    if len(rows):
        tables = np.array([table.id for table, _ in items], dtype=np.int64)
        model.insight_updates.append((tables[rows] * model.insight.shape[1] + vw.idx[rows, slots], gains[rows]))
    for r in (~structural).nonzero()[0].tolist():
        table, case = items[r]
        for a in case.parties:
            learn_insight(model, table, case, a, float(gains[r]))
    tenant = SLOT["tenant"]
    for r in vw.seated[:, tenant].nonzero()[0].tolist():
        model.tenant_learning.append((vw.agents[r][tenant], p["learning.insight_gain"]))


def _trust_after_meetings(model, items: list, vw: View, agreed: np.ndarray, steps: np.ndarray) -> None:
    """Reciprocated concessions build trust, unreciprocated ones erode it (MODEL.md 5.4).

    After an agreement every pair gains ``trust.gain``. Otherwise i's trust in j moves by
    ``trust.meeting_share`` of ``trust.gain`` if j moved at least ``trust.reciprocated_share`` of
    what i moved this meeting, and by that share of ``-trust.loss`` if not; a party that did not
    move judges nobody. One-off tables change the case's own trust at once; structural tables the
    model's store at the end of the month. ``vw``: the items' view (their seated parties and the
    parties' rows).
    """
    if not items:
        return
    p = model.p
    tg, tl, share = p["trust.gain"], p["trust.loss"], p["trust.reciprocated_share"]
    part = p["trust.meeting_share"]
    n = len(KINDS)
    seated = vw.seated
    pair = seated[:, :, None] & seated[:, None, :] & ~np.eye(n, dtype=bool)[None]
    mine, theirs = steps[:, :, None], steps[:, None, :]
    delta = np.where(mine <= negotiation.EPS, 0.0, np.where(theirs >= share * mine, part * tg, -part * tl))
    delta = np.where(agreed[:, None, None], tg, delta) * pair
    store_rows = []
    for r, (_, case) in enumerate(items):
        if case.trust_local is not None:
            case.trust_local = np.minimum(np.maximum(case.trust_local + delta[r], 0.0), 1.0)
        else:
            store_rows.append(r)
    if store_rows:
        rows = np.array(store_rows)
        idx = vw.idx[rows]
        r_k, i_k, j_k = np.nonzero(delta[rows])
        model.trust_store.add_many(idx[r_k, i_k], idx[r_k, j_k], delta[rows][r_k, i_k, j_k])

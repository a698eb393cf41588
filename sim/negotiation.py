"""The meetings of a month, negotiated together as one array computation (MODEL.md 5; docs/ODD.md 3.4.3).

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
signatories (parties that must sign but are not seated) are reserved the table's guess of
their reservation.

All meetings are held at once on arrays: meetings x the five party slots (``sim.valuation.KINDS``)
x variants, with masks for the parties not at the table. Everything is a deterministic
function of its inputs, so two policies on the same seed differ only where the policy
reaches. ``meet`` negotiates one case from plain dictionaries, for tests and worked examples.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

EPS = 1e-9
NO_TEXT, CHAIR = -2, -1          # writer codes: nobody moves the text; the external chair writes
CHAIRS = {"none": 0, "municipality": 1, "external": 2}
RULES = {"consensus": 0, "qualified_majority": 1, "lead": 2}


@dataclass
class Terms:
    """What a meeting agreed, at the variant on the table (claims by agent id, EUR per home)."""

    variant: int
    claims: dict[int, float]          # seated and absent signatories
    needs: dict[int, float]           # seated: the claim each party had come down to (before slack)
    reservations: dict[int, float]    # seated and absent (absent: the table's guess)
    openings: dict[int, float]        # seated
    available: float                  # surplus + money - absent guesses, EUR per home
    money: float                      # EUR per home added by an intervention
    absent: tuple[int, ...] = ()      # signatories not at the table
    mediated: bool = False            # accepted on an external chair's proposal
    imposed: bool = False             # imposed by a vertical table's governments


@dataclass
class Meetings:
    """The state of M meetings, one row each; P = 5 party slots, V columns, K candidate moves.

    A column is a variant of the package; which variants the columns hold is the caller's
    choice (all of them, or only those a meeting can reach: ``sim.tables.meeting_columns``), as
    long as ``variant`` and ``candidates`` index the same columns.
    """

    seated: np.ndarray           # (M, P) bool: negotiates at the table
    absent: np.ndarray           # (M, P) bool: must sign, is not at the table
    res: np.ndarray              # (M, P, V) reservations as the table sees them (absent: the guess)
    opening: np.ndarray          # (M, P, V) seated parties' openings
    surplus: np.ndarray          # (M, V) surplus plus intervention money; -inf for padding variants
    candidates: np.ndarray       # (M, K) columns the text may move to (-1: none)
    writer: np.ndarray           # (M,) slot writing the text, CHAIR, or NO_TEXT
    writer_insight: np.ndarray   # (M, P) how much of each party's padding the writer sees through
    bonus: np.ndarray            # (M, V) what the writer adds for its own interests
    variant: np.ndarray          # (M,) the text's column (updated)
    conceded: np.ndarray         # (M, P) share of its range each party has conceded (updated)
    last: np.ndarray             # (M, P) last round's steps; NaN: not in the record (updated)
    exponent: np.ndarray         # (M, P) concession exponent e of each party
    t_start: np.ndarray          # (M,) where the meeting starts on the concession clock
    t_step: np.ndarray           # (M,) clock time per round
    hold: np.ndarray             # (M, P) share of its range each party keeps back
    can_sign: np.ndarray         # (M,) bool
    chair: np.ndarray            # (M,) CHAIRS code
    rule: np.ndarray             # (M,) RULES code
    lead: np.ndarray             # (M,) slot of the lead party (-1: none)
    municipality: np.ndarray     # (M,) slot of the seated municipality (-1: none)
    agent: np.ndarray            # (M, P) agent index of each slot (-1: empty), for the reciprocity record


@dataclass
class Outcome:
    agreed: np.ndarray           # (M,) bool
    rounds: np.ndarray           # (M,) rounds held
    claims: np.ndarray           # (M, P) final claims (seated and absent), EUR per home
    needs: np.ndarray            # (M, P) what each seated party had come down to, before any slack
    available: np.ndarray        # (M,) surplus + money - absent guesses at the agreed variant
    mediated: np.ndarray         # (M,) bool: accepted on an external chair's proposal
    steps: np.ndarray            # (M, P) share of its range each party conceded in the meeting
    text_moved: np.ndarray       # (M,) bool


@dataclass(frozen=True)
class Protocol:
    """The parameters of the protocol that are the same for every meeting."""

    rounds: int
    reciprocity: float
    ratio_cap: float
    threshold: float
    chair_trust: float
    caucus_disclosure: float


@dataclass(frozen=True)
class _Rules:
    """What every round of ``meet_all`` reads of the meetings' seats and rules, worked out once."""

    n_seated: np.ndarray         # (M,) parties at the table
    lead_rule: np.ndarray        # (M,) bool: the lead party decides
    qualified: np.ndarray        # (M,) bool: a qualified majority decides (three parties or more)
    external: np.ndarray         # (M,) bool: an external chair proposes
    to_municipality: np.ndarray  # (M,) bool: the chairing municipality takes the slack
    to_proposer: np.ndarray      # (M,) bool: no chair: the round's proposer takes the slack
    slot: np.ndarray             # (1, P) the slots' numbers

    @classmethod
    def of(cls, m: Meetings) -> "_Rules":
        n_seated = m.seated.sum(axis=1)
        return cls(n_seated, (m.rule == RULES["lead"]) & (m.lead >= 0),
                   (m.rule == RULES["qualified_majority"]) & (n_seated >= 3), m.chair == CHAIRS["external"],
                   (m.chair == CHAIRS["municipality"]) & (m.municipality >= 0), m.chair == CHAIRS["none"],
                   np.arange(m.seated.shape[1])[None, :])


def write_text(m: Meetings) -> np.ndarray:
    """Move each text to the candidate its writer expects to leave the most net surplus.

    The writer believes party j needs ``res_j + (1 - insight_j) (target_j - res_j)`` (its own
    reservation for itself), adds its ``bonus`` for its own interests, and, where the table has
    no chair, drops every move that would raise another party's reservation: nobody arranges
    compensation, so every party must see for itself that it loses nothing.
    """
    rows = (m.writer != NO_TEXT).nonzero()[0]
    moved = np.zeros(len(m.variant), dtype=bool)
    if len(rows) == 0 or m.candidates.shape[1] == 0:
        return moved
    v = m.variant[rows]
    cand = np.concatenate([v[:, None], m.candidates[rows]], axis=1)            # (R, K+1)
    usable = cand >= 0
    cand = np.where(usable, cand, v[:, None])
    # the candidates' columns, gathered by one fancy index each (np.take_along_axis costs more in Python)
    at = (rows[:, None, None], np.arange(m.res.shape[1])[None, :, None], cand[:, None, :])   # -> (R, P, K+1)
    res = m.res[at]
    opening = m.opening[at]
    target = res + (opening - res) * (1.0 - m.conceded[rows][:, :, None])
    z = m.surplus[rows[:, None], cand]
    absent = m.absent[rows]
    z = z - (res * absent[:, :, None]).sum(axis=1)
    writer = m.writer[rows]
    seated = m.seated[rows]
    for j in range(res.shape[1]):
        is_writer = (writer == j)[:, None]
        need = np.where(is_writer, res[:, j], res[:, j] + (1.0 - m.writer_insight[rows, j:j + 1]) * (target[:, j] - res[:, j]))
        z = z - np.where(seated[:, j:j + 1], need, 0.0)
    z = z + m.bonus[rows[:, None], cand]
    no_chair = (m.chair[rows] == CHAIRS["none"])[:, None]
    worse = np.zeros(z.shape, dtype=bool)
    for j in range(res.shape[1]):
        other = (seated[:, j] & (writer != j))[:, None]
        worse |= other & (res[:, j] > res[:, j, :1] + 1e-6)
    z = np.where((no_chair & worse) | ~usable, -np.inf, z)
    best = z.argmax(axis=1)
    better = z[np.arange(len(rows)), best] > z[:, 0] + 1e-6
    new = np.where(better, cand[np.arange(len(rows)), best], v)
    moved[rows] = new != v
    m.variant[rows] = new
    return moved


def meet_all(m: Meetings, protocol: Protocol, record=None) -> Outcome:
    """Negotiate every meeting for ``protocol.rounds`` rounds; ``m`` is updated in place.

    The compiled kernel does it where the process has loaded it (``use_kernel``), with the same
    outcome bit for bit; otherwise numpy's ``meet_all_numpy``."""
    if _kernel is None and kernel_setting() == "on":
        use_kernel()
    if _kernel is not None:
        return _kernel(m, protocol, record)
    return meet_all_numpy(m, protocol, record)


_kernel = None   # the compiled meet_all, once this process has loaded it (``use_kernel``)


def use_kernel(on: bool = True) -> bool:
    """Negotiate with the compiled kernel (``sim.negotiation_kernel``) in this process, and value the
    month's cases with ``sim.view_kernel``'s, or not. Returns whether the kernels are in use.

    Loading them costs about a second once (importing numba and loading the compilations numba
    cached beside the modules; the first load on a machine compiles, some 10 s); they make a
    12-city run 1.5-1.7x faster and a national run's months 1.16-1.24x (results/benchmarks/
    view_kernel.md, phase_times.md). So the processes that run many runs load them: a sweep's
    workers and the dashboard. A single run does not, unless ``TAFELSIM_KERNEL=on``.
    ``TAFELSIM_KERNEL=off`` keeps numpy's everywhere; without numba (or with a numpy numba does
    not support) numpy's is used. Both give the same numbers bit for bit
    (tests/test_negotiation_kernel.py, tests/test_view_kernel.py)."""
    global _kernel
    mode = kernel_setting()
    if not on or mode == "off":
        _kernel = None
        return False
    if _kernel is None:
        try:
            from sim import negotiation_kernel, view_kernel
        except ImportError:
            if mode == "on":
                raise
            return False
        negotiation_kernel.warm_up()
        view_kernel.warm_up()
        _kernel = negotiation_kernel.meet_all
    return True


def kernel_loaded() -> bool:
    """Has this process loaded the compiled kernels (``use_kernel``)? The valuation and the view ask, to
    use ``sim.view_kernel``'s too (loading them first under ``TAFELSIM_KERNEL=on``)."""
    if _kernel is None and kernel_setting() == "on":
        use_kernel()
    return _kernel is not None


def kernel_setting() -> str:
    """``TAFELSIM_KERNEL`` ("on", "off" or "" when unset), checked: ``sim.run`` and a sweep check it
    before anything runs, so a mistyped value stops them at once with the allowed ones."""
    mode = os.environ.get("TAFELSIM_KERNEL", "")
    if mode not in ("", "on", "off"):
        from sim.errors import InputError, shown
        raise InputError("environment", "TAFELSIM_KERNEL", f"got {shown(mode)}; allowed: on, off, or unset "
                         "(the compiled negotiation where a process loads it: sweep workers, the dashboard)")
    return mode


def curve_at(m: Meetings, inv_e: np.ndarray, r: int) -> np.ndarray:
    """Where each party's concession curve stands when round r starts: t^(1/e), t on the clock
    (``inv_e``: 1 / the parties' exponents). Both implementations of the rounds take their powers
    here (numpy's ``pow`` may differ from libm's on some CPUs, so the kernel must not take them)."""
    return np.minimum(np.maximum((m.t_start + r * m.t_step)[:, None], 0.0), 1.0) ** inv_e


def meet_all_numpy(m: Meetings, protocol: Protocol, record=None) -> Outcome:
    """Negotiate every meeting for ``protocol.rounds`` rounds; ``m`` is updated in place.

    ``record(agent_index, conceded, others_conceded)`` receives, as arrays, every observation
    of a party that was free to take its scheduled step: it "conceded" if it took at least
    that step (a smaller step is holding back against the others), and "others conceded" if
    another party stepped at least ``protocol.threshold`` of its range the round before.
    """
    n, slots = m.seated.shape
    text_moved = write_text(m)
    rows = np.arange(n)
    v = m.variant
    res = m.res[rows, :, v]                                                      # (M, P)
    opening = np.maximum(res, m.opening[rows, :, v])
    available = m.surplus[rows, v] - (res * m.absent).sum(axis=1)
    active = m.seated & (opening - res > EPS)
    agreed = np.zeros(n, dtype=bool)
    rounds_held = np.full(n, protocol.rounds)
    claims = np.where(m.absent, res, 0.0)
    needs = np.zeros((n, slots))
    mediated = np.zeros(n, dtype=bool)
    moved = np.zeros((n, slots))
    rho, cap = protocol.reciprocity, protocol.ratio_cap
    inv_e = 1.0 / m.exponent
    at_start = curve_at(m, inv_e, 0)
    rules = _Rules.of(m)
    for r in range(protocol.rounds):
        live = ~agreed
        at_end = curve_at(m, inv_e, r + 1)     # a round's end is the next one's start: each time powered once
        scheduled, at_start = at_end - at_start, at_end
        in_record = ~np.isnan(m.last)
        last = np.where(in_record, m.last, 0.0)
        others_n = in_record.sum(axis=1, keepdims=True) - in_record
        others_sum = _others_sum(last, in_record)
        answer = in_record & (others_n > 0)
        ratio = np.minimum(cap, np.where(answer, others_sum / np.maximum(others_n, 1), 0.0)
                           / np.maximum(last, EPS))
        base = np.where(answer, scheduled * (1.0 + rho * (ratio - 1.0)), scheduled)
        room = np.maximum(0.0, 1.0 - m.hold - m.conceded)
        stepping = active & live[:, None]
        step = np.where(stepping, np.minimum(np.maximum(base, 0.0), room), 0.0)
        if record is not None:
            free = (scheduled > EPS) & (room > scheduled * (1.0 + rho * (cap - 1.0)) + EPS)
            observed = stepping & in_record & free & in_record.any(axis=1, keepdims=True)
            others_conceded = ((last >= protocol.threshold) & in_record).sum(axis=1, keepdims=True) \
                - ((last >= protocol.threshold) & in_record)
            if observed.any():
                record(m.agent[observed], (step >= scheduled * (1.0 - 1e-6))[observed], (others_conceded > 0)[observed])
        had_room = m.conceded < 1.0 - EPS
        m.conceded = np.where(stepping, m.conceded + step, m.conceded)
        moved = moved + step
        m.last = np.where(live[:, None], np.where(stepping & had_room, step, np.nan), m.last)
        signing = live & m.can_sign
        if not signing.any():
            continue
        targets = res + (opening - res) * (1.0 - m.conceded)
        ok, claim, need, med = _agree(m, protocol, rules, targets, res, available, r, signing)
        agreed |= ok
        rounds_held = np.where(ok, r + 1, rounds_held)
        claims = np.where(ok[:, None], np.where(m.seated, claim, claims), claims)
        needs = np.where(ok[:, None], need, needs)
        mediated |= med & ok
    return Outcome(agreed, rounds_held, claims, needs, available, mediated, moved, text_moved)


def _minimum_claims(m: Meetings, rules: _Rules, targets, res, order):
    """What the decision rule lets each party insist on (sums of seated claims; others are zero).

    consensus: every party its current demand. qualified_majority (3 or more parties): two
    thirds get their demand; the rest (those asking most above their reservation, earlier
    slots first on ties) are bound as long as the package still meets their reservation.
    lead: the lead party its demand, everyone else its reservation (vertical steering; nobody
    signs at a loss).
    """
    n_seated = rules.n_seated
    need = np.where(m.seated, targets, 0.0)
    need = np.where(rules.lead_rule[:, None] & m.seated & (rules.slot != m.lead[:, None]), res, need)
    qm = rules.qualified
    if qm.any():
        bound = n_seated - np.ceil(2 * n_seated / 3).astype(int)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :].repeat(len(order), 0), axis=1)
        outvoted = qm[:, None] & m.seated & (rank < bound[:, None])
        need = np.where(outvoted, res, need)
    return need


def _accepts(m: Meetings, rules: _Rules, votes) -> np.ndarray:
    n_seated = rules.n_seated
    yes = (votes & m.seated).sum(axis=1)
    lead_vote = votes[np.arange(len(votes)), np.maximum(m.lead, 0)]
    return np.where(rules.lead_rule, lead_vote,
                    np.where(rules.qualified, yes >= np.ceil(2 * n_seated / 3), yes == n_seated))


def _others_sum(x, mask):
    """For each slot, the sum of the other slots' values in slot order (exactly as a party-by-party sum)."""
    slots = x.shape[1]
    others = np.where(mask, x, 0.0)[:, _other_slots(slots)]          # (M, slot, the other slots in order)
    out = np.zeros(x.shape)
    for k in range(slots - 1):
        out = out + others[:, :, k]
    return out


@lru_cache(maxsize=None)
def _other_slots(slots: int) -> np.ndarray:
    return np.array([[j for j in range(slots) if j != i] for i in range(slots)], dtype=int).reshape(slots, slots - 1)


def _seq_sum(x, mask):
    """Sum over slots in slot order (the order a party-by-party sum takes), masked."""
    masked = np.where(mask, x, 0.0)
    out = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        out = out + masked[:, j]
    return out


def _agree(m: Meetings, protocol: Protocol, rules: _Rules, targets, res, available, r, signing):
    """This round's proposal and vote: who agrees, with which claims and needs."""
    n, slots = m.seated.shape
    ok = np.zeros(n, dtype=bool)
    claims = np.zeros((n, slots))
    needs = np.zeros((n, slots))
    mediated = np.zeros(n, dtype=bool)
    seated, n_seated = m.seated, rules.n_seated
    # an external chair's proposal from what the parties told it in caucus
    ext = signing & rules.external
    if ext.any():
        est = res + (1.0 - protocol.caucus_disclosure) * (targets - res)
        rest = available - _seq_sum(est, seated)
        fits = ext & (rest >= -EPS)
        excess = np.where(seated, targets - est, 0.0)
        total = _seq_sum(excess, seated)
        weight = np.where((total > EPS)[:, None], excess / np.where(total > EPS, total, 1.0)[:, None],
                          1.0 / np.maximum(n_seated, 1)[:, None])
        offer = est + np.maximum(rest, 0.0)[:, None] * weight
        votes = offer >= res + (1.0 - protocol.chair_trust) * (targets - res) - 1e-6
        yes = fits & _accepts(m, rules, votes)
        ok |= yes
        claims = np.where(yes[:, None] & seated, offer, claims)
        needs = np.where(yes[:, None] & seated, offer, needs)
        mediated |= yes
    rest_rows = signing & ~ok
    if rest_rows.any():
        order = (-np.where(seated, targets - res, -np.inf)).argsort(axis=1, kind="stable")
        need = _minimum_claims(m, rules, targets, res, order)
        total = _seq_sum(need, seated)
        fits = rest_rows & (total <= available + EPS)
        slack = np.maximum(0.0, available - total)
        # the proposer of round r without a chair: the (r mod n)-th seated party
        kth = r % np.maximum(n_seated, 1)
        proposer = (seated.cumsum(axis=1) > kth[:, None]).argmax(axis=1)
        slot = rules.slot
        share = np.where(rules.to_municipality[:, None], (slot == m.municipality[:, None]) * slack[:, None],
                         np.where(rules.to_proposer[:, None], (slot == proposer[:, None]) * slack[:, None],
                                  seated * (slack / np.maximum(n_seated, 1))[:, None]))
        final = np.where(seated, need + share, 0.0)
        ok |= fits
        claims = np.where(fits[:, None], final, claims)
        needs = np.where(fits[:, None], need, needs)
    return ok, claims, needs, mediated


# --- one meeting from plain dictionaries (tests and worked examples) ------------------------------
def meet(case, parties, *, chair: str, decision_rule: str, lead, municipality, chair_trust: float,
         caucus_disclosure: float, surplus, res: dict, opening: dict, absent: dict | None = None,
         money: float = 0.0, candidates=(), writer=None, writer_insight: dict | None = None, bonus=None,
         t_start: float = 0.0, t_step: float = 1 / 16, rounds: int = 4, reciprocity: float = 0.5,
         ratio_cap: float = 2.0, threshold: float = 0.01, hold: dict | None = None, can_sign: bool = True,
         record=None):
    """Negotiate one case: ``parties`` are objects with ``unique_id`` and ``autonomy``, at most five,
    taken as the slots in order; ``res``/``opening`` map their ids to arrays over variants.

    ``case`` carries ``variant``, ``concession`` (id -> share) and ``last_step`` (id -> step), which
    are updated. Returns the outcome with claims as a dictionary by id.
    """
    from sim import economics as eco
    ids = [a.unique_id for a in parties]
    absent = absent or {}
    ab_ids = list(absent)
    order = ids + ab_ids
    width = len(np.asarray(surplus))
    P = 5
    assert len(order) <= P
    seated = np.zeros((1, P), dtype=bool)
    ab = np.zeros((1, P), dtype=bool)
    r = np.zeros((1, P, width))
    o = np.zeros((1, P, width))
    for k, i in enumerate(order):
        if i in res:
            seated[0, k] = True
            r[0, k], o[0, k] = res[i], opening[i]
        else:
            ab[0, k] = True
            r[0, k] = absent[i]
    slot_of = {i: k for k, i in enumerate(order)}
    last = np.full((1, P), np.nan)
    for i, s in case.last_step.items():
        last[0, slot_of[i]] = s
    exponent = np.ones((1, P))
    for k, a in enumerate(parties):
        exponent[0, k] = eco.concession_exponent(a.autonomy)
    ins = np.zeros((1, P))
    for i, x in (writer_insight or {}).items():
        ins[0, slot_of[i]] = x
    cand = np.asarray(list(candidates), dtype=int).reshape(1, -1)
    w = NO_TEXT if writer is None else (CHAIR if writer == "chair" else slot_of[writer])
    m = Meetings(seated=seated, absent=ab, res=r, opening=o, surplus=np.asarray(surplus, float)[None, :] + money,
                 candidates=cand, writer=np.array([w]), writer_insight=ins,
                 bonus=np.zeros((1, width)) if bonus is None else np.asarray(bonus, float)[None, :],
                 variant=np.array([case.variant]),
                 conceded=np.array([[case.concession.get(i, 0.0) for i in order] + [0.0] * (P - len(order))]),
                 last=last, exponent=exponent, t_start=np.array([t_start]), t_step=np.array([t_step]),
                 hold=np.array([[(hold or {}).get(i, 0.0) for i in order] + [0.0] * (P - len(order))]),
                 can_sign=np.array([can_sign]), chair=np.array([CHAIRS[chair]]), rule=np.array([RULES[decision_rule]]),
                 lead=np.array([slot_of.get(lead, -1)]), municipality=np.array([slot_of.get(municipality, -1)]),
                 agent=np.array([[slot_of[i] for i in order] + [-1] * (P - len(order))]))
    out = meet_all(m, Protocol(rounds, reciprocity, ratio_cap, threshold, chair_trust, caucus_disclosure), record)
    case.variant = int(m.variant[0])
    case.concession = {i: float(m.conceded[0, k]) for k, i in enumerate(order) if i in res}
    case.last_step = {i: float(m.last[0, k]) for k, i in enumerate(order) if not np.isnan(m.last[0, k])}
    return {"agreed": bool(out.agreed[0]), "rounds": int(out.rounds[0]), "mediated": bool(out.mediated[0]),
            "claims": {i: float(out.claims[0, k]) for k, i in enumerate(order)},
            "needs": {i: float(out.needs[0, k]) for k, i in enumerate(ids)},
            "available": float(out.available[0]), "text_moved": bool(out.text_moved[0]),
            "steps": {i: float(out.steps[0, k]) for k, i in enumerate(ids)}}
